"""A technician makes a work order on site on a phone (390×844) and registers time and material
on it (issue 11): my work orders → "Nieuwe werkbon ter plaatse" → customer and work address →
the new work order → time → material. The time row keeps its label and unit; the office's
list says the order was made on site."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.browser.test_technician_phone import assert_fits_the_phone
from tests.browser.test_workorder_flow import log_in
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders.models import Customer, Item, WorkAddress, WorkOrder, WorkOrderStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_technician_makes_a_work_order_on_site_and_registers_on_it(
        phone_page, live_server, tenant_a, tech_a):
    from playwright.sync_api import expect

    page = phone_page
    with tenant_context(tenant_a):
        customer = Customer.objects.create(number="10001", name="Bakkerij De Vries")
        address = WorkAddress.objects.create(customer=customer, street="Dorpsstraat",
                                             house_number="12", postal_code="3511 AA",
                                             city="Utrecht")
        Customer.objects.create(number="10002", name="Oud Klant", status="inactive")
        item = Item.objects.create(number="KR-15", description="Koperen knie 15 mm", unit="st",
                                   sales_price=Decimal("1.95"))
    base = live_server.url

    log_in(page, base, tech_a.username)
    page.goto(f"{base}/werkorders/mijn/")
    assert_fits_the_phone(page, "my work orders", ["new-on-site"])
    page.locator('[data-testid="new-on-site"]').tap()
    page.wait_for_url(re.compile(r"/werkorders/mijn/nieuw/$"))
    expect(page.locator("h1")).to_have_text("Nieuwe werkbon ter plaatse")
    customers = page.locator('[data-testid="on-site-customer"] option')
    expect(customers).to_have_count(2)  # "---------" and the one active customer
    page.select_option('[data-testid="on-site-customer"]', str(customer.pk))
    expect(page.locator('[data-testid="on-site-address"] option')).to_have_count(2)
    page.select_option('[data-testid="on-site-address"]', str(address.pk))
    page.fill('[data-testid="on-site-description"]', "Lekkage onder het aanrecht")
    assert_fits_the_phone(page, "the on-site form", ["on-site-create"])
    page.locator('[data-testid="on-site-create"]').tap()
    page.wait_for_url(re.compile(r"/werkorders/mijn/\d+/$"))
    expect(page.locator('[data-testid="work-address"]')).to_contain_text("Dorpsstraat 12")

    page.select_option('[data-testid="time-kind"]', "work")
    page.fill('[data-testid="time-minutes"]', "135")
    page.locator('[data-testid="add-time"]').tap()
    page.wait_for_load_state()
    expect(page.locator('[data-testid="time-minutes-cell"]')).to_have_text("135 min")
    expect(page.locator('[data-testid="time-kind-cell"]')).to_have_text("Werktijd")
    expect(page.locator('[data-testid="time-minutes-cell"]')).to_be_visible()

    page.fill('[data-testid="item-search"]', "knie")
    expect(page.locator('[data-testid="mat-item"] option')).to_have_count(1)
    page.select_option('[data-testid="mat-item"]', str(item.pk))
    page.fill('[data-testid="mat-quantity"]', "2")
    page.locator('[data-testid="add-material"]').tap()
    page.wait_for_load_state()
    expect(page.locator('[data-testid="material-line"]')).to_have_count(1)
    assert_fits_the_phone(page, "the work order made on site", ["add-time", "add-material",
                                                                 "complete"])

    with tenant_context(tenant_a):
        order = WorkOrder.objects.get()
        assert (order.status, order.created_by_id) == (WorkOrderStatus.PLANNED, tech_a.pk)
        assert [(e.kind, e.minutes) for e in order.time_entries.all()] == [("work", 135)]
        assert [(m.item_number, m.quantity) for m in order.material_lines.all()] == [
            ("KR-15", Decimal("2.000"))]
