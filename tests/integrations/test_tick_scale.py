"""The scheduler tick at scale (issue 14): it finds the due integrations with one indexed
query and claims each due job with one conditional UPDATE, so its work grows with the due
jobs, not with the tenants. Over a simulated clock with 1,200 tenants: exactly the due
tenants are enqueued, every active tenant once per interval (none starved, none twice, also
when more are due than one tick takes, and when two ticks race), paused and inactive ones
never; the first import is enqueued again only after its lease ran out.

No network: the tick only reads and writes the database, and the enqueued jobs are recorded
instead of sent (the jobs themselves are proven in test_jobs_isolation and test_sync_*).
"""

from __future__ import annotations

import collections
import datetime as dt
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from werkbon.accounts.models import Tenant
from werkbon.integrations import schedule, tasks
from werkbon.integrations.models import (
    Integration,
    IntegrationKind,
    IntegrationStatus,
    JobLease,
)

pytestmark = pytest.mark.django_db

TENANTS = 1200
INTERVAL = 60  # seconds; the clock steps one second per tick
START = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
JOBS = ("sync_first_import", "sync_incremental", "sync_cleanup", "export_work_order")


@pytest.fixture
def enqueued(monkeypatch) -> list[tuple[str, int]]:
    calls: list[tuple[str, int]] = []
    for name in JOBS:
        monkeypatch.setattr(getattr(tasks, name), "delay", lambda pk, _name=name: calls.append((_name, pk)))
    return calls


@pytest.fixture
def clock(monkeypatch) -> list[dt.datetime]:
    """``clock[0]`` is what ``timezone.now()`` answers; tests move it."""
    moment = [START]
    monkeypatch.setattr(timezone, "now", lambda: moment[0])
    return moment


