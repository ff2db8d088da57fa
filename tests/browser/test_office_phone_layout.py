"""The office pages on a phone, 390×844 (new-user review): no page scrolls sideways, the
planning board keeps the full width with "Niet gepland" below it, and the tables that become
one column keep each value's column label ("Status: mislukt" instead of a bare "mislukt").
Screenshots: test-artifacts/phone-<page>.png."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.browser.test_workorder_flow import log_in
from tests.fixtures.browser import ARTIFACTS
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import services
from werkbon.workorders.models import Customer, Item, WorkAddress

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The cells (with text) of the page's one-column tables that show no label; a cell of buttons
# (class "actions": Wijzigen, Verwijderen) needs none.
UNLABELLED_CELLS = """() => [...document.querySelectorAll('table.responsive tbody td')]
    .filter((td) => td.textContent.trim() && !td.hasAttribute('colspan')
        && !td.classList.contains('actions')
        && getComputedStyle(td).display !== 'none')
    .filter((td) => {
        const label = getComputedStyle(td, '::before').content;
        return !label || label === 'none' || label === 'normal' || label === '""';
    })
    .map((td) => td.closest('table').dataset.testid + ': ' + td.textContent.trim())"""


@pytest.fixture
def office_data(tenant_a, tech_a):
    with tenant_context(tenant_a):
        # long names: the list's "Klant" filter offers them in a select
        customer = Customer.objects.create(
            number="10001", name="Vereniging van Eigenaren Residence Het Hooge Veen Oost")
        Customer.objects.create(number="10002", name="Stichting Woonzorg Drenthe Zuid-West")
        address = WorkAddress.objects.create(customer=customer, street="Dorpsstraat",
                                             house_number="12", postal_code="7901 AB",
                                             city="Hoogeveen")
        item = Item.objects.create(number="SAN-PIJP15", description="Koperen pijp 15 mm",
                                   unit="m", sales_price=Decimal("4.95"))
        monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
        order = services.create_work_order(
            customer=customer, work_address=address, description="CV-ketel lekt",
            technicians=[tech_a],
            planned_start=timezone.make_aware(dt.datetime.combine(monday, dt.time(9))))
        services.create_work_order(customer=customer, technicians=[tech_a],
                                   description="Nog niet gepland")
        services.add_time_entry(order, technician=tech_a, kind="work", minutes=90,
                                date=monday)
        services.add_material_line(order, item=item, quantity=Decimal("2"), technician=tech_a,
                                   note="links")
    return order


def test_the_office_pages_fit_a_phone_and_keep_their_labels(page, live_server, office_a,
                                                           office_data):
    base = live_server.url
    log_in(page, base, office_a.username)
    page.set_viewport_size({"width": 390, "height": 844})
    ARTIFACTS.mkdir(exist_ok=True)
    pages = {"list": "/werkorders/", "detail": f"/werkorders/{office_data.pk}/",
             "planning": "/werkorders/planning/", "items": "/werkorders/artikelen/",
             "customers": "/werkorders/klanten/"}
    problems = []
    for name, path in pages.items():
        page.goto(base + path)
        page.screenshot(path=str(ARTIFACTS / f"phone-{name}.png"), full_page=True)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > 390:
            problems.append(f"{name}: scrolls sideways (scrollWidth {width})")
        problems += [f"{name}: no label on {cell}" for cell in page.evaluate(UNLABELLED_CELLS)]
    assert problems == [], "\n".join(problems)


def test_the_planning_board_keeps_the_width_with_unplanned_below(page, live_server, office_a,
                                                                office_data):
    log_in(page, live_server.url, office_a.username)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/werkorders/planning/")
    layout = page.evaluate("""() => {
        const box = (selector) => document.querySelector(selector).getBoundingClientRect();
        const wrap = box('.board-wrap'), unplanned = box('[data-testid="unplanned"]');
        return {wrap: wrap.width, unplannedTop: unplanned.top, wrapBottom: wrap.bottom,
                unplannedWidth: unplanned.width};
    }""")
    assert layout["wrap"] >= 340, layout  # the board's scroll box spans the content width
    assert layout["unplannedTop"] >= layout["wrapBottom"], layout  # below, not beside
    assert layout["unplannedWidth"] >= 340, layout
