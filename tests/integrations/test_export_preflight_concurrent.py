"""The export's pre-flight GETs run at once (issue 14): with 300 ms per call, checking a
customer, four items and a warehouse takes about one call, not six; the problem reported
is still the first in the old order; a 429 a helper thread saw pauses the company (written
by the job's thread). Against the sandbox over HTTP."""

from __future__ import annotations

import time

import pytest

from vismanet import RateLimitedError
from vismanet_sandbox import demo
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.models import ExportRecord, Integration, LogEntry
from werkbon.integrations.vismanet.client import client_for
from werkbon.integrations.vismanet.export import preflight
from werkbon.integrations.vismanet.export.outcome import PermanentFailure

pytestmark = pytest.mark.django_db

ITEMS = [demo.ITEM_WORK, demo.ITEM_TRAVEL, "MAT-1001", "KST-1003"]
LATENCY_MS = 300


def record(tenant) -> ExportRecord:
    return ExportRecord(tenant=tenant, work_order_number=7)


def test_the_checks_are_sent_at_once_and_pass(vismanet_integration, tenant_a, sandbox):
    with client_for(vismanet_integration) as client:
        client.warehouses.get(demo.WAREHOUSES[0])  # the token is in memory now, as after the marker search
        sandbox.control.fault("latency", path="^/v1/", ms=LATENCY_MS, count=None)
        sandbox.control.clear_requests()
        started = time.monotonic()
        preflight.check_master_data(client, record(tenant_a), demo.FIRST_CUSTOMER, ITEMS, demo.WAREHOUSES[0])
        elapsed = time.monotonic() - started
    assert sandbox.control.request_count(path="^/v1/") == 6
    # Six sequential calls would take 1.8 s; at once, one wave (with slack for a loaded machine).
    assert elapsed < 3 * LATENCY_MS / 1000, elapsed


def test_the_first_problem_in_the_old_order_is_the_one_reported(vismanet_integration, tenant_a, sandbox):
    with client_for(vismanet_integration) as client, pytest.raises(PermanentFailure) as failure:
        preflight.check_master_data(client, record(tenant_a), demo.FIRST_CUSTOMER,
                                    [demo.ITEM_WORK, "BESTAAT-NIET-1", "BESTAAT-NIET-2"], "GEEN-MAGAZIJN")
    assert failure.value.params["item"] == "BESTAAT-NIET-1"  # not the warehouse, not the second item


def test_a_rate_limit_seen_on_a_helper_thread_pauses_the_company(vismanet_integration, tenant_a, sandbox):
    with tenant_context(tenant_a), client_for(vismanet_integration) as client:  # as in the export job
        client.warehouses.get(demo.WAREHOUSES[0])
        sandbox.control.fault("status", status=429, retryAfter=3600, path="^/v1/inventory", count=1)
        with pytest.raises(RateLimitedError):
            preflight.check_master_data(client, record(tenant_a), demo.FIRST_CUSTOMER, ITEMS, None)
    integration = Integration.all_tenants.get(pk=vismanet_integration.pk)
    assert integration.paused_until is not None
    with tenant_context(tenant_a):
        assert LogEntry.objects.filter(message__startswith="Visma.net asked us to slow down").count() == 1
