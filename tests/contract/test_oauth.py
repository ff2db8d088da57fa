"""Visma Connect against the spawned sandbox: authorization code + PKCE through the consent
page, state and verifier checks, refresh while paging, one refresh for concurrent callers."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.contract.conftest import Backend, sandbox_only
from vismanet import (
    INTERACTIVE_SCOPES,
    SALESORDER_SCOPES,
    TOKEN_KEY_API,
    InMemoryTokenStore,
    ReconnectRequired,
    VismaNetClient,
    code_challenge,
    states_match,
)
from vismanet_sandbox import demo

pytestmark = sandbox_only
REDIRECT_URI = "http://127.0.0.1:8765/integrations/vismanet/callback/"


def consent(url: str, authorize_url: str, tenant: str) -> httpx.Response:
    """The user's browser: open the consent page, pick ``tenant``, press allow."""
    page = httpx.get(authorize_url)
    assert page.status_code == 200, page.text
    assert tenant in page.text, "the consent page offers the company"
    hidden = dict(re.findall(r"<input type='hidden' name='([^']+)' value='([^']*)'>", page.text))
    form = {k: html.unescape(v) for k, v in hidden.items()} | {"tenant_id": tenant, "decision": "allow"}
    return httpx.post(f"{url}/connect/authorize", data=form)


def callback_params(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def connect(backend: Backend, tenant: str = demo.DEMO_TENANT_ID, **options) -> VismaNetClient:
    """An interactive client that went through the whole sign-in."""
    client = backend.client(tenant_id=None, **options)
    auth = client.authorization_request(redirect_uri=REDIRECT_URI)
    params = callback_params(consent(backend.url, auth.url, tenant))
    assert states_match(auth.state, params["state"])
    client.exchange_code(code=params["code"], redirect_uri=REDIRECT_URI, code_verifier=auth.code_verifier)
    return client


def token_grants(backend: Backend) -> list[str]:
    """grant_type of every token request the client sent, in order."""
    return [
        dict(httpx.QueryParams(e.request_body.decode()))["grant_type"]
        for e in backend.traffic
        if e.path == "/connect/token"
    ]


def test_it_completes_the_authorization_code_pkce_round_trip_for_the_chosen_company(backend: Backend):
    store = InMemoryTokenStore()
    client = backend.client(tenant_id=None, token_store=store)
    auth = client.authorization_request(redirect_uri=REDIRECT_URI)
    query = {k: v[0] for k, v in parse_qs(urlsplit(auth.url).query).items()}
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] == code_challenge(auth.code_verifier)
    assert "offline_access" in query["scope"].split()

    params = callback_params(consent(backend.url, auth.url, demo.SMALL_TENANT_ID))
    assert params["state"] == auth.state
    record = client.exchange_code(code=params["code"], redirect_uri=REDIRECT_URI,
                                  code_verifier=auth.code_verifier)

    assert record.refresh_token and record.expires_at > datetime.now(UTC)
    assert store.load(TOKEN_KEY_API) == record
    # The token is bound to the company the user picked, not the first one.
    assert [o.name for o in client.companies.organizations()] == [demo.SMALL_COMPANY_NAME]
    assert {c.number for c in client.customers.list()} >= {demo.SMALL_FIRST_CUSTOMER}


def test_it_refuses_a_callback_with_a_wrong_state(backend: Backend):
    client = backend.client(tenant_id=None)
    auth = client.authorization_request(redirect_uri=REDIRECT_URI)
    other = client.authorization_request(redirect_uri=REDIRECT_URI)  # another browser tab/user
    params = callback_params(consent(backend.url, auth.url, demo.DEMO_TENANT_ID))

    assert states_match(auth.state, params["state"])
    assert not states_match(other.state, params["state"])
    assert not states_match(auth.state, params["state"] + "x")
    assert not states_match(auth.state, "")
    assert not states_match("", "")