def make_tenants(count: int, **fields) -> list[Integration]:
    """``count`` tenants with an ACTIVE integration whose first import is done; their next
    syncs spread evenly over one interval from START (the first one due at START)."""
    first = Tenant.objects.count()
    tenants = Tenant.objects.bulk_create(
        Tenant(name=f"Schaal {n}", slug=f"schaal-{n}") for n in range(first, first + count))
    rows = []
    for n, tenant in enumerate(tenants):
        values = {
            "tenant": tenant, "kind": IntegrationKind.VISMANET, "status": IntegrationStatus.ACTIVE,
            "first_import_finished_at": START - dt.timedelta(days=1), "sync_interval_seconds": INTERVAL,
            "next_sync_at": START + dt.timedelta(seconds=n * INTERVAL // count),
            "next_cleanup_at": START + dt.timedelta(days=1),
        }
        rows.append(Integration(**{**values, **fields}))
    Integration.all_tenants.bulk_create(rows)
    return list(Integration.all_tenants.filter(tenant__in=tenants).order_by("pk"))


def syncs(calls) -> collections.Counter:
    return collections.Counter(pk for name, pk in calls if name == "sync_incremental")


def test_one_tick_enqueues_exactly_the_due_tenants_with_one_query_and_no_update_for_the_others(
        enqueued, clock):
    integrations = make_tenants(TENANTS)
    paused = integrations[:10]
    inactive = integrations[10:20]
    Integration.all_tenants.filter(pk__in=[i.pk for i in paused]).update(
        paused_until=START + dt.timedelta(minutes=5))
    Integration.all_tenants.filter(pk__in=[i.pk for i in inactive]).update(status=IntegrationStatus.INACTIVE)
    clock[0] = START + dt.timedelta(seconds=INTERVAL // 2)  # half of them are due
    expected = {i.pk for i in integrations[20:] if i.next_sync_at <= clock[0]}

    with CaptureQueriesContext(connection) as queries:
        tasks.tick()
    assert set(syncs(enqueued)) == expected
    assert max(syncs(enqueued).values()) == 1
    selects = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    updates = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    # The slow status poll of exported documents is claimed when the tick visits a due
    # integration (never for the others); the sync claims are counted apart.
    status_polls = [sql for sql in updates if 'SET "next_status_poll_at"' in sql]
    assert len(status_polls) <= len(expected)
    updates = [sql for sql in updates if sql not in status_polls]
    assert len(selects) <= 3  # the due integrations, the waiting notifications, the due exports
    assert len(updates) == len(expected)  # one claim per due job, nothing for the rest
    assert "next_due_at" in selects[0]

    enqueued.clear()
    with CaptureQueriesContext(connection) as queries:
        tasks.tick()  # the same moment again: nothing is due any more
    assert enqueued == []
    assert len(queries) <= 3


def test_the_query_plan_uses_the_index():
    make_tenants(50)
    sql, params = Integration.all_tenants.filter(next_due_at__lte=START).order_by("next_due_at", "pk") \
        .values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = off")  # 50 rows: the planner would scan; may it use the index?
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "integration_next_due" in plan, plan


def test_over_two_intervals_every_active_tenant_syncs_once_per_interval_none_twice_none_starved(
        enqueued, clock, monkeypatch):
    integrations = make_tenants(TENANTS)
    paused_one = integrations[0]
    Integration.all_tenants.filter(pk=paused_one.pk).update(paused_until=START + dt.timedelta(seconds=90))
    # A tick takes at most 7 integrations: more are due each second (20), so the backlog
    # grows and the longest-waiting go first; nobody is left behind for ever.
    monkeypatch.setattr(tasks, "TICK_BATCH", 7)
    per_interval: list[collections.Counter] = []

    def run_window(window: int) -> None:
        enqueued.clear()
        for second in range(INTERVAL):
            clock[0] = START + dt.timedelta(seconds=window * INTERVAL + second)
            tasks.tick()
        per_interval.append(syncs(enqueued))

    run_window(0)
    # 7 a tick, 420 in the interval, far fewer than are due: the longest waiting went first,
    # each once (the paused one is not due yet).
    assert list(per_interval[0]) == [i.pk for i in integrations[1:421]]
    assert set(per_interval[0].values()) == {1}

    monkeypatch.setattr(tasks, "TICK_BATCH", 2000)  # enough for the load: the steady state
    for window in range(1, 5):
        run_window(window)
    # Window 1 catches up the backlog (and the paused one after its pause); from then on
    # every active tenant exactly once an interval.
    assert paused_one.pk in per_interval[1]
    for counter in per_interval[1:]:
        assert max(counter.values()) == 1
    for counter in per_interval[2:]:
        assert set(counter) == {i.pk for i in integrations}
    # A claimed sync is due again one interval (schedule.next_sync_due) after it was claimed.
    for integration in Integration.all_tenants.filter(pk__in=[i.pk for i in integrations[:50]]):
        assert START + dt.timedelta(seconds=5 * INTERVAL) <= integration.next_sync_at
        assert integration.next_sync_at <= START + dt.timedelta(seconds=6 * INTERVAL)


def test_the_paused_tenant_waits_for_its_pause_and_then_goes_first(enqueued, clock):
    integrations = make_tenants(20)
    Integration.all_tenants.filter(pk=integrations[0].pk).update(paused_until=START + dt.timedelta(seconds=30))
    clock[0] = START + dt.timedelta(seconds=29)
    tasks.tick()
    assert integrations[0].pk not in syncs(enqueued)
    clock[0] = START + dt.timedelta(seconds=30)
    tasks.tick()
    assert syncs(enqueued)[integrations[0].pk] == 1


def test_two_ticks_at_once_never_enqueue_a_job_twice(enqueued, clock, monkeypatch):
    integrations = make_tenants(300)
    clock[0] = START + dt.timedelta(seconds=INTERVAL)  # all due
    real_delay = tasks.sync_incremental.delay
    raced = []

    def delay_while_another_beat_ticks(pk):
        real_delay(pk)
        if not raced:  # the other beat's tick runs now, after this tick read the due list
            raced.append(True)
            tasks.tick()

    monkeypatch.setattr(tasks.sync_incremental, "delay", delay_while_another_beat_ticks)
    tasks.tick()
    assert raced
    assert set(syncs(enqueued)) == {i.pk for i in integrations}
    assert set(syncs(enqueued).values()) == {1}


def test_the_first_import_is_enqueued_once_and_again_only_after_its_lease_ran_out(enqueued, clock):
    [integration] = make_tenants(1, first_import_finished_at=None, next_sync_at=None)
    tasks.tick()
    assert enqueued == [("sync_first_import", integration.pk)]
    for seconds in range(1, 15):  # queued, not yet started: not enqueued again every second
        clock[0] = START + dt.timedelta(seconds=seconds)
        tasks.tick()
    assert len(enqueued) == 1

    # A worker took it: its lease runs until START + 70 s.
    JobLease.objects.create(tenant_id=integration.tenant_id, job="first_import", holder="w1",
                            leased_until=START + dt.timedelta(seconds=70))
    for seconds in range(15, 70):
        clock[0] = START + dt.timedelta(seconds=seconds)
        tasks.tick()
    assert len(enqueued) == 1
    assert Integration.all_tenants.get(pk=integration.pk).next_sync_at == START + dt.timedelta(seconds=70)

    # The worker was killed: nobody renews the lease, the next tick after it ran out resumes.
    clock[0] = START + dt.timedelta(seconds=70)
    tasks.tick()
    assert enqueued == [("sync_first_import", integration.pk)] * 2

    # Finished: the next tick (when its recheck time came) starts the incremental syncs.
    Integration.all_tenants.filter(pk=integration.pk).update(first_import_finished_at=clock[0])
    clock[0] = START + dt.timedelta(seconds=70) + schedule.FIRST_IMPORT_RECHECK
    tasks.tick()
    assert enqueued == [("sync_first_import", integration.pk)] * 2 + [("sync_incremental", integration.pk)]


def test_next_due_at_follows_every_field_it_reads():
    [integration] = make_tenants(1)
    pk = integration.pk

    def due():
        return Integration.all_tenants.get(pk=pk).next_due_at

    assert due() == START
    Integration.all_tenants.filter(pk=pk).update(next_cleanup_at=START - dt.timedelta(hours=1))
    assert due() == START - dt.timedelta(hours=1)  # the earlier of sync and cleanup
    Integration.all_tenants.filter(pk=pk).update(paused_until=START + dt.timedelta(hours=1))
    assert due() == START + dt.timedelta(hours=1)  # not before the pause ends
    Integration.all_tenants.filter(pk=pk).update(paused_until=None, next_sync_at=None)
    assert due() < START  # never synced: due
    Integration.all_tenants.filter(pk=pk).update(status=IntegrationStatus.INACTIVE)
    assert due() is None  # inactive: never found by the tick


def test_a_job_past_its_soft_time_limit_stops_at_its_next_lease_renewal():
    """The threads pool cannot interrupt a task: the imports' soft limit is enforced by
    leases.renew, which the pipeline calls before every page."""
    from celery.exceptions import SoftTimeLimitExceeded

    from werkbon.integrations import leases

    [integration] = make_tenants(1)
    tenant = integration.tenant
    with leases.lease(tenant, "sync", 60, time_limit=30) as holder:
        assert holder
        leases.renew(tenant.pk, "sync")  # within the limit
    with leases.lease(tenant, "sync", 60, time_limit=0.001) as holder:
        assert holder
        time.sleep(0.01)
        with pytest.raises(SoftTimeLimitExceeded):
            leases.renew(tenant.pk, "sync")
    assert JobLease.objects.get(tenant=tenant, job="sync").holder == ""  # released all the same
