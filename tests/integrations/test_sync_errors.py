"""What a sync job does with errors: the log says what happened; expected errors never crash
the worker; unexpected ones are logged with their traceback and raised."""

from __future__ import annotations

import importlib

import pytest
from django.utils import timezone

from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.models import Integration, LogEntry, LogLevel, SyncState
from werkbon.integrations.vismanet import sync
from werkbon.workorders.models import Customer

pytestmark = pytest.mark.django_db
customers_module = importlib.import_module("werkbon.integrations.vismanet.sync.customers")


def test_it_asks_once_to_reconnect_when_the_consent_is_gone(imported, sandbox):
    sandbox.control.expire_tokens(revoke_refresh_tokens=True)
    sync.incremental(imported)
    sync.incremental(imported)
    sync.cleanup(imported)
    entry = LogEntry.objects.get()
    assert (entry.level, entry.user_message) == (LogLevel.ERROR, "Verbinding met Visma.net verbroken: koppel opnieuw")
    assert "Visma.net" in entry.user_action


def test_it_logs_a_failed_call_with_the_request_id_for_support(imported, sandbox):
    sandbox.control.fault("status", path="^/v1/customer$", status=500, count=1)
    sync.incremental(imported)
    entry = LogEntry.objects.get()
    assert entry.level == LogLevel.ERROR
    assert entry.user_message.startswith("Ophalen uit Visma.net mislukt: ")
    assert "operation=customer.list status=500" in entry.detail
    assert "request id" in entry.detail
    assert "Bearer" not in entry.detail


def test_it_stops_quietly_on_a_rate_limit_and_pauses_the_company(imported, sandbox):
    sandbox.control.fault("status", path="^/v1/", status=429, retryAfter=120, count=None)
    sync.incremental(imported)
    assert not LogEntry.objects.filter(level=LogLevel.ERROR).exists()
    assert LogEntry.objects.filter(level=LogLevel.WARNING).count() == 1  # the pause, by the client factory
    assert Integration.objects.get(pk=imported.pk).paused_until > timezone.now()


def test_it_logs_an_unexpected_error_with_its_traceback_and_raises_it(imported, sandbox, monkeypatch):
    sandbox.control.change_customer(sandbox.demo.DEMO_TENANT_ID, "10001", {"name": "Nieuw"})

    def broken(*args, **kwargs):
        raise RuntimeError("bug in the mapping")

    monkeypatch.setattr(customers_module.TABLE, "store", broken)
    watermark = SyncState.objects.get(table="customers").watermark
    with pytest.raises(RuntimeError, match="bug in the mapping"):
        sync.incremental(imported)
    entry = LogEntry.objects.get()
    assert entry.level == LogLevel.ERROR
    assert "Traceback" in entry.detail and "bug in the mapping" in entry.detail
    assert SyncState.objects.get(table="customers").watermark == watermark
    assert Customer.objects.get(number="10001").name != "Nieuw"


def test_it_stops_after_the_current_page_when_the_integration_is_deactivated(importing_integration, tenant_a,
                                                                              sandbox):
    from werkbon.integrations.models import IntegrationStatus

    sandbox.control.settings(sandbox.demo.DEMO_TENANT_ID, maxPageSize=50)
    store = customers_module.TABLE.store

    def deactivate_after_storing(run, records):
        changes = store(run, records)
        Integration.all_tenants.filter(pk=importing_integration.pk).update(status=IntegrationStatus.INACTIVE)
        return changes

    with tenant_context(tenant_a), pytest.MonkeyPatch.context() as patch:
        patch.setattr(customers_module.TABLE, "store", deactivate_after_storing)
        sync.first_import(importing_integration)
        first_page = sandbox.control._call("GET", f"/companies/{sandbox.demo.DEMO_TENANT_ID}/customers")[:50]
        active = [c for c in first_page if c["status"] != "Inactive"]  # inactive ones are not imported
        assert Customer.objects.count() == len(active)  # one page, then it stopped
        assert Integration.objects.get(pk=importing_integration.pk).first_import_finished_at is None
        assert not LogEntry.objects.filter(level=LogLevel.ERROR).exists()
        assert SyncState.objects.get(table="customers").resume_page == 2
        assert not SyncState.objects.filter(table="work_addresses", first_import_done=True).exists()  # not started