def test_the_sandbox_refuses_a_code_with_the_wrong_verifier(backend: Backend):
    client = backend.client(tenant_id=None)
    auth = client.authorization_request(redirect_uri=REDIRECT_URI)
    other = client.authorization_request(redirect_uri=REDIRECT_URI)
    params = callback_params(consent(backend.url, auth.url, demo.DEMO_TENANT_ID))

    with pytest.raises(ReconnectRequired) as raised:
        client.exchange_code(code=params["code"], redirect_uri=REDIRECT_URI,
                             code_verifier=other.code_verifier)
    assert raised.value.error_code == "invalid_grant"
    assert params["code"] not in str(raised.value)
    assert backend.sandbox.control.request_count(method="POST", path="^/connect/token$", status="400") == 1


def test_it_refreshes_once_when_the_token_expires_in_the_middle_of_paging(backend: Backend):
    client = connect(backend)
    control = backend.sandbox.control
    control.clear_requests()

    numbers: list[str] = []
    for page in client.customers.list(page_size=100).pages():
        numbers += [c.number for c in page.items]
        if page.number == 1:
            control.expire_tokens()  # every access token dies between page 1 and page 2

    assert len(numbers) == len(set(numbers)) == 330
    assert token_grants(backend) == ["authorization_code", "refresh_token"]
    assert control.request_count(method="POST", path="^/connect/token$") == 1
    assert control.request_count(method="GET", path="^/v1/customer$", status="401") == 1


def test_it_says_a_user_must_reconnect_when_consent_is_gone(backend: Backend):
    client = connect(backend)
    backend.sandbox.control.expire_tokens(revoke_refresh_tokens=True)

    with pytest.raises(ReconnectRequired) as raised:
        client.customers.get(demo.FIRST_CUSTOMER)
    assert "reconnect" in str(raised.value).lower()


def expire_in_store(client: VismaNetClient, store: InMemoryTokenStore, backend: Backend) -> None:
    """The stored token is past its expiry (client side) and dead (server side)."""
    record = store.load(TOKEN_KEY_API)
    store.save(TOKEN_KEY_API, replace(record, expires_at=datetime.now(UTC) - timedelta(minutes=5)))
    backend.sandbox.control.expire_tokens()


def expire_on_server(client: VismaNetClient, store: InMemoryTokenStore, backend: Backend) -> None:
    """The client still believes the token is fresh; the API answers 401."""
    backend.sandbox.control.expire_tokens()


@pytest.mark.parametrize("expire", [expire_in_store, expire_on_server], ids=["expired", "revoked"])
@pytest.mark.parametrize("mode", ["interactive", "service"])
def test_three_concurrent_callers_with_an_expired_token_cause_one_refresh(
    backend: Backend, mode: str, expire: Callable[..., None]
):
    store = InMemoryTokenStore()
    if mode == "interactive":
        client = connect(backend, token_store=store)
    else:
        client = backend.client(token_store=store, salesorder_scopes=())
        client.companies.organizations()
    control = backend.sandbox.control
    expire(client, store, backend)
    control.clear_requests()
    # A slow token endpoint keeps the first refresh in flight while the others arrive.
    control.fault("latency", ms=300, path="^/connect/token$", count=None)

    start = threading.Barrier(3)
    results: list[str] = []
    errors: list[BaseException] = []

    def call(number: str) -> None:
        try:
            start.wait()
            results.append(client.customers.get(number).number)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=call, args=(n,)) for n in ("10001", "10002", "10003")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors, errors
    assert sorted(results) == ["10001", "10002", "10003"]
    assert control.request_count(method="POST", path="^/connect/token$") == 1
    expected_grant = "refresh_token" if mode == "interactive" else "client_credentials"
    assert token_grants(backend)[-1] == expected_grant


def test_an_interactive_token_with_the_v3_scopes_serves_both_apis(backend: Backend):
    client = connect(backend, scopes=(*INTERACTIVE_SCOPES, *SALESORDER_SCOPES))
    assert client.companies.organizations()
    assert list(client.sales_orders.list(order_type="QT"))


def test_a_default_interactive_client_can_read_sales_orders(backend: Backend):
    client = connect(backend)
    assert list(client.sales_orders.list(order_type="QT"))
