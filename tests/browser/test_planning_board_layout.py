"""The planning board's layout at desktop sizes (review of issue 11): the week fits its column
or scrolls inside its own container with the technician column sticky; overlapping cards keep
their times readable (wrapped, with the full text in the card's title); a card's customer line
is not cut off halfway. Screenshots: test-artifacts/planning-<width>.png."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.browser.test_workorder_flow import log_in
from tests.conftest import make_user
from werkbon.accounts.models import Role
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import services
from werkbon.workorders.forms import local_datetime
from werkbon.workorders.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
from tests.fixtures.browser import ARTIFACTS  # noqa: E402  (test-artifacts/, ignored by git)


def test_the_board_fits_at_1280_and_1440_and_overlapping_cards_stay_readable(
        page, live_server, tenant_a, office_a, tech_a):
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday()) + dt.timedelta(days=7)
    make_user(tenant_a, "fatima", Role.TECHNICIAN, first_name="Fatima", last_name="El Amrani-Boukhari")
    with tenant_context(tenant_a):
        customer = Customer.objects.create(number="10001", name="Vereniging van Eigenaren Residence")
        orders = [services.create_work_order(customer=customer, technicians=[tech_a], planned_minutes=m,
                                             planned_start=local_datetime(monday + dt.timedelta(days=1), t))
                  for t, m in ((dt.time(9), 120), (dt.time(9, 30), 60), (dt.time(10), 90))]
        services.create_work_order(customer=customer, technicians=[tech_a], planned_minutes=30,
                                   planned_start=local_datetime(monday + dt.timedelta(days=2), dt.time(13)))
    log_in(page, live_server.url, office_a.username)
    for width in (1280, 1440):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/werkorders/planning/?week={monday.isoformat()}")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"planning-{width}.png"), full_page=True)
        layout = page.evaluate("""() => {
            const wrap = document.querySelector('.board-wrap').getBoundingClientRect();
            const board = document.querySelector('table.board').getBoundingClientRect();
            const sunday = document.querySelectorAll('table.board thead th')[7];
            const times = [...document.querySelectorAll('.timeline .job .job-time, .timeline .job .job-start')]
                .filter((t) => getComputedStyle(t).display !== 'none').map(
                (t) => ({w: t.scrollWidth, cw: t.parentElement.clientWidth,
                         bottom: t.getBoundingClientRect().bottom,
                         card: t.closest('.job').getBoundingClientRect().bottom}));
            const customers = [...document.querySelectorAll('.timeline .job .job-customer')]
                .filter((c) => getComputedStyle(c).display !== 'none').map(
                (c) => ({bottom: c.getBoundingClientRect().bottom,
                         card: c.closest('.job').getBoundingClientRect().bottom}));
            return {wrap: wrap.right, board: board.right, sunday: sunday.scrollWidth <= sunday.clientWidth,
                    times, customers};
        }""")
        assert layout["board"] <= layout["wrap"] + 1, (width, layout)  # fits: nothing cut off
        assert layout["sunday"], width
        for t in layout["times"]:
            assert t["w"] <= t["cw"] + 1 and t["bottom"] <= t["card"] + 1, (width, t)
        for c in layout["customers"]:
            assert c["bottom"] <= c["card"] + 1, (width, c)
    # the full text is in each card's title
    title = page.locator(f'[data-testid="job-{orders[1].number}"]').get_attribute("title")
    assert "09:30–10:30" in title and "Vereniging van Eigenaren Residence" in title


def test_a_job_outside_the_working_hours_is_visible_at_the_edge(page, live_server, tenant_a,
                                                               office_a, tech_a):
    """New-user review: a job planned 20:24–21:24 was a sliver of 2.5 % at the bottom of the
    day. It is drawn at the bottom of the day, an hour tall, with an arrow and its real start."""
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday()) + dt.timedelta(days=7)
    with tenant_context(tenant_a):
        customer = Customer.objects.create(number="10001", name="Bakkerij De Vries")
        evening = services.create_work_order(
            customer=customer, technicians=[tech_a], planned_minutes=60,
            planned_start=local_datetime(monday + dt.timedelta(days=1), dt.time(20, 24)))
    log_in(page, live_server.url, office_a.username)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/werkorders/planning/?week={monday.isoformat()}")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "planning-outside-hours.png"), full_page=True)
    box = page.evaluate("""(number) => {
        const card = document.querySelector(`[data-testid="job-${number}"]`);
        const day = card.closest('.timeline').getBoundingClientRect(), box = card.getBoundingClientRect();
        const marker = card.querySelector('.job-outside');
        return {height: box.height, top: box.top - day.top, bottom: day.bottom - box.bottom,
                dayHeight: day.height, marker: marker && marker.innerText,
                markerVisible: !!marker && marker.getBoundingClientRect().bottom <= box.bottom + 1};
    }""", evening.number)
    assert box["height"] >= box["dayHeight"] / 12, box  # an hour of the 10-hour day, not 2.5 %
    assert -1 <= box["bottom"] <= 2, box  # at the bottom edge, inside the day
    assert box["marker"].startswith("↓ 20:24") and box["markerVisible"], box
    capacity = page.locator(f'[data-testid="capacity-{tech_a.username}-{(monday + dt.timedelta(days=1)).isoformat()}"]')
    assert capacity.inner_text() == "1 / 10 u"
