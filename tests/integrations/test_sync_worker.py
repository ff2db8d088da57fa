"""The incremental import runs by itself at the sync interval: a real ``worker -B`` (beat's
tick enqueues ``sync_incremental`` when ``next_sync_at`` is due) on an embedded
installation, with a 2-second interval. Changes made through the sandbox's control API are
in Werkbon within two intervals; nothing calls the sync function directly."""

from __future__ import annotations

import time

import pytest

from tests.fixtures.workers import EmbeddedApp, wait_for
from tests.integrations.test_first_import_resume import SETUP, embedded_app
from vismanet_sandbox import demo

pytestmark = pytest.mark.slow

T = demo.DEMO_TENANT_ID
INTERVAL = 2  # seconds

IMPORTED = SETUP.replace("print(integration.pk)", f"""
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.vismanet import sync
with tenant_context(tenant):
    sync.first_import(integration)
Integration.all_tenants.filter(pk=integration.pk).update(sync_interval_seconds={INTERVAL}, next_sync_at=None)
print(integration.pk)
""")


def visible(app: EmbeddedApp) -> dict[str, object]:
    rows = app.query(
        "SELECT (SELECT name FROM workorders_customer WHERE number = '19999'),"
        " (SELECT description FROM workorders_item WHERE number = 'ARBEID'),"
        " (SELECT status FROM workorders_customer WHERE number = '10001')")[0]
    return {"new customer": rows[0], "renamed item": rows[1], "customer 10001": rows[2]}


def test_it_brings_visma_net_changes_within_two_intervals(tmp_path, sandbox, start_worker):
    app = embedded_app(tmp_path, sandbox, IMPORTED)
    worker = app.worker(start_worker, "sync")

    def incremental_runs() -> int:
        return sandbox.control.request_count(path="^/v1/customer$", company=T) - 2  # first import: count + page

    wait_for(lambda: incremental_runs() >= 2, 60, "two incremental runs", worker.log)

    sandbox.control.add_customer(T, {"number": "19999", "name": "Nieuwe Klant", "status": "Active",
                                     "mainAddress": {"addressLine1": "Oudegracht 12", "postalCode": "3511 AB",
                                                     "city": "Utrecht", "countryId": "NL"}})
    sandbox.control.change_item(T, demo.ITEM_WORK, {"description": "Arbeid monteur (nieuw)"})
    sandbox.control.deactivate_customer(T, "10001")
    changed = time.monotonic()

    wanted = {"new customer": "Nieuwe Klant", "renamed item": "Arbeid monteur (nieuw)", "customer 10001": "inactive"}
    wait_for(lambda: visible(app) == wanted, 30, "the changes in Werkbon", worker.log)
    elapsed = time.monotonic() - changed
    print(f"changes visible after {elapsed:.2f}s (interval {INTERVAL}s)")
    assert elapsed <= 2 * INTERVAL, f"visible after {elapsed:.1f}s, more than two intervals"
    entries = {row[0] for row in app.query("SELECT message FROM integrations_logentry WHERE level = 'info'")}
    assert {"Customer %(number)s added to Werkbon", "Item %(number)s updated in Werkbon"} <= entries
    assert worker.stop() == 0, worker.log()[-4000:]
