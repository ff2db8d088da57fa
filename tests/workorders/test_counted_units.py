"""Items counted in pieces take whole numbers (issue 15): 1,5 of an item whose unit is
counted (st, STK, stuk, PCS, EA, …) is refused with the unit's name in the Dutch message, by
the one service rule (``werkbon.workorders.units``) on the screens and in the API alike;
items in metres, hours or kilos still take fractions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.api.conftest import client_for
from werkbon.workorders import services
from werkbon.workorders.units import counted_quantity_problem, is_counted_unit

pytestmark = pytest.mark.django_db

MESSAGE = "Artikel CV01 wordt geteld in st: vul een heel aantal in, niet 1,5."


@pytest.mark.parametrize("unit", ["st", "ST", "Stk", "stuk", "stuks", "st.", "PCS", "pc", "EA", " STK "])
def test_units_that_count_pieces_are_counted(unit):
    assert is_counted_unit(unit)


@pytest.mark.parametrize("unit", ["m", "m1", "uur", "UUR", "kg", "l", "m2", "", None])
def test_units_of_measure_are_not_counted(unit):
    assert not is_counted_unit(unit)


def test_a_whole_number_of_pieces_passes_and_a_fraction_is_refused_with_the_unit_s_name():
    assert counted_quantity_problem("CV01", "st", Decimal("2")) is None
    assert counted_quantity_problem("CV01", "st", Decimal("2.000")) is None
    assert counted_quantity_problem("PIJP", "m", Decimal("1.5")) is None
    assert counted_quantity_problem("CV01", "st", Decimal("1.5")) == MESSAGE


def test_the_service_refuses_a_fraction_of_a_counted_item(planned_order, items, tech_a):
    with pytest.raises(services.LifecycleError, match="wordt geteld in st"):
        services.add_material_line(planned_order, item=items["CV01"], quantity=Decimal("1.5"), technician=tech_a)
    services.add_material_line(planned_order, item=items["CV01"], quantity=Decimal("2"), technician=tech_a)
    services.add_material_line(planned_order, item=items["PIJP"], quantity=Decimal("1.5"), technician=tech_a)
    assert sorted(str(q) for q in planned_order.material_lines.values_list("quantity", flat=True)) == \
        ["1.500", "2.000"]


def test_the_technician_s_screen_refuses_one_and_a_half_pieces(tech_client, planned_order, items):
    response = tech_client.post(reverse("workorders:add_material_line", args=[planned_order.pk]),
                                {"mat-item": items["CV01"].pk, "mat-quantity": "1,5", "mat-note": ""}, follow=True)
    assert MESSAGE in response.content.decode()
    assert not planned_order.material_lines.exists()


def test_the_office_correction_refuses_one_and_a_half_pieces(office_client, planned_order, items, tech_a):
    line = services.add_material_line(planned_order, item=items["PIJP"], quantity=Decimal("1.5"), technician=tech_a)
    url = reverse("workorders:material_line_edit", args=[planned_order.pk, line.pk])
    response = office_client.post(url, {"item": items["CV01"].pk, "quantity": "1,5", "note": ""})
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    line.refresh_from_db()
    assert (line.item.number, line.quantity) == ("PIJP", Decimal("1.500"))


def test_the_api_refuses_one_and_a_half_pieces_on_the_quantity(planned_order, items, tech_a):
    api = client_for(tech_a)
    path = f"/work-orders/{planned_order.pk}/material-lines"
    refused = api.post(path, {"item_number": "CV01", "quantity": "1.5"})
    assert refused.status_code == 422, refused.content
    assert refused.json()["errors"]["quantity"] == [MESSAGE]
    assert not planned_order.material_lines.exists()
    assert api.post(path, {"item_number": "CV01", "quantity": "2"}).status_code == 201
    assert api.post(path, {"item_number": "PIJP", "quantity": "1.5"}).status_code == 201
