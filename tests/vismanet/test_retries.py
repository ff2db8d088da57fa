from __future__ import annotations

import httpx
import pytest

from vismanet import (
    APIConnectionError,
    APITimeoutError,
    PreconditionError,
    RateLimitedError,
    RetryPolicy,
    SalesOrderPatch,
    ServerError,
)

from .conftest import NOW
from .test_requests import full_invoice

OK = httpx.Response(200, json={"number": "1"})
CREATED = httpx.Response(
    201, headers={"Location": "https://api.finance.visma.net/v1/customerinvoice/7"}
)


def test_it_retries_a_429_after_retry_after_and_tells_the_hook(fake, make_client, sleeps):
    events = []
    fake.on(
        "GET",
        "/v1/customer/1",
        httpx.Response(429, headers={"Retry-After": "7", "X-RateLimit-Remaining": "0"}),
        OK,
    )
    client = make_client(on_rate_limited=events.append)
    assert client.customers.get("1").number == "1"
    assert sleeps == [7.0]
    assert [(e.operation, e.retry_after, e.will_retry) for e in events] == [
        ("customer.get", 7.0, True)
    ]
    assert events[0].rate_limit.remaining == 0


def test_it_falls_back_to_the_rate_limit_reset_header(fake, make_client, sleeps):
    fake.on("GET", "/v1/customer/1", httpx.Response(429, headers={"X-RateLimit-Reset": "12"}), OK)
    make_client().customers.get("1")
    assert sleeps == [12.0]


def test_it_backs_off_exponentially_on_503_for_a_get(fake, make_client, sleeps):
    fake.on(
        "GET", "/v1/customer/1", httpx.Response(503), httpx.Response(503), httpx.Response(502), OK
    )
    make_client().customers.get("1")
    assert sleeps == [0.5, 1.0, 2.0]


def test_it_gives_up_after_max_attempts(fake, make_client, sleeps):
    fake.on("GET", "/v1/customer/1", httpx.Response(503))
    with pytest.raises(ServerError):
        make_client(retry_policy=RetryPolicy(max_attempts=3, jitter=lambda d: d)).customers.get("1")
    assert len(fake.calls("GET", "/v1/customer/1")) == 3
    assert len(sleeps) == 2


def test_it_applies_the_jitter_function(fake, make_client, sleeps):
    fake.on("GET", "/v1/customer/1", httpx.Response(504), OK)
    make_client(retry_policy=RetryPolicy(jitter=lambda d: d / 10)).customers.get("1")
    assert sleeps == [0.05]


def test_it_retries_timeouts_on_a_get(fake, make_client, sleeps):
    request = httpx.Request("GET", "https://api.finance.visma.net/v1/customer/1")
    fake.on("GET", "/v1/customer/1", httpx.ReadTimeout("slow", request=request), OK)
    assert make_client().customers.get("1").number == "1"
    assert len(fake.calls("GET", "/v1/customer/1")) == 2


def test_it_raises_a_timeout_error_when_gets_keep_timing_out(fake, make_client):
    request = httpx.Request("GET", "https://api.finance.visma.net/v1/customer/1")
    fake.on("GET", "/v1/customer/1", httpx.ReadTimeout("slow", request=request))
    with pytest.raises(APITimeoutError) as caught:
        make_client().customers.get("1")
    assert not caught.value.may_have_been_applied
    assert len(fake.calls("GET", "/v1/customer/1")) == 4


def test_it_never_retries_a_create_after_a_timeout_and_says_it_may_have_been_applied(
    fake, make_client, sleeps
):
    request = httpx.Request("POST", "https://api.finance.visma.net/v2/customerinvoice")
    fake.on("POST", "/v2/customerinvoice", httpx.ReadTimeout("dropped", request=request), CREATED)
    with pytest.raises(APITimeoutError) as caught:
        make_client().customer_invoices.create(full_invoice())
    assert len(fake.calls("POST", "/v2/customerinvoice")) == 1
    assert caught.value.may_have_been_applied
    assert "may have been applied" in str(caught.value)
    assert sleeps == []


def test_it_never_retries_a_create_after_a_server_error(fake, make_client):
    fake.on("POST", "/v2/customerinvoice", httpx.Response(503), CREATED)
    with pytest.raises(ServerError) as caught:
        make_client().customer_invoices.create(full_invoice())
    assert len(fake.calls("POST", "/v2/customerinvoice")) == 1
    assert caught.value.may_have_been_applied


def test_it_never_retries_a_create_after_a_dropped_connection(fake, make_client):
    request = httpx.Request("POST", "https://api.finance.visma.net/v2/customerinvoice")
    fake.on("POST", "/v2/customerinvoice", httpx.RemoteProtocolError("reset", request=request))
    with pytest.raises(APIConnectionError) as caught:
        make_client().customer_invoices.create(full_invoice())
    assert caught.value.may_have_been_applied
    assert len(fake.calls("POST", "/v2/customerinvoice")) == 1


def test_it_retries_a_create_after_a_429_because_it_was_not_applied(fake, make_client, sleeps):
    fake.on(
        "POST", "/v2/customerinvoice", httpx.Response(429, headers={"Retry-After": "2"}), CREATED
    )
    assert make_client().customer_invoices.create(full_invoice()).id == "7"
    assert sleeps == [2.0]


def test_it_retries_a_create_when_the_connection_was_never_made(fake, make_client):
    request = httpx.Request("POST", "https://api.finance.visma.net/v2/customerinvoice")
    fake.on("POST", "/v2/customerinvoice", httpx.ConnectError("refused", request=request), CREATED)
    assert make_client().customer_invoices.create(full_invoice()).id == "7"
    assert len(fake.calls("POST", "/v2/customerinvoice")) == 2


def test_it_raises_at_once_when_retry_after_exceeds_the_policy(fake, make_client, sleeps):
    events = []
    fake.on("GET", "/v1/customer/1", httpx.Response(429, headers={"Retry-After": "3600"}), OK)
    with pytest.raises(RateLimitedError) as caught:
        make_client(on_rate_limited=events.append).customers.get("1")
    assert caught.value.retry_after == 3600
    assert sleeps == []
    assert events[0].will_retry is False


def test_it_marks_a_412_after_an_ambiguous_patch_as_maybe_applied(fake, make_client):
    request = httpx.Request("PATCH", "https://salesorder.visma.net/api/v3/SalesOrders/SO/1")
    fake.on(
        "PATCH",
        "/api/v3/SalesOrders/SO/1",
        httpx.ReadTimeout("lost", request=request),
        httpx.Response(412, json={"title": "Precondition Failed", "status": 412}),
    )
    with pytest.raises(PreconditionError) as caught:
        make_client().sales_orders.patch("SO", "1", SalesOrderPatch(note="x"), if_match="e1")
    assert len(fake.calls("PATCH", "/api/v3/SalesOrders/SO/1")) == 2
    assert caught.value.may_have_been_applied


def test_it_exposes_the_rate_limit_headers_of_the_last_response(fake, make_client, clock):
    headers = {
        "X-RateLimit-Limit": "1000",
        "X-RateLimit-Remaining": "998",
        "X-RateLimit-Reset": "1800",
        "X-RateLimit-Policy": "4-fixed-window",
    }
    fake.on("GET", "/v1/customer/1", httpx.Response(200, json={}, headers=headers))
    client = make_client()
    assert client.rate_limit is None
    client.customers.get("1")
    status = client.rate_limit
    assert (status.limit, status.remaining, status.reset_seconds, status.policy) == (
        1000,
        998,
        1800.0,
        "4-fixed-window",
    )
    assert status.observed_at == NOW
