"""The Visma.net activation in headless Chromium against the sandbox (issue 4's browser
acceptance): wipe, connect through the sandbox's consent page, settings with one failing
and one passing check, the progress bar at 100 %, the status page, the log filtered to
errors, and deactivation with its confirmation question.

The first import runs eagerly (CELERY_TASK_ALWAYS_EAGER): the live server's request that
saves the settings runs it after commit, so the success page then shows 100 %.
"""

from __future__ import annotations

import re

import pytest
from django.utils.translation import gettext_noop

from tests.browser.test_workorder_flow import log_in
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.log import log
from werkbon.integrations.models import Integration, IntegrationStatus, LogLevel, LogTable
from werkbon.workorders.models import Customer, Item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def visma_live(settings, sandbox):
    settings.VISMANET_ERP_BASE_URL = sandbox.url
    settings.VISMANET_SALESORDER_BASE_URL = sandbox.url
    settings.VISMANET_CONNECT_BASE_URL = sandbox.url
    settings.VISMANET_CONTEXT_BASE_URL = sandbox.url + "/API"
    settings.VISMANET_CLIENT_ID = sandbox.demo.CLIENT_ID
    settings.VISMANET_CLIENT_SECRET = sandbox.demo.CLIENT_SECRET
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from werkbon.celery import app

    app.conf.task_always_eager = True  # the app read its config before the override
    yield sandbox
    app.conf.task_always_eager = False


def test_it_activates_visma_net_through_the_wizard(page, live_server, tenant_a, office_a, tech_a, visma_live,
                                                     tmp_path, settings):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url.replace("127.0.0.1", "localhost")  # a redirect URI the sandbox accepts
    with tenant_context(tenant_a):
        Customer.objects.create(number="OUD-1", name="Klant van voor de koppeling")
        Item.objects.create(number="OUD-ART", description="Oud artikel")

    log_in(page, base, office_a.username)
    page.goto(f"{base}/integraties/")
    page.click('[data-testid="open-vismanet"]')
    expect(page.locator('[data-testid="status"]')).to_have_text("INACTIEF")
    page.click('[data-testid="activate"]')
    page.click('[data-testid="start-activation"]')

    # Step 1: wipe (the first activation wipes every table).
    expect(page.locator('[data-testid="wipe-row-customers"]')).to_contain_text("1")
    page.click('[data-testid="wipe-submit"]')  # unconfirmed: the browser asks, nothing is posted
    assert page.eval_on_selector('[data-testid="wipe-confirm"]', "e => e.validity.valueMissing")
    expect(page.locator('[data-testid="backup-link"]')).to_have_count(0)
    page.check('[data-testid="wipe-confirm"]')
    page.click('[data-testid="wipe-submit"]')
    expect(page.locator('[data-testid="backup-link"]')).to_be_visible()

    # Step 2: connect through the sandbox's consent page, choosing the demo company.
    page.click('[data-testid="connect"]')
    page.wait_for_url(re.compile(r"/connect/authorize"))
    page.check(f"input[name=tenant_id][value='{visma_live.demo.DEMO_TENANT_ID}']")
    page.click("button[value=allow]")
    page.wait_for_url(re.compile(r"/activeren/administratie/"))
    expect(page.locator('[data-testid="company-name"]')).to_have_text("Installatietechniek Demo B.V.")
    expect(page.locator('[data-testid="company-number"]')).to_have_text("4710001")
    page.click('[data-testid="confirm-company"]')

    # Step 3: settings; a stock item fails its check, a non-stock item passes.
    page.wait_for_url(re.compile(r"/activeren/instellingen/"))
    page.fill("#id_work_time_item", "VRD-2001")
    page.click('[data-testid="check-btn-work_time_item"]')
    failed = page.locator('[data-testid="check-work_time_item"]')
    expect(failed).to_contain_text("VRD-2001 is een voorraadartikel")
    expect(failed).to_have_attribute("data-ok", "0")
    page.fill("#id_work_time_item", "ARBEID")
    page.click('[data-testid="check-btn-work_time_item"]')
    expect(page.locator('[data-testid="check-work_time_item"]')).to_have_attribute("data-ok", "1")
    page.fill("#id_travel_time_item", "REISTIJD")
    page.select_option("#id_default_warehouse", "HOOFD")  # a pick list of Visma.net's warehouses
    page.click('[data-testid="check-btn-default_warehouse"]')
    expect(page.locator('[data-testid="check-default_warehouse"]')).to_have_attribute("data-ok", "1")
    page.check("#id_terms")
    page.click('[data-testid="save-settings"]')

    # Saved: active, the first import ran (eagerly), the progress bar shows 100 %.
    expect(page.locator('[data-testid="success"]')).to_contain_text("INTEGRATIE SUCCESVOL!")
    expect(page.locator('[data-testid="progress"]')).to_have_attribute("data-percent", "100", timeout=60_000)
    integration = Integration.all_tenants.get(tenant=tenant_a)
    assert integration.status == IntegrationStatus.ACTIVE
    with tenant_context(tenant_a):
        assert Customer.objects.filter(number="10001").exists()
        assert not Customer.objects.filter(number="OUD-1").exists()

    # The status page.
    page.click('[data-testid="to-status"]')
    expect(page.locator('[data-testid="status"]')).to_have_text("ACTIEF")
    expect(page.locator('[data-testid="status-company"]')).to_have_text("Installatietechniek Demo B.V. (4710001)")
    expect(page.locator('[data-testid="status-tables"]')).to_contain_text("Klant")

    # The log filtered to errors.
    with tenant_context(tenant_a):
        log(integration, LogLevel.ERROR, LogTable.WORK_ORDER,
            gettext_noop("Item %(item)s does not exist in Visma.net."), params={"item": "ONBEKEND"})
    page.goto(f"{base}/integraties/logging/")
    page.select_option('[data-testid="filter-level"]', "error")
    page.click('[data-testid="filter-apply"]')
    page.wait_for_url(re.compile(r"level=error"))
    rows = page.locator('[data-testid="log-entry"]')
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Artikel ONBEKEND bestaat niet in Visma.net.")
    expect(rows.first).to_have_class(re.compile("log-error"))

    # Deactivation, after the confirmation question.
    page.goto(f"{base}/integraties/vismanet/")
    page.click('[data-testid="deactivate"]')
    expect(page.locator('[data-testid="deactivate-question"]')).to_contain_text("Weet je zeker")
    page.click('[data-testid="deactivate-confirm"]')
    expect(page.locator('[data-testid="status"]')).to_have_text("INACTIEF")
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.INACTIVE and integration.ended_at is not None
