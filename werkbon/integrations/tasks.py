"""Background jobs of the integrations, one tenant per job (Celery).

``tick`` runs every second from beat (``WERKBON_SCHEDULER_TICK_SECONDS``) and only reads
the database: it enqueues the jobs that are due. The jobs themselves take a lease per
tenant and kind (:mod:`werkbon.integrations.leases`), so the same tenant's job never runs
twice at once while other tenants go on. A rate-limited company is paused
(``Integration.paused_until``) instead of sleeping inside a worker, so it never delays
another tenant. Because the tick re-enqueues unfinished work (a first import without a
live lease, exports that are due), a job lost with a killed worker is picked up again.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings as django_settings
from django.db.models import Q
from django.utils import timezone

from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations import registry
from werkbon.integrations.freshness import polling_interval
from werkbon.integrations.leases import DEFAULT_LEASE_SECONDS, lease, lease_seconds
from werkbon.integrations.models import (
    EXPORT_WORKABLE_STATES,
    ExportRecord,
    Integration,
    IntegrationStatus,
    JobLease,
    WebhookNotification,
    WebhookOutcome,
)

logger = logging.getLogger(__name__)

LEASE_SECONDS = DEFAULT_LEASE_SECONDS  # exports (export.job.STALE_AFTER counts on it)
CLEANUP_INTERVAL = dt.timedelta(days=2)  # "a few times a week" (manual 2.5, 7.3)
RETRYABLE_EXPORT_STATES = list(EXPORT_WORKABLE_STATES)

# Time limits (seconds; soft raises SoftTimeLimitExceeded in the job, hard kills it), so one
# job can never hold a worker. An export stops well within its lease (LEASE_SECONDS); its
# attempt then ends as a transient failure, bounded like any other. The imports are
# resumable (the tick starts them again where they stopped).
TICK_LIMITS = {"soft_time_limit": 30, "time_limit": 60}
EXPORT_LIMITS = {"soft_time_limit": 240, "time_limit": 280}
SYNC_LIMITS = {"soft_time_limit": 900, "time_limit": 960}
FIRST_IMPORT_LIMITS = {"soft_time_limit": 3600, "time_limit": 3660}


def _is_paused(integration: Integration) -> bool:
    return bool(integration.paused_until and integration.paused_until > timezone.now())


def _lease_is_live(integration: Integration, job: str) -> bool:
    return JobLease.objects.filter(
        tenant_id=integration.tenant_id, job=job, leased_until__gt=timezone.now()
    ).exists()


@shared_task(name="werkbon.integrations.tasks.tick", ignore_result=True, **TICK_LIMITS)
def tick() -> int:
    """Enqueue every job that is due; returns how many were enqueued."""
    now = timezone.now()
    enqueued = 0
    active = Integration.all_tenants.filter(status=IntegrationStatus.ACTIVE).filter(
        Q(paused_until__isnull=True) | Q(paused_until__lte=now)
    )
    for integration in active:
        if integration.first_import_finished_at is None:
            if not _lease_is_live(integration, "first_import"):
                sync_first_import.delay(integration.pk)
                enqueued += 1
            continue
        # Claim the slot with a conditional update so two beats never enqueue it twice.
        due = Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now)
        next_at = now + dt.timedelta(seconds=polling_interval(integration, now))
        if Integration.all_tenants.filter(due, pk=integration.pk).update(next_sync_at=next_at):
            sync_incremental.delay(integration.pk)
            enqueued += 1
        cleanup_due = Q(next_cleanup_at__isnull=True) | Q(next_cleanup_at__lte=now)
        if Integration.all_tenants.filter(cleanup_due, pk=integration.pk).update(
            next_cleanup_at=now + CLEANUP_INTERVAL
        ):
            sync_cleanup.delay(integration.pk)
            enqueued += 1
        enqueued += _webhook_jobs(integration, now)
    due_exports = ExportRecord.all_tenants.filter(
        status__in=RETRYABLE_EXPORT_STATES, next_attempt_at__lte=now
    ).values_list("pk", "tenant_id", "kind")
    for record_id, tenant_id, kind in due_exports:
        integration = Integration.all_tenants.filter(tenant_id=tenant_id, kind=kind).first()
        if integration and integration.is_active and not _is_paused(integration):
            export_work_order.delay(record_id)
            enqueued += 1
    return enqueued


NOTIFICATION_GRACE = dt.timedelta(seconds=2)  # the receiver enqueues at once; the tick catches what is left


def _webhook_jobs(integration: Integration, now: dt.datetime) -> int:
    """Webhook notifications left waiting (their job lost, or the poll held the lease), and the
    slow poll of exported documents' status when it is due; returns how many were enqueued."""
    enqueued = 0
    waiting = WebhookNotification.all_tenants.filter(
        integration_id=integration.pk, outcome=WebhookOutcome.PENDING, received_at__lte=now - NOTIFICATION_GRACE)
    if waiting.exists() and not _lease_is_live(integration, "sync"):
        process_notifications.delay(integration.pk)
        enqueued += 1
    due = Q(next_status_poll_at__isnull=True) | Q(next_status_poll_at__lte=now)
    if Integration.all_tenants.filter(due, pk=integration.pk).update(
        next_status_poll_at=now + dt.timedelta(seconds=django_settings.VISMANET_STATUS_POLL_SECONDS)
    ):
        poll_document_status.delay(integration.pk)
        enqueued += 1
    return enqueued


