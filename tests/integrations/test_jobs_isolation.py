"""Background jobs per tenant (issue 4 "Background jobs"), against the sandbox over HTTP on a
real database: one tenant's job of a kind never runs twice at once (its lease); one tenant's
rate limit or failure never delays another tenant within the same tick round, and the tick
itself never sleeps; the cleanup is scheduled by the tick a few times a week (every two days).
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from vismanet_sandbox import demo
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations import leases, tasks
from werkbon.integrations.models import (
    ExportAttempt,
    ExportRecord,
    ExportStatus,
    Integration,
    LogEntry,
    LogLevel,
    SyncState,
    SyncTable,
)
from werkbon.workorders.models import Customer

from .conftest import archived_work_order, connect, make_integration

pytestmark = pytest.mark.django_db

A = demo.DEMO_TENANT_ID
B = demo.SMALL_TENANT_ID
JOBS = ("sync_first_import", "sync_incremental", "sync_cleanup", "export_work_order")


@pytest.fixture
def enqueued(monkeypatch) -> list[tuple[str, int]]:
    """What the tick enqueues, as (task name, id), instead of sending it to a broker."""
    calls: list[tuple[str, int]] = []
    for name in JOBS:
        monkeypatch.setattr(getattr(tasks, name), "delay", lambda pk, _name=name: calls.append((_name, pk)))
    return calls


def our_orders(sandbox, company: str, marker: str) -> list[dict]:
    return [o for o in sandbox.control.sales_orders(company) if (o.get("customer") or {}).get("order") == marker]


def run_round(calls: list[tuple[str, int]]) -> None:
    """Run what one tick enqueued, in the order it was enqueued (as one worker would)."""
    for name, pk in calls:
        getattr(tasks, name)(pk)


def no_sleep(seconds: float) -> None:
    raise AssertionError(f"the tick slept {seconds} s")


# ---- 1. never twice at once ------------------------------------------------------------------

def test_a_tenants_sync_does_nothing_while_its_lease_is_held_and_runs_once_released(
        vismanet_integration, tenant_a, sandbox):
    holder = leases.claim(tenant_a, "sync", leases.lease_seconds("sync"))
    assert holder is not None
    sandbox.control.clear_requests()
    tasks.sync_incremental(vismanet_integration.pk)  # another worker holds the tenant's "sync"
    assert sandbox.control.request_count(company=A) == 0
    with tenant_context(tenant_a):
        assert not Customer.objects.exists()
        assert not SyncState.objects.filter(last_run_at__isnull=False).exists()

    leases.release(tenant_a, "sync", holder)
    tasks.sync_incremental(vismanet_integration.pk)
    assert sandbox.control.request_count(company=A, path="customer") > 0
    with tenant_context(tenant_a):
        assert Customer.objects.filter(number=demo.FIRST_CUSTOMER).exists()
        assert SyncState.objects.get(table=SyncTable.CUSTOMERS).last_run_at is not None


# ---- 2. one tenant's rate limit or failure never delays another -------------------------------

@pytest.mark.parametrize("trouble", ["rate_limited", "fault_429", "token_revoked"])
def test_one_tick_round_handles_tenant_b_while_tenant_a_is_paused_or_failing(
        vismanet_integration, tenant_a, office_a, tech_a, tenant_b, office_b, tech_b, sandbox, enqueued,
        monkeypatch, trouble):
    if trouble == "token_revoked":
        # Revoke every token there is (A's), then connect B afresh: only A's consent is gone.
        sandbox.control.expire_tokens(revoke_refresh_tokens=True)
    integration_a = vismanet_integration
    integration_b = make_integration(tenant_b, default_warehouse=demo.SMALL_WAREHOUSE)
    Integration.all_tenants.filter(pk=integration_b.pk).update(
        company_name=demo.SMALL_COMPANY_NAME, company_number=str(demo.SMALL_COMPANY_NUMBER))
    connect(integration_b, sandbox.url, B)
    if trouble == "rate_limited":
        # A's company allows one call an hour: its next call gets a real 429, Retry-After ≈ 3600 s.
        sandbox.control.settings(A, rateLimit={"limit": 1, "windowSeconds": 3600, "policy": "4-fixed-window"})

    with tenant_context(tenant_a):
        archived_work_order(office_a, tech_a)
    with tenant_context(tenant_b):
        archived_work_order(office_b, tech_b, customer=demo.SMALL_FIRST_CUSTOMER,
                                      materials=(("KLEIN-MAT", "1"),))
    now = timezone.now()
    ExportRecord.all_tenants.update(next_attempt_at=now - dt.timedelta(seconds=1))  # both due
    Integration.all_tenants.update(next_sync_at=None)  # both syncs due
    record_a = ExportRecord.all_tenants.get(tenant=tenant_a)
    record_b = ExportRecord.all_tenants.get(tenant=tenant_b)

    with monkeypatch.context() as patched:  # a job may wait out a short Retry-After; the tick never
        patched.setattr(time, "sleep", no_sleep)
        started = time.monotonic()
        tasks.tick()
        assert time.monotonic() - started < 2
    assert sorted(enqueued) == sorted([
        ("sync_incremental", integration_a.pk), ("sync_incremental", integration_b.pk),
        ("export_work_order", record_a.pk), ("export_work_order", record_b.pk)])

    if trouble == "fault_429":
        # The sandbox's fault injection answers the next API call with a real 429, Retry-After
        # one hour; A's jobs run first in this round, so A's sync is the one that gets it.
        sandbox.control.fault("status", status=429, retryAfter=3600, path="^/(API|api|v1|v2)", count=1)
        ours = {("sync_incremental", integration_a.pk), ("export_work_order", record_a.pk)}
        enqueued.sort(key=lambda job: job not in ours)
    started = time.monotonic()
    run_round(list(enqueued))
    assert time.monotonic() - started < 60

    # B: its sync and its export completed in this round.
    record_b.refresh_from_db()
    assert record_b.status == ExportStatus.SENT, record_b.last_error
    assert len(our_orders(sandbox, B, record_b.marker)) == 1
    with tenant_context(tenant_b):
        assert Customer.objects.filter(number=demo.SMALL_FIRST_CUSTOMER).exists()
        assert SyncState.objects.get(table=SyncTable.CUSTOMERS).last_run_at is not None
    # A: nothing sent, and paused (no attempt) or failed (one error saying to reconnect).
    record_a.refresh_from_db()
    assert our_orders(sandbox, A, record_a.marker) == []
    integration_a.refresh_from_db()
    if trouble in ("rate_limited", "fault_429"):
        assert integration_a.paused_until is not None
        assert integration_a.paused_until > timezone.now() + dt.timedelta(minutes=50)
        assert record_a.status == ExportStatus.QUEUED
        assert not ExportAttempt.all_tenants.filter(export=record_a).exists()  # skipped, not tried
        assert sandbox.control.request_count(company=A, status="429") >= 1
        # The next round enqueues nothing for A until the pause ends; B goes on.
        enqueued.clear()
        ExportRecord.all_tenants.filter(pk=record_a.pk).update(next_attempt_at=timezone.now())
        Integration.all_tenants.update(next_sync_at=None)
        tasks.tick()
        assert enqueued == [("sync_incremental", integration_b.pk)]
    else:
        assert integration_a.paused_until is None
        assert record_a.status == ExportStatus.FAILED
        with tenant_context(tenant_a):
            assert LogEntry.objects.filter(level=LogLevel.ERROR).exists()
    with tenant_context(tenant_b):
        assert not LogEntry.objects.filter(level=LogLevel.ERROR).exists()


# ---- 6. cleanup a few times a week ------------------------------------------------------------

def test_the_tick_enqueues_the_cleanup_when_it_is_due_and_not_before(vismanet_integration, tenant_a, sandbox,
                                                                       enqueued):
    pk = vismanet_integration.pk
    now = timezone.now()
    Integration.all_tenants.filter(pk=pk).update(next_sync_at=now + dt.timedelta(days=1),
                                                 next_cleanup_at=now + dt.timedelta(minutes=1))
    tasks.tick()
    assert ("sync_cleanup", pk) not in enqueued

    Integration.all_tenants.filter(pk=pk).update(next_cleanup_at=now - dt.timedelta(seconds=1))
    tasks.tick()
    assert enqueued == [("sync_cleanup", pk)]
    next_at = Integration.all_tenants.get(pk=pk).next_cleanup_at
    assert dt.timedelta(days=2) - dt.timedelta(minutes=1) < next_at - now < dt.timedelta(days=2, minutes=1)
    tasks.tick()
    assert enqueued == [("sync_cleanup", pk)]  # not again until then

    with tenant_context(tenant_a):
        Customer.objects.create(number="LOKAAL-1", name="Alleen in Werkbon")
    sandbox.control.clear_requests()
    tasks.sync_cleanup(pk)  # the enqueued job runs against Visma.net and removes what is only local
    assert sandbox.control.request_count(company=A, path="customer") > 0
    with tenant_context(tenant_a):
        assert not Customer.objects.filter(number="LOKAAL-1").exists()
    assert Integration.all_tenants.get(pk=pk).next_cleanup_at == next_at  # the run keeps the schedule
