"""The office's work-order search (issue 15) finds work orders by a used material (item
number and description), by the work address and by the customer reference, besides the
customer, the description and the number; every typed word must match somewhere."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from werkbon.workorders import services
from werkbon.workorders.models import Customer, WorkAddress

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_orders(planned_order, items, tech_a):
    """The planned order (Kerkstraat 12a, 7901 AA Hoogeveen; PO-77) uses CV01 "Vulkraan ½ duim";
    another customer's order elsewhere uses the copper pipe."""
    services.add_material_line(planned_order, item=items["CV01"], quantity=Decimal("1"), technician=tech_a)
    other_customer = Customer.objects.create(number="K-77", name="Garage Zuid")
    other_address = WorkAddress.objects.create(customer=other_customer, name="Werkplaats", street="Stationsweg",
                                               house_number="3", postal_code="9401 KL", city="Assen")
    other = services.create_work_order(customer=other_customer, work_address=other_address,
                                       description="Lekkage", customer_reference="INK-2024-9",
                                       technicians=[tech_a], planned_start=planned_order.planned_start)
    services.add_material_line(other, item=items["PIJP"], quantity=Decimal("2"), technician=tech_a)
    return planned_order, other


def found(client, q: str) -> list[int]:
    page = client.get(reverse("workorders:list"), {"q": q}).content.decode()
    return sorted(int(n) for n in re.findall(r'data-testid="order-row-(\d+)"', page))


@pytest.mark.parametrize(("q", "which"), [
    ("CV01", "planned"), ("cv01", "planned"), ("vulkraan", "planned"), ("PIJP", "other"),
    ("koperen pijp", "other"),
    ("Kerkstraat 12a", "planned"), ("7901 AA", "planned"), ("hoogeveen", "planned"),
    ("Stationsweg", "other"), ("Werkplaats", "other"), ("Assen", "other"),
    ("PO-77", "planned"), ("INK-2024", "other"),
    ("Garage", "other"), ("Kerkstraat Assen", None),
])
def test_it_finds_work_orders_by_material_address_and_reference(office_client, two_orders, q, which):
    planned, other = two_orders
    expected = {"planned": [planned.number], "other": [other.number], None: []}[which]
    assert found(office_client, q) == expected


def test_a_work_order_with_two_matching_materials_is_listed_once(office_client, two_orders, items, tech_a):
    planned, _other = two_orders
    services.add_material_line(planned, item=items["CV01"], quantity=Decimal("3"), technician=tech_a)
    assert found(office_client, "CV01") == [planned.number]


def test_a_number_finds_its_work_order_not_every_address_with_that_digit(office_client, two_orders):
    planned, other = two_orders
    assert found(office_client, str(planned.number)) == [planned.number]
    assert found(office_client, str(other.number)) == [other.number]
    assert found(office_client, "2024") == [other.number]  # in the customer reference INK-2024-9


def test_a_filter_out_of_range_shows_its_message_and_no_orders_instead_of_the_whole_list(
        office_client, two_orders):
    # Found by the fresh-user review: an invalid filter used to be ignored silently, so the
    # whole list showed as if it were filtered.
    response = office_client.get(reverse("workorders:list"), {"status": "archived", "date_from": "1990-01-01"})
    page = response.content.decode()
    assert response.status_code == 200
    assert re.findall(r'data-testid="order-row-(\d+)"', page) == []
    assert 'data-testid="filter-errors"' in page
    assert "De lijst is niet gefilterd" in page
