"""The first import resumes after its worker process is killed halfway (SIGKILL).

A real embedded installation (SQLite file + filesystem broker) and a real ``worker -B``:
the beat's tick enqueues the first import, the sandbox is made slow so the worker can be
killed in the middle of the customers, then a new worker finishes the job as soon as the
killed worker's short lease has run out by itself (within about a minute). The sandbox's
request log proves the pages committed before the kill were not fetched again.
"""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import parse_qs

import pytest

from tests.fixtures.workers import EmbeddedApp, wait_for
from tests.integrations.test_first_import_demo import active_counts, expected_work_addresses
from vismanet_sandbox import demo

pytestmark = pytest.mark.slow

T = demo.DEMO_TENANT_ID

SETUP = """
from werkbon.accounts.models import Tenant
from werkbon.integrations.models import Integration
from tests.integrations.conftest import connect, make_integration
tenant = Tenant.objects.create(name="Alfa B.V.", slug="alfa")
integration = make_integration(tenant)
Integration.all_tenants.filter(pk=integration.pk).update(first_import_finished_at=None, next_sync_at=None)
connect(integration, {url!r})
print(integration.pk)
"""


def embedded_app(tmp_path, sandbox, setup: str = SETUP) -> EmbeddedApp:
    """An embedded installation pointed at the sandbox, with one integration connected
    (``setup``: Django code run once, formatted with ``url``; prints the integration id)."""
    app = EmbeddedApp(
        tmp_path, VISMANET_ERP_BASE_URL=sandbox.url, VISMANET_SALESORDER_BASE_URL=sandbox.url,
        VISMANET_CONNECT_BASE_URL=sandbox.url, VISMANET_CONTEXT_BASE_URL=f"{sandbox.url}/API",
        VISMANET_CLIENT_ID=demo.CLIENT_ID, VISMANET_CLIENT_SECRET=demo.CLIENT_SECRET,
    )
    app.migrate()
    app.integration_id = int(app.python(setup.format(url=sandbox.url)).split()[-1])
    return app


def customer_pages(sandbox) -> list[int]:
    """The customer list pages the import asked for, in order (counting requests aside)."""
    pages = []
    for entry in sandbox.control.requests(path="^/v1/customer$"):
        query = parse_qs(entry["query"])
        if query.get("pageSize") != ["1"]:
            pages.append(int(query["pageNumber"][0]))
    return pages


def test_it_resumes_the_first_import_at_the_next_page_after_a_sigkill(tmp_path, sandbox, start_worker):
    sandbox.control.settings(T, maxPageSize=50, maxPageSizeInventory=50)  # 7 customer pages
    sandbox.control.fault("latency", path="^/v1/", ms=400, count=None)
    app = embedded_app(tmp_path, sandbox)

    def committed_customer_pages() -> int:
        rows = app.query("SELECT resume_page - 1 FROM integrations_syncstate WHERE \"table\" = 'customers'")
        return rows[0][0] if rows else 0

    first = app.worker(start_worker, "first")
    wait_for(lambda: committed_customer_pages() >= 3, 120, "three committed customer pages", first.log)
    first.kill()
    done_at_kill = committed_customer_pages()
    assert done_at_kill < 7, "the import finished before the kill; make the sandbox slower"
    assert app.query("SELECT first_import_finished_at FROM integrations_integration") == [(None,)]
    # The killed worker's lease is renewed before every page for 60 s: nobody clears it, the
    # tick of a new worker resumes the import once it has run out by itself.
    [(until,)] = app.query("SELECT leased_until FROM integrations_joblease WHERE job = 'first_import'")
    left = dt.datetime.fromisoformat(until).replace(tzinfo=dt.UTC) - dt.datetime.now(dt.UTC)
    assert left <= dt.timedelta(seconds=60), f"lease still held for {left}"
    killed_at = time.monotonic()

    second = app.worker(start_worker, "second")
    wait_for(lambda: committed_customer_pages() > done_at_kill, 90, "the resume within about a minute",
             second.log)
    assert time.monotonic() - killed_at < 90
    wait_for(lambda: app.query("SELECT first_import_finished_at FROM integrations_integration")[0][0], 180,
             "the end of the resumed first import", second.log)

    pages = customer_pages(sandbox)
    for number in range(1, done_at_kill + 1):
        assert pages.count(number) == 1, f"page {number} was committed before the kill but fetched again: {pages}"
    assert set(pages) == set(range(1, 8))
    assert sandbox.control.request_count(path="^/v1/customer$") == len(pages) + 1  # + one counting request
    counts = app.query(
        "SELECT (SELECT COUNT(*) FROM workorders_customer), (SELECT COUNT(*) FROM workorders_item),"
        " (SELECT COUNT(*) FROM workorders_itemgroup), (SELECT COUNT(*) FROM workorders_workaddress)")[0]
    sandbox.control.clear_faults()
    assert counts == (*active_counts(sandbox), 7, expected_work_addresses(sandbox))
    done, total = app.query("SELECT progress_done, progress_total FROM integrations_integration")[0]
    reported = sum(len(sandbox.control._call("GET", f"/companies/{T}/{what}"))
                   for what in ("customers", "inventory", "locations")) + 7  # + item classes
    assert done == total == reported  # no page counted twice
    assert second.stop() == 0, second.log()[-4000:]
