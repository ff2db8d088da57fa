"""Helpers for the sandbox's own tests: tokens and authenticated httpx clients."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from vismanet_sandbox import demo

ALL_SERVICE = " ".join(demo.SERVICE_SCOPES + demo.SALESORDER_SCOPES)
REDIRECT = "http://127.0.0.1:8765/callback"


def service_token(url: str, tenant: str = demo.DEMO_TENANT_ID, scope: str = ALL_SERVICE) -> str:
    response = httpx.post(f"{url}/connect/token", data={
        "grant_type": "client_credentials", "client_id": demo.CLIENT_ID, "client_secret": demo.CLIENT_SECRET,
        "tenant_id": tenant, "scope": scope})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize(url: str, tenant: str, *, scope: str, challenge: str | None, state: str = "st-123",
              decision: str = "allow", redirect_uri: str = REDIRECT) -> httpx.Response:
    """Drive the consent page like a browser: GET the page, POST its form."""
    params = {"client_id": demo.CLIENT_ID, "redirect_uri": redirect_uri, "response_type": "code",
              "scope": scope, "state": state}
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    page = httpx.get(f"{url}/connect/authorize", params=params)
    assert page.status_code == 200, page.text
    assert tenant in page.text
    hidden = dict(re.findall(r"<input type='hidden' name='([^']+)' value='([^']*)'>", page.text))
    form = {k: html.unescape(v) for k, v in hidden.items()} | {"tenant_id": tenant, "decision": decision}
    return httpx.post(f"{url}/connect/authorize", data=form)


def code_from(response: httpx.Response) -> dict[str, list[str]]:
    assert response.status_code == 302, response.text
    return parse_qs(urlparse(response.headers["location"]).query)


@pytest.fixture
def erp(sandbox: Any) -> Iterator[httpx.Client]:
    """A client with a service token for the demo company (all ERP and v3 scopes)."""
    token = service_token(sandbox.url)
    with httpx.Client(base_url=sandbox.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        yield client


@pytest.fixture
def small(sandbox: Any) -> Iterator[httpx.Client]:
    token = service_token(sandbox.url, demo.SMALL_TENANT_ID)
    with httpx.Client(base_url=sandbox.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        yield client


def assert_exception_envelope(response: httpx.Response, status: int, fragment: str = "") -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"ExceptionType", "ExceptionMessage", "ExceptionFaultCode", "ExceptionMessageID",
                         "ExceptionDetails"}
    assert fragment in body["ExceptionMessage"]
    return dict(body)


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert body["status"] == status
    return dict(body)


def validation_codes(response: httpx.Response) -> dict[str, str]:
    """{property: code} from a SalesOrderValidationProblemDetails body."""
    body = assert_problem(response, 400)
    assert body["errors"], body
    return {d["parameters"]["property"]: d["code"] for d in body["details"]}
