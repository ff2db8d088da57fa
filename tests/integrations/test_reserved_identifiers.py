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


def manual_numbering_seed() -> dict:
    """The demo company with manual numbering on order type SO (an order may then carry any
    number the office types, also one with a "/")."""
    import json
    from pathlib import Path

    seed = json.loads((Path(__file__).resolve().parents[2] / "vismanet_sandbox" / "data" / "demo.json")
                      .read_text(encoding="utf-8"))
    for order_type in seed["companies"][0]["records"]["salesOrderType"]:
        if order_type["orderType"] == "SO":
            order_type["manualNumbering"] = True
    return seed


def test_an_order_whose_number_no_url_can_carry_is_skipped_once_with_a_warning_not_retried_forever(
        tenant_a, connect_integration, sandbox):
    from vismanet import NewSalesOrder, NewSalesOrderCustomer, NewSalesOrderLine
    from werkbon.integrations.models import ExternalLink, LogLevel, SyncState
    from werkbon.integrations.vismanet.client import client_for
    from werkbon.integrations.vismanet.orders import import_orders
    from werkbon.workorders.models import WorkOrder

    from .conftest import make_integration
    from .test_orders import add_local_records

    sandbox.control.reset(manual_numbering_seed())
    integration = make_integration(tenant_a, order_import="sales_orders")
    connect_integration(integration)
    with tenant_context(tenant_a):
        add_local_records(["10001"])
        with client_for(integration) as client:
            created = client.sales_orders.create(NewSalesOrder(
                type="SO", order_id="2026/77", customer=NewSalesOrderCustomer(id="10001"),
                description="Lekkage", order_lines=[NewSalesOrderLine(inventory_id="MAT-1001", quantity=1,
                                                                      warehouse_id="HOOFD")]))
        assert created.id == "2026/77"  # the Location header carries it encoded
        import_orders(integration)
        import_orders(integration)  # the watermark moved past it: not again

        assert not ExternalLink.objects.filter(external_id="SO/2026/77").exists()
        assert WorkOrder.objects.filter(description="Lekkage").count() == 0
        entries = [(e.level, e.user_message, e.user_action) for e in LogEntry.objects.filter(object_ref="SO 2026/77")]
        assert entries == [(
            LogLevel.WARNING,
            "Order SO 2026/77 kan niet via de Visma.net-API worden gelezen: het nummer bevat een teken dat "
            "de API niet in een adres kan meenemen (zoals \"/\"). De order wordt niet als werkbon "
            "geïmporteerd.",
            "Maak de werkbon voor deze order met de hand, of geef het ordertype in Visma.net een "
            "nummering zonder \"/\".",
        )]
        assert not LogEntry.objects.filter(level=LogLevel.ERROR).exists()
        assert SyncState.objects.filter(integration=integration).exists()
