from __future__ import annotations

import base64
import hashlib
import threading
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from vismanet import (
    AuthenticationError,
    InMemoryTokenStore,
    ReconnectRequired,
    TokenRecord,
    states_match,
)

from .conftest import CLIENT_SECRET, NOW, TENANT, interactive_store

OK = httpx.Response(200, json={"number": "1"})


def bearer(request: httpx.Request) -> str:
    return request.headers["Authorization"].removeprefix("Bearer ")


def test_it_builds_an_authorize_url_with_pkce_s256(make_client):
    client = make_client(tenant_id=None, token_store=InMemoryTokenStore())
    auth = client.authorization_request(redirect_uri="https://werkbon.example/cb")
    url = urlsplit(auth.url)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert (url.netloc, url.path) == ("connect.visma.com", "/connect/authorize")
    assert query["response_type"] == "code"
    assert query["client_id"] == "werkbon-test"
    assert query["redirect_uri"] == "https://werkbon.example/cb"
    assert query["state"] == auth.state and len(auth.state) >= 32
    assert query["code_challenge_method"] == "S256"
    digest = hashlib.sha256(auth.code_verifier.encode()).digest()
    assert query["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert "offline_access" in query["scope"].split(" ")
    assert query["nonce"] == auth.nonce
    assert auth.code_verifier not in auth.url


def test_it_compares_states_safely():
    assert states_match("abc123", "abc123")
    assert not states_match("abc123", "abc124")
    assert not states_match("", "")
    assert not states_match("abc123", None)


def test_it_exchanges_the_code_with_the_verifier_and_stores_the_tokens(fake, make_client):
    store = InMemoryTokenStore()
    client = make_client(tenant_id=None, token_store=store)
    record = client.exchange_code(
        code="the-code", redirect_uri="https://w.example/cb", code_verifier="v" * 50
    )
    form = fake.token_requests[0]
    assert form == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": "https://w.example/cb",
        "code_verifier": "v" * 50,
        "client_id": "werkbon-test",
        "client_secret": CLIENT_SECRET,
    }
    assert store.load("api") == record
    assert (record.access_token, record.refresh_token) == ("tok-1", "refresh-1")
    assert record.expires_at == NOW.replace(hour=10)


def test_it_can_send_the_client_secret_as_http_basic(fake, make_client):
    make_client(tenant_id=None, client_auth="client_secret_basic").exchange_code(
        code="c", redirect_uri="https://w.example/cb", code_verifier="v" * 50
    )
    request = fake.calls("POST", "/connect/token")[0]
    assert request.headers["Authorization"].startswith("Basic ")
    assert "client_secret" not in fake.token_requests[0]


@pytest.mark.parametrize(("expires_in", "refreshes"), [(30, True), (59, True), (120, False)])
def test_it_refreshes_within_the_safety_margin(fake, make_client, expires_in, refreshes):
    fake.on("GET", "/v1/customer/1", OK)
    client = make_client(tenant_id=None, token_store=interactive_store(expires_in=expires_in))
    client.customers.get("1")
    assert len(fake.token_requests) == int(refreshes)
    used = bearer(fake.calls("GET", "/v1/customer/1")[0])
    assert used == ("tok-1" if refreshes else "tok-0")
    if refreshes:
        assert fake.token_requests[0]["grant_type"] == "refresh_token"
        assert fake.token_requests[0]["refresh_token"] == "refresh-0"


def test_it_keeps_the_old_refresh_token_unless_rotated(fake, make_client):
    fake.on("POST", "/connect/token", httpx.Response(200, json={"access_token": "tok-new"}))
    fake.on("GET", "/v1/customer/1", OK)
    store = interactive_store(expires_in=0)
    make_client(tenant_id=None, token_store=store).customers.get("1")
    assert store.load("api").refresh_token == "refresh-0"
    assert store.load("api").access_token == "tok-new"


def test_it_sends_tenant_id_on_every_client_credentials_request(fake, make_client, clock):
    fake.on("GET", "/v1/customer/1", OK)
    client = make_client()
    client.customers.get("1")
    clock.advance(3600)
    client.customers.get("1")
    assert len(fake.token_requests) == 2
    for form in fake.token_requests:
        assert form["grant_type"] == "client_credentials"
        assert form["tenant_id"] == TENANT
        assert form["scope"].split(" ")[0] == "vismanet_erp_service_api:read"


