"""The document's status on the work order in headless Chromium (issue 13's browser
acceptance): a work order exported as a customer invoice; the invoice is released in Visma.net
(the sandbox); the sandbox's webhook dispatcher notifies Werkbon's endpoint; the worker's job
reads the invoice back, and the open work-order page shows "gefactureerd" without a reload.

The test plays the worker (as test_export_status does): the receiver's enqueue is captured and
the test runs the job itself.
"""

from __future__ import annotations

import time

import pytest

from tests.browser.test_workorder_flow import log_in
from tests.integrations.conftest import (  # noqa: F401 (fixtures used by name)
    archived_work_order,
    connect_integration,
    vismanet_integration,
    vismanet_settings,
)
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations import tasks
from werkbon.integrations.models import ExportRecord, ExportStatus, Integration
from werkbon.integrations.vismanet import webhooks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TENANT = "5e3f1a2b-7c4d-4e8f-9a01-b2c3d4e5f601"
SECRET = "browser-webhook-secret"  # a test key


def test_the_work_order_shows_invoiced_after_the_invoice_is_released_in_visma_net(
        page, live_server, tenant_a, office_a, tech_a, sandbox, monkeypatch, tmp_path, settings, request):
    from playwright.sync_api import expect

    integration = request.getfixturevalue("vismanet_integration")
    Integration.all_tenants.filter(pk=integration.pk).update(
        settings={**integration.settings, "target": "customer_invoice"})
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VISMANET_WEBHOOK_SECRETS = [SECRET]
    enqueued: list[int] = []
    monkeypatch.setattr(webhooks, "_enqueue", enqueued.append)
    monkeypatch.setattr(tasks.export_work_order, "delay", lambda pk: None)
    sandbox.control._call("POST", "/webhooks/subscriptions", json={
        "url": f"{live_server.url}/integraties/vismanet/webhook", "secret": SECRET, "retryInterval": 0.2})
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a)
        record = ExportRecord.objects.get(work_order_number=order.number)
    tasks.export_work_order(record.pk)
    record.refresh_from_db()
    assert record.status == ExportStatus.SENT, record.last_error

    log_in(page, live_server.url, office_a.username)
    page.goto(f"{live_server.url}/werkorders/{order.pk}/")
    expect(page.locator('[data-testid="export-document"]')).to_have_text(record.document_number)
    status = page.locator('[data-testid="document-status"]')
    expect(status).to_have_count(0)  # not read back yet

    # Visma.net: the office releases the invoice; the dispatcher notifies Werkbon.
    sandbox.control._call("PATCH", f"/companies/{TENANT}/invoices/{record.document_number}",
                          json={"status": "Open"})
    def status_delivered() -> bool:
        return any(d["event"] == "ARInvoice.StatusChanged"
                   for d in sandbox.control._call("GET", "/webhooks/deliveries", params={"outcome": "delivered"}))

    deadline = time.monotonic() + 15
    while not status_delivered() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert status_delivered(), sandbox.control._call("GET", "/webhooks/deliveries")
    tasks.process_notifications(enqueued[-1])

    # The open page refreshes its panel by itself.
    expect(status).to_have_attribute("data-invoiced", "yes", timeout=20000)
    expect(status).to_contain_text("gefactureerd (vrijgegeven)")
    page.goto(f"{live_server.url}/werkorders/?billing=invoiced")
    expect(page.locator(f'[data-testid="billing-{order.number}"]')).to_have_text("gefactureerd (vrijgegeven)")
