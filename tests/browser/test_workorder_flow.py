"""The whole job in headless Chromium: office creates and plans, technician registers and
completes, office archives (issue 2's acceptance flow)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.conftest import PASSWORD
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import services
from werkbon.workorders.models import Customer, Item, WorkAddress, WorkOrder, WorkOrderStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click('[data-testid="login-submit"]')
    page.wait_for_load_state()


def log_out(page) -> None:
    page.click('[data-testid="logout"]')
    page.wait_for_url(re.compile(r"/accounts/login/"))


def add_material(page, search: str, item: Item, quantity: str, note: str) -> None:
    from playwright.sync_api import expect

    page.fill('[data-testid="item-search"]', search)
    # htmx replaces the options with the matches; wait until only our item is left.
    options = page.locator('[data-testid="mat-item"] option')
    expect(options).to_have_count(1)
    expect(options.first).to_have_attribute("value", str(item.pk))
    page.select_option('[data-testid="mat-item"]', str(item.pk))
    page.fill('[data-testid="mat-quantity"]', quantity)
    page.fill('[data-testid="mat-note"]', note)
    page.click('[data-testid="add-material"]')
    page.wait_for_load_state()


def test_it_runs_a_work_order_from_creation_to_archive(page, live_server, tenant_a, office_a,
                                                         tech_a):
    from playwright.sync_api import expect

    with tenant_context(tenant_a):
        customer = Customer.objects.create(number="10001", name="Bakkerij Müller & Zoën")
        Customer.objects.create(number="10002", name="Café De Gouden Leeuw")
        address = WorkAddress.objects.create(customer=customer, street="Dorpsstraat",
                                             house_number="12", postal_code="7901 AB",
                                             city="Hoogeveen")
        pipe = Item.objects.create(number="SAN-PIJP15", description="Koperen pijp 15 mm",
                                   unit="m", sales_price=Decimal("4.95"))
        tap = Item.objects.create(number="CV-VULKRAAN", description="Vulkraan ½ duim",
                                  unit="st", sales_price=Decimal("12.95"))
    base = live_server.url
    today = timezone.localdate().isoformat()

    # Office: create the work order.
    log_in(page, base, office_a.username)
    page.click('[data-testid="new-work-order"]')
    page.fill('[data-testid="customer-search"]', "müller")
    expect(page.locator('[data-testid="customer"]')).to_have_value(str(customer.pk))
    # the customer's work addresses arrive through htmx
    expect(page.locator(f'[data-testid="work-address"] option[value="{address.pk}"]')).to_have_count(1)
    page.select_option('[data-testid="work-address"]', str(address.pk))
    page.fill("#id_description", "CV-ketel lekt; expansievat controleren.")
    page.fill("#id_customer_reference", "PO-4711")
    page.click('[data-testid="save-work-order"]')
    page.wait_for_url(re.compile(r"/werkorders/\d+/$"))
    with tenant_context(tenant_a):
        order = WorkOrder.objects.get(customer_reference="PO-4711")
    assert order.status == WorkOrderStatus.OPEN
    assert order.work_address_id == address.pk

    # Office: plan it for the technician on the planning board.
    page.goto(f"{base}/werkorders/planning/")
    unplanned = page.locator(f'[data-testid="unplanned-{order.number}"]')
    unplanned.locator("summary").click()
    form = page.locator(f'[data-testid="plan-form-{order.number}"]')
    form.locator('[data-testid="plan-technician"]').select_option(str(tech_a.pk))
    form.locator('[data-testid="plan-date"]').fill(today)
    form.locator('[data-testid="plan-time"]').fill("10:30")
    form.locator('[data-testid="plan-submit"]').click()
    page.wait_for_load_state()
    cell = page.locator(f'[data-testid="cell-{tech_a.username}-{today}"]')
    expect(cell.locator(f'[data-testid="job-{order.number}"]')).to_contain_text("10:30")
    expect(page.locator(f'[data-testid="unplanned-{order.number}"]')).to_have_count(0)
    log_out(page)

    # Technician: register time and materials, then complete.
    log_in(page, base, tech_a.username)
    page.click(f'[data-testid="open-order-{order.number}"]')
    expect(page.locator('[data-testid="customer-name"]')).to_contain_text("Bakkerij Müller & Zoën")
    for kind, minutes in (("work", "135"), ("travel", "20")):
        page.select_option('[data-testid="time-kind"]', kind)
        page.fill('[data-testid="time-minutes"]', minutes)
        page.click('[data-testid="add-time"]')
        page.wait_for_load_state()
    expect(page.locator('[data-testid="work-minutes"]')).to_have_text("135")
    expect(page.locator('[data-testid="travel-minutes"]')).to_have_text("20")
    add_material(page, "pijp", pipe, "1,5", "onder het aanrecht")
    add_material(page, "vulkraan", tap, "1", "")
    expect(page.locator('[data-testid="material-line"]')).to_have_count(2)
    page.fill('[data-testid="signed-by"]', "Jörg Müller")
    page.click('[data-testid="complete"]')
    page.wait_for_url(re.compile(r"/werkorders/mijn/$"))
    expect(page.locator(f'[data-testid="open-order-{order.number}"]')).to_have_count(0)
    log_out(page)

    # Office: review and archive.
    log_in(page, base, office_a.username)
    page.goto(f"{base}/werkorders/{order.pk}/")
    expect(page.locator('[data-testid="status"]').first).to_have_text("Gereed gemeld")
    expect(page.locator('[data-testid="work-total"]')).to_contain_text("2,25")
    expect(page.locator('[data-testid="travel-total"]')).to_contain_text("0,33")
    page.click('[data-testid="archive"]')
    page.click('[data-testid="archive-confirm"]')  # the confirmation shows what is sent
    page.wait_for_load_state()
    expect(page.locator('[data-testid="status"]').first).to_have_text("Gearchiveerd")
    expect(page.locator('[data-testid="read-only"]')).to_be_visible()
    expect(page.locator('[data-testid="archive"]')).to_have_count(0)
    expect(page.locator('[data-testid="signed-off"]')).to_contain_text("Jörg Müller")

    with tenant_context(tenant_a):
        order.refresh_from_db()
        assert order.status == WorkOrderStatus.ARCHIVED
        assert order.archived_by_id == office_a.pk
        assert order.signed_by_name == "Jörg Müller"
        assert services.total_minutes(order, "work") == 135
        assert services.total_minutes(order, "travel") == 20
        lines = sorted((line.item.number, line.quantity)
                       for line in order.material_lines.select_related("item"))
        assert lines == [("CV-VULKRAAN", Decimal("1.000")), ("SAN-PIJP15", Decimal("1.500"))]
        assert list(order.technicians.all()) == [tech_a]
