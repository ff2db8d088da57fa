"""The material select on the detail pages starts with the first items only and the search
fills it (issue 14): so every active item must be reachable by the search, also one whose
number is part of more than SEARCH_LIMIT other numbers that sort before it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from werkbon.workorders.models import Item
from werkbon.workorders.views import items as item_views

pytestmark = pytest.mark.django_db


def test_the_item_with_the_searched_number_is_found_first(tech_client, in_tenant_a):
    for n in range(item_views.SEARCH_LIMIT + 5):
        Item.objects.create(number=f"1200{n:02d}", description=f"Buis {n}", unit="st")  # all contain "200"
    wanted = Item.objects.create(number="200", description="Buis", unit="st")
    url = reverse("workorders:item_options")
    page = tech_client.get(url, {"q": "200"}).content.decode()  # the technician's page too
    options = re.findall(r'<option value="(\d+)"( selected)?', page)
    assert options[0] == (str(wanted.pk), " selected"), options[:3]  # chosen when the search ends
    assert len(options) == item_views.SEARCH_LIMIT
    numbers = re.findall(r'">(\d+) Buis', page)
    assert numbers[1:] == sorted(numbers[1:])  # the others by number, as before
