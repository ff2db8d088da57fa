"""Correcting a material line on the office screen uses the technician's search-as-you-type
(issue 15): the page lists no drop-down of every item, only the line's item, and the search
returns the matching active items by number or description."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from werkbon.workorders import services
from werkbon.workorders.models import Item, MaterialLine

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_items(in_tenant_a, items):
    for n in range(40):
        Item.objects.create(number=f"MAT-{n:03d}", description=f"Materiaal {n}", unit="m")
    return items


def test_the_correction_page_offers_the_search_not_every_item(office_client, planned_order, many_items, tech_a):
    line = services.add_material_line(planned_order, item=many_items["PIJP"], quantity=Decimal("1.5"),
                                      technician=tech_a)
    page = office_client.get(reverse("workorders:material_line_edit", args=[planned_order.pk, line.pk])).content.decode()

    search = re.search(r'<input type="search"[^>]*data-testid="item-search"[^>]*>', page, re.S)
    assert search and f'hx-get="{reverse("workorders:item_options")}"' in search.group(0)
    assert 'hx-target="#id_item"' in search.group(0)
    select = re.search(r'<select name="item".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="(\d+)"', select) == [str(many_items["PIJP"].pk)]
    assert "selected" in select and "MAT-001" not in page


def test_the_search_finds_items_by_number_and_description(office_client, many_items):
    url = reverse("workorders:item_options")
    by_number = office_client.get(url, {"q": "mat-03"}).content.decode()
    assert re.findall(r">(MAT-\d+) ", by_number) == [f"MAT-{n:03d}" for n in range(30, 40)]
    by_description = office_client.get(url, {"q": "koperen"}).content.decode()
    assert "PIJP Koperen pijp 15 mm (m)" in by_description


def test_a_found_item_is_saved_on_the_line(office_client, planned_order, many_items, tech_a):
    line = services.add_material_line(planned_order, item=many_items["PIJP"], quantity=Decimal("1.5"),
                                      technician=tech_a)
    other = Item.objects.get(number="MAT-007")
    response = office_client.post(reverse("workorders:material_line_edit", args=[planned_order.pk, line.pk]),
                                  {"item": other.pk, "quantity": "2,5", "note": ""})
    assert response.status_code == 302
    assert MaterialLine.objects.get(pk=line.pk).item == other


def test_a_refused_correction_keeps_the_chosen_item_in_the_list(office_client, planned_order, many_items, tech_a):
    line = services.add_material_line(planned_order, item=many_items["PIJP"], quantity=Decimal("1"),
                                      technician=tech_a)
    other = Item.objects.get(number="MAT-007")
    response = office_client.post(reverse("workorders:material_line_edit", args=[planned_order.pk, line.pk]),
                                  {"item": other.pk, "quantity": "0", "note": ""})
    assert response.status_code == 200
    select = re.search(r'<select name="item".*?</select>', response.content.decode(), re.S).group(0)
    assert re.findall(r'<option value="(\d+)"', select) == [str(other.pk)]
