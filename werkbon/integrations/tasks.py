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
from werkbon.integrations import leases, registry, schedule
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
# A due export the tick enqueued is due again after this long, unless its job ran (the job
# moves next_attempt_at itself): a lost job is sent again, a waiting one not every tick.
EXPORT_RECHECK = dt.timedelta(seconds=30)

# Time limits (seconds; soft raises SoftTimeLimitExceeded in the job, hard kills it), so one
# job can never hold a worker. An export stops well within its lease (LEASE_SECONDS); its
# attempt then ends as a transient failure, bounded like any other. The imports are
# resumable (the tick starts them again where they stopped).
TICK_LIMITS = {"soft_time_limit": 30, "time_limit": 60}
EXPORT_LIMITS = {"soft_time_limit": 240, "time_limit": 280}
SYNC_LIMITS = {"soft_time_limit": 900, "time_limit": 960}
FIRST_IMPORT_LIMITS = {"soft_time_limit": 3600, "time_limit": 3660}


# At most this many integrations per tick, the longest overdue first: with more due at once
# the next tick goes on where this one stopped, so a burst never makes one tick run long and
# no tenant is starved (whoever waits longest comes first).
TICK_BATCH = 2000


def _is_paused(integration: Integration) -> bool:
    return bool(integration.paused_until and integration.paused_until > timezone.now())


def _due(field: str, now: dt.datetime) -> Q:
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lte": now})


@shared_task(name="werkbon.integrations.tasks.tick", ignore_result=True, **TICK_LIMITS)
def tick() -> int:
    """Enqueue every job that is due; returns how many were enqueued.

    One indexed range query finds the integrations with due work
    (``Integration.next_due_at <= now``, a column the database keeps); an integration with
    nothing due costs nothing, so the tick's work grows with the due jobs, not with the
    tenants. Each due job is claimed with a conditional UPDATE (still due → next time), so
    two ticks at once never enqueue it twice.
    """
    now = timezone.now()
    enqueued = 0
    due = list(
        Integration.all_tenants.filter(next_due_at__lte=now)
        .order_by("next_due_at", "pk")[:TICK_BATCH]  # whole rows: schedule.next_sync_due may read any field
    )
    importing = [i for i in due if i.first_import_finished_at is None]
    leased = dict(JobLease.objects.filter(
        job="first_import", leased_until__gt=now, tenant_id__in=[i.tenant_id for i in importing]
    ).values_list("tenant_id", "leased_until")) if importing else {}
    for integration in due:
        pk = integration.pk
        if integration.first_import_finished_at is None:
            # next_sync_at is when to look again: the end of the running import's lease, or
            # a short while after enqueuing it (schedule.FIRST_IMPORT_RECHECK).
            running_until = leased.get(integration.tenant_id)
            look_again = running_until or now + schedule.FIRST_IMPORT_RECHECK
            claimed = Integration.all_tenants.filter(
                _due("next_sync_at", now), pk=pk, first_import_finished_at__isnull=True
            ).update(next_sync_at=look_again)
            if claimed and running_until is None:
                sync_first_import.delay(pk)
                enqueued += 1
            continue
        if integration.next_sync_at is None or integration.next_sync_at <= now:
            next_at = schedule.next_sync_due(integration, now)
            if Integration.all_tenants.filter(_due("next_sync_at", now), pk=pk).update(next_sync_at=next_at):
                sync_incremental.delay(pk)
                enqueued += 1
        cleanup_due = integration.next_cleanup_at is None or integration.next_cleanup_at <= now
        if cleanup_due and Integration.all_tenants.filter(_due("next_cleanup_at", now), pk=pk).update(
                next_cleanup_at=now + CLEANUP_INTERVAL):
            sync_cleanup.delay(pk)
            enqueued += 1
        enqueued += _status_poll(integration, now)
    enqueued += _waiting_notifications(now)
    due_exports = list(ExportRecord.all_tenants.filter(
        status__in=RETRYABLE_EXPORT_STATES, next_attempt_at__lte=now
    ).values_list("pk", "tenant_id", "kind")[:TICK_BATCH])
    if due_exports:
        runnable = set(Integration.all_tenants.filter(
            tenant_id__in={tenant_id for _, tenant_id, _ in due_exports}, status=IntegrationStatus.ACTIVE,
        ).filter(Q(paused_until__isnull=True) | Q(paused_until__lte=now)).values_list("tenant_id", "kind"))
        for record_id, tenant_id, kind in due_exports:
            # Claimed like a sync (still due → EXPORT_RECHECK later): while its job waits in the
            # export queue (a burst), the next ticks do not send it again every second.
            if (tenant_id, kind) in runnable and ExportRecord.all_tenants.filter(
                    pk=record_id, status__in=RETRYABLE_EXPORT_STATES, next_attempt_at__lte=now,
            ).update(next_attempt_at=now + EXPORT_RECHECK):
                export_work_order.delay(record_id)
                enqueued += 1
    return enqueued


