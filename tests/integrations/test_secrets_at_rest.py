"""Secrets at rest (issue 4 "Log": "a technical detail for support (secrets filtered out)";
models.Credential: "OAuth tokens … encrypted at rest"). Read straight from the database with
raw SQL, past the model's decrypting field: the real tokens the sandbox issued through the
OAuth flow are not in the Credential row, and a log entry whose detail contained a bearer
token, a refresh token or the client secret is stored redacted."""

from __future__ import annotations

import base64
import json

import pytest
from django.conf import settings
from django.db import connection

from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.fields import decrypt
from werkbon.integrations.log import log
from werkbon.integrations.models import Credential, LogEntry, LogLevel, LogTable
from werkbon.integrations.vismanet.client import CredentialTokenStore

pytestmark = pytest.mark.django_db


def raw_column(model, column: str, pk: int) -> str:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name(column)} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.fixture
def tokens(vismanet_integration):
    record = CredentialTokenStore(vismanet_integration).load("api")
    assert record is not None and record.access_token and record.refresh_token
    return record


def test_the_credential_row_holds_no_token_in_plain_text(vismanet_integration, tokens):
    credential = Credential.all_tenants.get(integration=vismanet_integration)
    raw = raw_column(Credential, "tokens", credential.pk)
    assert raw
    for secret in (tokens.access_token, tokens.refresh_token, "access_token", "refresh_token"):
        assert secret not in raw
    # It is the real column: decrypted with the key it holds exactly these tokens.
    stored = json.loads(decrypt(raw))["api"]
    assert (stored["access_token"], stored["refresh_token"]) == (tokens.access_token, tokens.refresh_token)


def test_a_log_detail_with_a_bearer_token_refresh_token_or_client_secret_is_stored_redacted(
        vismanet_integration, tenant_a, tokens):
    secret = settings.VISMANET_CLIENT_SECRET
    basic = base64.b64encode(f"{settings.VISMANET_CLIENT_ID}:{secret}".encode()).decode()
    detail = "\n".join([
        f"GET /v1/customer -> 500; request headers: Authorization: Bearer {tokens.access_token}",
        f"POST /connect/token form: grant_type=refresh_token&refresh_token={tokens.refresh_token}"
        f"&client_id={settings.VISMANET_CLIENT_ID}&client_secret={secret}",
        json.dumps({"access_token": tokens.access_token, "refresh_token": tokens.refresh_token,
                    "client_secret": secret}),
        f"POST /connect/token headers: {{'authorization': 'Basic {basic}'}}",
    ])
    with tenant_context(tenant_a):
        entry = log(vismanet_integration, LogLevel.ERROR, LogTable.INTEGRATION, "Visma.net failed",
                    detail=detail)
    raw = raw_column(LogEntry, "detail", entry.pk)
    assert "GET /v1/customer -> 500" in raw and "POST /connect/token" in raw  # the useful part stays
    for leaked in (tokens.access_token, tokens.refresh_token, secret, basic):
        assert leaked not in raw, (leaked, raw)
