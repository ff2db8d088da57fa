"""Hostile values in Visma.net orders (against the sandbox over HTTP): whatever an order holds,
the import ends in a clear state (the order imported cleaned, or skipped with one Dutch
warning) and the orders after it are still imported; never a crash that stops every sync."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from vismanet import SalesOrderSummary
from vismanet_sandbox import demo
from werkbon.integrations.models import ExternalLink, LogEntry, SyncState
from werkbon.integrations.vismanet.orders import import_orders

from .test_orders import (
    forget_watermark,
    linked_work_order,
    new_order,
)
from .test_orders import orders as orders_fixture

orders = orders_fixture  # the fixture of test_orders.py, by its name

pytestmark = pytest.mark.django_db



def set_lines(sandbox, order_id: str, **changes: object) -> None:
    order = sandbox.control.sales_order(demo.DEMO_TENANT_ID, "SO", order_id)
    lines = [{**line, **changes} for line in order["lines"]]
    # ensure_ascii: a lone surrogate travels as a "\\ud800" escape, as Visma.net's JSON may hold it
    sandbox.control._call("PATCH", f"/companies/{demo.DEMO_TENANT_ID}/sales-orders/SO/{order_id}",
                          content=json.dumps({"lines": lines}), headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("item", ["MAT-1001\x00", "\x00"])
def test_an_order_line_whose_item_number_no_database_stores_does_not_stop_the_import(orders, sandbox, item):
    hostile = new_order(orders)
    set_lines(sandbox, hostile, inventoryId=item)
    after = new_order(orders)
    import_orders(orders)
    assert linked_work_order(after)
    assert linked_work_order(hostile).material_lines.count() == 0
    assert SyncState.objects.get(table="orders:SO").watermark is not None


@pytest.mark.parametrize("changes", [{"unitOfMeasure": "STUKS-" * 10}, {"unitOfMeasure": "ST\x00K"},
                                     {"quantity": 1e13}])
def test_an_order_line_with_an_oversized_unit_or_quantity_does_not_stop_the_import(orders, sandbox, changes):
    hostile = new_order(orders)
    set_lines(sandbox, hostile, **changes)
    after = new_order(orders)
    import_orders(orders)
    assert linked_work_order(after)
    assert linked_work_order(hostile)
    assert SyncState.objects.get(table="orders:SO").watermark is not None


def test_a_line_whose_quantity_no_work_order_holds_is_skipped_with_a_dutch_warning(orders, sandbox):
    hostile = new_order(orders)
    set_lines(sandbox, hostile, quantity=1e13)
    import_orders(orders)
    assert linked_work_order(hostile).material_lines.count() == 0
    entry = LogEntry.objects.get(level="warning", object_ref=f"SO {hostile}")
    with translation.override("nl"):
        assert entry.user_message == (f"Regel 1 van order SO {hostile} is overgeslagen: het aantal "
                                      "10000000000000.000 is groter dan een werkbon kan bevatten.")


@pytest.mark.parametrize("bad_id", ["0001\x00", "0001\ud800"])
def test_a_listed_order_whose_number_no_database_stores_is_skipped_once_and_the_rest_imported(
        orders, monkeypatch, bad_id):
    """Visma.net lists an order whose number holds a NUL or a lone surrogate: one Dutch warning,
    not one per run, and the orders after it come in (no crash that stops every sync)."""
    hostile = new_order(orders)
    after = new_order(orders)
    real = SalesOrderSummary.model_validate

    def renamed(raw, *args, **kwargs):
        summary = real(raw, *args, **kwargs)
        if summary.order_id == hostile:
            summary.order_id = bad_id
        return summary

    monkeypatch.setattr(SalesOrderSummary, "model_validate", renamed)
    for _ in range(2):
        forget_watermark(orders)
        import_orders(orders)
    assert linked_work_order(after)
    assert not ExternalLink.objects.filter(external_id__startswith=f"SO/{hostile}").exists()
    warnings = LogEntry.objects.filter(level="warning")
    assert warnings.count() == 1
    with translation.override("nl"):
        assert "bevat een teken dat niet kan worden opgeslagen" in warnings.get().user_message
