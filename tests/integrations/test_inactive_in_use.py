"""Master data set inactive (not deleted) in Visma.net while an open work order uses it
(issue 8, "Master data going inactive while in use"), against the sandbox over HTTP: the
sync logs a Dutch warning naming the work orders, with the action; the office can still
open and save the work order; an inactive customer is not offered for new work orders."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD
from vismanet_sandbox import demo
from werkbon.integrations.models import LogEntry, LogLevel
from werkbon.integrations.vismanet import sync
from werkbon.workorders import services
from werkbon.workorders.models import Customer, Item, WorkOrder

pytestmark = pytest.mark.django_db

T = demo.DEMO_TENANT_ID


def warnings_about(number: str) -> list[tuple[str, str]]:
    return [(e.user_message, e.user_action)
            for e in LogEntry.objects.filter(level=LogLevel.WARNING, object_ref=number)]


def test_a_customer_set_inactive_while_an_open_work_order_uses_it_is_a_warning_with_the_action(
        imported, sandbox, client, office_a, tech_a):
    customer = Customer.objects.get(number="10002")
    order = services.create_work_order(customer=customer, work_address=customer.work_addresses.first(),
                                       description="Lekkage")
    archived = services.create_work_order(customer=customer, description="Al klaar")
    services.plan(archived, technicians=[tech_a], planned_start=archived.created_at)
    services.complete(archived, user=tech_a)
    services.archive(archived, user=office_a)

    sandbox.control.deactivate_customer(T, "10002")
    sync.incremental(imported)

    customer.refresh_from_db()
    assert customer.status == "inactive"
    assert warnings_about("10002") == [(
        f"Klant 10002 is niet meer actief in Visma.net, maar werkbon {order.number} (nog niet "
        "gearchiveerd) gebruikt deze klant nog",
        "Activeer de klant in Visma.net of kies een andere klant op die werkbon; tot dan kan de "
        "werkbon niet naar Visma.net worden verstuurd.",
    )]

    # The office can still open and save the work order with its customer and work address.
    assert client.login(username=office_a.username, password=PASSWORD)
    url = reverse("workorders:edit", args=[order.pk])
    page = client.get(url).content.decode()
    assert f'<option value="{customer.pk}" selected>' in page
    order.refresh_from_db()
    response = client.post(url, {"customer": customer.pk, "work_address": order.work_address_id,
                                 "description": "Lekkage, klant inactief", "customer_reference": "",
                                 "planned_minutes": 60, "version": order.version})
    assert response.status_code == 302
    assert WorkOrder.objects.get(pk=order.pk).description == "Lekkage, klant inactief"
    # … but the customer is no choice for a new work order.
    assert f'<option value="{customer.pk}"' not in client.get(reverse("workorders:create")).content.decode()

    # The next runs and the cleanup do not repeat it.
    sync.incremental(imported)
    sync.cleanup(imported)
    assert len(warnings_about("10002")) == 1


def test_an_item_set_inactive_while_open_work_orders_use_it_names_them_all(imported, sandbox, tech_a):
    item = Item.objects.get(number="MAT-1001")
    orders = [services.create_work_order(customer=Customer.objects.get(number=n)) for n in ("10003", "10004")]
    for order in orders:
        services.add_material_line(order, item=item, quantity=Decimal(2), technician=tech_a)

    sandbox.control.deactivate_item(T, "MAT-1001")
    sync.incremental(imported)

    assert Item.objects.get(number="MAT-1001").status == "inactive"
    numbers = ", ".join(str(o.number) for o in sorted(orders, key=lambda o: o.number))
    assert warnings_about("MAT-1001") == [(
        f"Artikel MAT-1001 is niet meer actief in Visma.net, maar de werkbonnen {numbers} (nog niet "
        "gearchiveerd) gebruiken dit artikel nog",
        "Activeer het artikel in Visma.net of vervang het op die werkbonnen; tot dan kunnen ze niet "
        "naar Visma.net worden verstuurd.",
    )]


def test_a_customer_set_inactive_that_no_open_work_order_uses_is_no_warning(imported, sandbox):
    sandbox.control.deactivate_customer(T, "10005")
    sync.incremental(imported)
    assert Customer.objects.get(number="10005").status == "inactive"
    assert warnings_about("10005") == []
