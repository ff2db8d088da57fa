"""The order import moves a work order's version on, so an edit form the office opened
before the import changed the order is refused instead of overwriting it (issue 8,
finding 3: "Work-order edit screens and the API detect a stale form"). Sandbox over HTTP."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD
from werkbon.integrations.vismanet.orders import import_orders

from .test_orders import change_order, linked_work_order, new_order, orders  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_an_order_import_that_changes_the_work_order_makes_an_open_edit_form_stale(
        orders, client, office_a):  # noqa: F811
    order_id = new_order(orders, description="Lekkage keuken")
    import_orders(orders)
    work_order = linked_work_order(order_id)
    assert client.login(username=office_a.username, password=PASSWORD)
    url = reverse("workorders:edit", args=[work_order.pk])
    version = int(re.search(r'name="version" value="(\d+)"', client.get(url).content.decode()).group(1))

    change_order(orders, order_id, description="Lekkage keuken en badkamer")
    import_orders(orders)
    work_order.refresh_from_db()
    assert work_order.description == "Lekkage keuken en badkamer"
    assert work_order.version > version

    response = client.post(url, {"customer": work_order.customer_id, "work_address": work_order.work_address_id,
                                 "description": "Kantoor: alleen keuken", "customer_reference": "",
                                 "planned_minutes": 60, "version": version})
    assert response.status_code == 409
    work_order.refresh_from_db()
    assert work_order.description == "Lekkage keuken en badkamer"
