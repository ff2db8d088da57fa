"""Never twice with a real worker: the worker process is SIGKILLed in the middle of the
create call; a new worker finishes the export and Visma.net has exactly one document.

An embedded installation (SQLite file + filesystem broker, ``worker -B`` so the tick runs)
in a temporary folder; the test talks to it through subprocesses and SQL only.
"""

from __future__ import annotations

import time

import pytest

from tests.fixtures.workers import EmbeddedApp, wait_for

from .test_export import TENANT

pytestmark = pytest.mark.slow

SETUP = """
from werkbon.accounts.models import Role, Tenant, User
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.models import ExportRecord
from tests.integrations.conftest import archived_work_order, connect, make_integration
tenant = Tenant.objects.create(name="Kill B.V.", slug="kill")
office = User.objects.create_user(username="kill-office", password=None, tenant=tenant, role=Role.OFFICE)
tech = User.objects.create_user(username="kill-tech", password=None, tenant=tenant, role=Role.TECHNICIAN,
                                default_warehouse="HOOFD")
integration = make_integration(tenant)
connect(integration, "{url}")
with tenant_context(tenant):
    order = archived_work_order(office, tech)  # the on-commit enqueue writes the broker message
    print(ExportRecord.objects.get(work_order_number=order.number).pk)
"""


def test_it_sends_once_when_the_worker_is_killed_during_the_export(tmp_path, sandbox, start_worker):
    app = EmbeddedApp(tmp_path, VISMANET_SANDBOX_URL=sandbox.url, WERKBON_SCHEDULER_TICK_SECONDS="1")
    app.migrate()
    # the create call hangs 4 s in the sandbox: long enough to kill the worker inside it
    sandbox.control.fault("latency", ms=4000, method="POST", path="api/v3/SalesOrders$", count=1)
    record_id = int(app.python(SETUP.format(url=sandbox.url)).strip().splitlines()[-1])

    def status() -> str:
        return app.query("SELECT status FROM integrations_exportrecord WHERE id = ?", record_id)[0][0]

    def marker() -> str:
        return app.query("SELECT marker FROM integrations_exportrecord WHERE id = ?", record_id)[0][0]

    first = app.worker(start_worker, "first")
    wait_for(lambda: status() == "sending", 60, "the attempt being recorded", first.log)
    # the search and the fresh check are quick GETs; then the create call hangs
    wait_for(lambda: sandbox.control.request_count(method="GET", path="v1/warehouse/"), 30,
             "the fresh check", first.log)
    time.sleep(1.0)  # inside the 4-second create call
    first.kill()
    assert status() == "sending"
    assert app.query("SELECT document_number FROM integrations_exportrecord WHERE id = ?", record_id)[0][0] == ""
    time.sleep(4)  # the sandbox finishes the create the dead worker never heard back from
    orders = [o for o in sandbox.control.sales_orders(TENANT) if o["customer"].get("order") == marker()]
    assert len(orders) <= 1

    # As if 5½ minutes passed: the dead worker's lease and the stale attempt expire.
    app.query("UPDATE integrations_joblease SET leased_until = '2000-01-01 00:00:00' WHERE job LIKE 'export:%'")
    app.query("UPDATE integrations_exportrecord SET next_attempt_at = '2000-01-01 00:00:00' WHERE id = ?",
              record_id)
    second = app.worker(start_worker, "second")
    wait_for(lambda: status() == "sent", 90, "the export being finished by the new worker", second.log)

    orders = [o for o in sandbox.control.sales_orders(TENANT) if o["customer"].get("order") == marker()]
    assert len(orders) == 1, orders
    number = app.query("SELECT document_number FROM integrations_exportrecord WHERE id = ?", record_id)[0][0]
    assert number == f"SO {orders[0]['orderId']}"
    outcomes = [row[0] for row in app.query(
        "SELECT outcome FROM integrations_exportattempt WHERE export_id = ? ORDER BY id", record_id)]
    assert outcomes[0] == "" and outcomes[-1] in ("adopted", "created")  # the killed one never finished
    assert len(sandbox.control.attachments(TENANT)) == 1
