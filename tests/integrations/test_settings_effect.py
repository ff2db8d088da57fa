"""Settings are not retroactive (issue 4 "Settings": "Changes take effect from the moment they
are saved and are not applied retroactively"; manual 6.3). The rule, as export.py applies it
and docs/sync-rules.md ("Settings changes") writes it down:

* a document already made in Visma.net is never changed by a later settings change (no
  attempt, tick or Retry touches it again);
* a work order archived and queued before the change, whose document is not made yet, is built
  with the settings in force when its document is built (its first attempt), not with those of
  the moment it was archived; the document type is pinned at that first attempt.

Against the sandbox over HTTP; the change goes through ``activation.save_settings`` as the
status page's "edit settings" does."""

from __future__ import annotations

import pytest

from vismanet_sandbox import demo
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations import tasks
from werkbon.integrations.models import ExportAttempt, ExportRecord, ExportStatus
from werkbon.integrations.vismanet import activation, export
from werkbon.integrations.vismanet.config import VismaNetSettings

from .conftest import archived_work_order
from .test_export import documents

pytestmark = pytest.mark.django_db

T = demo.DEMO_TENANT_ID
CHANGED = {"notes": "nothing", "customer_reference": "work_order_number", "pdfs": "nothing",
           "target": "customer_invoice", "default_item_enabled": True, "default_item": demo.ITEM_CALLOUT,
           "work_time_item": None}


def change_settings(integration, user, **changes) -> None:
    new = VismaNetSettings.model_validate({**integration.settings, **changes})
    assert activation.save_settings(integration, new, user=user)


def test_a_queued_work_order_is_built_with_the_settings_in_force_when_its_document_is_made(
        vismanet_integration, sandbox, tenant_a, office_a, tech_a):
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a, reference="PO-1")  # queued under the old settings
    record = ExportRecord.all_tenants.get(work_order_number=order.number)
    assert record.status == ExportStatus.QUEUED
    change_settings(vismanet_integration, office_a, **CHANGED)

    tasks.export_work_order(record.pk)
    record.refresh_from_db()
    assert record.status == ExportStatus.SENT, record.last_error
    assert record.document_type == "customer_invoice"  # the target at the time it was built
    assert documents(sandbox, "sales_order", record.marker) == []
    (invoice,) = documents(sandbox, "customer_invoice", record.marker)
    assert not invoice["note"]  # notes: nothing
    assert invoice["reference"] == f"Werkbon {order.number}"  # not "… / PO-1"
    items = [line[0] for line in invoice["lines"]]
    assert demo.ITEM_WORK not in items and demo.ITEM_CALLOUT in items
    assert record.attachments_done == []  # pdfs: nothing (it was "work order PDF" when archived)
    assert sandbox.control.attachments(T) == []


def test_a_document_already_made_is_never_changed_by_a_later_settings_change(
        vismanet_integration, sandbox, tenant_a, office_a, tech_a):
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a, reference="PO-1")
    record = ExportRecord.all_tenants.get(work_order_number=order.number)
    tasks.export_work_order(record.pk)
    record.refresh_from_db()
    assert record.status == ExportStatus.SENT
    order_type, _sep, order_id = record.document_number.partition(" ")
    before = sandbox.control.sales_order(T, order_type, order_id)
    attachments_before = sandbox.control.attachments(T)
    assert len(attachments_before) == 1  # pdfs: work order only

    change_settings(vismanet_integration, office_a, **CHANGED)
    sandbox.control.clear_requests()
    ExportRecord.all_tenants.filter(pk=record.pk).update(next_attempt_at=None)
    tasks.tick()
    tasks.export_work_order(record.pk)
    assert export.retry(ExportRecord.all_tenants.get(pk=record.pk)) is False

    assert sandbox.control.sales_order(T, order_type, order_id) == before
    assert sandbox.control.attachments(T) == attachments_before
    assert documents(sandbox, "customer_invoice", record.marker) == []
    assert sandbox.control.request_count(company=T) == 0  # nothing was even asked
    assert ExportAttempt.all_tenants.filter(export=record).count() == 1
