"""Builds a :class:`vismanet.VismaNetClient` for one integration (one tenant, one company).

The tokens live in :class:`~werkbon.integrations.models.Credential`, encrypted; the store
below serialises refreshes across worker processes with a row lock. A 429 pauses every job
of the company until ``Retry-After`` (``Integration.paused_until``) instead of sleeping in a
worker, so no other tenant waits. Base URLs and the application's id and secret come from
Django settings (the sandbox when no Visma.net credentials are configured).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from vismanet import RateLimitedEvent, RetryPolicy, TokenRecord, VismaNetClient
from werkbon.integrations.log import log
from werkbon.integrations.models import Credential, Integration, LogLevel, LogTable

# Jobs wait at most this long inside a worker for a Retry-After; longer waits pause the
# company instead (the scheduler skips it until then).
MAX_WAIT_IN_WORKER_SECONDS = 5.0


class CredentialTokenStore:
    """A ``vismanet.TokenStore`` backed by the integration's encrypted Credential row."""

    def __init__(self, integration: Integration) -> None:
        self.integration_id = integration.pk
        self.tenant_id = integration.tenant_id

    def _row(self) -> Credential:
        credential, _created = Credential.all_tenants.get_or_create(
            integration_id=self.integration_id, defaults={"tenant_id": self.tenant_id}
        )
        return credential

    @staticmethod
    def _records(credential: Credential) -> dict[str, dict]:
        return json.loads(credential.tokens) if credential.tokens else {}

    def load(self, key: str) -> TokenRecord | None:
        """The token record stored under ``key``, or None."""
        data = self._records(self._row()).get(key)
        return TokenRecord.from_dict(data) if data else None

    def save(self, key: str, record: TokenRecord) -> None:
        """Store ``record`` under ``key``, row-locked so concurrent saves keep each other's keys."""
        with transaction.atomic():
            credential = Credential.all_tenants.select_for_update().get(pk=self._row().pk)
            records = self._records(credential)
            records[key] = record.to_dict()
            credential.tokens = json.dumps(records)
            credential.save(update_fields=["tokens", "updated_at"])

    def clear(self) -> None:
        """Forget every token of the integration (the company must be connected again)."""
        Credential.all_tenants.filter(integration_id=self.integration_id).update(tokens="")

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[object]:
        """Hold the Credential row lock while a token under ``key`` is renewed."""
        # A row lock (PostgreSQL) or the write lock of an IMMEDIATE transaction (SQLite)
        # makes every other process wait until this one has saved the renewed token.
        pk = self._row().pk
        with transaction.atomic():
            yield Credential.all_tenants.select_for_update().get(pk=pk)


def _pause_on_rate_limit(integration: Integration):  # type: ignore[no-untyped-def]
    def on_rate_limited(event: RateLimitedEvent) -> None:
        if event.will_retry and (event.retry_after or 0) <= MAX_WAIT_IN_WORKER_SECONDS:
            return
        until = timezone.now() + dt.timedelta(seconds=max(1.0, float(event.retry_after or 60)))
        Integration.all_tenants.filter(pk=integration.pk).update(paused_until=until)
        integration.paused_until = until
        log(
            integration,
            LogLevel.WARNING,
            LogTable.INTEGRATION,
            gettext_noop("Visma.net asked us to slow down: all calls for this company pause until %(until)s."),
            action=gettext_noop("No action needed: the integration continues by itself."),
            params={"until": timezone.localtime(until).strftime("%d-%m-%Y %H:%M:%S")},
            detail=f"429 on {event.operation}, Retry-After {event.retry_after}",
        )

    return on_rate_limited


def retry_policy() -> RetryPolicy:
    """Retries inside a worker: at most 3 attempts, back-off and Retry-After capped at 5 seconds."""
    return RetryPolicy(max_attempts=3, backoff_cap=MAX_WAIT_IN_WORKER_SECONDS,
                       max_retry_after=MAX_WAIT_IN_WORKER_SECONDS)


def client_for(integration: Integration, **overrides: object) -> VismaNetClient:
    """A client for the integration's company; close it after use (``with`` works).

    Raises nothing itself; calls raise ``vismanet`` errors (``ReconnectRequired`` when
    the user must connect again).
    """
    options: dict[str, object] = {
        "client_id": settings.VISMANET_CLIENT_ID,
        "client_secret": settings.VISMANET_CLIENT_SECRET,
        "token_store": CredentialTokenStore(integration),
        "erp_base_url": settings.VISMANET_ERP_BASE_URL,
        "salesorder_base_url": settings.VISMANET_SALESORDER_BASE_URL,
        "connect_base_url": settings.VISMANET_CONNECT_BASE_URL,
        "context_base_url": settings.VISMANET_CONTEXT_BASE_URL,
        "retry_policy": retry_policy(),
        "on_rate_limited": _pause_on_rate_limit(integration),
        "timeout": settings.VISMANET_TIMEOUT_SECONDS,
        "user_agent": "Werkbon/0.1 (+https://werkbon.example)",
    }
    options.update(overrides)
    return VismaNetClient(**options)  # type: ignore[arg-type]


def record_quota(integration: Integration, client: VismaNetClient) -> None:
    """Keep the last seen X-RateLimit figures for the status page."""
    status = client.rate_limit
    if status is None:
        return
    Integration.all_tenants.filter(pk=integration.pk).update(
        quota_limit=status.limit, quota_remaining=status.remaining, quota_observed_at=status.observed_at
    )
