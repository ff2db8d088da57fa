"""The scheduler tick as a state machine (hypothesis): a clock that beat ticks every second,
tenants deactivated and activated again, paused by a rate limit, first imports running,
killed (their lease left behind) or lost, sync workers killed in the middle of a sync
(their lease left behind), jobs that never run because their queue has a backlog, exports
waiting in that backlog. After every tick:

* no job is enqueued for an inactive or paused integration;
* a sync is enqueued at most once per interval, a first import at most once per
  ``schedule.FIRST_IMPORT_RECHECK`` and never while its lease lives, an export at most once
  per ``SAFETY_NET_DELAY`` while the earlier job has not run (none twice at once);
* none is starved: an active, unpaused integration gets its sync (or its first import,
  once no lease holds it) within its interval (or the recheck) of when it was last
  enqueued or became runnable.

No network: the tick reads and writes the database only; the jobs are recorded, not run.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from werkbon.accounts.models import Tenant
from werkbon.integrations import leases, schedule, tasks
from werkbon.integrations.models import (
    ExportRecord,
    ExportStatus,
    Integration,
    IntegrationKind,
    IntegrationStatus,
    JobLease,
)
from werkbon.integrations.vismanet.export.outbox import SAFETY_NET_DELAY

START = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
INTERVALS = (30, 60, 90)
TENANTS = 3
JOBS = ("sync_first_import", "sync_incremental", "sync_cleanup", "export_work_order", "poll_document_status",
        "process_notifications")
RECHECK = int(schedule.FIRST_IMPORT_RECHECK.total_seconds())
SAFETY_NET = int(SAFETY_NET_DELAY.total_seconds())

indexes = st.integers(min_value=0, max_value=TENANTS - 1)


class TickMachine(RuleBasedStateMachine):
    """One simulated node: beat's tick every second; the workers are the rules."""

    monkeypatch: pytest.MonkeyPatch

    @initialize(importing=st.lists(st.booleans(), min_size=TENANTS, max_size=TENANTS))
    def start(self, importing: list[bool]) -> None:
        self.now = START
        self.monkeypatch.setattr(timezone, "now", lambda: self.now)
        self.enqueued: list[tuple[str, int, dt.datetime]] = []
        for name in JOBS:
            self.monkeypatch.setattr(getattr(tasks, name), "delay",
                                     lambda pk, _name=name: self.enqueued.append((_name, pk, self.now)))
        ExportRecord.all_tenants.all().delete()
        JobLease.objects.all().delete()
        Integration.all_tenants.all().delete()
        Tenant.objects.filter(slug__startswith="tick-").delete()
        self.pks: list[int] = []
        self.tenant_ids: list[int] = []
        for n in range(TENANTS):
            tenant = Tenant.objects.create(name=f"Tick {n}", slug=f"tick-{n}")
            integration = Integration.all_tenants.create(
                tenant=tenant, kind=IntegrationKind.VISMANET, status=IntegrationStatus.ACTIVE,
                sync_interval_seconds=INTERVALS[n % len(INTERVALS)],
                first_import_finished_at=None if importing[n] else START - dt.timedelta(days=1),
                next_cleanup_at=START + dt.timedelta(days=7), next_status_poll_at=START + dt.timedelta(days=7))
            self.pks.append(integration.pk)
            self.tenant_ids.append(tenant.pk)
        # Since when each integration may run (activated, pause over, first import done): a
        # job is owed from then on.
        self.runnable_since = {pk: START for pk in self.pks}
        self.exports: dict[int, int] = {}  # export record → integration pk
        self.lease_until: dict[tuple[int, str], dt.datetime] = {}

    # -- helpers ------------------------------------------------------------------------------

    def integration(self, index: int) -> Integration:
        return Integration.all_tenants.get(pk=self.pks[index])

    def last(self, name: str, pk: int, before: dt.datetime | None = None) -> dt.datetime | None:
        times = [at for job, job_pk, at in self.enqueued if job == name and job_pk == pk
                 and (before is None or at < before)]
        return max(times, default=None)

    def tick(self) -> None:
        before = len(self.enqueued)
        tasks.tick()
        for name, pk, at in self.enqueued[before:]:
            self.check_enqueue(name, pk, at)

    def check_enqueue(self, name: str, pk: int, at: dt.datetime) -> None:
        if name == "export_work_order":
            record = ExportRecord.all_tenants.get(pk=pk)
            integration = Integration.all_tenants.get(tenant_id=record.tenant_id)
            previous = self.last(name, pk, before=at)
            assert previous is None or (at - previous).total_seconds() >= SAFETY_NET, (
                f"export {pk} enqueued at {previous} and again at {at}, while the first never ran")
        else:
            integration = Integration.all_tenants.get(pk=pk)
        assert integration.is_active, f"{name} enqueued for the inactive integration {integration.pk}"
        assert not tasks._is_paused(integration), f"{name} enqueued for the paused integration {integration.pk}"
        if name == "sync_incremental":
            previous = self.last(name, pk, before=at)
            interval = integration.sync_interval_seconds
            assert previous is None or (at - previous).total_seconds() >= interval, (
                f"sync of {pk} enqueued twice within its interval: {previous}, {at}")
        if name == "sync_first_import":
            previous = self.last(name, pk, before=at)
            assert previous is None or (at - previous).total_seconds() >= RECHECK
            assert not JobLease.objects.filter(tenant_id=integration.tenant_id, job="first_import",
                                               leased_until__gt=at).exists()

    # -- the world ----------------------------------------------------------------------------

    @rule(seconds=st.integers(min_value=1, max_value=100))
    def time_passes(self, seconds: int) -> None:
        """Beat sends a tick every second, and a worker runs it at once (its own queue)."""
        for _ in range(seconds):
            self.now += dt.timedelta(seconds=1)
            self.tick()
            self.nobody_starved()

    @rule()
    def two_ticks_at_the_same_moment(self) -> None:
        self.tick()
        self.tick()

    @rule(index=indexes)
    def deactivate(self, index: int) -> None:
        Integration.all_tenants.filter(pk=self.pks[index]).update(status=IntegrationStatus.INACTIVE)

    @rule(index=indexes)
    def activate(self, index: int) -> None:
        pk = self.pks[index]
        if Integration.all_tenants.filter(pk=pk, status=IntegrationStatus.INACTIVE).update(
                status=IntegrationStatus.ACTIVE):
            self.runnable_since[pk] = self.now

    @rule(index=indexes, seconds=st.integers(min_value=1, max_value=300))
    def rate_limited(self, index: int, seconds: int) -> None:
        pk = self.pks[index]
        until = self.now + dt.timedelta(seconds=seconds)
        Integration.all_tenants.filter(pk=pk).update(paused_until=until)
        self.runnable_since[pk] = max(self.runnable_since[pk], until)

    @rule(index=indexes, job=st.sampled_from(["sync", "first_import"]))
    def worker_killed_in_the_middle(self, index: int, job: str) -> None:
        """A worker took the job's lease and died: the lease runs out by itself."""
        tenant = Tenant.objects.get(pk=self.tenant_ids[index])
        if leases.claim(tenant, job, leases.lease_seconds(job)):
            until = self.now + dt.timedelta(seconds=leases.lease_seconds(job))
            self.lease_until[(self.pks[index], job)] = until
            self.runnable_since[self.pks[index]] = max(self.runnable_since[self.pks[index]], until)

    @rule(index=indexes)
    def first_import_finishes(self, index: int) -> None:
        pk = self.pks[index]
        if Integration.all_tenants.filter(pk=pk, first_import_finished_at__isnull=True).update(
                first_import_finished_at=self.now):
            self.runnable_since[pk] = max(self.runnable_since[pk], self.now)

    @rule(index=indexes)
    def archived_work_order_waits_behind_a_backlog(self, index: int) -> None:
        """An export queued (its job sent at once) whose job waits behind other exports."""
        integration = self.integration(index)
        number = len(self.exports) + 1
        record = ExportRecord.all_tenants.create(
            tenant_id=integration.tenant_id, kind=IntegrationKind.VISMANET, work_order_number=number,
            status=ExportStatus.QUEUED, next_attempt_at=self.now + SAFETY_NET_DELAY)
        self.exports[record.pk] = integration.pk
        self.enqueued.append(("export_work_order", record.pk, self.now))

    # -- invariants ---------------------------------------------------------------------------

    def nobody_starved(self) -> None:
        for pk in self.pks:
            integration = Integration.all_tenants.get(pk=pk)
            if not integration.is_active or tasks._is_paused(integration):
                continue
            if integration.first_import_finished_at is None:
                name, bound = "sync_first_import", RECHECK
                if JobLease.objects.filter(tenant_id=integration.tenant_id, job="first_import",
                                           leased_until__gt=self.now).exists():
                    continue
            else:
                name, bound = "sync_incremental", integration.sync_interval_seconds
            since = max(filter(None, [self.last(name, pk), self.runnable_since[pk]]))
            assert (self.now - since).total_seconds() <= bound + 1, (
                f"integration {pk} starved: nothing since {since}, now {self.now}")


