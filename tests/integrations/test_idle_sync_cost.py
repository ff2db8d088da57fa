"""The cost of an idle incremental sync (issue 14, tenants per node): its statements do not
grow with its pages, the lease is written only at the claim and the release (unless it runs
short), and the lease's read doubles as the deactivation check, which still stops the run
at the next page.

An idle company: records last changed long ago. Once a sync has run, its watermark is the
signpost (Visma.net's time when it read), so the next sync's lists come back empty; a company
whose last changes are minutes old re-reads them in the overlap window.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from vismanet_sandbox import demo
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations import leases, tasks
from werkbon.integrations.models import Integration, IntegrationStatus, JobLease, SyncState
from werkbon.integrations.vismanet import sync
from werkbon.integrations.vismanet.sync import pipeline

from .conftest import make_integration

pytestmark = pytest.mark.django_db

T = demo.DEMO_TENANT_ID
LONG_AGO = dt.datetime(2025, 6, 1, 8, 0)


def _stamp(n: int) -> str:
    return (LONG_AGO - dt.timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%S.000")  # Visma.net's format


def _customers(count: int) -> list[dict]:
    return [{"number": str(100000 + n), "name": f"Klant {n} B.V.", "status": "Active",
             "mainAddress": {"addressLine1": f"Hoofdstraat {n + 1}", "postalCode": "3511 AB", "city": "Utrecht",
                             "countryId": "NL"},
             "lastModifiedDateTime": _stamp(n)} for n in range(count)]


def _items(count: int) -> list[dict]:
    return [{"inventoryNumber": f"ART-{n:05d}", "description": f"Artikel {n}", "type": "NonStockItem",
             "status": "Active", "baseUnit": "STK", "salesUnit": "STK", "defaultPrice": 10, "stockItem": False,
             "itemClass": {"id": "DIENST", "description": "Dienst"},
             "lastModifiedDateTime": _stamp(n)} for n in range(count)]


@pytest.fixture
def idle(tenant_a, sandbox, connect_integration) -> Integration:
    """Tenant A's integration on a company nobody edits, first import done (6 customers and
    6 items fall in the overlap window of every later sync)."""
    sandbox.control.reset("empty")
    sandbox.control.add_customers(T, _customers(30))
    sandbox.control._call("POST", f"/companies/{T}/inventory", json=_items(20))
    integration = make_integration(tenant_a)
    Integration.all_tenants.filter(pk=integration.pk).update(first_import_finished_at=None)
    integration.refresh_from_db()
    connect_integration(integration)
    with tenant_context(tenant_a):
        sync.first_import(integration)
    tasks.sync_incremental(integration.pk)  # the first sync after the import moves the signposts
    return integration


def _statements(queries: CaptureQueriesContext, table: str, verb: str) -> list[str]:
    pattern = re.compile(rf'^\s*{verb}\b.*\bFROM "?{table}"?|^\s*{verb} "?{table}"?\b', re.S | re.I)
    return [q["sql"] for q in queries.captured_queries if pattern.search(q["sql"])]


def _sync_statements(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries
            if not re.match(r"\s*(BEGIN|COMMIT|SAVEPOINT|RELEASE|ROLLBACK)\b", q["sql"], re.I)]


def _touch_recently(sandbox) -> None:
    """Six customers and six items changed a minute ago without a real change: they fall in
    the overlap window of the next syncs, and storing them changes nothing."""
    recent = (timezone.now() - dt.timedelta(minutes=1)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000")
    for n in range(6):
        sandbox.control.change_customer(T, str(100000 + n), {"lastModifiedDateTime": recent})
        sandbox.control.change_item(T, f"ART-{n:05d}", {"lastModifiedDateTime": recent})


def test_an_idle_company_reads_empty_lists_once_its_watermark_is_the_signpost(idle, sandbox, monkeypatch):
    """The watermark after a run is Visma.net's time when it read (the signpost), not the
    last change of long ago: the next run asks for ``>= signpost - 5 min`` and gets nothing."""
    for table in ("customers", "items"):
        watermark = SyncState.all_tenants.get(integration=idle, table=table).watermark
        # not LONG_AGO: the signpost less the skew it trusts (pipeline.SIGNPOST_TRUST)
        assert watermark > timezone.now() - pipeline.SIGNPOST_TRUST - dt.timedelta(minutes=5), table
    read = []
    real_read_page = pipeline.read_page

    def counting(client, source, number, page_size=None):
        page = real_read_page(client, source, number, page_size)
        read.append((dict(source.options).get("last_modified") is not None, len(page.records)))
        return page

    monkeypatch.setattr(pipeline, "read_page", counting)
    tasks.sync_incremental(idle.pk)
    delta_reads = [records for filtered, records in read if filtered]
    assert delta_reads and sum(delta_reads) == 0, read  # items, customers, locations: empty
    _touch_recently(sandbox)
    read.clear()
    tasks.sync_incremental(idle.pk)
    assert sum(records for filtered, records in read if filtered) == 12  # a change is still read
    with tenant_context(idle.tenant):
        from werkbon.workorders.models import Customer

        assert Customer.objects.count() == 30


def test_an_idle_syncs_statements_do_not_grow_with_its_pages(idle, sandbox):
    _touch_recently(sandbox)
    tasks.sync_incremental(idle.pk)  # stores the touched records (no change) once
    sandbox.control.clear_requests()
    with CaptureQueriesContext(connection) as one_page:
        tasks.sync_incremental(idle.pk)
    requests_one_page = sandbox.control.request_count()
    sandbox.control.settings(T, maxPageSize=2)  # the 6 touched customers: 3 pages
    sandbox.control.clear_requests()
    with CaptureQueriesContext(connection) as many_pages:
        tasks.sync_incremental(idle.pk)
    pages = sandbox.control.request_count()
    assert pages >= requests_one_page + 2, (pages, requests_one_page)  # the customers: 3 pages

    for queries in (one_page, many_pages):
        # The lease: written at the claim and the release only (300 s, a sync of a second).
        assert len(_statements(queries, "integrations_joblease", "UPDATE")) == 2
        # The table states: read in one query; the idle tables' last_run_at in one UPDATE.
        assert len(_statements(queries, "integrations_syncstate", "SELECT")) == 1
        assert len(_statements(queries, "integrations_syncstate", "UPDATE")) == 1
        # No separate "still active?" query per page: the lease's read checks it.
        assert not [sql for sql in _statements(queries, "integrations_integration", "SELECT")
                    if "SELECT 1" in sql.upper()]
    # One lease read per page; everything else stays the same.
    page_reads = [len(_statements(q, "integrations_joblease", "SELECT")) for q in (one_page, many_pages)]
    assert page_reads[1] - page_reads[0] >= 2
    assert len(_sync_statements(one_page)) <= 20, _sync_statements(one_page)  # was 36 (issue 14)
    for table in ("items", "customers", "work_addresses", "item_groups"):
        assert SyncState.all_tenants.get(integration=idle, table=table).last_run_at > timezone.now() - dt.timedelta(seconds=30)


def test_the_lease_is_written_only_once_it_ran_short(tenant_a):
    seconds = leases.lease_seconds("sync")
    with leases.lease(tenant_a, "sync", seconds) as holder:
        assert holder
        until = JobLease.objects.get(job="sync").leased_until
        with CaptureQueriesContext(connection) as fresh:
            leases.renew(tenant_a.pk, "sync")
        assert JobLease.objects.get(job="sync").leased_until == until  # plenty left: not written
        assert not [q for q in fresh.captured_queries if q["sql"].upper().startswith("UPDATE")]
        short = timezone.now() + dt.timedelta(seconds=seconds - leases.RENEW_AFTER_SECONDS - 5)
        JobLease.objects.filter(job="sync").update(leased_until=short)
        leases.renew(tenant_a.pk, "sync")
        assert JobLease.objects.get(job="sync").leased_until > timezone.now() + dt.timedelta(seconds=seconds - 5)
        JobLease.objects.filter(job="sync").update(holder="another-worker")  # ours ran out meanwhile
        with pytest.raises(leases.LeaseLost):
            leases.renew(tenant_a.pk, "sync")  # found by the read, with plenty of time left


def test_a_deactivation_stops_a_leased_sync_at_the_next_page(idle, tenant_a, sandbox, monkeypatch):
    sandbox.control.settings(T, maxPageSize=2)
    read_page = pipeline.read_page
    fetched: list[int] = []

    def fetch(*args, **kwargs):
        fetched.append(1)
        if len(fetched) == 2:
            Integration.all_tenants.filter(pk=idle.pk).update(status=IntegrationStatus.INACTIVE)
        return read_page(*args, **kwargs)

    monkeypatch.setattr(pipeline, "read_page", fetch)
    with tenant_context(tenant_a), leases.lease(tenant_a, "sync", leases.lease_seconds("sync")) as holder:
        assert holder
        sync.incremental(idle)
    assert len(fetched) == 2  # the lease's read before the third page saw the deactivation
    assert JobLease.objects.get(tenant=tenant_a, job="sync").holder == ""  # released all the same


def test_a_table_read_before_the_signpost_was_known_keeps_its_watermark(idle, sandbox):
    """The items are read before the customers. When their list is empty and only the
    customers' answer brings the signpost, Visma.net's time was not known when the items were
    read: their watermark stays (a change made between the two reads is not skipped)."""
    held = (timezone.now() - dt.timedelta(minutes=1)).replace(microsecond=0)
    SyncState.all_tenants.filter(integration=idle, table="items").update(watermark=held)
    recent = (timezone.now() - dt.timedelta(seconds=30)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000")
    sandbox.control.change_customer(T, "100001", {"lastModifiedDateTime": recent})
    tasks.sync_incremental(idle.pk)
    assert SyncState.all_tenants.get(integration=idle, table="items").watermark == held
    customers = SyncState.all_tenants.get(integration=idle, table="customers").watermark
    assert customers.microsecond == 0 and customers >= held  # the signpost (an HTTP Date)


def test_the_watermark_rule():
    signpost = dt.datetime(2026, 1, 15, 9, tzinfo=dt.UTC)
    now = signpost + dt.timedelta(seconds=2)  # our clock
    long_ago = signpost - dt.timedelta(days=30)
    recent = signpost - dt.timedelta(minutes=10)
    trusted = signpost - pipeline.SIGNPOST_TRUST
    # Anchored: raised from an old stamp to the signpost less the trusted skew.
    assert pipeline.watermark_after(long_ago, signpost, True, "customers", now) == trusted
    assert pipeline.watermark_after(None, signpost, True, "customers", now) == trusted
    # A stamp newer than that stays (capped by the signpost, as capped()).
    assert pipeline.watermark_after(recent, signpost, True, "customers", now) == recent
    assert pipeline.watermark_after(signpost + dt.timedelta(days=1), signpost, True, "customers", now) == signpost
    # A Date a day ahead of our clock: the raise stops short of our clock instead.
    ahead = signpost + dt.timedelta(days=1)
    assert pipeline.watermark_after(long_ago, ahead, True, "customers", now) == now - pipeline.SIGNPOST_TRUST
    # Not anchored: capped() only.
    assert pipeline.watermark_after(long_ago, signpost, False, "customers", now) == long_ago
    assert pipeline.watermark_after(signpost + dt.timedelta(days=1), signpost, False, "customers", now) == signpost
    assert pipeline.watermark_after(long_ago, None, True, "customers", now) == long_ago  # no Date header


@pytest.mark.parametrize("ahead", [dt.timedelta(minutes=20), dt.timedelta(days=1)])
def test_a_date_header_ahead_of_visma_nets_stamps_loses_no_change(idle, sandbox, monkeypatch, ahead):
    """Visma.net's ``Date`` (its front servers' clock, or a proxy writing local time as GMT)
    ahead of the clock that stamps ``lastModifiedDateTime`` by more than the overlap: a change
    made after the run is stamped before the signpost minus the overlap. The watermark must
    not jump to the signpost past what the stamps and our own clock can vouch for."""
    real_read_page = pipeline.read_page

    def skewed(client, source, number, page_size=None):
        page = real_read_page(client, source, number, page_size)
        if page.server_time is None:
            return page
        return dataclasses.replace(page, server_time=page.server_time + ahead)

    _touch_recently(sandbox)  # the run reads records, so its answers bring the signpost
    monkeypatch.setattr(pipeline, "read_page", skewed)
    tasks.sync_incremental(idle.pk)
    monkeypatch.setattr(pipeline, "read_page", real_read_page)
    sandbox.control.change_customer(T, "100003", {"name": "Gewijzigd na de sync"})  # stamped now
    tasks.sync_incremental(idle.pk)
    with tenant_context(idle.tenant):
        from werkbon.workorders.models import Customer

        assert Customer.objects.get(number="100003").name == "Gewijzigd na de sync"
