"""The export status on the work-order page in headless Chromium (issue 5's browser
acceptance): archive → "queued" → sent with the Visma.net number; a failed export with its
reason and action; the fix in Visma.net (the sandbox); Retry; sent.

The test plays the worker: the on-commit enqueue is captured and the test runs the export
task itself, while the page's htmx polling shows the status change.
"""

from __future__ import annotations

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
from werkbon.integrations.models import ExportRecord

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TENANT = "5e3f1a2b-7c4d-4e8f-9a01-b2c3d4e5f601"


def test_it_shows_the_export_status_and_retries_a_failed_export(page, live_server, tenant_a, office_a, tech_a,
                                                               sandbox, monkeypatch, tmp_path, settings, request):
    from playwright.sync_api import expect

    request.getfixturevalue("vismanet_integration")  # the fixtures live in tests/integrations

    settings.MEDIA_ROOT = tmp_path / "media"
    enqueued: list[int] = []
    monkeypatch.setattr(tasks.export_work_order, "delay", enqueued.append)
    with tenant_context(tenant_a):
        first = archived_work_order(office_a, tech_a, archive=False)
        second = archived_work_order(office_a, tech_a, archive=False)

    log_in(page, live_server.url, office_a.username)
    status = page.locator('[data-testid="export-status"]')

    # 1. Archive: queued, then (the worker runs) sent with the Visma.net number.
    page.goto(f"{live_server.url}/werkorders/{first.pk}/")
    page.click('[data-testid="archive"]')
    page.click('[data-testid="archive-confirm"]')  # the confirmation shows what is sent
    expect(status).to_have_attribute("data-status", "queued")
    expect(status).to_have_text("In de wachtrij")
    tasks.export_work_order(enqueued.pop())
    expect(status).to_have_attribute("data-status", "sent")
    expect(page.locator('[data-testid="export-document"]')).to_have_text("SO 000111")

    # 2. The customer is inactive in Visma.net: failed, with what to do.
    sandbox.control.deactivate_customer(TENANT, "10001")
    page.goto(f"{live_server.url}/werkorders/{second.pk}/")
    page.click('[data-testid="archive"]')
    page.click('[data-testid="archive-confirm"]')  # the confirmation shows what is sent
    expect(status).to_have_attribute("data-status", "queued")
    tasks.export_work_order(enqueued.pop())
    expect(status).to_have_attribute("data-status", "failed")
    expect(page.locator('[data-testid="export-problem"]')).to_have_text(
        f"Klant 10001 van werkbon {second.number} is inactief in Visma.net, dus er kan geen document voor worden"
        " gemaakt.")
    expect(page.locator('[data-testid="export-action"]')).to_contain_text("Activeer de klant in Visma.net")

    # 3. Fix it in Visma.net, press Retry: queued again, then sent.
    sandbox.control.change_customer(TENANT, "10001", {"status": "Active"})
    page.click('[data-testid="export-retry"]')
    expect(status).to_have_attribute("data-status", "queued")
    expect(page.locator('[data-testid="export-notice"]')).to_have_text(
        "De export naar Visma.net staat opnieuw in de wachtrij.")
    tasks.export_work_order(enqueued.pop())
    expect(status).to_have_attribute("data-status", "sent")
    expect(page.locator('[data-testid="export-document"]')).to_have_text("SO 000112")
    expect(page.locator('[data-testid="export-problem"]')).to_have_count(0)
    with tenant_context(tenant_a):
        assert ExportRecord.objects.get(work_order_number=second.number).attempts == 2
