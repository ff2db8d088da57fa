"""Usability of the technician's offline app on a phone (390×844), from a new user's review:
the screen stays on the order while the queue is sent, the waiting actions take little room,
"Nu verzenden" says why it cannot send, each waiting action says what it is, and the app
speaks and writes dates as the website does."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from tests.browser.test_offline_app import (
    expect_queue,
    go_offline_and_reload,
    job,  # noqa: F401 (fixture)
    make_order_on_site,
    offline_with_on_site_orders,
    open_app,
    open_app_offline,
    png_bytes,
)
from tests.browser.test_workorder_flow import log_in
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders.models import FormAnswer, FormQuestion, FormTemplate, TimeEntry, WorkOrder

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def add_time(page, minutes: int) -> None:
    page.fill('[data-testid="app-time-minutes"]', str(minutes))
    page.click('[data-testid="app-add-time"]')


def test_the_screen_stays_on_the_order_while_its_queue_is_sent(
        phone_page, live_server, tenant_a, tech_a, job):  # noqa: F811
    """Offline: a work order made on site with 45 minutes; online: the screen stays on it,
    under its real number (the hash names the server's id). The same for a planned order."""
    from playwright.sync_api import expect

    page = phone_page
    base = live_server.url
    offline_with_on_site_orders(page, base, tenant_a, tech_a)
    make_order_on_site(page, "Cv-ketel lekt")
    add_time(page, 45)
    expect_queue(page, 2)
    page.context.set_offline(False)
    expect_queue(page, 0)
    with tenant_context(tenant_a):
        made = WorkOrder.objects.get(created_by=tech_a)
    expect(page.locator('[data-testid="app-order-title"]')).to_have_text(f"Werkbon {made.number}")
    expect(page.locator('[data-testid="app-description"]')).to_have_text("Cv-ketel lekt")
    expect(page.locator('[data-testid="time-row"]')).to_have_count(1)
    expect(page.locator('[data-testid="time-row"]')).to_contain_text("45 min")
    expect(page.locator('[data-testid="time-row"]')).not_to_contain_text("wacht op verzending")
    assert page.evaluate("location.hash") == f"#werkbon/{made.pk}"
    page.go_back()  # the replaced hash is not in the history twice: back is the list
    expect(page.locator('[data-testid="app-orders"]')).to_be_visible()

    order = job["order"]
    page.goto(f"{base}/werkorders/app/#werkbon/{order.pk}")
    expect(page.locator('[data-testid="app-order-title"]')).to_have_text(f"Werkbon {order.number}")
    page.context.set_offline(True)
    add_time(page, 30)
    expect_queue(page, 1)
    page.context.set_offline(False)
    expect_queue(page, 0)
    expect(page.locator("body[data-syncing]")).to_have_count(0)
    with tenant_context(tenant_a):
        assert TimeEntry.objects.filter(work_order=order, minutes=30).exists()
    expect(page.locator('[data-testid="app-order-title"]')).to_have_text(f"Werkbon {order.number}")
    expect(page.locator('[data-testid="time-row"]')).to_contain_text("30 min")
    assert page.evaluate("location.hash") == f"#werkbon/{order.pk}"


def test_many_waiting_actions_keep_the_queue_panel_small(
        phone_page, live_server, tech_a, job):  # noqa: F811
    """Eight time entries waiting: the panel is one summary line (count, "Nu verzenden"), the
    form under it stays usable; tapped open, the list scrolls inside a bounded box."""
    from playwright.sync_api import expect

    page = phone_page
    base = live_server.url
    open_app_offline(page, base, tech_a)
    page.locator(f'[data-testid="app-open-order-{job["order"].number}"]').tap()
    for count, minutes in enumerate(range(10, 90, 10), start=1):
        add_time(page, minutes)
        expect_queue(page, count)
    bar = page.locator('[data-testid="sync-bar"]')
    assert bar.bounding_box()["height"] <= 150, bar.bounding_box()
    expect(page.locator('[data-testid="queued-action"]').first).to_be_hidden()
    page.locator('[data-testid="app-time-minutes"]').fill("5")
    page.locator('[data-testid="app-add-time"]').tap()  # not covered by the sticky panel
    expect_queue(page, 9)
    page.locator('[data-testid="queue-summary"]').tap()
    expect(page.locator('[data-testid="queued-action"]').first).to_be_visible()
    box = page.locator('[data-testid="queue-list"]').bounding_box()
    assert box["height"] <= 0.35 * 844, box
    page.locator('[data-testid="queue-summary"]').tap()
    expect(page.locator('[data-testid="queued-action"]').first).to_be_hidden()


def test_send_now_says_why_it_cannot_send_and_is_off_when_nothing_waits(
        phone_page, live_server, tech_a, job):  # noqa: F811
    from playwright.sync_api import expect

    page = phone_page
    base = live_server.url
    log_in(page, base, tech_a.username)
    open_app(page, base)
    send = page.locator('[data-testid="sync-now"]')
    expect(send).to_be_disabled()  # nothing waits
    go_offline_and_reload(page)
    expect(send).to_be_disabled()
    page.locator(f'[data-testid="app-open-order-{job["order"].number}"]').tap()
    add_time(page, 20)
    expect_queue(page, 1)
    expect(send).to_be_enabled()
    send.click()
    expect(page.locator('[data-testid="sync-message"]')).to_have_text(
        "Geen verbinding: de acties worden verzonden zodra er weer verbinding is.")
    expect_queue(page, 1)
    page.context.set_offline(False)
    expect_queue(page, 0)
    expect(send).to_be_disabled()
    expect(page.locator('[data-testid="sync-message"]')).to_have_text("")


def test_each_waiting_action_says_what_it_is(
        phone_page, live_server, tenant_a, tech_a, job):  # noqa: F811
    """No entry ends in an empty separator: the form's name, the photo's caption, the
    signer, the customer of a new order; in Dutch and in English."""
    from playwright.sync_api import expect

    page = phone_page
    base = live_server.url
    order = job["order"]
    offline_with_on_site_orders(page, base, tenant_a, tech_a)
    make_order_on_site(page, "Cv-ketel lekt")
    page.goto(f"{base}/werkorders/app/#werkbon/{order.pk}")
    page.select_option('[data-testid="app-form-template"]', str(job["template"].pk))
    page.fill(f'[data-testid="app-question-{job["pressure"].pk}"]', "1,5 bar")
    page.click('[data-testid="app-save-form"]')
    expect_queue(page, 2)
    page.set_input_files('[data-testid="app-photo-file"]',
                         files=[{"name": "ketel.png", "mimeType": "image/png",
                                 "buffer": png_bytes("green")}])
    page.fill('[data-testid="app-photo-caption"]', "ketel na onderhoud")
    page.click('[data-testid="app-add-photo"]')
    expect_queue(page, 3)
    page.set_input_files('[data-testid="app-photo-file"]',
                         files=[{"name": "meter.png", "mimeType": "image/png",
                                 "buffer": png_bytes("red")}])
    page.click('[data-testid="app-add-photo"]')  # no caption: the file name
    expect_queue(page, 4)
    page.fill('[data-testid="app-signed-by"]', "J. de Korrel")
    canvas = page.locator('[data-testid="app-signature"]')
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + 90)
    page.mouse.up()
    page.click('[data-testid="app-complete"]')
    expect_queue(page, 6)
    n = order.number
    expect(page.locator('[data-testid="queued-action"]')).to_have_text([
        "Werkbon aanmaken · Bakkerij De Korrel",
        f"Formulier opslaan · werkbon {n} · Keuring",
        f"Foto toevoegen · werkbon {n} · ketel na onderhoud",
        f"Foto toevoegen · werkbon {n} · meter.jpg",
        f"Handtekening · werkbon {n} · J. de Korrel",
        f"Gereed melden · werkbon {n} · J. de Korrel",
    ])
    host = base.split("//", 1)[1].split(":")[0]
    page.context.add_cookies([{"name": "django_language", "value": "en", "domain": host, "path": "/"}])
    page.reload()
    expect(page.locator("body[data-ready]")).to_have_count(1)
    expect(page.locator('[data-testid="queued-action"]').first).to_have_text(
        "Make work order · Bakkerij De Korrel")


