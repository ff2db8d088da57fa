from __future__ import annotations

import logging

import httpx
import pytest

from vismanet import AuthorizationRequest, InMemoryTokenStore, VismaNetError, redact

from .conftest import CLIENT_SECRET, NOW, interactive_store

ACCESS = "tok-0"


def echo_credentials(request: httpx.Request) -> httpx.Response:
    """A misbehaving server that echoes the request's credentials into its error body."""
    return httpx.Response(
        400,
        json={
            "ExceptionMessage": f"Bad request with {request.headers['Authorization']}"
            f" and client_secret={CLIENT_SECRET} refresh_token=refresh-0-long-value",
            "ExceptionFaultCode": "1",
        },
    )


def test_it_never_shows_tokens_or_secrets_in_errors_or_logs(fake, make_client, caplog):
    store = interactive_store(access="access-token-0123456789", refresh="refresh-0-long-value")
    fake.on("GET", "/v1/customer/1", echo_credentials)
    client = make_client(tenant_id=None, token_store=store)
    with caplog.at_level(logging.DEBUG, logger="vismanet"), pytest.raises(VismaNetError) as caught:
        client.customers.get("1")
    error = caught.value
    texts = [str(error), repr(error), error.message, error.body or "", caplog.text]
    for text in texts:
        for secret in ("access-token-0123456789", "refresh-0-long-value", CLIENT_SECRET):
            assert secret not in text
    assert "[REDACTED]" in error.message


def test_it_redacts_the_token_endpoint_answer(fake, make_client):
    fake.on(
        "POST",
        "/connect/token",
        httpx.Response(400, text=f"rejected client_secret={CLIENT_SECRET}&code=abc"),
    )
    with pytest.raises(VismaNetError) as caught:
        make_client(tenant_id=None, token_store=InMemoryTokenStore()).exchange_code(
            code="one-time-code-123", redirect_uri="https://w.example/cb", code_verifier="v" * 50
        )
    assert CLIENT_SECRET not in str(caught.value)
    assert CLIENT_SECRET not in (caught.value.body or "")


def test_it_hides_tokens_and_secrets_in_reprs(make_client):
    store = interactive_store(access="access-token-0123456789", refresh="refresh-0-long-value")
    record = store.load("api")
    auth = AuthorizationRequest(url="https://x", state="s", code_verifier="verifier-secret-value")
    client = make_client(tenant_id=None, token_store=store)
    for text in (repr(record), repr(auth), repr(client), repr(store)):
        assert "access-token-0123456789" not in text
        assert "refresh-0-long-value" not in text
        assert "verifier-secret-value" not in text
        assert CLIENT_SECRET not in text
    assert record.expires_at == NOW.replace(hour=10)


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("Authorization: Bearer eyJhbGciOi.abc.def", "eyJhbGciOi"),
        ('{"access_token": "abcdefgh123", "x": 1}', "abcdefgh123"),
        ("grant_type=refresh_token&refresh_token=rt-987654321&client_id=x", "rt-987654321"),
        ("client_secret=topsecret99", "topsecret99"),
    ],
)
def test_it_redacts_credential_shaped_values(text, leak):
    cleaned = redact(text)
    assert leak not in cleaned
    assert "[REDACTED]" in cleaned


def test_it_redacts_known_secrets_but_leaves_error_codes_alone():
    text = '{"ExceptionFaultCode": "12046", "code": "1804-InventoryIdNotFound", "s": "my-secret-1"}'
    cleaned = redact(text, ["my-secret-1"])
    assert "my-secret-1" not in cleaned
    assert "12046" in cleaned and "1804-InventoryIdNotFound" in cleaned
