"""Numbers with reserved characters (``/``, ``&``, ``?``, ``#``, ``%``, spaces, non-ASCII) in
Visma.net customers and items: imported, used on a work order, exported, and the document
reads back right; against the sandbox over HTTP (issue 8, "Identifiers with reserved
characters")."""

from __future__ import annotations

import pytest

from vismanet_sandbox import demo
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations import tasks
from werkbon.integrations.models import ExportRecord, ExportStatus, LogEntry
from werkbon.integrations.vismanet import sync
from werkbon.workorders.models import Customer, Item

from .conftest import archived_work_order

pytestmark = pytest.mark.django_db

T = demo.DEMO_TENANT_ID
CUSTOMER = "K/77 & Zn?#%é"
ITEM = "MAT/01 ½&?#%"


def test_a_customer_and_item_with_reserved_characters_are_imported_used_and_exported(
        vismanet_integration, sandbox, tenant_a, office_a, tech_a):
    sandbox.control.add_customer(T, {
        "number": CUSTOMER, "name": "Van Dijk & Zn", "status": "Active",
        "mainAddress": {"addressLine1": "Oudegracht 12", "postalCode": "3511 AB", "city": "Utrecht",
                        "countryId": "NL"}})
    sandbox.control.add_item(T, {
        "inventoryNumber": ITEM, "description": "Koppeling ½\"", "type": "NonStockItem", "status": "Active",
        "baseUnit": "STK", "salesUnit": "STK", "defaultPrice": 4.5, "stockItem": False,
        "itemClass": {"id": "MATERIAAL", "description": "Materiaal"}})

    with tenant_context(tenant_a):
        sync.incremental(vismanet_integration)
        assert Customer.objects.get(number=CUSTOMER).name == "Van Dijk & Zn"
        assert Item.objects.get(number=ITEM).description == "Koppeling ½\""
        order = archived_work_order(office_a, tech_a, customer=CUSTOMER,
                                    materials=((ITEM, "3"), ("MAT-1001", "1")))
        record = ExportRecord.objects.get(work_order_number=order.number)

    tasks.export_work_order(record.pk)
    record.refresh_from_db()
    assert record.status == ExportStatus.SENT, list(
        LogEntry.all_tenants.values_list("message", "params", "detail"))
    assert record.attempts == 1  # sent at the first attempt, not retried in a loop
    orders = [o for o in sandbox.control.sales_orders(T)
              if ((o.get("customer") or {}).get("order") or "").startswith("Werkbon")]
    assert len(orders) == 1
    document = orders[0]
    assert document["customer"]["id"] == CUSTOMER
    assert [(ln["inventoryId"], ln["quantity"]) for ln in document["lines"]] == [
        (demo.ITEM_WORK, 2.25), (demo.ITEM_TRAVEL, 0.33), (ITEM, 3), ("MAT-1001", 1)]
