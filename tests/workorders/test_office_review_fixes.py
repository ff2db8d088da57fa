"""Defects found by the review of the office screens (planning board, installations, on-site
form): a move of a card with several technicians moves only that technician's assignment and
goes through the ``workorder.plan`` action; bounded ids on every new model choice; orders over
several days; archived orders on the board; hidden fields in messages; local times that do not
exist or occur twice; the redirect after a move to another week."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD, make_user
from tests.workorders.conftest import local
from werkbon.accounts.models import Role, Tenant
from werkbon.workorders import services
from werkbon.workorders.models import AppliedAction, WorkOrder

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def usernames(order: WorkOrder) -> list[str]:
    return sorted(order.technicians.values_list("username", flat=True))


@pytest.fixture
def fatima(tech_a):
    return make_user(tech_a.tenant, "fatima", Role.TECHNICIAN, first_name="Fatima")


@pytest.fixture
def karel(tech_a):
    return make_user(tech_a.tenant, "karel", Role.TECHNICIAN, first_name="Karel")


def _two(customer, tech_a, fatima) -> WorkOrder:
    return services.create_work_order(customer=customer, technicians=[tech_a, fatima],
                                      planned_start=local(2026, 3, 10, 9), planned_minutes=60)


def _post_plan(client, order, **data):
    payload = {"next": reverse("workorders:planning") + "?week=2026-03-10"}
    payload.update({f"plan-{k}" if k not in ("client_id", "next") else k: v for k, v in data.items()})
    return client.post(reverse("workorders:plan", args=[order.pk]), payload, follow=True)


# --- 1. a move moves one technician's assignment, through the action ---------------------------

def test_moving_one_technicians_card_keeps_the_other_technician(office_client, customer, tech_a,
                                                                fatima, karel):
    order = _two(customer, tech_a, fatima)
    _post_plan(office_client, order, technician=karel.pk, source=fatima.pk, date="2026-03-10",
               time="09:00", version=order.version)
    order.refresh_from_db()
    assert usernames(order) == ["karel", "tech_a"]
    # moving in time moves the order for all its technicians
    _post_plan(office_client, order, technician=tech_a.pk, source=tech_a.pk, date="2026-03-11",
               time="13:00", version=order.version)
    order.refresh_from_db()
    assert usernames(order) == ["karel", "tech_a"]
    assert timezone.localtime(order.planned_start).strftime("%d %H:%M") == "11 13:00"


def test_moving_a_card_onto_the_other_technician_of_the_order_merges_them(
        office_client, customer, tech_a, fatima):
    order = _two(customer, tech_a, fatima)
    _post_plan(office_client, order, technician=fatima.pk, source=tech_a.pk, date="2026-03-10",
               time="09:00", version=order.version)
    order.refresh_from_db()
    assert usernames(order) == ["fatima"]


def test_a_card_of_a_technician_no_longer_on_the_order_is_refused(office_client, customer, tech_a,
                                                                 fatima, karel):
    order = _two(customer, tech_a, fatima)
    response = _post_plan(office_client, order, technician=karel.pk, source=karel.pk,
                          date="2026-03-12", time="09:00")
    assert f"karel staat niet meer gepland op werkbon {order.number}; herlaad de planning en " \
           "probeer het opnieuw." in messages_of(response)
    order.refresh_from_db()
    assert usernames(order) == ["fatima", "tech_a"]


def test_the_board_move_goes_through_the_action_with_its_client_id_once(office_client, customer,
                                                                        tech_a, fatima, karel):
    order = _two(customer, tech_a, fatima)
    board = office_client.get(reverse("workorders:planning"), {"week": "2026-03-10"}).content.decode()
    form = board.split(f'data-testid="move-form-{order.number}"', 1)[1].split("</form>", 1)[0]
    client_id = re.search(r'name="client_id" value="([^"]+)"', form).group(1)
    assert 'name="plan-source"' in form
    assert re.search(r'id="move-form".*?name="client_id".*?name="plan-source"', board, re.S)
    data = {"technician": karel.pk, "source": fatima.pk, "date": "2026-03-12", "time": "10:00",
            "version": order.version, "client_id": client_id}
    _post_plan(office_client, order, **data)
    second = _post_plan(office_client, order, **data)  # sent twice
    assert AppliedAction.objects.filter(action="workorder.plan", work_order=order).count() == 1
    assert any("al opgeslagen" in m for m in messages_of(second)), messages_of(second)
    order.refresh_from_db()
    assert usernames(order) == ["karel", "tech_a"]


def test_a_stale_version_is_still_refused_through_the_action(office_client, customer, tech_a, fatima):
    order = _two(customer, tech_a, fatima)
    stale = order.version
    services.plan(order, technicians=[tech_a, fatima], planned_start=local(2026, 3, 11, 8))
    response = _post_plan(office_client, order, technician=tech_a.pk, source=tech_a.pk,
                          date="2026-03-10", time="10:00", version=stale)
    assert any("is gewijzigd door iemand anders" in m for m in messages_of(response))
    order.refresh_from_db()
    assert timezone.localtime(order.planned_start).strftime("%d %H:%M") == "11 08:00"


# --- 8. after a move to another week, the board shows that week --------------------------------

def test_after_a_move_to_another_week_the_board_shows_that_week(office_client, customer, tech_a):
    order = services.create_work_order(customer=customer, technicians=[tech_a],
                                       planned_start=local(2026, 3, 10, 9))
    response = office_client.post(reverse("workorders:plan", args=[order.pk]), {
        "next": reverse("workorders:planning") + "?week=2026-03-10", "plan-technician": tech_a.pk,
        "plan-source": tech_a.pk, "plan-date": "2026-03-25", "plan-time": "09:00"})
    assert response.status_code == 302
    assert response.url == reverse("workorders:planning") + "?week=2026-03-25"
    # the detail page's plan form still returns to the detail page
    detail = reverse("workorders:detail", args=[order.pk])
    response = office_client.post(reverse("workorders:plan", args=[order.pk]), {
        "next": detail, "plan-technician": tech_a.pk, "plan-date": "2026-03-26", "plan-time": "09:00"})
    assert response.url == detail


# --- 2. bounded ids -----------------------------------------------------------------------------

def test_a_huge_installation_id_is_refused_not_a_500(office_client, customer, work_address, tech_a):
    order = services.create_work_order(customer=customer, work_address=work_address,
                                       technicians=[tech_a], planned_start=local(2026, 3, 10, 9))
    url = reverse("workorders:set_installations", args=[order.pk])
    response = office_client.post(url, {"inst-installations": HUGE}, follow=True)
    assert response.status_code == 200
    assert "Installaties niet opgeslagen" in response.content.decode()


@pytest.mark.parametrize("field", ["technician", "source"])
def test_a_huge_technician_id_in_a_move_is_refused_not_a_500(office_client, customer, tech_a, field):
    order = services.create_work_order(customer=customer, technicians=[tech_a],
                                       planned_start=local(2026, 3, 10, 9))
    data = {"technician": tech_a.pk, "date": "2026-03-10", "time": "10:00", field: HUGE}
    response = _post_plan(office_client, order, **data)
    assert response.status_code == 200
    assert any(m.startswith("Niet gepland") for m in messages_of(response))


@pytest.mark.parametrize("data", [{"customer": HUGE}, {"customer": "CUSTOMER", "work_address": HUGE},
                                  {"customer": HUGE, "work_address": HUGE}])
def test_huge_ids_in_the_on_site_form_are_refused_not_a_500(client, tech_a, customer, data):
    assert client.login(username=tech_a.username, password=PASSWORD)
    data = {k: (customer.pk if v == "CUSTOMER" else v) for k, v in data.items()}
    response = client.post(reverse("workorders:create_on_site"), data)
    assert response.status_code == 200
    assert not WorkOrder.objects.exists()


def test_huge_ids_in_the_work_order_forms_are_refused_not_a_500(office_client, customer, tech_a):
    response = office_client.post(reverse("workorders:create"),
                                  {"customer": HUGE, "work_address": HUGE, "technicians": [HUGE],
                                   "planned_minutes": 60})
    assert response.status_code == 200
    assert not WorkOrder.objects.exists()


# --- 3. orders over several days, 4. archived orders ------------------------------------------

def test_an_order_over_several_days_has_a_card_each_day_and_counts_working_hours(
        office_client, customer, tech_a):
    Tenant.objects.filter(pk=tech_a.tenant_id).update(planning_day_start=8, planning_day_end=17)
    order = services.create_work_order(customer=customer, technicians=[tech_a],
                                       planned_start=local(2026, 3, 10, 8), planned_minutes=24 * 60)
    response = office_client.get(reverse("workorders:planning"), {"week": "2026-03-10"})
    rows = {r["technician"].username: r["cells"] for r in response.context["rows"]}
    cells = {c.day.isoformat(): c for c in rows["tech_a"]}
    assert cells["2026-03-10"].planned_minutes == 9 * 60   # 08–17, not 24 h
    assert cells["2026-03-11"].planned_minutes == 0        # 00–08: before the working day
    assert [c.first for c in cells["2026-03-10"].cards] == [True]
    assert [c.first for c in cells["2026-03-11"].cards] == [False]
    html = response.content.decode()
    assert f'data-testid="job-time-{order.number}">di 10-03 08:00 – wo 11-03 08:00<' in html
    assert f'data-testid="job-{order.number}-2026-03-11"' in html
    assert "08:00–08:00" not in html


def test_archived_orders_stay_on_the_board_and_count(office_client, customer, tech_a, office_a):
    order = services.create_work_order(customer=customer, technicians=[tech_a],
                                       planned_start=local(2026, 3, 10, 9), planned_minutes=120)
    services.add_time_entry(order, technician=tech_a, kind="work", minutes=60,
                            date=timezone.localdate())
    services.complete(order, user=tech_a)
    services.archive(order, user=office_a)
    response = office_client.get(reverse("workorders:planning"), {"week": "2026-03-10"})
    cell = next(c for r in response.context["rows"] for c in r["cells"]
                if c.day.isoformat() == "2026-03-10")
    assert [c.order.pk for c in cell.cards] == [order.pk]
    assert cell.planned_minutes == 120
    html = response.content.decode()
    card = html.split(f'data-testid="job-{order.number}"', 1)[0].rsplit("<div", 1)[1]
    assert "draggable" not in card and "status-archived" in card
    assert f'data-testid="move-form-{order.number}"' not in html


# --- 5. hidden fields, 6. local times that do not exist ---------------------------------------

@pytest.mark.parametrize("version", ["abc", "0", "9" * 30])
def test_a_malformed_version_gives_a_clear_dutch_message(office_client, planned_order, tech_a, version):
    response = _post_plan(office_client, planned_order, technician=tech_a.pk, date="2026-03-10",
                          time="10:00", version=version)
    [message] = [m for m in messages_of(response) if m.startswith("Niet gepland")]
    assert "None" not in message and "geheel getal" not in message
    assert "herlaad" in message.lower()


def test_a_time_that_does_not_exist_is_refused(office_client, planned_order, tech_a):
    before = planned_order.planned_start
    response = _post_plan(office_client, planned_order, technician=tech_a.pk, date="2027-03-28",
                          time="02:30")
    [message] = [m for m in messages_of(response) if m.startswith("Niet gepland")]
    assert "02:30 bestaat niet op 28-03-2027" in message
    planned_order.refresh_from_db()
    assert planned_order.planned_start == before


def test_a_time_that_occurs_twice_is_the_first_and_says_so(office_client, planned_order, tech_a):
    response = _post_plan(office_client, planned_order, technician=tech_a.pk, date="2026-10-25",
                          time="02:30")
    planned_order.refresh_from_db()
    assert planned_order.planned_start.astimezone(dt.UTC).strftime("%H:%M") == "00:30"
    assert any("komt die nacht twee keer voor" in m for m in messages_of(response))


def test_the_work_order_form_refuses_a_time_that_does_not_exist(office_client, customer, tech_a):
    response = office_client.post(reverse("workorders:create"), {
        "customer": customer.pk, "technicians": [tech_a.pk], "planned_date": "2027-03-28",
        "planned_time": "02:30", "planned_minutes": 60})
    assert response.status_code == 200
    assert "02:30 bestaat niet op 28-03-2027" in response.content.decode()
    assert not WorkOrder.objects.exists()
