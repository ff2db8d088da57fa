"""Re-activation never sends again, for real (issue 5 "Never twice, never lost": "A
deactivation and re-activation, with or without a wipe, never sends an already exported work
order again"; docs/sync-rules.md "The outbox": a work order archived while the integration is
inactive gets no record and is never sent later). Export, ``activation.deactivate``, then the
wizard's own service functions (wipe, connect through the sandbox's consent page, checked
settings, activate), then the tick and the export job, all against the sandbox over HTTP."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from vismanet_sandbox import demo
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations import tasks
from werkbon.integrations.models import (
    ExportAttempt,
    ExportRecord,
    ExportStatus,
    Integration,
    IntegrationStatus,
)
from werkbon.integrations.vismanet import activation, checks, export
from werkbon.integrations.vismanet.client import client_for
from werkbon.integrations.vismanet.config import VismaNetSettings
from werkbon.workorders.models import WorkOrder

from .conftest import DEFAULT_SETTINGS, archived_work_order
from .test_activation import CALLBACK, consent

pytestmark = pytest.mark.django_db

T = demo.DEMO_TENANT_ID
JOBS = ("sync_first_import", "sync_incremental", "sync_cleanup", "export_work_order")


def our_orders(sandbox, marker: str) -> list[dict]:
    return [o for o in sandbox.control.sales_orders(T) if (o.get("customer") or {}).get("order") == marker]


def reactivate_through_the_wizard(integration: Integration, office, tables: list[str]) -> None:
    """Step 1 wipe, step 2 connect (consent page), step 3 checked settings and activate."""
    tenant = integration.tenant
    assert not activation.is_first_activation(integration)  # the user may tick tables
    activation.wipe(tenant, tables, integration=integration, user=office)
    request = activation.start_connect(integration, CALLBACK)
    query = parse_qs(urlsplit(consent(request.url, T)).query)
    assert query["state"] == [request.state]
    company = activation.finish_connect(integration, code=query["code"][0], redirect_uri=CALLBACK,
                                        code_verifier=request.code_verifier)
    assert company.name == demo.DEMO_COMPANY_NAME
    new_settings = VismaNetSettings.model_validate(DEFAULT_SETTINGS)
    with tenant_context(tenant), client_for(integration) as client:
        results = checks.run_all(client, new_settings.model_dump(mode="json"))
    assert all(result.ok for result in results.values()), {k: r.msgid for k, r in results.items() if not r.ok}
    activation.activate(integration, new_settings, user=office, terms_accepted=True)


@pytest.mark.parametrize("wipe_work_orders", [True, False], ids=["wipe-with-work-orders", "wipe-without"])
def test_a_reactivation_never_sends_an_exported_work_order_again_nor_one_archived_while_inactive(
        vismanet_integration, sandbox, tenant_a, office_a, tech_a, monkeypatch, wipe_work_orders):
    integration = vismanet_integration
    with tenant_context(tenant_a):
        sent_order = archived_work_order(office_a, tech_a)
    record = ExportRecord.all_tenants.get(work_order_number=sent_order.number)
    tasks.export_work_order(record.pk)
    record.refresh_from_db()
    assert record.status == ExportStatus.SENT
    assert len(our_orders(sandbox, record.marker)) == 1

    activation.deactivate(integration, user=office_a)
    with tenant_context(tenant_a):
        inactive_order = archived_work_order(office_a, tech_a, description="Archived while inactive")
    assert not ExportRecord.all_tenants.filter(work_order_number=inactive_order.number).exists()

    tables = list(activation.WIPE_KEYS) if wipe_work_orders else ["contact_persons", "objects"]
    integration.refresh_from_db()
    reactivate_through_the_wizard(integration, office_a, tables)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.ACTIVE
    with tenant_context(tenant_a):
        assert WorkOrder.objects.filter(number=sent_order.number).exists() is not wipe_work_orders

    # Everything the scheduler would do now: the first import, syncs, exports that are due.
    enqueued: list[tuple[str, int]] = []
    for name in JOBS:
        monkeypatch.setattr(getattr(tasks, name), "delay", lambda pk, _name=name: enqueued.append((_name, pk)))
    ExportRecord.all_tenants.update(next_attempt_at=None)
    for _round in range(2):
        enqueued.clear()
        tasks.tick()
        for name, pk in enqueued:
            getattr(tasks, name)(pk)
    integration.refresh_from_db()
    assert integration.first_import_finished_at is not None
    tasks.export_work_order(record.pk)  # a stray enqueue of the old record
    assert export.retry(ExportRecord.all_tenants.get(pk=record.pk)) is False

    assert len(our_orders(sandbox, record.marker)) == 1
    assert our_orders(sandbox, f"Werkbon {inactive_order.number}") == []
    assert sandbox.control.request_count(method="POST", path="api/v3/SalesOrders$") == 1
    record.refresh_from_db()
    assert record.status == ExportStatus.SENT
    assert ExportAttempt.all_tenants.filter(export=record).count() == 1
    assert list(ExportRecord.all_tenants.values_list("work_order_number", flat=True)) == [sent_order.number]