NOTIFICATION_GRACE = dt.timedelta(seconds=2)  # the receiver enqueues at once; the tick catches what is left
# The tick's job for waiting notifications is claimed for this long (a lease of its own, never
# released, that simply runs out): a job waiting in a busy queue is not sent again every tick,
# a lost one is sent again after this long.
NOTIFICATION_RECHECK_SECONDS = 30
NOTIFICATION_CLAIM_JOB = "notifications_enqueued"


def _lease_is_live(tenant_id: int, job: str, now: dt.datetime) -> bool:
    return JobLease.objects.filter(tenant_id=tenant_id, job=job, leased_until__gt=now).exists()


def _status_poll(integration: Integration, now: dt.datetime) -> int:
    """The slow poll of exported documents' status, when due (checked whenever the tick visits
    the integration for its sync, so at most one sync interval late); returns 0 or 1."""
    if integration.next_status_poll_at is not None and integration.next_status_poll_at > now:
        return 0
    if Integration.all_tenants.filter(_due("next_status_poll_at", now), pk=integration.pk).update(
        next_status_poll_at=now + dt.timedelta(seconds=django_settings.VISMANET_STATUS_POLL_SECONDS)
    ):
        poll_document_status.delay(integration.pk)
        return 1
    return 0


def _waiting_notifications(now: dt.datetime) -> int:
    """Webhook notifications left waiting (their job lost, or the poll held the lease): one
    indexed query (outcome, received_at) whose work grows with the waiting notifications only;
    returns how many jobs were enqueued."""
    waiting = set(WebhookNotification.all_tenants.filter(
        outcome=WebhookOutcome.PENDING, received_at__lte=now - NOTIFICATION_GRACE,
    ).values_list("integration_id", flat=True).distinct()[:TICK_BATCH])
    if not waiting:
        return 0
    enqueued = 0
    runnable = Integration.all_tenants.select_related("tenant").filter(
        pk__in=waiting, status=IntegrationStatus.ACTIVE).filter(Q(paused_until__isnull=True) | Q(paused_until__lte=now))
    for integration in runnable:
        if not _lease_is_live(integration.tenant_id, "sync", now) and leases.claim(
                integration.tenant, NOTIFICATION_CLAIM_JOB, NOTIFICATION_RECHECK_SECONDS):
            process_notifications.delay(integration.pk)
            enqueued += 1
    return enqueued


def _run(integration_id: int, job: str, method: str, limits: dict[str, int]) -> None:
    integration = Integration.all_tenants.select_related("tenant").filter(pk=integration_id).first()
    if integration is None or not integration.is_active:
        return  # deactivated since it was enqueued: stop at once
    with tenant_context(integration.tenant), lease(
            integration.tenant, job, lease_seconds(job), time_limit=limits["soft_time_limit"]) as holder:
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
    _run(integration_id, "first_import", "first_import", FIRST_IMPORT_LIMITS)


@shared_task(name="werkbon.integrations.tasks.sync_incremental", ignore_result=True, **SYNC_LIMITS)
def sync_incremental(integration_id: int) -> None:
    """One incremental import of every table (and orders, when set)."""
    _run(integration_id, "sync", "incremental_sync", SYNC_LIMITS)


@shared_task(name="werkbon.integrations.tasks.sync_cleanup", ignore_result=True, **SYNC_LIMITS)
def sync_cleanup(integration_id: int) -> None:
    """Remove what is gone or inactive in the accounting system (a few times a week)."""
    _run(integration_id, "cleanup", "cleanup", SYNC_LIMITS)


@shared_task(name="werkbon.integrations.tasks.process_notifications", ignore_result=True, **SYNC_LIMITS)
def process_notifications(integration_id: int) -> None:
    """Read again the records the waiting webhook notifications name (under the sync lease)."""
    _run(integration_id, "sync", "process_notifications", SYNC_LIMITS)


@shared_task(name="werkbon.integrations.tasks.poll_document_status", ignore_result=True, **SYNC_LIMITS)
def poll_document_status(integration_id: int) -> None:
    """The slow poll of exported documents' status."""
    _run(integration_id, "document_status", "poll_document_status", SYNC_LIMITS)


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
