"""The Content-Security-Policy on the main pages (issue 10): the ``page`` fixture fails a
test when a document of the live server lacks the header or Chromium reports a
violation (tests/fixtures/browser.py); this walk visits the pages the other browser
tests do not, as the office and as a technician, using what runs script on them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.browser.test_workorder_flow import log_in, log_out
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import services
from werkbon.workorders.models import Customer, FormQuestion, FormTemplate, Item, WorkAddress

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OFFICE_PAGES = [
    "/", "/werkorders/", "/werkorders/nieuw/", "/werkorders/planning/", "/werkorders/klanten/",
    "/werkorders/artikelen/", "/werkorders/artikelen/groepen/", "/werkorders/formulieren/",
    "/integraties/", "/api/v1/docs",
]


def test_the_pages_carry_the_policy_and_run_without_violations(page, live_server, tenant_a,
                                                                office_a, tech_a):
    from playwright.sync_api import expect

    with tenant_context(tenant_a):
        customer = Customer.objects.create(number="10001", name="Bakkerij De Vries")
        Customer.objects.create(number="10002", name="Garage Jansen")
        address = WorkAddress.objects.create(customer=customer, street="Dorpsstraat")
        Item.objects.create(number="KR-15", description="Koperen knie")
        template = FormTemplate.objects.create(name="Controle")
        FormQuestion.objects.create(template=template, label="Foto", kind="photo")
        monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
        order = services.create_work_order(
            customer=customer, work_address=address, description="Ketel",
            technicians=[tech_a],
            planned_start=timezone.make_aware(dt.datetime.combine(monday, dt.time(9))))
    base = live_server.url
    log_in(page, base, "office_a")
    for path in [*OFFICE_PAGES, f"/werkorders/{order.pk}/", f"/werkorders/{order.pk}/bewerken/"]:
        response = page.goto(base + path)
        assert response.status == 200, path
    # the scripts moved to static files still work: customer search, language switch
    page.goto(base + "/werkorders/nieuw/")
    page.fill('[data-testid="customer-search"]', "garage")
    expect(page.locator('[data-testid="customer"]')).to_have_value(
        str(Customer.all_tenants.get(number="10002").pk))
    page.select_option('select[name="language"]', "en")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.select_option('select[name="language"]', "nl")
    page.wait_for_load_state()
    log_out(page)
    log_in(page, base, "tech_a")
    for path in ["/werkorders/mijn/", f"/werkorders/mijn/{order.pk}/",
                 f"/werkorders/{order.pk}/formulier/{template.pk}/"]:
        assert page.goto(base + path).status == 200, path
    assert page.csp_watch.documents >= len(OFFICE_PAGES) + 5
    assert page.csp_watch.problems == []
