"""Text Visma.net sends that a database refuses: a NUL character (PostgreSQL refuses it in
text) and a lone surrogate (JSON's "\\ud800" escape; no UTF-8 for it, so SQLite and
PostgreSQL both refuse it) in a customer's name and address and an item's description. A
first-import page holding one must be stored, not fail at every attempt (the import would
never get past it), on the lean path (sync/rows.py) and the general path alike."""

from __future__ import annotations

import json

import pytest

from vismanet import Customer as VismaCustomer
from vismanet import InventoryItem
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.vismanet.sync import customers, items, rows
from werkbon.integrations.vismanet.sync.pipeline import Run
from werkbon.workorders.models import Customer, Item, WorkAddress

from .conftest import make_integration

pytestmark = pytest.mark.django_db

# As Visma.net's JSON would carry them (json.loads keeps a lone surrogate).
CUSTOMER = json.loads('{"number": "100/1", "name": "Bakker\\u0000 B.V. \\ud800 en zn", "status": "Active",'
                      ' "mainAddress": {"addressLine1": "Hoofdstraat\\u0000 1", "city": "Utrecht",'
                      ' "countryId": "NL"}}')
ITEM = json.loads('{"inventoryNumber": "ART-1", "description": "Buis\\u0000 \\udfff 15 mm", "type": "NonStockItem",'
                  ' "status": "Active", "baseUnit": "STK", "salesUnit": "STK", "defaultPrice": 10,'
                  ' "stockItem": false, "itemClass": {"id": "DIENST", "description": "Dienst"}}')


def clean(text: str) -> bool:
    return "\x00" not in text and bool(text.encode("utf-8"))  # encode raises on a lone surrogate


@pytest.mark.parametrize("lean", [True, False])
def test_a_nul_and_a_lone_surrogate_are_stored_cleaned(tenant_a, monkeypatch, lean):
    monkeypatch.setattr(rows, "ENABLED", lean)
    integration = make_integration(tenant_a)
    run = Run(integration, first_import=True, job="first_import")
    with tenant_context(tenant_a):
        items.TABLE.store(run, [InventoryItem.model_validate(ITEM)])
        customers.TABLE.store(run, [VismaCustomer.model_validate(CUSTOMER)])
        customer = Customer.objects.get(number="100/1")
        assert clean(customer.name) and customer.name.startswith("Bakker B.V.")
        assert all(clean(a.street) for a in WorkAddress.objects.filter(customer=customer))
        assert clean(Item.objects.get(number="ART-1").description)
