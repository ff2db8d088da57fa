"""The planning board's time axis (issue 11, office): double-booking rules, planned against
available hours, moves (refused for archived/completed orders, other tenants' technicians and
stale cards; allowed but warned when they double-book), the week around the end of daylight
saving time, the plan form's default date and a query count that does not grow with orders."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import make_user
from tests.workorders.conftest import local
from werkbon.accounts.models import Role, Tenant
from werkbon.workorders import planning as board
from werkbon.workorders import services
from werkbon.workorders.models import WorkOrder, WorkOrderStatus

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, 10, hour, minute, tzinfo=UTC)


def order(customer, technicians, start, minutes=60) -> WorkOrder:
    return services.create_work_order(customer=customer, technicians=technicians, planned_start=start,
                                      planned_minutes=minutes)


def get_cell(response, username: str, day: str) -> board.Cell:
    for row in response.context["rows"]:
        if row["technician"].username == username:
            return next(c for c in row["cells"] if c.day.isoformat() == day)
    raise AssertionError(username)


# ---- the rules -------------------------------------------------------------------------------

def test_touching_intervals_do_not_overlap_and_shared_time_does():
    assert not board.overlaps((at(9), at(10)), (at(10), at(11)))
    assert not board.overlaps((at(10), at(11)), (at(9), at(10)))
    assert board.overlaps((at(9), at(10, 1)), (at(10), at(11)))
    assert board.overlaps((at(9), at(12)), (at(10), at(11)))  # one inside the other
    assert board.overlaps((at(9), at(10)), (at(9), at(10)))


def test_double_booking_is_per_technician_also_for_orders_with_several(customer, tech_a):
    fatima = make_user(tech_a.tenant, "fatima", Role.TECHNICIAN)
    jan = make_user(tech_a.tenant, "jan", Role.TECHNICIAN)
    both = order(customer, [tech_a, fatima], local(2026, 3, 10, 9), 120)     # 9–11 Piet + Fatima
    fatimas = order(customer, [fatima], local(2026, 3, 10, 10, 30), 60)      # 10:30–11:30 Fatima
    touching = order(customer, [tech_a], local(2026, 3, 10, 11), 60)         # 11–12 Piet: touches
    jans = order(customer, [jan], local(2026, 3, 10, 9), 60)                 # Jan alone
    orders = WorkOrder.objects.prefetch_related("technicians").filter(pk__in=[
        both.pk, fatimas.pk, touching.pk, jans.pk])
    assert board.double_booked(orders) == {fatima.pk: {both.pk, fatimas.pk}}
    # the warning after a move names the technician and the other order
    assert [(t.pk, o.pk) for t, o in board.clashes(fatimas)] == [(fatima.pk, both.pk)]
    assert board.clashes(touching) == []


def test_capacity_counts_planned_minutes_per_local_day_against_the_working_day(
        office_client, customer, tech_a):
    Tenant.objects.filter(pk=tech_a.tenant_id).update(planning_day_start=8, planning_day_end=17)
    order(customer, [tech_a], local(2026, 3, 10, 9), 150)          # Tue 2.5 h
    # a night call (shorter than the working day): all its time counts, Tue 1 h + Wed 1 h
    order(customer, [tech_a], local(2026, 3, 10, 23), 120)
    # longer than the working day: its working hours only, Wed 1 h + Thu 2 h (8–10)
    order(customer, [tech_a], local(2026, 3, 11, 16), 18 * 60)
    order(customer, [tech_a], local(2026, 3, 14, 10), 60)          # Saturday: no working day
    response = office_client.get(reverse("workorders:planning"), {"week": "2026-03-10"})
    tuesday = get_cell(response, "tech_a", "2026-03-10")
    assert (tuesday.planned_minutes, tuesday.available_minutes) == (210, 540)
    assert not tuesday.over_capacity
    assert get_cell(response, "tech_a", "2026-03-11").planned_minutes == 120
    assert get_cell(response, "tech_a", "2026-03-12").planned_minutes == 120
    saturday = get_cell(response, "tech_a", "2026-03-14")
    assert (saturday.planned_minutes, saturday.available_minutes, saturday.over_capacity) == (60, 0, True)
    html = response.content.decode()
    shown = html.split('data-testid="capacity-tech_a-2026-03-10">', 1)[1].split("<", 1)[0]
    assert shown == "3,5 / 9 u", shown


def test_a_job_outside_the_working_hours_is_drawn_at_the_edge_and_counted(
        office_client, customer, tech_a):
    """New-user review: an order planned 20:24–21:24 (day 7–17) was a 15-minute sliver at the
    bottom of the day and left out of "2 / 10 u"."""
    day = order(customer, [tech_a], local(2026, 3, 10, 9), 120)
    evening = order(customer, [tech_a], local(2026, 3, 10, 20, 24), 60)
    early = order(customer, [tech_a], local(2026, 3, 11, 5, 0), 45)
    late_afternoon = order(customer, [tech_a], local(2026, 3, 11, 16, 30), 60)  # past the edge
    late_evening = order(customer, [tech_a], local(2026, 3, 11, 19, 0), 30)
    response = office_client.get(reverse("workorders:planning"), {"week": "2026-03-10"})
    tuesday = get_cell(response, "tech_a", "2026-03-10")
    assert tuesday.planned_minutes == 180
    cards = {c.order.pk: c for c in tuesday.cards}
    assert (cards[day.pk].outside, cards[day.pk].offset, cards[day.pk].length) == ("", 120, 120)
    # at the bottom, an hour tall (not 15 minutes), with its real times
    assert (cards[evening.pk].outside, cards[evening.pk].offset, cards[evening.pk].length) == (
        "after", 600 - board.OUTSIDE_CARD_MINUTES, board.OUTSIDE_CARD_MINUTES)
    assert cards[evening.pk].label == "20:24–21:24"
    wednesday = get_cell(response, "tech_a", "2026-03-11")
    assert wednesday.planned_minutes == 45 + 60 + 30
    cards = {c.order.pk: c for c in wednesday.cards}
    assert (cards[early.pk].outside, cards[early.pk].offset) == ("before", 0)
    assert cards[late_afternoon.pk].outside == ""  # partly inside: drawn where it starts
    # drawn at the bottom (16:00–17:00) where the 16:30 card is: side by side, not on top
    assert cards[late_evening.pk].outside == "after"
    assert (cards[late_afternoon.pk].lanes, cards[late_evening.pk].lanes) == (2, 2)
    assert {cards[late_afternoon.pk].lane, cards[late_evening.pk].lane} == {0, 1}
    html = response.content.decode()
    shown = html.split('data-testid="capacity-tech_a-2026-03-10">', 1)[1].split("<", 1)[0]
    assert shown == "3 / 10 u", shown
    marker = html.split(f'data-testid="outside-{evening.number}"', 1)[1].split("</span></span>", 1)[0]
    assert "&#8595; 20:24" in marker and "na werktijd" in marker, marker
    assert f'data-testid="outside-{early.number}"' in html and "voor werktijd" in html
    assert f'data-testid="outside-{day.number}"' not in html


def test_a_card_is_placed_and_sized_on_the_working_day_axis(office_client, customer, tech_a):
    planned = order(customer, [tech_a], local(2026, 3, 10, 9, 15), 90)   # default day 7–17
    early = order(customer, [tech_a], local(2026, 3, 11, 6, 0), 120)      # starts before the axis
    response = office_client.get(reverse("workorders:planning"), {"week": "2026-03-10"})
    card = get_cell(response, "tech_a", "2026-03-10").cards[0]
    assert (card.order.pk, card.offset, card.length) == (planned.pk, 135, 90)
    assert (card.start.strftime("%H:%M"), card.end.strftime("%H:%M")) == ("09:15", "10:45")
    first = get_cell(response, "tech_a", "2026-03-11").cards[0]
    assert (first.order.pk, first.offset, first.length) == (early.pk, 0, 60)
    assert f'data-testid="job-time-{planned.number}">09:15–10:45' in response.content.decode()


def test_the_week_in_which_summer_time_ends_is_correct(office_client, customer, tech_a):
    # Sunday 25 October 2026 has 25 hours: 03:00 summer time becomes 02:00 winter time.
    sunday = order(customer, [tech_a], local(2026, 10, 25, 10), 60)        # 09:00 UTC
    late = order(customer, [tech_a], local(2026, 10, 25, 23, 30), 30)      # 22:30 UTC, still this week
    night = order(customer, [tech_a], local(2026, 10, 24, 23), 240)        # 21:00–01:00 UTC
    assert sunday.planned_start == dt.datetime(2026, 10, 25, 9, tzinfo=UTC)
    response = office_client.get(reverse("workorders:planning"), {"week": "2026-10-21"})
    assert response.context["monday"] == dt.date(2026, 10, 19)
    cards = get_cell(response, "tech_a", "2026-10-25").cards
    # the night order shows on Sunday too (its second day), before the others
    assert [(c.order.pk, c.start.strftime("%H:%M"), c.first) for c in cards] == [
        (night.pk, "23:00", False), (sunday.pk, "10:00", True), (late.pk, "23:30", True)]
    assert cards[1].offset == 180
    # 23:00 Saturday summer time + 4 real hours = 02:00 Sunday winter time: outside the
    # working day (7–17) but shorter than it, so all its time counts: 1 h on Saturday, 3 real
    # hours on Sunday (00:00–02:00 with 02:00–03:00 twice), with the Sunday orders' 1.5 h
    assert get_cell(response, "tech_a", "2026-10-24").planned_minutes == 60
    assert get_cell(response, "tech_a", "2026-10-25").planned_minutes == 180 + 60 + 30
    assert cards[0].label == "za 24-10 23:00 – zo 25-10 02:00"
    assert [c.order.pk for c in get_cell(response, "tech_a", "2026-10-24").cards] == [night.pk]
    assert board.day_bounds(dt.date(2026, 10, 25))[1] - board.day_bounds(dt.date(2026, 10, 25))[0] \
        == dt.timedelta(hours=25)
    following = office_client.get(reverse("workorders:planning"), {"week": "2026-10-26"})
    assert all(not c.cards for row in following.context["rows"] for c in row["cells"])


def test_the_plan_form_proposes_today(office_client, customer):
    services.create_work_order(customer=customer)
    response = office_client.get(reverse("workorders:planning"), {"week": "2030-01-09"})
    today = timezone.localdate()
    assert response.context["plan_form"].initial["date"] == today
    assert f'value="{today.isoformat()}" data-testid="plan-date"' in response.content.decode()


def test_the_number_of_queries_does_not_grow_with_the_orders(office_client, customer, tech_a):
    fatima = make_user(tech_a.tenant, "fatima", Role.TECHNICIAN)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert office_client.get(reverse("workorders:planning"), {"week": "2026-03-10"}).status_code == 200
        return len(queries)

    order(customer, [tech_a], local(2026, 3, 10, 9))
    services.create_work_order(customer=customer)
    few = count()
    for day in range(10, 15):
        order(customer, [tech_a, fatima], local(2026, 3, day, 9), 120)
        order(customer, [fatima], local(2026, 3, day, 10), 60)
        services.create_work_order(customer=customer)
    assert count() == few


# ---- moves -----------------------------------------------------------------------------------

def move(client, work_order, technician, date, time, version=None):
    data = {"plan-technician": technician.pk, "plan-date": date, "plan-time": time}
    if version is not None:
        data["plan-version"] = version
    return client.post(reverse("workorders:plan", args=[work_order.pk]), data, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_move_that_double_books_is_made_with_a_warning(office_client, customer, tech_a):
    fatima = make_user(tech_a.tenant, "fatima", Role.TECHNICIAN, first_name="Fatima")
    hers = order(customer, [fatima], local(2026, 3, 10, 9), 120)
    mine = order(customer, [tech_a], local(2026, 3, 11, 9), 60)
    response = move(office_client, mine, fatima, "2026-03-10", "10:15", mine.version)
    mine.refresh_from_db()
    assert list(mine.technicians.all()) == [fatima]
    assert timezone.localtime(mine.planned_start).strftime("%Y-%m-%d %H:%M") == "2026-03-10 10:15"
    warnings = [m for m in messages_of(response) if "dubbel" in m]
    assert warnings == [f"Fatima is dubbel geboekt: werkbon {mine.number} overlapt met werkbon "
                        f"{hers.number} (10-03-2026 09:00–11:00)."]
    board_page = office_client.get(reverse("workorders:planning"), {"week": "2026-03-10"})
    assert f'data-testid="double-booked-{mine.number}"' in board_page.content.decode()
    assert 'data-testid="double-bookings"' in board_page.content.decode()


def test_a_move_to_a_touching_slot_warns_nothing(office_client, customer, tech_a):
    order(customer, [tech_a], local(2026, 3, 10, 9), 60)
    other = order(customer, [tech_a], local(2026, 3, 12, 9), 60)
    response = move(office_client, other, tech_a, "2026-03-10", "10:00", other.version)
    assert not [m for m in messages_of(response) if "dubbel" in m]


def test_moves_of_completed_and_archived_orders_are_refused(office_client, completed_order, office_a, tech_a):
    before = completed_order.planned_start
    response = move(office_client, completed_order, tech_a, "2026-03-10", "10:00")
    assert "Een gereed gemelde werkbon kan niet opnieuw worden gepland." in messages_of(response)
    archived = services.archive(completed_order, user=office_a)
    response = move(office_client, archived, tech_a, "2026-03-10", "10:00")
    assert any("gearchiveerd" in m for m in messages_of(response))
    archived.refresh_from_db()
    assert (archived.planned_start, archived.status) == (before, WorkOrderStatus.ARCHIVED)


def test_a_move_to_another_tenants_technician_is_refused(office_client, planned_order, tech_b):
    response = move(office_client, planned_order, tech_b, "2026-03-10", "10:00", planned_order.version)
    assert any(m.startswith("Niet gepland") for m in messages_of(response))
    planned_order.refresh_from_db()
    assert list(planned_order.technicians.values_list("username", flat=True)) == ["tech_a"]
    with pytest.raises(services.LifecycleError):
        services.plan(planned_order, technicians=[tech_b], planned_start=local(2026, 3, 10, 10))


def test_a_stale_card_is_refused_and_changes_nothing(office_client, planned_order, tech_a):
    stale = planned_order.version
    services.plan(planned_order, technicians=[tech_a], planned_start=local(2026, 3, 11, 8))
    response = move(office_client, planned_order, tech_a, "2026-03-10", "10:00", stale)
    assert any("is gewijzigd door iemand anders" in m for m in messages_of(response))
    planned_order.refresh_from_db()
    assert timezone.localtime(planned_order.planned_start).strftime("%d %H:%M") == "11 08:00"


@pytest.mark.parametrize("field, value", [
    ("plan-version", "abc"), ("plan-version", "0"), ("plan-version", "9" * 30), ("plan-time", "25:00"),
    ("plan-date", "1900-01-01"), ("plan-minutes", "99999999"),
])
def test_hostile_move_input_is_refused_with_a_message(office_client, planned_order, tech_a, field, value):
    data = {"plan-technician": tech_a.pk, "plan-date": "2026-03-10", "plan-time": "10:00", field: value}
    response = office_client.post(reverse("workorders:plan", args=[planned_order.pk]), data, follow=True)
    assert response.status_code == 200
    assert any(m.startswith("Niet gepland") for m in messages_of(response))


# ---- the working day setting ----------------------------------------------------------------

@pytest.mark.parametrize("start, end, ok", [(7, 17, True), (0, 24, True), (17, 7, False), (8, 8, False),
                                            (-1, 17, False), (7, 25, False)])
def test_the_working_day_is_bounded(office_a, start, end, ok):
    from django.test import Client

    from tests.conftest import PASSWORD

    client = Client()
    assert client.login(username=office_a.username, password=PASSWORD)
    response = client.post("/accounts/bedrijf/", {"name": "Jansen", "planning_day_start": start,
                                                  "planning_day_end": end})
    tenant = Tenant.objects.get(pk=office_a.tenant_id)
    assert (response.status_code == 302) is ok
    assert ((tenant.planning_day_start, tenant.planning_day_end) == (start, end)) is ok


def test_overlapping_cards_stand_side_by_side(office_client, customer, tech_a):
    a = order(customer, [tech_a], local(2026, 3, 10, 9), 120)    # 9–11   lane 0 of 2
    b = order(customer, [tech_a], local(2026, 3, 10, 10), 60)    # 10–11  lane 1 of 2
    c = order(customer, [tech_a], local(2026, 3, 10, 11), 60)    # 11–12  touches: alone again
    response = office_client.get(reverse("workorders:planning"), {"week": "2026-03-10"})
    cards = get_cell(response, "tech_a", "2026-03-10").cards
    assert [(x.order.pk, x.lane, x.lanes) for x in cards] == [(a.pk, 0, 2), (b.pk, 1, 2), (c.pk, 0, 1)]
