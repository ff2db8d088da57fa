"""The technician's screens on a phone (issue 2: "the technician screens work on a phone").

A 390×844 mobile touch screen walks my work orders → the work order → time and a material
line → complete. On every page the layout is the phone's own width (the meta viewport is
honoured, so nothing is zoomed out), nothing scrolls sideways, and the main buttons lie
fully inside the screen's width with a finger-sized height.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.browser.test_workorder_flow import log_in
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import services
from werkbon.workorders.models import Customer, Item, WorkAddress, WorkOrderStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 390
MIN_TAP_HEIGHT = 32  # CSS pixels; a finger needs about 7-9 mm


def assert_fits_the_phone(page, where: str, buttons: list[str]) -> None:
    size = page.evaluate("""() => ({
        scroll: document.documentElement.scrollWidth,
        body: document.body.scrollWidth,
        inner: window.innerWidth})""")
    # innerWidth is 980 when a mobile browser zooms a desktop layout out
    assert size["inner"] == WIDTH, f"{where}: laid out {size['inner']} px wide, not the phone's {WIDTH}"
    assert size["scroll"] <= size["inner"], f"{where}: scrolls sideways ({size})"
    assert size["body"] <= size["inner"], f"{where}: the body is wider than the screen ({size})"
    for testid in buttons:
        button = page.locator(f'[data-testid="{testid}"]').first
        button.scroll_into_view_if_needed()
        assert button.is_visible(), f"{where}: {testid} is not visible"
        box = button.bounding_box()
        assert box is not None, f"{where}: {testid} has no box"
        assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH + 0.5, (
            f"{where}: {testid} sticks out of the screen ({box})")
        assert box["height"] >= MIN_TAP_HEIGHT, f"{where}: {testid} is too small to tap ({box})"


def test_a_technician_does_the_whole_job_on_a_phone(phone_page, live_server, tenant_a, tech_a,
                                                    monkeypatch):
    from playwright.sync_api import expect

    from werkbon.customermail import tasks
    from werkbon.workorders import installations

    monkeypatch.setattr(tasks.send_customer_mail, "delay", lambda mail_id: None)  # no worker here
    tenant_a.customer_mail_enabled = True  # the completion form asks where to e-mail it
    tenant_a.save()
    page = phone_page
    with tenant_context(tenant_a):
        # long, realistic texts: the layout must wrap them, not widen the page
        customer = Customer.objects.create(
            number="10001", name="Müller Installatie- en Verwarmingstechniek Noord-Nederland B.V.")
        address = WorkAddress.objects.create(
            customer=customer, street="Burgemeester van Roijensingel", house_number="112-bis",
            postal_code="8011 CW", city="Zwolle")
        item = Item.objects.create(
            number="CV-EXPANSIEVAT-18L-WANDMONTAGE",
            description="Expansievat 18 liter met wandbeugel en aansluitset ¾ duim, grijs",
            unit="st", sales_price=Decimal("89.50"))
        order = services.create_work_order(
            customer=customer, work_address=address, customer_reference="PO-2025-000123456",
            description="Expansievat vervangen; ketel ontluchten en waterdruk op 1,5 bar zetten. "
                        "Sleutel ligt bij de buren (nr. 114).",
            technicians=[tech_a],
            planned_start=timezone.make_aware(dt.datetime.combine(timezone.localdate(),
                                                                  dt.time(8, 0))))
        # The boiler's service history: an earlier work order done on it.
        boiler = installations.create_installation(work_address=address, name="CV-ketel")
        earlier = services.create_work_order(
            customer=customer, work_address=address, description="", technicians=[tech_a],
            planned_start=timezone.now() - dt.timedelta(days=3))
        for named in (earlier, order):
            services.set_installations(named, installations=[boiler])
        services.complete(earlier, user=tech_a)
    base = live_server.url

    log_in(page, base, tech_a.username)
    page.goto(f"{base}/werkorders/mijn/")
    open_order = f"open-order-{order.number}"
    expect(page.locator(f'[data-testid="{open_order}"]')).to_be_visible()
    assert_fits_the_phone(page, "my work orders", [open_order])

    page.locator(f'[data-testid="{open_order}"]').tap()
    page.wait_for_url(re.compile(rf"/werkorders/mijn/{order.pk}/$"))
    assert_fits_the_phone(page, "the work order", ["add-time", "add-material", "complete"])
    # Each cell of the history row says what it is (the table's header is hidden on a phone).
    labels = page.locator('[data-testid="history-entry"] .cell-label')
    expect(labels).to_have_count(5)
    for index, label in enumerate(["Werkbon:", "Datum:", "Monteurs:", "Uitgevoerd werk:", "Materialen:"]):
        expect(labels.nth(index)).to_be_visible()
        expect(labels.nth(index)).to_have_text(label)

    page.select_option('[data-testid="time-kind"]', "work")
    page.fill('[data-testid="time-minutes"]', "95")
    page.locator('[data-testid="add-time"]').tap()
    page.wait_for_load_state()
    expect(page.locator('[data-testid="work-minutes"]')).to_have_text("95")
    assert_fits_the_phone(page, "after registering time", ["add-time", "add-material", "complete"])

    page.fill('[data-testid="item-search"]', "expansievat")
    expect(page.locator('[data-testid="mat-item"] option')).to_have_count(1)
    page.select_option('[data-testid="mat-item"]', str(item.pk))
    page.fill('[data-testid="mat-quantity"]', "1")
    page.fill('[data-testid="mat-note"]', "oude vat afgevoerd via de container van de klant")
    page.locator('[data-testid="add-material"]').tap()
    page.wait_for_load_state()
    expect(page.locator('[data-testid="material-line"]')).to_have_count(1)
    assert_fits_the_phone(page, "after adding a material line", ["add-material", "complete"])

    # An address the server refuses: the page comes back with what was typed and the error.
    page.fill('[data-testid="signed-by"]', "Jörg Müller")
    page.fill('[data-testid="customer-email"]', "muller@bakkerij")
    page.locator('[data-testid="complete"]').tap()  # the confirm() is accepted
    page.wait_for_load_state()
    expect(page.locator('[data-testid="customer-email-errors"]')).to_contain_text(
        "Voer een geldig e-mailadres in")
    expect(page.locator('[data-testid="signed-by"]')).to_have_value("Jörg Müller")
    expect(page.locator('[data-testid="customer-email"]')).to_have_value("muller@bakkerij")
    assert_fits_the_phone(page, "the refused completion", ["complete"])
    page.fill('[data-testid="customer-email"]', "muller@bakkerij.example")
    page.locator('[data-testid="complete"]').tap()
    page.wait_for_url(re.compile(r"/werkorders/mijn/$"))
    expect(page.locator(".messages")).to_contain_text(
        f"Werkbon {order.number} is gereed gemeld; de werkbon wordt gemaild naar "
        "muller@bakkerij.example.")
    expect(page.locator(f'[data-testid="{open_order}"]')).to_have_count(0)
    assert_fits_the_phone(page, "my work orders after completing", [])

    with tenant_context(tenant_a):
        order.refresh_from_db()
        assert order.status == WorkOrderStatus.COMPLETED
        assert order.signed_by_name == "Jörg Müller"
        assert services.total_minutes(order, "work") == 95
        assert [(line.item.number, line.quantity) for line in order.material_lines.all()] == [
            ("CV-EXPANSIEVAT-18L-WANDMONTAGE", Decimal("1.000"))]
