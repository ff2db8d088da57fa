"""Retry behaviour against faults the spawned sandbox injects (429, 503, timeouts, dropped
responses), counted in the sandbox's own request log."""

from __future__ import annotations

import time
from datetime import date

import pytest

from tests.contract.conftest import Backend, Sleeps, sandbox_only
from vismanet import (
    APIConnectionError,
    APITimeoutError,
    NewCustomerInvoice,
    NewCustomerInvoiceLine,
    NewSalesOrder,
    NewSalesOrderCustomer,
    NewSalesOrderLine,
    RateLimitedEvent,
    ServerError,
    VismaNetError,
)
from vismanet_sandbox import demo

pytestmark = sandbox_only
TENANT = demo.DEMO_TENANT_ID
CUSTOMER_PATH = f"^/v1/customer/{demo.FIRST_CUSTOMER}$"


def new_order(description: str = "Werkbon WB-2026-0001 - retry test") -> NewSalesOrder:
    return NewSalesOrder(
        type="SO",
        customer=NewSalesOrderCustomer(id=demo.FIRST_CUSTOMER),
        description=description,
        order_lines=[NewSalesOrderLine(inventory_id=demo.ITEM_WORK, quantity=1.5,
                                       warehouse_id=demo.WAREHOUSES[0])],
    )


def statuses(backend: Backend, method: str, path: str) -> list[int]:
    return [r["status"] for r in backend.sandbox.control.requests(method=method, path=path)]


def settled_count(backend: Backend, method: str, path: str, expected: int) -> int:
    """Requests logged for ``path``, waiting (up to 4 s) for ``expected`` of them and then a
    little longer for any surplus: the sandbox logs a dropped or held connection only after
    closing it, so the client can see the failure before the log has it."""
    control, deadline = backend.sandbox.control, time.monotonic() + 4
    while control.request_count(method=method, path=path) < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)
    return control.request_count(method=method, path=path)


def test_it_waits_retry_after_on_429_and_succeeds(backend: Backend):
    events: list[RateLimitedEvent] = []
    sleeps = Sleeps(cap=5.0)  # really waits
    client = backend.client(sleep=sleeps, on_rate_limited=events.append)
    client.companies.organizations()  # token first; the faults below hit the API call only
    backend.sandbox.control.fault("status", status=429, retryAfter=1, path=CUSTOMER_PATH, count=2)

    started = time.monotonic()
    customer = client.customers.get(demo.FIRST_CUSTOMER)

    assert customer.number == demo.FIRST_CUSTOMER
    assert time.monotonic() - started >= 2.0
    assert sleeps == [1.0, 1.0]
    assert [(e.retry_after, e.will_retry, e.attempt) for e in events] == [(1.0, True, 1), (1.0, True, 2)]
    assert statuses(backend, "GET", CUSTOMER_PATH) == [429, 429, 200]
    assert client.rate_limit is not None and client.rate_limit.limit and client.rate_limit.remaining


def test_it_exposes_the_rate_limit_window_and_waits_it_out(backend: Backend):
    backend.sandbox.control.settings(TENANT, rateLimit={"limit": 3, "windowSeconds": 1})
    events: list[RateLimitedEvent] = []
    sleeps = Sleeps(cap=3.0)
    client = backend.client(sleep=sleeps, on_rate_limited=events.append)

    client.customers.get(demo.FIRST_CUSTOMER)
    after_first = client.rate_limit
    for _ in range(3):  # the third API call of the window is refused, then retried
        client.customers.get(demo.FIRST_CUSTOMER)

    assert after_first.limit == 3 and after_first.remaining == 2
    assert after_first.policy
    assert events and events[0].retry_after is not None and events[0].will_retry
    assert 429 in statuses(backend, "GET", CUSTOMER_PATH)
    assert statuses(backend, "GET", CUSTOMER_PATH)[-1] == 200


def test_it_retries_a_get_answered_503(backend: Backend):
    client = backend.client()
    backend.sandbox.control.fault("status", status=503, path=CUSTOMER_PATH, count=2)

    assert client.customers.get(demo.FIRST_CUSTOMER).number == demo.FIRST_CUSTOMER
    assert statuses(backend, "GET", CUSTOMER_PATH) == [503, 503, 200]