@pytest.mark.django_db
def test_the_tick_enqueues_each_due_job_once_and_starves_nobody(monkeypatch):
    machine = type("Tick", (TickMachine,), {"monkeypatch": monkeypatch})
    run_state_machine_as_test(machine, settings=settings(
        max_examples=15, stateful_step_count=15, derandomize=True, database=None, deadline=None,
        print_blob=False, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))


@pytest.mark.django_db
def test_a_waiting_notification_is_enqueued_once_per_recheck_not_every_tick(monkeypatch):
    """A notification whose job waits in a busy queue (or was lost): the tick sends its job
    again only after ``NOTIFICATION_RECHECK_SECONDS``, not once a second."""
    from werkbon.integrations.models import WebhookNotification

    now = [START]
    monkeypatch.setattr(timezone, "now", lambda: now[0])
    sent: list[dt.datetime] = []
    monkeypatch.setattr(tasks.process_notifications, "delay", lambda pk: sent.append(now[0]))
    tenant = Tenant.objects.create(name="Haak", slug="tick-haak")
    integration = Integration.all_tenants.create(
        tenant=tenant, kind=IntegrationKind.VISMANET, status=IntegrationStatus.ACTIVE,
        first_import_finished_at=START - dt.timedelta(days=1), next_sync_at=START + dt.timedelta(days=1),
        next_cleanup_at=START + dt.timedelta(days=7), next_status_poll_at=START + dt.timedelta(days=7))
    WebhookNotification.all_tenants.create(
        tenant=tenant, integration=integration, notification_id="n1", entity="Customer", object_key="10001",
        notified_at=START)
    WebhookNotification.all_tenants.update(received_at=START - dt.timedelta(seconds=5))
    for second in range(61):
        now[0] = START + dt.timedelta(seconds=second)
        tasks.tick()
    recheck = tasks.NOTIFICATION_RECHECK_SECONDS
    assert sent[0] == START  # at once, then again only once the claim ran out (a lost job)
    assert len(sent) == 2 and recheck <= (sent[1] - sent[0]).total_seconds() <= recheck + 1
