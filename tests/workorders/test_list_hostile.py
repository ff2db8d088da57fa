"""Hostile query strings on the office's work-order list (issue 14's bounded paginator and
the customer filter's options): never a 500, never another tenant's rows."""

from __future__ import annotations

import re

import pytest

from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import services
from werkbon.workorders.models import Customer
from werkbon.workorders.views import common

pytestmark = pytest.mark.django_db
NL = {"Accept-Language": "nl"}
PAGES = ["abc", "1e9", "-3", "0", "last", "9" * 30, "1.5", "١٢", "²", "", "%00", "99999999999"]
CUSTOMERS = ["²", "١", "-1", "9" * 30, "abc", "1.0", " 1"]


@pytest.fixture
def orders_a_and_b(tenant_a, tenant_b):
    made = {}
    for tenant, name in ((tenant_a, "Klant A"), (tenant_b, "Klant B")):
        with tenant_context(tenant):
            customer = Customer.objects.create(number="K1", name=name)
            made[tenant.pk] = (customer, [services.create_work_order(customer=customer, work_address=None,
                                                                     description=f"Werk {name} {n}")
                                          for n in range(12)])
    return made


@pytest.mark.parametrize("limit", [10, 1000])  # beyond the bounded count, and counted exactly
@pytest.mark.parametrize("page", PAGES)
def test_a_hostile_page_number_shows_a_page_of_the_tenants_own_orders(client, office_a, orders_a_and_b, tenant_b,
                                                                       monkeypatch, page, limit):
    monkeypatch.setattr(common, "PAGE_SIZE", 5)
    monkeypatch.setattr(common, "COUNT_LIMIT", limit)
    client.force_login(office_a)
    response = client.get("/werkorders/", {"page": page, "status": ""}, headers=NL)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Klant B" not in text and len(re.findall(r'data-testid="order-row-', text)) in (2, 5)


@pytest.mark.parametrize("value", CUSTOMERS)
def test_a_hostile_customer_filter_is_no_500(client, office_a, orders_a_and_b, value):
    client.force_login(office_a)
    response = client.get("/werkorders/", {"customer": value}, headers=NL)
    assert response.status_code == 200
    assert "Klant B" not in response.content.decode()


def test_another_tenants_customer_is_neither_offered_nor_filtered_on(client, office_a, orders_a_and_b, tenant_b):
    client.force_login(office_a)
    theirs, _orders = orders_a_and_b[tenant_b.pk]
    text = client.get("/werkorders/", {"customer": theirs.pk}, headers=NL).content.decode()
    assert "Klant B" not in text
    assert not re.findall(r'data-testid="order-row-', text)  # a filter out of range lists nothing


@pytest.mark.parametrize("value", ["²", "١", "-1", "9" * 30])
def test_a_hostile_item_group_is_no_500(client, office_a, value):
    client.force_login(office_a)
    assert client.get("/werkorders/artikelen/", {"group": value}, headers=NL).status_code == 200
