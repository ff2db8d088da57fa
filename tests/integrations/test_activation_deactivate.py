"""Deactivation (manual 9): import and export stop at once, the scheduler enqueues nothing
for an inactive integration, export records are kept, and re-activation goes through the
wizard again."""

from __future__ import annotations

import pytest

from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations import registry, tasks
from werkbon.integrations.models import (
    Credential,
    ExportRecord,
    ExportStatus,
    IntegrationKind,
    IntegrationStatus,
    LogEntry,
)
from werkbon.integrations.vismanet import activation

pytestmark = pytest.mark.django_db


class RecordingAdapter:
    kind = IntegrationKind.VISMANET.value
    display_name = "Visma.net"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def first_import(self, integration):
        self.calls.append("first_import")

    def incremental_sync(self, integration):
        self.calls.append("incremental_sync")

    def cleanup(self, integration):
        self.calls.append("cleanup")

    def export(self, record):
        self.calls.append("export")


@pytest.fixture
def adapter(monkeypatch) -> RecordingAdapter:
    fake = RecordingAdapter()
    monkeypatch.setitem(registry._adapters, fake.kind, fake)
    return fake


@pytest.fixture
def queued_export(vismanet_integration, tenant_a):
    with tenant_context(tenant_a):
        return ExportRecord.objects.create(kind=IntegrationKind.VISMANET, work_order_number=7,
                                           status=ExportStatus.QUEUED)


def test_it_deactivates_after_the_confirmation_question(office, vismanet_integration, tenant_a, queued_export):
    question = office.get("/integraties/vismanet/deactiveren/")
    assert "Weet je zeker" in question.content.decode()
    vismanet_integration.refresh_from_db()
    assert vismanet_integration.is_active  # asking changes nothing

    response = office.post("/integraties/vismanet/deactiveren/")
    assert response["Location"] == "/integraties/vismanet/"
    vismanet_integration.refresh_from_db()
    assert vismanet_integration.status == IntegrationStatus.INACTIVE
    assert vismanet_integration.ended_at is not None
    assert Credential.all_tenants.get(integration=vismanet_integration).tokens == ""  # dropped
    assert ExportRecord.all_tenants.filter(pk=queued_export.pk).exists()  # never deleted
    with tenant_context(tenant_a):
        assert LogEntry.objects.filter(message__startswith="Integration deactivated").exists()
    status = office.get("/integraties/vismanet/").content.decode()
    assert "INACTIEF" in status


def test_it_runs_nothing_that_was_enqueued_before_the_deactivation(
        vismanet_integration, queued_export, adapter, office_a):
    activation.deactivate(vismanet_integration, user=office_a)
    tasks.sync_incremental(vismanet_integration.pk)
    tasks.sync_first_import(vismanet_integration.pk)
    tasks.sync_cleanup(vismanet_integration.pk)
    tasks.export_work_order(queued_export.pk)
    assert adapter.calls == []


def test_it_runs_the_same_jobs_while_active(vismanet_integration, queued_export, adapter):
    tasks.sync_incremental(vismanet_integration.pk)
    tasks.export_work_order(queued_export.pk)
    assert adapter.calls == ["incremental_sync", "export"]  # the test above is not vacuous


def test_it_lets_the_tick_enqueue_nothing_for_an_inactive_integration(
        vismanet_integration, queued_export, office_a, monkeypatch):
    from django.utils import timezone

    enqueued = []
    for task in (tasks.sync_first_import, tasks.sync_incremental, tasks.sync_cleanup, tasks.export_work_order):
        monkeypatch.setattr(task, "delay", lambda *args, name=task.name: enqueued.append(name))
    ExportRecord.all_tenants.filter(pk=queued_export.pk).update(next_attempt_at=timezone.now())
    vismanet_integration.next_sync_at = None
    vismanet_integration.save()
    assert tasks.tick() > 0  # active: due work is enqueued
    enqueued.clear()
    activation.deactivate(vismanet_integration, user=office_a)
    ExportRecord.all_tenants.filter(pk=queued_export.pk).update(next_attempt_at=timezone.now())
    assert tasks.tick() == 0
    assert enqueued == []


def test_it_sends_a_reactivation_through_the_wizard_again(office, vismanet_integration, office_a):
    activation.deactivate(vismanet_integration, user=office_a)
    assert office.get("/integraties/vismanet/activeren/instellingen/")["Location"] == \
        "/integraties/vismanet/activeren/"
    assert office.get("/integraties/vismanet/wijzigen/")["Location"] == "/integraties/vismanet/"
    start = office.get("/integraties/vismanet/activeren/").content.decode()
    assert "eerder actief" in start  # a re-activation: the user chooses what to wipe
