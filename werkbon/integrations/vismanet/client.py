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
import os
import threading
from collections.abc import Iterator

import httpx
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


class OffThreadDatabaseAccess(RuntimeError):
    """A helper thread (the export's concurrent pre-flight GETs) needed the database: the
    token was not in the store's memory or had to be renewed. The caller repeats that call
    on the job's own thread."""


class CredentialTokenStore:
    """A ``vismanet.TokenStore`` backed by the integration's encrypted Credential row.

    Outside a renewal, a record this store read or saved is answered from memory (one
    client = one job): the client asks for the token before every request, and a token
    another worker renewed meanwhile stays valid until it expires (a refused one is renewed
    under the lock, which always reads the row). Only the thread that made the store touches
    the database; another thread that would have to gets OffThreadDatabaseAccess.
    """

    def __init__(self, integration: Integration) -> None:
        self.integration_id = integration.pk
        self.tenant_id = integration.tenant_id
        self._owner = threading.get_ident()
        self._cache: dict[str, TokenRecord | None] = {}
        self._renewing = 0

    def _check_thread(self) -> None:
        if threading.get_ident() != self._owner:
            raise OffThreadDatabaseAccess("the token store is used on another thread")

    def _row(self) -> Credential:
        self._check_thread()
        credential, _created = Credential.all_tenants.get_or_create(
            integration_id=self.integration_id, defaults={"tenant_id": self.tenant_id}
        )
        return credential

    @staticmethod
    def _records(credential: Credential) -> dict[str, dict]:
        return json.loads(credential.tokens) if credential.tokens else {}

    def load(self, key: str) -> TokenRecord | None:
        """The token record stored under ``key``, or None."""
        if not self._renewing and key in self._cache:
            return self._cache[key]
        data = self._records(self._row()).get(key)
        record = TokenRecord.from_dict(data) if data else None
        self._cache[key] = record
        return record

    def save(self, key: str, record: TokenRecord) -> None:
        """Store ``record`` under ``key``, row-locked so concurrent saves keep each other's keys.

        A token that names its company (``record.company_tenant_id``) fills the integration's
        empty ``company_tenant_id``: an integration activated before Werkbon read it gets it at
        its next token renewal (the sync renews at least once per token lifetime), so the
        webhook receiver recognises the company (docs/sync-rules.md, "Webhooks")."""
        self._check_thread()
        with transaction.atomic():
            credential = Credential.all_tenants.select_for_update().get(pk=self._row().pk)
            records = self._records(credential)
            records[key] = record.to_dict()
            credential.tokens = json.dumps(records)
            credential.save(update_fields=["tokens", "updated_at"])
            if record.company_tenant_id:
                Integration.all_tenants.filter(pk=self.integration_id, company_tenant_id="").update(
                    company_tenant_id=record.company_tenant_id[:100])
        self._cache[key] = record

    def clear(self) -> None:
        """Forget every token of the integration (the company must be connected again)."""
        self._check_thread()
        self._cache.clear()
        Credential.all_tenants.filter(integration_id=self.integration_id).update(tokens="")

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[object]:
        """Hold the Credential row lock while a token under ``key`` is renewed."""
        # A row lock (PostgreSQL) or the write lock of an IMMEDIATE transaction (SQLite)
        # makes every other process wait until this one has saved the renewed token.
        pk = self._row().pk
        self._renewing += 1
        try:
            with transaction.atomic():
                yield Credential.all_tenants.select_for_update().get(pk=pk)
        finally:
            self._renewing -= 1


