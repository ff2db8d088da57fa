"""The export panel follows the work-order screens' rule: a technician sees only the
orders planned to them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD, make_user
from werkbon.accounts.models import Role
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import services
from werkbon.workorders.models import Customer


@pytest.mark.django_db
def test_it_hides_the_panel_of_an_order_not_planned_to_the_technician(client, tenant_a, tech_a):
    other = make_user(tenant_a, "tech_other", Role.TECHNICIAN)
    with tenant_context(tenant_a):
        customer = Customer.objects.create(number="C1", name="Klant")
        order = services.create_work_order(customer=customer, technicians=[other])
    client.login(username=tech_a.username, password=PASSWORD)
    url = reverse("integrations:vismanet_export_panel", args=[order.pk])
    assert client.get(url).status_code == 404
    with tenant_context(tenant_a):
        order.technicians.add(tech_a)
    assert client.get(url).status_code == 200
