"""The planning board: technicians × days of a local week; plan and move orders."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import make_user
from tests.workorders.conftest import local
from werkbon.accounts.models import Role
from werkbon.workorders import services
from werkbon.workorders.models import WorkOrderStatus

pytestmark = pytest.mark.django_db


def cell(response, username: str, day: str) -> list[int]:
    for row in response.context["rows"]:
        if row["technician"].username == username:
            return [c.order.number for cell in row["cells"] if cell.day.isoformat() == day
                    for c in cell.cards]
    raise AssertionError(f"no row for {username}")


def test_it_shows_an_order_in_its_technicians_row_and_day(office_client, planned_order, tech_a):
    other = make_user(tech_a.tenant, "fatima", Role.TECHNICIAN, first_name="Fatima")
    response = office_client.get(reverse("workorders:planning"), {"week": "2025-03-12"})
    assert response.context["monday"].isoformat() == "2025-03-10"
    assert cell(response, "tech_a", "2025-03-12") == [planned_order.number]
    assert cell(response, "tech_a", "2025-03-11") == []
    assert cell(response, other.username, "2025-03-12") == []
    html = response.content.decode()
    assert f'data-testid="job-{planned_order.number}"' in html
    assert 'data-testid="cell-tech_a-2025-03-12"' in html


def test_it_places_an_order_by_its_local_day(office_client, customer, tech_a):
    # 00:30 on Monday in Amsterdam is Sunday 23:30 UTC: it belongs to Monday's column.
    order = services.create_work_order(customer=customer, technicians=[tech_a],
                                       planned_start=local(2025, 3, 10, 0, 30))
    response = office_client.get(reverse("workorders:planning"), {"week": "2025-03-16"})
    assert cell(response, "tech_a", "2025-03-10") == [order.number]
    previous = office_client.get(reverse("workorders:planning"), {"week": "2025-03-09"})
    assert all(not c.cards for row in previous.context["rows"] for c in row["cells"])


def test_it_lists_unplanned_orders_beside_the_board(office_client, customer, planned_order):
    open_order = services.create_work_order(customer=customer, description="Nog plannen")
    response = office_client.get(reverse("workorders:planning"))
    assert [o.number for o in response.context["unplanned"]] == [open_order.number]
    assert f'data-testid="plan-form-{open_order.number}"' in response.content.decode()


def test_it_plans_an_open_order(office_client, customer, tech_a):
    order = services.create_work_order(customer=customer)
    response = office_client.post(reverse("workorders:plan", args=[order.pk]), {
        "plan-technician": tech_a.pk, "plan-date": "2025-03-13", "plan-time": "14:45",
        "plan-minutes": "90"})
    assert response.status_code == 302
    assert response["Location"].endswith("?week=2025-03-13")
    order.refresh_from_db()
    assert order.status == WorkOrderStatus.PLANNED
    assert list(order.technicians.all()) == [tech_a]
    assert timezone.localtime(order.planned_start).strftime("%Y-%m-%d %H:%M") == "2025-03-13 14:45"
    assert order.planned_minutes == 90


def test_it_moves_a_planned_order_to_another_technician_and_day(office_client, planned_order,
                                                                  tech_a):
    fatima = make_user(tech_a.tenant, "fatima", Role.TECHNICIAN)
    office_client.post(reverse("workorders:plan", args=[planned_order.pk]), {
        "plan-technician": fatima.pk, "plan-date": "2025-03-14", "plan-time": "08:00",
        "next": "/werkorders/planning/?week=2025-03-14"})
    response = office_client.get(reverse("workorders:planning"), {"week": "2025-03-14"})
    assert cell(response, "fatima", "2025-03-14") == [planned_order.number]
    assert cell(response, "tech_a", "2025-03-12") == []
    planned_order.refresh_from_db()
    assert planned_order.planned_minutes == 60  # unchanged when no duration is posted


def test_it_refuses_bad_plan_input_with_a_message(office_client, planned_order, tech_b):
    url = reverse("workorders:plan", args=[planned_order.pk])
    for data in ({"plan-technician": tech_b.pk, "plan-date": "2025-03-14", "plan-time": "08:00"},
                 {"plan-technician": "x", "plan-date": "gisteren", "plan-time": "25:00"}):
        response = office_client.post(url, data, follow=True)
        assert response.status_code == 200
        assert "Niet gepland" in response.content.decode()
    planned_order.refresh_from_db()
    assert timezone.localtime(planned_order.planned_start).day == 12


def test_it_refuses_to_plan_a_completed_order(office_client, completed_order, tech_a):
    response = office_client.post(reverse("workorders:plan", args=[completed_order.pk]), {
        "plan-technician": tech_a.pk, "plan-date": "2025-03-14", "plan-time": "08:00"},
        follow=True)
    assert "kan niet opnieuw worden gepland" in response.content.decode()


def test_it_survives_a_bad_week_parameter(office_client):
    assert office_client.get(reverse("workorders:planning"), {"week": "x"}).status_code == 200


def test_it_escapes_hostile_names_and_localizes_the_hours_on_rows_made_in_python(office_client, customer, tech_a):
    # The rows, the double-booked list and the unplanned column are made in Python (issue 14):
    # names from users and Visma.net must come out escaped, the hours as the template did.
    tech_a.first_name, tech_a.last_name = '<script>alert("x")</script>', "&"
    tech_a.save()
    customer.name = "<img src=x onerror=alert(1)>"
    customer.save()
    first = services.create_work_order(customer=customer, technicians=[tech_a],
                                       planned_start=local(2025, 3, 12, 9, 0), planned_minutes=90)
    second = services.create_work_order(customer=customer, technicians=[tech_a],
                                        planned_start=local(2025, 3, 12, 10, 0), planned_minutes=60)
    services.create_work_order(customer=customer, description="Nog plannen")
    html = office_client.get(reverse("workorders:planning"), {"week": "2025-03-12"}).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    name = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;"
    assert f'<div class="tech-name">{name}</div>' in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert (f'<li data-testid="double-booked-tech_a-2025-03-12">{name} op wo 12-03: '
            f"{first.number} (09:00–10:30), {second.number} (10:00–11:00)</li>") in html
    assert 'data-testid="capacity-tech_a-2025-03-12">2,5 / ' in html
    assert f'<option value="{tech_a.pk}">{name}</option>' in html  # the plan form's select


def test_a_card_cuts_a_long_customer_name_to_28_characters_escaped(office_client, customer, tech_a):
    customer.name = "Van Dijk & Zonen Installatietechniek B.V."
    customer.save()
    services.create_work_order(customer=customer, technicians=[tech_a], planned_start=local(2025, 3, 12, 9, 0))
    html = office_client.get(reverse("workorders:planning"), {"week": "2025-03-12"}).content.decode()
    assert '<small class="job-customer">Van Dijk &amp; Zonen Installati…</small>' in html