def test_it_uses_a_separate_token_for_sales_orders_in_service_mode(fake, make_client):
    fake.on("GET", "/v1/customer/1", OK)
    fake.on("GET", "/api/v3/SalesOrders/SO/1", httpx.Response(200, json={"orderId": "1"}))
    client = make_client()
    client.customers.get("1")
    client.sales_orders.get("SO", "1")
    scopes = [form["scope"] for form in fake.token_requests]
    assert scopes[1] == "visma.net.erp.salesorder:read visma.net.erp.salesorder:write"
    assert bearer(fake.calls("GET", "/api/v3/SalesOrders/SO/1")[0]) == "tok-2"


def test_it_shares_one_token_when_asked(fake, make_client):
    fake.on("GET", "/v1/customer/1", OK)
    fake.on("GET", "/api/v3/SalesOrders/SO/1", httpx.Response(200, json={"orderId": "1"}))
    client = make_client(salesorder_scopes=())
    client.customers.get("1")
    client.sales_orders.get("SO", "1")
    assert len(fake.token_requests) == 1


def test_it_refreshes_exactly_once_for_three_concurrent_callers(fake, make_client):
    fake.on("GET", "/v1/customer/1", OK)
    fake.token_delay = 0.2  # keep the first refresh in flight while the others arrive
    client = make_client(tenant_id=None, token_store=interactive_store(expires_in=-10))
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def call() -> None:
        barrier.wait()
        try:
            client.customers.get("1")
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert errors == []
    assert len(fake.token_requests) == 1
    assert {bearer(r) for r in fake.calls("GET", "/v1/customer/1")} == {"tok-1"}


def test_it_refreshes_once_and_retries_once_after_a_401(fake, make_client):
    fake.on("GET", "/v1/customer/1", httpx.Response(401, json={"Message": "expired"}), OK)
    client = make_client(tenant_id=None, token_store=interactive_store())
    assert client.customers.get("1").number == "1"
    assert [bearer(r) for r in fake.calls("GET", "/v1/customer/1")] == ["tok-0", "tok-1"]
    assert len(fake.token_requests) == 1


def test_it_gives_up_when_the_retry_after_a_refresh_also_gets_401(fake, make_client):
    fake.on("GET", "/v1/customer/1", httpx.Response(401, json={"Message": "no"}))
    with pytest.raises(AuthenticationError) as caught:
        make_client(tenant_id=None, token_store=interactive_store()).customers.get("1")
    assert not isinstance(caught.value, ReconnectRequired)
    assert len(fake.calls("GET", "/v1/customer/1")) == 2
    assert len(fake.token_requests) == 1


def test_it_raises_reconnect_required_on_invalid_grant(fake, make_client):
    fake.on(
        "POST",
        "/connect/token",
        httpx.Response(
            400, json={"error": "invalid_grant", "error_description": "consent revoked"}
        ),
    )
    client = make_client(tenant_id=None, token_store=interactive_store(expires_in=0))
    with pytest.raises(ReconnectRequired) as caught:
        client.customers.get("1")
    assert "must reconnect Visma.net" in str(caught.value)
    assert "consent revoked" in str(caught.value)
    assert fake.calls("GET", "/v1/customer/1") == []


def test_it_raises_reconnect_required_when_nothing_is_stored(fake, make_client):
    client = make_client(tenant_id=None, token_store=InMemoryTokenStore())
    with pytest.raises(ReconnectRequired, match="reconnect"):
        client.customers.get("1")
    assert fake.requests == []


def test_it_reports_a_rejected_client_as_an_authentication_error(fake, make_client):
    fake.on("POST", "/connect/token", httpx.Response(400, json={"error": "invalid_client"}))
    with pytest.raises(AuthenticationError) as caught:
        make_client().customers.get("1")
    assert not isinstance(caught.value, ReconnectRequired)
    assert caught.value.error_code == "invalid_client"


def test_it_serialises_token_records_for_an_application_store():
    record = TokenRecord(access_token="a" * 20, expires_at=NOW, refresh_token="r" * 20, scope="x")
    assert TokenRecord.from_dict(record.to_dict()) == record
