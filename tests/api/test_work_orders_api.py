"""Work-order endpoints: list, detail, create, plan, their errors and the technician's view."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.api.conftest import RECENT
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders.models import WorkOrder, WorkOrderStatus

pytestmark = pytest.mark.django_db


def test_it_lists_work_orders_newest_first_with_a_count(office_api, records_a):
    response = office_api.get("/work-orders")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [o["number"] for o in body["items"]] == [2, 1]
    first = body["items"][1]
    assert first["customer"] == {"id": records_a["customer"].pk, "number": "10001",
                                 "name": "Bakkerij De Vries"}
    assert first["work_address"]["one_line"] == "Dorpsstraat 12, 3511 AA Utrecht"
    assert first["technicians"][0]["username"] == "tech_a"
    assert first["planned_start"] == "2025-03-10T09:00:00+01:00"


def test_it_paginates_with_limit_and_offset(office_api, records_a):
    body = office_api.get("/work-orders", {"limit": 1, "offset": 1}).json()
    assert body["count"] == 2
    assert [o["number"] for o in body["items"]] == [1]


@pytest.mark.parametrize(("params", "numbers"), [
    ({"status": "planned"}, [1]),
    ({"status": "open"}, [2]),
    ({"technician": "tech_a"}, [1]),
    ({"customer": "10003"}, [2]),
    ({"planned_from": "2025-03-10", "planned_to": "2025-03-10"}, [1]),
    ({"planned_from": "2025-03-11"}, []),
    ({"planned_to": "2025-03-09"}, []),
])
def test_it_filters_the_list(office_api, records_a, params, numbers):
    body = office_api.get("/work-orders", params).json()
    assert [o["number"] for o in body["items"]] == numbers


@pytest.mark.parametrize(("params", "field"), [
    ({"status": "busy"}, "status"),
    ({"planned_from": "10-03-2025"}, "planned_from"),
    ({"limit": 0}, "limit"),
    ({"offset": -1}, "offset"),
])
def test_it_rejects_bad_filters_per_field(office_api, records_a, params, field):
    response = office_api.get("/work-orders", params)
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_it_shows_a_technician_only_their_own_orders(tech_api, records_a):
    body = tech_api.get("/work-orders").json()
    assert [o["number"] for o in body["items"]] == [1]
    assert tech_api.get(f"/work-orders/{records_a['unplanned'].pk}").status_code == 404


def test_it_gives_the_detail_with_totals_in_minutes_and_hours(office_api, tech_api, records_a):
    order = records_a["order"]
    tech_api.post(f"/work-orders/{order.pk}/time-entries",
                  {"kind": "work", "minutes": 135, "date": RECENT})
    tech_api.post(f"/work-orders/{order.pk}/time-entries",
                  {"kind": "travel", "minutes": 20, "date": RECENT})
    tech_api.post(f"/work-orders/{order.pk}/material-lines",
                  {"item_number": "KR-15", "quantity": "2", "note": "onder de ketel"})
    body = office_api.get(f"/work-orders/{order.pk}").json()
    assert body["totals"] == {"work_minutes": 135, "travel_minutes": 20, "total_minutes": 155,
                              "work_hours": "2.25", "travel_hours": "0.33", "total_hours": "2.58"}
    assert [(e["kind"], e["minutes"], e["technician"]) for e in body["time_entries"]] == [
        ("work", 135, "tech_a"), ("travel", 20, "tech_a")]
    line = body["material_lines"][0]
    assert (line["item_number"], line["quantity"], line["unit"], line["note"]) == (
        "KR-15", "2.000", "st", "onder de ketel")
    assert body["customer_reference"] == "PO-77"


def test_it_answers_404_for_an_unknown_work_order(office_api, records_a):
    response = office_api.get("/work-orders/999999")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_it_answers_422_for_a_work_order_id_that_is_not_a_number(office_api, records_a):
    assert office_api.get("/work-orders/abc").status_code == 422


def test_it_creates_a_planned_work_order(office_api, records_a):
    response = office_api.post("/work-orders", {
        "customer_number": "10001", "work_address_id": records_a["address"].pk,
        "description": "CV-ketel vervangen", "customer_reference": "REF-1",
        "technicians": ["tech_a"], "planned_start": "2025-04-01T08:30:00+02:00",
        "planned_minutes": 240,
    })
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == 3
    assert body["status"] == "planned"
    assert body["planned_start"] == "2025-04-01T08:30:00+02:00"
    with tenant_context(records_a["customer"].tenant):
        order = WorkOrder.objects.get(pk=body["id"])
        assert order.planned_start == dt.datetime(2025, 4, 1, 6, 30, tzinfo=dt.UTC)
        assert order.planned_minutes == 240
        assert list(order.technicians.values_list("username", flat=True)) == ["tech_a"]


def test_it_creates_an_open_work_order_without_a_plan(office_api, records_a):
    body = office_api.post("/work-orders", {"customer_number": "10003"}).json()
    assert body["status"] == "open"
    assert body["work_address"] is None


@pytest.mark.parametrize(("payload", "field"), [
    ({}, "customer_number"),
    ({"customer_number": "99999"}, "customer_number"),
    ({"customer_number": "10002"}, "customer_number"),  # inactive
    ({"customer_number": "10001", "work_address_id": "x"}, "work_address_id"),
    ({"customer_number": "10001", "technicians": ["nobody"]}, "technicians"),
    ({"customer_number": "10001", "technicians": ["office_a"]}, "technicians"),
    ({"customer_number": "10001", "planned_start": "2025-04-01T08:30:00"}, "planned_start"),
    ({"customer_number": "10001", "planned_start": "morgen"}, "planned_start"),
    ({"customer_number": "10001", "planned_minutes": 0}, "planned_minutes"),
    ({"customer_number": "10001", "customer_reference": "x" * 101}, "customer_reference"),
])
def test_it_refuses_invalid_input_on_create_with_a_message_per_field(office_api, records_a,
                                                                    payload, field):
    response = office_api.post("/work-orders", payload)
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert list(errors) == [field]
    assert all(isinstance(m, str) and m for m in errors[field])


def test_it_refuses_a_work_address_of_another_customer(office_api, records_a):
    response = office_api.post("/work-orders", {
        "customer_number": "10001", "work_address_id": records_a["other_address"].pk})
    assert response.status_code == 422
    assert "work_address_id" in response.json()["errors"]


def test_it_refuses_a_body_that_is_not_json(office_api, records_a):
    response = office_api.post("/work-orders", raw="{not json")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_it_refuses_create_and_plan_to_a_technician(tech_api, records_a):
    response = tech_api.post("/work-orders", {"customer_number": "10001"})
    assert response.status_code == 403
    assert response.json()["detail"]
    response = tech_api.post(f"/work-orders/{records_a['order'].pk}/plan",
                             {"technicians": ["tech_a"], "planned_start": "2025-04-01T08:00:00Z"})
    assert response.status_code == 403


def test_it_plans_and_moves_a_work_order(office_api, records_a):
    order = records_a["unplanned"]
    response = office_api.post(f"/work-orders/{order.pk}/plan", {
        "technicians": ["tech_a"], "planned_start": "2025-05-02T13:00:00+02:00",
        "planned_minutes": 45})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "planned"
    moved = office_api.post(f"/work-orders/{order.pk}/plan", {
        "technicians": ["tech_a"], "planned_start": "2025-05-03T07:00:00Z"}).json()
    assert moved["planned_start"] == "2025-05-03T09:00:00+02:00"
    assert moved["planned_minutes"] == 45


@pytest.mark.parametrize(("payload", "field"), [
    ({"planned_start": "2025-05-02T13:00:00Z"}, "technicians"),
    ({"technicians": [], "planned_start": "2025-05-02T13:00:00Z"}, "technicians"),
    ({"technicians": ["tech_a"]}, "planned_start"),
    ({"technicians": ["tech_a"], "planned_start": "2025-05-02T13:00:00Z", "planned_minutes": -5},
     "planned_minutes"),
])
def test_it_refuses_an_invalid_plan_per_field(office_api, records_a, payload, field):
    response = office_api.post(f"/work-orders/{records_a['unplanned'].pk}/plan", payload)
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_it_refuses_to_plan_a_completed_order_with_409(office_api, records_a, tenant_a, office_a):
    from tests.api.conftest import complete_order

    complete_order(tenant_a, records_a["order"], office_a)
    response = office_api.post(f"/work-orders/{records_a['order'].pk}/plan", {
        "technicians": ["tech_a"], "planned_start": "2025-05-02T13:00:00Z"})
    assert response.status_code == 409
    assert "completed" in response.json()["detail"].lower() or "gereed" in response.json()["detail"]
    with tenant_context(tenant_a):
        assert WorkOrder.objects.get(pk=records_a["order"].pk).status == WorkOrderStatus.COMPLETED


def test_a_body_over_the_upload_limit_is_a_dutch_413_not_a_server_error(office_api, records_a, settings):
    # Found by the attack review: a 3 MB description answered 500 (RequestDataTooBig).
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    response = office_api.post("/work-orders", {"customer_id": records_a["customer"].pk,
                                                 "description": "x" * 200_000})
    assert response.status_code == 413
    assert response.json()["detail"].startswith("Het verzoek is te groot")


def test_it_moves_one_technicians_card_and_keeps_the_others(office_api, records_a, tenant_a):
    """The planning board's drag and drop through the API: ``move_from`` replaces that one
    technician; one no longer planned on the order is refused on the field, nothing changed."""
    from tests.conftest import make_user

    make_user(tenant_a, "tech_b2", "technician")
    make_user(tenant_a, "tech_c2", "technician")
    order = records_a["unplanned"]
    start = "2025-05-02T13:00:00+02:00"
    assert office_api.post(f"/work-orders/{order.pk}/plan", {
        "technicians": ["tech_a", "tech_b2"], "planned_start": start}).status_code == 200
    moved = office_api.post(f"/work-orders/{order.pk}/plan", {
        "technicians": ["tech_c2"], "planned_start": start, "move_from": "tech_b2"})
    assert moved.status_code == 200, moved.content
    with tenant_context(tenant_a):
        planned = set(WorkOrder.objects.get(pk=order.pk).technicians.values_list("username", flat=True))
    assert planned == {"tech_a", "tech_c2"}
    stale = office_api.post(f"/work-orders/{order.pk}/plan", {
        "technicians": ["tech_b2"], "planned_start": start, "move_from": "tech_b2"})
    assert stale.status_code == 422 and "move_from" in stale.json()["errors"]
    with tenant_context(tenant_a):
        assert set(WorkOrder.objects.get(pk=order.pk).technicians.values_list("username", flat=True)) == planned
