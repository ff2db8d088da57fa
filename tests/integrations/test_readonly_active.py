"""Customers and items are read-only while a REAL Visma.net integration is ACTIVE (issue 4
"Import": "… read-only in Werkbon's UI and API, with a message saying they are managed in
Visma.net; work addresses can still be added to a customer"). No stand-in provider: the
adapter's own registration decides, connected to the sandbox over OAuth; after
``activation.deactivate`` the screens edit again."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.api.conftest import client_for as api_client_for
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.models import IntegrationStatus
from werkbon.integrations.vismanet import activation
from werkbon.workorders.external import managing_system
from werkbon.workorders.models import Customer, Item, ItemGroup, ItemType, WorkAddress

pytestmark = pytest.mark.django_db

CUSTOMERS_MANAGED = "Klanten worden beheerd in Visma.net"
ITEMS_MANAGED = "Artikelen worden beheerd in Visma.net"


@pytest.fixture
def records(tenant_a):
    with tenant_context(tenant_a):
        customer = Customer.objects.create(number="10001", name="Bakkerij De Korenschoof")
        item = Item.objects.create(number="MAT-1001", description="Vulkraan", unit="st",
                                   sales_price=Decimal("12.50"), item_type=ItemType.NON_STOCK)
    return customer, item


def customer_form(customer: Customer, name: str) -> dict[str, str]:
    return {"number": customer.number, "name": name, "status": "active", "country": "NL"}


def item_form(number: str, description: str) -> dict[str, str]:
    return {"number": number, "description": description, "unit": "st", "sales_price": "1",
            "item_type": "non_stock", "status": "active"}


def test_customers_and_items_are_read_only_while_the_real_integration_is_active_and_editable_after(
        office, office_a, vismanet_integration, tenant_a, records):
    customer, item = records
    assert vismanet_integration.status == IntegrationStatus.ACTIVE
    assert managing_system(tenant_a) == "Visma.net"  # the adapter's own provider says so

    # Screens: the lists say so, and edit and create are refused with the message.
    assert "beheerd in Visma.net" in office.get(reverse("workorders:customer_list")).content.decode()
    assert "beheerd in Visma.net" in office.get(reverse("workorders:item_list")).content.decode()
    edit = office.post(reverse("workorders:customer_edit", args=[customer.pk]),
                       customer_form(customer, "Gewijzigd"), follow=True)
    assert CUSTOMERS_MANAGED in edit.content.decode()
    create = office.post(reverse("workorders:customer_create"),
                         {"number": "NIEUW", "name": "Nieuw", "status": "active"}, follow=True)
    assert CUSTOMERS_MANAGED in create.content.decode()
    assert ITEMS_MANAGED in office.post(reverse("workorders:item_edit", args=[item.pk]),
                                        item_form(item.number, "Gewijzigd"), follow=True).content.decode()
    assert ITEMS_MANAGED in office.post(reverse("workorders:item_create"), item_form("X-1", "X"),
                                        follow=True).content.decode()
    office.post(reverse("workorders:item_groups"), {"code": "G", "description": "G"})
    with tenant_context(tenant_a):
        assert Customer.objects.get(pk=customer.pk).name == "Bakkerij De Korenschoof"
        assert not Customer.objects.filter(number="NIEUW").exists()
        assert Item.objects.get(pk=item.pk).description == "Vulkraan"
        assert not Item.objects.filter(number="X-1").exists()
        assert not ItemGroup.objects.exists()

    # API: customers and items can be read, never written.
    api = api_client_for(office_a)
    assert api.get("/customers").status_code == 200
    assert api.get("/items").status_code == 200
    body = json.dumps({"number": "NIEUW", "name": "Nieuw", "description": "Nieuw"})
    for path in ("/customers", f"/customers/{customer.pk}", "/items", f"/items/{item.pk}"):
        for method in ("post", "put", "patch", "delete"):
            response = getattr(api.client, method)(f"/api/v1{path}", body, content_type="application/json",
                                                   headers=api._headers())
            assert response.status_code in (404, 405), (method, path, response.status_code)
    with tenant_context(tenant_a):
        assert Customer.objects.count() == 1 and Item.objects.count() == 1
        assert Customer.objects.get(pk=customer.pk).name == "Bakkerij De Korenschoof"

    # A work address can still be added to a customer.
    added = office.post(reverse("workorders:work_address_add", args=[customer.pk]), {
        "addr-name": "Filiaal Zuid", "addr-street": "Eikenlaan", "addr-house_number": "3",
        "addr-postal_code": "8000 AB", "addr-city": "Zwolle", "addr-country": "NL"}, follow=True)
    assert "Eikenlaan 3" in added.content.decode()
    with tenant_context(tenant_a):
        assert WorkAddress.objects.filter(customer=customer, name="Filiaal Zuid").exists()

    # After deactivation they are Werkbon's own again.
    activation.deactivate(vismanet_integration, user=office_a)
    assert managing_system(tenant_a) is None
    edit = office.post(reverse("workorders:customer_edit", args=[customer.pk]),
                       customer_form(customer, "Bakkerij Gewijzigd"), follow=True)
    assert CUSTOMERS_MANAGED not in edit.content.decode()
    office.post(reverse("workorders:item_edit", args=[item.pk]), item_form(item.number, "Vulkraan ½ duim"))
    office.post(reverse("workorders:item_create"), item_form("X-1", "Nieuw artikel"))
    with tenant_context(tenant_a):
        assert Customer.objects.get(pk=customer.pk).name == "Bakkerij Gewijzigd"
        assert Item.objects.get(pk=item.pk).description == "Vulkraan ½ duim"
        assert Item.objects.filter(number="X-1").exists()
