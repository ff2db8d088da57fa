"""Rate limiting and every fault kind, seen from a plain HTTP client."""

from __future__ import annotations

import time

import httpx
import pytest

from vismanet_sandbox import demo

from .conftest import service_token

T = demo.DEMO_TENANT_ID
ORDER = {"type": "SO", "customer": {"id": "10001", "order": "WB-DROP-1"},
         "orderLines": [{"inventoryId": "ARBEID", "quantity": 1}]}


def test_rate_limit_headers_and_429(sandbox, erp):
    sandbox.control.settings(T, rateLimit={"limit": 3, "windowSeconds": 60})
    first = erp.get("/v1/branch")
    assert first.headers["x-ratelimit-limit"] == "3"
    assert first.headers["x-ratelimit-remaining"] == "2"
    assert first.headers["x-ratelimit-policy"] == "4-fixed-window"
    assert 0 < int(first.headers["x-ratelimit-reset"]) <= 60
    erp.get("/v1/branch")
    assert erp.get("/api/v3/SalesOrders").headers["x-ratelimit-remaining"] == "0"
    limited = erp.get("/v1/branch")
    assert limited.status_code == 429
    assert 0 < int(limited.headers["retry-after"]) <= 60
    assert "Rate limit is exceeded" in limited.json()["Message"]
    # The window is per (company, client): the small company is not affected.
    other = httpx.get(f"{sandbox.url}/v1/branch",
                      headers={"Authorization": f"Bearer {service_token(sandbox.url, demo.SMALL_TENANT_ID)}"})
    assert other.status_code == 200


def test_rate_limit_window_resets(sandbox, erp):
    sandbox.control.settings(T, rateLimit={"limit": 1, "windowSeconds": 1})
    assert erp.get("/v1/branch").status_code == 200
    assert erp.get("/v1/branch").status_code == 429
    time.sleep(1.1)
    assert erp.get("/v1/branch").status_code == 200
    sandbox.control.settings(T, rateLimit={"limit": None})
    off = erp.get("/v1/branch")
    assert off.status_code == 200 and "x-ratelimit-limit" not in off.headers


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_status_fault_n_times(sandbox, erp, status):
    sandbox.control.fault("status", status=status, count=2, method="GET", path=r"^/v1/customer$",
                          **({"retryAfter": 2} if status == 429 else {}))
    responses = [erp.get("/v1/customer", params={"pageSize": 1}) for _ in range(3)]
    assert [r.status_code for r in responses] == [status, status, 200]
    if status == 429:
        assert responses[0].headers["retry-after"] == "2"
    assert erp.get("/v1/branch").status_code == 200  # other paths untouched
    assert sandbox.control.request_count(path=r"^/v1/customer$", status=str(status)) == 2


def test_latency_fault(sandbox, erp):
    sandbox.control.fault("latency", ms=400, count=None, path="/v1/branch")
    started = time.monotonic()
    assert erp.get("/v1/branch").status_code == 200
    assert time.monotonic() - started >= 0.4
    sandbox.control.clear_faults()
    started = time.monotonic()
    erp.get("/v1/branch")
    assert time.monotonic() - started < 0.4


def test_timeout_fault_holds_then_drops(sandbox, erp):
    sandbox.control.fault("timeout", ms=1500, path="/v1/customer/10001")
    with pytest.raises(httpx.ReadTimeout):
        erp.get("/v1/customer/10001", timeout=0.5)
    assert erp.get("/v1/customer/10001").status_code == 200


def test_drop_after_write_applies_the_create(sandbox, erp):
    sandbox.control.fault("drop_after_write", method="POST", path="^/api/v3/SalesOrders$")
    with pytest.raises(httpx.TransportError):
        erp.post("/api/v3/SalesOrders", json=ORDER)
    created = [o for o in sandbox.control.sales_orders(T) if o["customer"].get("order") == "WB-DROP-1"]
    assert len(created) == 1
    listed = erp.get("/api/v3/SalesOrders/SO", params={"customerId": "10001"}).json()["value"]
    assert any(o["customerOrder"] == "WB-DROP-1" for o in listed)
    assert erp.post("/api/v3/SalesOrders", json=ORDER).status_code == 201  # rule used up


def test_error_after_write_applies_then_answers_500(sandbox, erp):
    sandbox.control.fault("error_after_write", method="POST", path="/v2/customerinvoice")
    body = {"customerNumber": {"value": "10001"}, "customerRefNumber": {"value": "WB-500"},
            "invoiceLines": [{"operation": "Insert", "inventoryNumber": {"value": "ARBEID"}}]}
    response = erp.post("/v2/customerinvoice", json=body)
    assert response.status_code == 500
    assert response.json()["ExceptionMessage"].startswith("An error has occurred")
    assert len(erp.get("/v1/customerinvoice", params={"customerRefNumber": "WB-500"}).json()) == 1


def test_faults_on_token_endpoint_and_listing(sandbox):
    rule = sandbox.control.fault("status", status=503, path="^/connect/token$")
    assert rule["kind"] == "status" and rule["count"] == 1
    response = httpx.post(f"{sandbox.url}/connect/token", data={"grant_type": "client_credentials"})
    assert response.status_code == 503 and response.json()["error"] == "temporarily_unavailable"
    assert httpx.get(f"{sandbox.url}/_sandbox/faults").json()[0]["fired"] == 1
    bad = httpx.post(f"{sandbox.url}/_sandbox/faults", json={"kind": "explode"})
    assert bad.status_code == 400


def test_request_log(sandbox, erp):
    erp.get("/v1/branch")
    erp.get("/v1/customer/NOPE")
    log = sandbox.control.requests()
    assert [(e["method"], e["path"], e["status"]) for e in log[-2:]] == [("GET", "/v1/branch", 200),
                                                                          ("GET", "/v1/customer/NOPE", 404)]
    assert log[-1]["company"] == T and log[-1]["time"]
    # Only these two paths: a request a previous test left held (timeout fault) may still
    # complete and be logged while this one runs.
    assert sandbox.control.request_count(company=T, path="^/v1/(branch|customer/NOPE)$") == 2
    sandbox.control.clear_requests()
    assert sandbox.control.request_count() == 0
