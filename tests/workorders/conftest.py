"""Work-order fixtures: a customer with diacritics, a work address, items, orders per status."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.conftest import PASSWORD
from werkbon.workorders import services
from werkbon.workorders.models import Customer, Item, ItemType, WorkAddress


@pytest.fixture
def customer(in_tenant_a) -> Customer:
    return Customer.objects.create(number="K-55", name="Bakkerij Café Søren & Zoë",
                                   address_line1="Dorpsstraat 1", postal_code="1234 AB",
                                   city="Hoogeveen")


@pytest.fixture
def work_address(customer) -> WorkAddress:
    return WorkAddress.objects.create(customer=customer, street="Kerkstraat", house_number="12a",
                                      postal_code="7901 AA", city="Hoogeveen")


@pytest.fixture
def items(in_tenant_a) -> dict[str, Item]:
    return {
        "CV01": Item.objects.create(number="CV01", description="Vulkraan ½ duim", unit="st",
                                    sales_price=Decimal("12.50"), item_type=ItemType.NON_STOCK),
        "PIJP": Item.objects.create(number="PIJP", description="Koperen pijp 15 mm", unit="m",
                                    sales_price=Decimal("4.95"), item_type=ItemType.NON_STOCK),
    }


# A time entry's date is at most a year back and not in the future: yesterday always fits.
RECENT = (timezone.localdate() - dt.timedelta(days=1)).isoformat()


def local(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute))


@pytest.fixture
def planned_order(customer, work_address, tech_a):
    return services.create_work_order(
        customer=customer, work_address=work_address, description="CV-ketel onderhoud",
        customer_reference="PO-77", technicians=[tech_a], planned_start=local(2025, 3, 12, 9, 30),
    )


@pytest.fixture
def completed_order(planned_order, tech_a, items):
    services.add_time_entry(planned_order, technician=tech_a, kind="work", minutes=135,
                            date=dt.date(2025, 3, 12))
    services.add_time_entry(planned_order, technician=tech_a, kind="travel", minutes=20,
                            date=dt.date(2025, 3, 12))
    services.add_material_line(planned_order, item=items["CV01"], quantity=Decimal("2"),
                               note="links en rechts", technician=tech_a)
    services.add_material_line(planned_order, item=items["PIJP"], quantity=Decimal("1.5"),
                               technician=tech_a)
    return services.complete(planned_order, user=tech_a, signed_by_name="Zoë de Vries")


@pytest.fixture
def archived_order(completed_order, office_a):
    return services.archive(completed_order, user=office_a)


@pytest.fixture
def office_client(client, office_a):
    assert client.login(username=office_a.username, password=PASSWORD)
    return client


@pytest.fixture
def tech_client(client, tech_a):
    assert client.login(username=tech_a.username, password=PASSWORD)
    return client