def _run(integration_id: int, job: str, method: str) -> None:
    integration = Integration.all_tenants.select_related("tenant").filter(pk=integration_id).first()
    if integration is None or not integration.is_active:
        return  # deactivated since it was enqueued: stop at once
    with tenant_context(integration.tenant), lease(integration.tenant, job, lease_seconds(job)) as holder:
        if holder is None:
            logger.info("%s for tenant %s already running", job, integration.tenant_id)
            return
        integration.refresh_from_db()
        if not integration.is_active or _is_paused(integration):
            return
        getattr(registry.get(integration.kind), method)(integration)


@shared_task(name="werkbon.integrations.tasks.sync_first_import", ignore_result=True, **FIRST_IMPORT_LIMITS)
def sync_first_import(integration_id: int) -> None:
    """The first import (resumable: it continues where a killed worker stopped)."""
    _run(integration_id, "first_import", "first_import")


@shared_task(name="werkbon.integrations.tasks.sync_incremental", ignore_result=True, **SYNC_LIMITS)
def sync_incremental(integration_id: int) -> None:
    """One incremental import of every table (and orders, when set)."""
    _run(integration_id, "sync", "incremental_sync")


@shared_task(name="werkbon.integrations.tasks.sync_cleanup", ignore_result=True, **SYNC_LIMITS)
def sync_cleanup(integration_id: int) -> None:
    """Remove what is gone or inactive in the accounting system (a few times a week)."""
    _run(integration_id, "cleanup", "cleanup")


@shared_task(name="werkbon.integrations.tasks.process_notifications", ignore_result=True, **SYNC_LIMITS)
def process_notifications(integration_id: int) -> None:
    """Read again the records the waiting webhook notifications name (under the sync lease)."""
    _run(integration_id, "sync", "process_notifications")


@shared_task(name="werkbon.integrations.tasks.poll_document_status", ignore_result=True, **SYNC_LIMITS)
def poll_document_status(integration_id: int) -> None:
    """The slow poll of exported documents' status."""
    _run(integration_id, "document_status", "poll_document_status")


@shared_task(name="werkbon.integrations.tasks.export_work_order", ignore_result=True, **EXPORT_LIMITS)
def export_work_order(record_id: int) -> None:
    """Export one archived work order (its outbox row) to the accounting system."""
    record = ExportRecord.all_tenants.select_related("tenant").filter(pk=record_id).first()
    if record is None or record.status not in RETRYABLE_EXPORT_STATES:
        return
    integration = Integration.all_tenants.filter(tenant_id=record.tenant_id, kind=record.kind).first()
    if integration is None or not integration.is_active or _is_paused(integration):
        return
    with tenant_context(record.tenant), lease(record.tenant, f"export:{record.pk}", LEASE_SECONDS) as holder:
        if holder is None:
            return
        record.refresh_from_db()
        if record.status in RETRYABLE_EXPORT_STATES:
            registry.get(record.kind).export(record)
