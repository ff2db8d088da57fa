"""Behaviour of single operations over real HTTP (sandbox; live where marked read-only safe).

The full sweep of every operation is ``test_contract_traffic``; these pin down outcomes the
integration relies on. Each test also holds its own traffic against the contract.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.contract.conftest import Backend, Facts, assert_conforms, sandbox_only, writes
from tests.contract.validator import Contract
from vismanet import (
    NewSalesOrder,
    NewSalesOrderCustomer,
    NewSalesOrderLine,
    NotFoundError,
    PreconditionError,
    SalesOrderPatch,
    ValidationError,
)
from vismanet_sandbox import demo


@sandbox_only
def test_it_reads_only_customers_changed_since_the_watermark(backend: Backend, client, contract: Contract):
    watermark = datetime.now(UTC) - timedelta(seconds=2)
    time.sleep(0.01)
    backend.sandbox.control.change_customer(demo.DEMO_TENANT_ID, "10007", {"name": "Loodgieter Ærø & Zn."})

    changed = list(client.customers.list(last_modified=watermark, last_modified_condition=">="))

    assert [c.number for c in changed] == ["10007"]
    assert changed[0].name == "Loodgieter Ærø & Zn."
    assert changed[0].last_modified_date_time >= watermark
    assert_conforms(contract, backend.traffic)


def test_it_raises_not_found_for_an_unknown_customer(backend: Backend, client, contract: Contract):
    with pytest.raises(NotFoundError) as raised:
        client.customers.get("NOPE-999999")
    assert raised.value.status_code == 404
    assert raised.value.operation == "customer.get"
    assert_conforms(contract, backend.traffic)


def test_it_lists_quotes_by_type_in_last_modified_order(backend: Backend, client, contract: Contract):
    quotes = list(client.sales_orders.list(order_type="QT", order_by="lastModified asc", page_size=2))
    assert all(q.type == "QT" for q in quotes)
    modified = [q.last_modified for q in quotes]
    assert modified == sorted(modified)
    if backend.kind == "sandbox":
        assert len(quotes) == 5
    assert_conforms(contract, backend.traffic)


@writes
def test_it_refuses_a_change_with_a_stale_etag(backend: Backend, client, facts: Facts, contract: Contract):
    created = client.sales_orders.create(NewSalesOrder(
        type=facts.order_type, customer=NewSalesOrderCustomer(id=facts.customer),
        description="Werkbon contract test - stale ETag", status="Hold",
        order_lines=[NewSalesOrderLine(inventory_id=facts.item, quantity=1, warehouse_id=facts.warehouse)],
    ))
    stale = client.sales_orders.get(facts.order_type, created.id).etag
    client.sales_orders.patch(facts.order_type, created.id, SalesOrderPatch(note="first"), if_match=stale)

    with pytest.raises(PreconditionError) as raised:
        client.sales_orders.patch(facts.order_type, created.id, SalesOrderPatch(note="second"),
                                  if_match=stale)
    assert raised.value.status_code == 412

    fresh = client.sales_orders.get(facts.order_type, created.id).etag
    client.sales_orders.delete(facts.order_type, created.id, if_match=fresh)
    assert_conforms(contract, backend.traffic)


@sandbox_only
def test_it_reports_visma_s_field_errors_for_an_unknown_item(backend: Backend, client, contract: Contract):
    with pytest.raises(ValidationError) as raised:
        client.sales_orders.create(NewSalesOrder(
            type="SO", customer=NewSalesOrderCustomer(id=demo.FIRST_CUSTOMER),
            order_lines=[NewSalesOrderLine(inventory_id="BESTAAT-NIET", quantity=1,
                                           warehouse_id=demo.WAREHOUSES[0])],
        ))
    assert "1804-InventoryIdNotFound" in raised.value.error_codes
    assert any("InventoryId" in name for name in raised.value.field_errors)
    assert_conforms(contract, backend.traffic)
