"""The office's planning board and archive confirmation in headless Chromium at desktop size
(issue 11): drag a work order to another technician and time, see the double-booking warning
and the capacity change, then archive a completed work order after the confirmation shows its
lines."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.browser.test_workorder_flow import log_in
from tests.conftest import make_user
from werkbon.accounts.models import Role
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import services
from werkbon.workorders.forms import local_datetime
from werkbon.workorders.models import Customer, Item, WorkOrder

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_office_moves_a_card_and_archives_after_confirmation(page, live_server, tenant_a, office_a, tech_a):
    from playwright.sync_api import expect

    today = timezone.localdate()
    wednesday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=9)  # next week
    day = wednesday.isoformat()
    fatima = make_user(tenant_a, "fatima", Role.TECHNICIAN, first_name="Fatima")
    with tenant_context(tenant_a):
        customer = Customer.objects.create(number="10001", name="Bakkerij Müller")
        pipe = Item.objects.create(number="SAN-PIJP15", description="Koperen pijp 15 mm", unit="m")
        hers = services.create_work_order(customer=customer, technicians=[fatima], planned_minutes=120,
                                          planned_start=local_datetime(wednesday, dt.time(9)))
        mine = services.create_work_order(customer=customer, technicians=[tech_a], planned_minutes=60,
                                          planned_start=local_datetime(wednesday, dt.time(14)))
        done = services.create_work_order(customer=customer, technicians=[tech_a], description="Lekkage",
                                          planned_start=local_datetime(today, dt.time(8)))
        services.add_time_entry(done, technician=tech_a, kind="work", minutes=135, date=today)
        services.add_material_line(done, item=pipe, quantity=2, technician=tech_a)
        services.complete(done, user=tech_a)
    base = live_server.url
    log_in(page, base, office_a.username)
    page.goto(f"{base}/werkorders/planning/?week={day}")
    expect(page.locator(f'[data-testid="capacity-fatima-{day}"]')).to_have_text("2 / 10 u")
    expect(page.locator(f'[data-testid="capacity-tech_a-{day}"]')).to_have_text("1 / 10 u")
    expect(page.locator('[data-testid="double-bookings"]')).to_have_count(0)

    # Drag Piet's 14:00 card onto Fatima's Wednesday at 10:00 (axis 07:00–17:00).
    target = page.locator(f'[data-testid="cell-fatima-{day}"]')
    box = target.bounding_box()
    assert box is not None and box["height"] > 200  # the day is a time axis
    y = box["height"] * (10 - 7) / 10 + 2
    page.locator(f'[data-testid="job-{mine.number}"]').drag_to(
        target, source_position={"x": 8, "y": 2}, target_position={"x": box["width"] / 2, "y": y})
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text(
        f"Fatima is dubbel geboekt: werkbon {mine.number} overlapt met werkbon {hers.number}")
    moved = page.locator(f'[data-testid="cell-fatima-{day}"] [data-testid="job-{mine.number}"]')
    expect(moved).to_have_count(1)
    expect(page.locator(f'[data-testid="job-time-{mine.number}"]')).to_have_text("10:00–11:00")
    expect(page.locator(f'[data-testid="double-booked-{mine.number}"]')).to_be_visible()
    expect(page.locator('[data-testid="double-bookings"]')).to_be_visible()
    expect(page.locator(f'[data-testid="capacity-fatima-{day}"]')).to_have_text("3 / 10 u")
    expect(page.locator(f'[data-testid="capacity-tech_a-{day}"]')).to_have_text("0 / 10 u")
    with tenant_context(tenant_a):
        mine = WorkOrder.objects.get(pk=mine.pk)
        assert list(mine.technicians.all()) == [fatima]
        assert timezone.localtime(mine.planned_start) == local_datetime(wednesday, dt.time(10))

    # The keyboard alternative: the Move form on Fatima's own card (back to Piet at 13:00).
    page.focus(f'[data-testid="move-{hers.number}"]')
    page.keyboard.press("Enter")
    form = page.locator(f'[data-testid="move-form-{hers.number}"]')
    form.locator('select[name="plan-technician"]').select_option(str(tech_a.pk))
    form.locator('input[name="plan-time"]').fill("13:00")
    form.locator('input[name="plan-time"]').press("Enter")
    page.wait_for_load_state()
    expect(page.locator(f'[data-testid="cell-tech_a-{day}"] [data-testid="job-{hers.number}"]')).to_have_count(1)
    expect(page.locator(f'[data-testid="job-time-{hers.number}"]')).to_have_text("13:00–15:00")
    expect(page.locator('[data-testid="double-bookings"]')).to_have_count(0)
    expect(page.locator(f'[data-testid="capacity-tech_a-{day}"]')).to_have_text("2 / 10 u")

    # Archive: the confirmation shows what is sent, and only the second click archives.
    page.goto(f"{base}/werkorders/{done.pk}/")
    page.click('[data-testid="archive"]')
    page.wait_for_url(re.compile(rf"/werkorders/{done.pk}/archiveren/$"))
    lines = page.locator('[data-testid="archive-line"]')
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("Werktijd")
    expect(lines.nth(0)).to_contain_text("2,25")
    expect(lines.nth(1)).to_contain_text("SAN-PIJP15")
    expect(page.locator('[data-testid="work-order-pdf"]')).to_be_visible()
    with tenant_context(tenant_a):
        assert WorkOrder.objects.get(pk=done.pk).status == "completed"
    page.click('[data-testid="archive-confirm"]')
    page.wait_for_url(re.compile(rf"/werkorders/{done.pk}/$"))
    expect(page.locator('[data-testid="status"]').first).to_have_text("Gearchiveerd")