def test_the_app_speaks_and_writes_dates_as_the_website(
        phone_page, live_server, tenant_a, tech_a, job):  # noqa: F811
    """Informal Dutch ("je"), dates as dd-mm-jjjj, yes/no questions as "Ja"/"Nee" radio
    buttons (the answer still goes as "yes")."""
    from playwright.sync_api import expect

    with tenant_context(tenant_a):
        template = FormTemplate.objects.create(name="Controle")
        question = FormQuestion.objects.create(template=template, label="Lekt het nog?",
                                               kind="yes_no", required=True, position=1)
    page = phone_page
    base = live_server.url
    order = job["order"]
    log_in(page, base, tech_a.username)
    open_app(page, base)
    today = timezone.localdate()
    # the planned start as the website writes it: a weekday, dd-mm-jjjj, the time
    expect(page.locator(f'[data-testid="app-open-order-{order.number}"]')).to_contain_text(
        f"{today:%d-%m-%Y} 08:00")
    go_offline_and_reload(page)
    page.locator(f'[data-testid="app-open-order-{order.number}"]').tap()
    add_time(page, 20)
    expect(page.locator('[data-testid="time-row"]')).to_have_text(
        re.compile(rf"^{today:%d-%m-%Y} · Werktijd · 20 min"))
    expect(page.locator('[data-testid="last-sync"]')).to_have_text(
        re.compile(r"^\d\d-\d\d-\d{4} \d\d:\d\d$"))
    page.select_option('[data-testid="app-form-template"]', str(template.pk))
    yes = page.get_by_role("radio", name="Ja")
    expect(yes).to_have_count(1)
    expect(page.get_by_role("radio", name="Nee")).to_have_count(1)
    yes.check()
    page.click('[data-testid="app-save-form"]')
    expect_queue(page, 2)
    page.evaluate("() => { window.confirm = (text) => { window.asked = text; return false; }; }")
    page.click('[data-testid="app-logout"]')  # answered "no": stays logged in
    page.wait_for_function("() => !!window.asked")
    assert "als je weer inlogt" in page.evaluate("window.asked")
    page.context.set_offline(False)
    expect_queue(page, 0)
    expect(page.locator("body[data-syncing]")).to_have_count(0)
    with tenant_context(tenant_a):
        assert FormAnswer.objects.get(question=question).value == "yes"
