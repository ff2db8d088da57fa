"""The Visma.net settings page in headless Chromium for a new office user (issue 15): fields
that do not apply are hidden and appear when they apply; a failed "Opslaan" shows a banner at
the top naming the failing checks with links to them, and the focus is on the first failing
field. Also: step 1 with nothing to wipe says so and goes on without an erase to confirm."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_activation_wizard import visma_live  # noqa: F401 (fixture)
from tests.browser.test_workorder_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _to_settings(page, base: str, demo_tenant_id: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/integraties/vismanet/activeren/wissen/")
    # Nothing in Werkbon yet: nothing to wipe, no erase to confirm, "Verder" goes on.
    expect(page.locator('[data-testid="wipe-nothing"]')).to_be_visible()
    expect(page.locator('[data-testid="wipe-confirm"]')).to_be_hidden()
    assert not page.eval_on_selector('[data-testid="wipe-confirm"]', "e => e.required")  # "Verder" is not held up
    page.click('[data-testid="wipe-continue"]')
    expect(page.locator(".messages")).to_contain_text("Er was niets te wissen")
    page.click('[data-testid="connect"]')
    page.wait_for_url(re.compile(r"/connect/authorize"))
    page.check(f"input[name=tenant_id][value='{demo_tenant_id}']")
    page.click("button[value=allow]")
    page.wait_for_url(re.compile(r"/activeren/administratie/"))
    page.click('[data-testid="confirm-company"]')
    page.wait_for_url(re.compile(r"/activeren/instellingen/"))


def test_fields_show_when_they_apply_and_a_failed_save_points_at_the_first_problem(
        page, live_server, tenant_a, office_a, tech_a, visma_live):  # noqa: F811
    from playwright.sync_api import expect

    base = live_server.url.replace("127.0.0.1", "localhost")  # a redirect URI the sandbox accepts
    log_in(page, base, office_a.username)
    _to_settings(page, base, visma_live.demo.DEMO_TENANT_ID)

    steps = page.locator('[data-testid="wizard-steps"]')
    expect(steps.locator('[data-testid="wizard-step-1"]')).to_have_attribute("data-state", "done")
    expect(steps.locator('[data-testid="wizard-step-3"]')).to_have_attribute("aria-current", "step")

    default_item = page.locator("#field-default_item")
    order_filter = page.locator("#field-order_import_filter_word")
    warehouse = page.locator("#field-default_warehouse")
    per_user = page.locator("#field-warehouse_per_user")
    # "Nee", "Niets", "Verkooporder": the default item and the order filter do not apply.
    expect(default_item).to_be_hidden()
    expect(order_filter).to_be_hidden()
    expect(warehouse).to_be_visible()
    page.select_option("#id_default_item_enabled", "1")
    expect(default_item).to_be_visible()
    page.check("input[name=order_import][value=sales_orders]")
    expect(order_filter).to_be_visible()
    page.check("input[name=target][value=customer_invoice]")
    expect(warehouse).to_be_hidden()
    expect(per_user).to_be_hidden()
    expect(page.locator("#field-sales_order_type")).to_be_visible()  # the import of sales orders reads it
    page.check("input[name=order_import][value=nothing]")
    expect(order_filter).to_be_hidden()
    expect(page.locator("#field-sales_order_type")).to_be_hidden()
    page.check("input[name=target][value=sales_order]")
    expect(warehouse).to_be_visible()

    # A stock item for work time (a check fails) and no default item while "Ja" (a form error).
    page.fill("#id_work_time_item", "VRD-2001")
    page.select_option("#id_default_warehouse", "HOOFD")
    page.check("#id_terms")
    page.click('[data-testid="save-settings"]')

    banner = page.locator('[data-testid="checks-failed"]')
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Niet opgeslagen")
    expect(banner.locator('a[href="#field-work_time_item"]')).to_be_visible()
    expect(banner).to_contain_text("VRD-2001 is een voorraadartikel")
    expect(banner.locator('a[href="#field-default_item"]')).to_be_visible()
    banner_top = banner.bounding_box()["y"] + page.evaluate("window.scrollY")
    form_top = page.locator("#settings-form").bounding_box()["y"] + page.evaluate("window.scrollY")
    assert banner_top < form_top  # at the top, above the form
    expect(page.locator("#id_work_time_item")).to_be_focused()  # the first failing field
    # The fields stay shown as answered; the link moves the focus to its field.
    expect(default_item).to_be_visible()
    banner.locator('a[href="#field-default_item"]').click()
    expect(page.locator("#id_default_item")).to_be_focused()
