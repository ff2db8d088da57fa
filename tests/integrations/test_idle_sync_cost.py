"""The cost of an idle incremental sync (issue 14, tenants per node): its statements do not
grow with its pages, the lease is written only at the claim and the release (unless it runs
short), and the lease's read doubles as the deactivation check, which still stops the run
at the next page.

An idle company: records last changed long ago, so a sync only re-reads its overlap window.
"""

from __future__ import annotations

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


def test_an_idle_syncs_statements_do_not_grow_with_its_pages(idle, sandbox):
    sandbox.control.clear_requests()
    with CaptureQueriesContext(connection) as one_page:
        tasks.sync_incremental(idle.pk)
    requests_one_page = sandbox.control.request_count()
    sandbox.control.settings(T, maxPageSize=2)  # the overlap's 6 customers, 6 items: 3-4 pages each
    sandbox.control.clear_requests()
    with CaptureQueriesContext(connection) as many_pages:
        tasks.sync_incremental(idle.pk)
    pages = sandbox.control.request_count()
    assert pages >= requests_one_page + 4, (pages, requests_one_page)

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
    assert page_reads[1] - page_reads[0] >= 4
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