def test_it_gives_up_on_503_after_the_policy_s_attempts(backend: Backend):
    client = backend.client()
    backend.sandbox.control.fault("status", status=503, path=CUSTOMER_PATH, count=None)

    with pytest.raises(ServerError) as raised:
        client.customers.get(demo.FIRST_CUSTOMER)
    assert raised.value.status_code == 503
    assert raised.value.may_have_been_applied is False
    assert statuses(backend, "GET", CUSTOMER_PATH) == [503] * 4


def test_it_retries_a_get_that_times_out(backend: Backend):
    client = backend.client(timeout=0.5)
    client.companies.organizations()
    backend.sandbox.control.fault("timeout", ms=1500, path=CUSTOMER_PATH, count=1)

    assert client.customers.get(demo.FIRST_CUSTOMER).number == demo.FIRST_CUSTOMER
    # The held request is logged as dropped (-1) once the sandbox gives up on it.
    assert settled_count(backend, "GET", CUSTOMER_PATH, 2) == 2
    assert sorted(statuses(backend, "GET", CUSTOMER_PATH)) == [-1, 200]


def test_it_does_not_retry_a_sales_order_create_whose_response_was_dropped(backend: Backend):
    client = backend.client()
    before = len(backend.sandbox.control.sales_orders(TENANT))
    backend.sandbox.control.fault("drop_after_write", method="POST", path="^/api/v3/SalesOrders$", count=1)

    with pytest.raises(APIConnectionError) as raised:
        client.sales_orders.create(new_order())

    error = raised.value
    assert error.may_have_been_applied is True
    assert "may have been applied" in str(error)
    assert error.operation == "salesorder_v3.create"
    orders = backend.sandbox.control.sales_orders(TENANT)
    assert len(orders) == before + 1
    assert [o["description"] for o in orders].count("Werkbon WB-2026-0001 - retry test") == 1
    assert settled_count(backend, "POST", "^/api/v3/SalesOrders$", 1) == 1


def test_it_does_not_retry_an_invoice_create_whose_response_was_dropped(backend: Backend):
    client = backend.client()
    backend.sandbox.control.fault("drop_after_write", method="POST", path="^/v2/customerinvoice$", count=1)

    with pytest.raises(APIConnectionError) as raised:
        client.customer_invoices.create(NewCustomerInvoice(
            customer_number=demo.FIRST_CUSTOMER, document_date=date(2026, 1, 15),
            external_reference="werkbon:WB-2026-0002",
            invoice_lines=[NewCustomerInvoiceLine(inventory_number=demo.ITEM_WORK, quantity=2)],
        ))

    assert raised.value.may_have_been_applied is True
    assert "may have been applied" in str(raised.value)
    invoices = backend.sandbox.control.invoices(TENANT)
    assert len(invoices) == 1
    assert settled_count(backend, "POST", "^/v2/customerinvoice$", 1) == 1
    # The documented recovery: look it up by the marker instead of creating again.
    found = list(client.customer_invoices.list(external_reference="werkbon:WB-2026-0002"))
    assert [i.reference_number for i in found] == [invoices[0]["referenceNumber"]]


def test_it_does_not_retry_a_create_that_timed_out_or_got_503(backend: Backend):
    client = backend.client(timeout=0.5)
    client.companies.organizations()
    control = backend.sandbox.control
    control.fault("timeout", ms=1500, method="POST", path="^/api/v3/SalesOrders$", count=1)
    with pytest.raises(APITimeoutError) as timed_out:
        client.sales_orders.create(new_order("timeout"))
    control.fault("status", status=503, method="POST", path="^/api/v3/SalesOrders$", count=1)
    with pytest.raises(ServerError) as unavailable:
        client.sales_orders.create(new_order("unavailable"))

    for error in (timed_out.value, unavailable.value):
        assert isinstance(error, VismaNetError) and error.may_have_been_applied is True
        assert "may have been applied" in str(error)
    assert settled_count(backend, "POST", "^/api/v3/SalesOrders$", 2) == 2


def test_it_retries_a_create_answered_429_because_429_is_never_processed(backend: Backend):
    client = backend.client()
    before = len(backend.sandbox.control.sales_orders(TENANT))
    backend.sandbox.control.fault("status", status=429, retryAfter=1, method="POST",
                                  path="^/api/v3/SalesOrders$", count=1)

    created = client.sales_orders.create(new_order())

    assert created.id
    assert len(backend.sandbox.control.sales_orders(TENANT)) == before + 1
    assert statuses(backend, "POST", "^/api/v3/SalesOrders$") == [429, 201]