class _RateLimitHook:
    """``on_rate_limited`` of one client: pauses the company (a database write). Called on a
    helper thread, it keeps the event until the job's thread calls :meth:`flush`."""

    def __init__(self, integration: Integration) -> None:
        self.integration = integration
        self.owner = threading.get_ident()
        self.deferred: list[RateLimitedEvent] = []
        self._mutex = threading.Lock()

    def __call__(self, event: RateLimitedEvent) -> None:
        if event.will_retry and (event.retry_after or 0) <= MAX_WAIT_IN_WORKER_SECONDS:
            return
        if threading.get_ident() != self.owner:
            with self._mutex:
                self.deferred.append(event)
            return
        _pause(self.integration, event)

    def flush(self) -> None:
        """Apply on this thread what helper threads saw."""
        with self._mutex:
            events, self.deferred = self.deferred, []
        for event in events:
            _pause(self.integration, event)


def flush_deferred(client: VismaNetClient) -> None:
    """Apply the rate-limit pauses that helper threads of ``client`` saw (see
    :class:`_RateLimitHook`); a client not made by :func:`client_for` has none."""
    hook = getattr(client, "werkbon_rate_limit_hook", None)
    if hook is not None:
        hook.flush()


def _pause(integration: Integration, event: RateLimitedEvent) -> None:
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


def retry_policy() -> RetryPolicy:
    """Retries inside a worker: at most 3 attempts, back-off and Retry-After capped at 5 seconds."""
    return RetryPolicy(max_attempts=3, backoff_cap=MAX_WAIT_IN_WORKER_SECONDS,
                       max_retry_after=MAX_WAIT_IN_WORKER_SECONDS)


_shared: dict[tuple[int, float], httpx.Client] = {}
_shared_lock = threading.Lock()


def shared_http_client() -> httpx.Client:
    """One ``httpx.Client`` per process (and timeout) for every job's VismaNetClient.

    Making an httpx.Client builds a TLS context (reading the CA bundle): about 10–30 ms of
    CPU, as much as the rest of an idle sync together. httpx.Client is thread-safe and
    keeps a connection pool, so the jobs of one worker process (threads pool) share it and
    reuse connections to Visma.net. Keyed by process id: a forked pool process makes its own.
    """
    key = (os.getpid(), float(settings.VISMANET_TIMEOUT_SECONDS))
    client = _shared.get(key)
    if client is None or client.is_closed:
        with _shared_lock:
            client = _shared.get(key)
            if client is None or client.is_closed:
                client = _shared[key] = httpx.Client(
                    timeout=settings.VISMANET_TIMEOUT_SECONDS,
                    limits=httpx.Limits(max_connections=200, max_keepalive_connections=50))
    return client


def client_for(integration: Integration, **overrides: object) -> VismaNetClient:
    """A client for the integration's company; close it after use (``with`` works).

    Raises nothing itself; calls raise ``vismanet`` errors (``ReconnectRequired`` when
    the user must connect again).
    """
    hook = _RateLimitHook(integration)
    options: dict[str, object] = {
        "client_id": settings.VISMANET_CLIENT_ID,
        "client_secret": settings.VISMANET_CLIENT_SECRET,
        "token_store": CredentialTokenStore(integration),
        "erp_base_url": settings.VISMANET_ERP_BASE_URL,
        "salesorder_base_url": settings.VISMANET_SALESORDER_BASE_URL,
        "connect_base_url": settings.VISMANET_CONNECT_BASE_URL,
        "context_base_url": settings.VISMANET_CONTEXT_BASE_URL,
        "retry_policy": retry_policy(),
        "on_rate_limited": hook,
        "timeout": settings.VISMANET_TIMEOUT_SECONDS,
        "http_client": shared_http_client(),
        "user_agent": "Werkbon/0.1 (+https://werkbon.example)",
    }
    options.update(overrides)
    client = VismaNetClient(**options)  # type: ignore[arg-type]
    client.werkbon_rate_limit_hook = hook  # type: ignore[attr-defined]
    return client


def record_quota(integration: Integration, client: VismaNetClient) -> None:
    """Keep the last seen X-RateLimit figures for the status page."""
    status = client.rate_limit
    if status is None:
        return
    Integration.all_tenants.filter(pk=integration.pk).update(
        quota_limit=status.limit, quota_remaining=status.remaining, quota_observed_at=status.observed_at
    )
