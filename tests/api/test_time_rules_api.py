"""Whose time the office books, when an order may be completed, which dates a time entry
may have, and Dutch validation messages: the API follows the same rules as the screens."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.api.conftest import RECENT
from tests.conftest import make_user
from werkbon.accounts.models import Role
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import services
from werkbon.workorders.limits import MAX_PLANNED_MINUTES, MAX_TIME_ENTRY_MINUTES
from werkbon.workorders.models import TimeEntry, WorkOrder, WorkOrderStatus

pytestmark = pytest.mark.django_db


def _entries(tenant, order):  # type: ignore[no-untyped-def]
    with tenant_context(tenant):
        return list(TimeEntry.objects.filter(work_order=order)
                    .values_list("technician__username", "minutes"))


def test_the_office_books_time_on_the_only_planned_technician(office_api, records_a, tenant_a):
    order = records_a["order"]
    response = office_api.post(f"/work-orders/{order.pk}/time-entries",
                               {"kind": "work", "minutes": 30, "date": RECENT})
    assert response.status_code == 201, response.content
    assert response.json()["technician"] == "tech_a"
    assert _entries(tenant_a, order) == [("tech_a", 30)]


def test_the_office_cannot_book_time_on_itself_or_on_an_unplanned_technician(
        office_api, records_a, tenant_a):
    order = records_a["order"]
    make_user(tenant_a, "tech_other", Role.TECHNICIAN)
    for name in ("office_a", "tech_other"):
        response = office_api.post(f"/work-orders/{order.pk}/time-entries",
                                   {"kind": "work", "minutes": 30, "date": RECENT,
                                    "technician": name})
        assert response.status_code == 422, name
        assert "tech_a" in response.json()["errors"]["technician"][0]
    assert _entries(tenant_a, order) == []


def test_the_office_must_name_the_technician_when_several_or_none_are_planned(
        office_api, records_a, tenant_a, tech_a):
    with tenant_context(tenant_a):
        other = make_user(tenant_a, "tech_other", Role.TECHNICIAN)
        services.plan(records_a["order"], technicians=[tech_a, other],
                      planned_start=timezone.now())
    for order in (records_a["order"], records_a["unplanned"]):
        response = office_api.post(f"/work-orders/{order.pk}/time-entries",
                                   {"kind": "work", "minutes": 30, "date": RECENT})
        assert response.status_code == 422
        assert response.json()["errors"]["technician"]
    named = office_api.post(f"/work-orders/{records_a['order'].pk}/time-entries",
                            {"kind": "work", "minutes": 30, "date": RECENT,
                             "technician": "tech_other"})
    assert named.json()["technician"] == "tech_other"


def test_it_refuses_to_complete_an_order_that_was_never_planned(office_api, records_a, tenant_a):
    order = records_a["unplanned"]
    response = office_api.post(f"/work-orders/{order.pk}/complete", {})
    assert response.status_code == 409
    assert "niet gepland" in response.json()["detail"]
    with tenant_context(tenant_a):
        assert WorkOrder.objects.get(pk=order.pk).status == WorkOrderStatus.OPEN


@pytest.mark.parametrize("days_ago", [-1, 366, 10_000])
def test_it_refuses_a_time_entry_in_the_future_or_more_than_a_year_back(
        tech_api, records_a, tenant_a, days_ago):
    date = timezone.localdate() - dt.timedelta(days=days_ago)
    response = tech_api.post(f"/work-orders/{records_a['order'].pk}/time-entries",
                             {"kind": "work", "minutes": 30, "date": date.isoformat()})
    assert response.status_code == 422
    assert date.strftime("%d-%m-%Y") in response.json()["errors"]["date"][0]
    assert _entries(tenant_a, records_a["order"]) == []


@pytest.mark.parametrize("days_ago", [0, 365])
def test_it_accepts_today_and_a_year_back(tech_api, records_a, days_ago):
    date = timezone.localdate() - dt.timedelta(days=days_ago)
    response = tech_api.post(f"/work-orders/{records_a['order'].pk}/time-entries",
                             {"kind": "work", "minutes": 30, "date": date.isoformat()})
    assert response.status_code == 201, response.content


def test_the_api_has_the_limits_of_the_screens(tech_api, office_api, records_a):
    order = records_a["order"]
    path = f"/work-orders/{order.pk}/time-entries"
    assert tech_api.post(path, {"kind": "work", "minutes": MAX_TIME_ENTRY_MINUTES,
                                "date": RECENT}).status_code == 201
    assert tech_api.post(path, {"kind": "work", "minutes": MAX_TIME_ENTRY_MINUTES + 1,
                                "date": RECENT}).status_code == 422
    plan = f"/work-orders/{order.pk}/plan"
    start = "2026-01-05T08:00:00+01:00"
    assert office_api.post(plan, {"technicians": ["tech_a"], "planned_start": start,
                                  "planned_minutes": MAX_PLANNED_MINUTES}).status_code == 200
    assert office_api.post(plan, {"technicians": ["tech_a"], "planned_start": start,
                                  "planned_minutes": MAX_PLANNED_MINUTES + 1}).status_code == 422


def test_validation_messages_are_dutch_without_english_words(office_api, records_a):
    listed = office_api.get("/work-orders", {"status": "klaar"})
    message = listed.json()["errors"]["status"][0]
    assert message == "Kies een van: 'open', 'planned', 'completed', 'archived'."
    path = f"/work-orders/{records_a['order'].pk}/material-lines"
    for quantity, expected in (("NaN", "Vul een getal in."),
                               ("1234567890123", "Vul hoogstens 12 cijfers in."),
                               ("1.23456", "Vul hoogstens 3 decimalen in.")):
        response = office_api.post(path, {"item_number": "KR-15", "quantity": quantity})
        assert response.status_code == 422
        assert response.json()["errors"]["quantity"] == [expected], quantity
