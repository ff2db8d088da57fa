"""Installations in the browser (issue 11): the office adds one at a work address, names it on
a done work order and sees its service history; the technician names it on today's work
order on a phone (390×844) and sees the same history there."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.browser.test_technician_phone import assert_fits_the_phone
from tests.browser.test_workorder_flow import log_in
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import services
from werkbon.workorders.models import Customer, InstalledObject, WorkAddress

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_office_adds_an_installation_and_the_technician_sees_its_history(
        page, phone_page, live_server, tenant_a, office_a, tech_a):
    from playwright.sync_api import expect

    with tenant_context(tenant_a):
        customer = Customer.objects.create(number="10001", name="Bakkerij De Vries")
        address = WorkAddress.objects.create(customer=customer, street="Dorpsstraat",
                                             house_number="12", city="Utrecht")
        planned = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(8, 0)))
        earlier = services.create_work_order(customer=customer, work_address=address,
                                             description="Ketel ontkalkt en ontlucht",
                                             technicians=[tech_a], planned_start=planned)
        services.add_time_entry(earlier, technician=tech_a, kind="work", minutes=90,
                                date=timezone.localdate())
        services.complete(earlier, user=tech_a)
        today = services.create_work_order(customer=customer, work_address=address,
                                           description="Jaarlijks onderhoud",
                                           technicians=[tech_a], planned_start=planned)
    base = live_server.url

    # The office: customer → the work address's installations → a new installation.
    log_in(page, base, office_a.username)
    page.goto(f"{base}/werkorders/klanten/{customer.pk}/")
    page.click(f'[data-testid="installations-{address.pk}"]')
    page.click('[data-testid="new-installation"]')
    page.fill("#id_name", "CV-ketel")
    page.fill("#id_brand", "Remeha")
    page.fill("#id_model", "Calenta Ace 28c")
    page.fill("#id_serial_number", "RM-2015-0042")
    page.fill("#id_year_installed", "2015")
    page.click('[data-testid="save"]')
    page.wait_for_url(re.compile(r"/werkorders/objecten/\d+/$"))
    with tenant_context(tenant_a):
        boiler = InstalledObject.objects.get()
    expect(page.locator('[data-testid="installation-facts"]')).to_contain_text("RM-2015-0042")
    expect(page.locator('[data-testid="history-entry"]')).to_have_count(0)

    # It was done on the earlier work order: the office names it there.
    page.goto(f"{base}/werkorders/{earlier.pk}/")
    page.check(f'input[name="inst-installations"][value="{boiler.pk}"]')
    page.click('[data-testid="save-installations"]')
    expect(page.locator('[data-testid="linked-installation"]')).to_contain_text("CV-ketel")
    page.goto(f"{base}/werkorders/objecten/{boiler.pk}/")
    entry = page.locator('[data-testid="history-entry"]')
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(str(earlier.number))
    expect(entry).to_contain_text("Ketel ontkalkt en ontlucht")

    # The technician, on the phone: names it on today's order and sees its history.
    phone = phone_page
    log_in(phone, base, tech_a.username)
    phone.goto(f"{base}/werkorders/mijn/{today.pk}/")
    phone.check(f'input[name="inst-installations"][value="{boiler.pk}"]')
    phone.locator('[data-testid="save-installations"]').tap()
    phone.wait_for_load_state()
    card = phone.locator('[data-testid="installations-card"]')
    expect(card.locator('[data-testid="linked-installation"]')).to_contain_text("CV-ketel")
    history = card.locator('[data-testid="history-entry"]')
    expect(history).to_have_count(1)
    expect(history).to_contain_text("Ketel ontkalkt en ontlucht")
    assert_fits_the_phone(phone, "installations on the work order", ["save-installations"])
    with tenant_context(tenant_a):
        assert list(today.installations.all()) == [boiler]
