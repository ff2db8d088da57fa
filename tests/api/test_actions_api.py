"""The API's actions: an ``Idempotency-Key`` on every action endpoint, work orders made on site,
and ``POST /api/v1/actions`` (the offline queue's batch): in order, one answer per action, a
refused one in the middle stops or reorders nothing; session (with CSRF) and token."""

from __future__ import annotations

import json
import uuid

import pytest
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from tests.api.conftest import API, RECENT, client_for, complete_order
from tests.conftest import PASSWORD, make_user
from werkbon.accounts.models import Role
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import limits, services
from werkbon.workorders.models import Customer, MaterialLine, TimeEntry, WorkAddress, WorkOrder

pytestmark = pytest.mark.django_db


def _time_entries(tenant, order) -> list[int]:  # type: ignore[no-untyped-def]
    with tenant_context(tenant):
        return list(TimeEntry.objects.filter(work_order=order).values_list("minutes", flat=True))


def _act(action: str, work_order: object, payload: dict, client_id: str | None = None) -> dict:
    return {"client_id": client_id or str(uuid.uuid4()), "action": action,
            "work_order": work_order, "payload": payload}


@pytest.mark.parametrize("path,body", [
    ("time-entries", {"kind": "work", "minutes": 135, "date": RECENT}),
    ("material-lines", {"item_number": "KR-15", "quantity": "2"}),
])
def test_an_idempotency_key_applies_a_line_once(tech_api, records_a, tenant_a, path, body):
    key = str(uuid.uuid4())
    url = f"/work-orders/{records_a['order'].pk}/{path}"
    first = tech_api.post(url, body, headers={"Idempotency-Key": key})
    second = tech_api.post(url, body, headers={"Idempotency-Key": key})
    assert first.status_code == second.status_code == 201, second.content
    assert first.json() == second.json()
    with tenant_context(tenant_a):
        assert TimeEntry.objects.count() + MaterialLine.objects.count() == 1


def test_an_idempotency_key_completes_once_and_a_bad_key_is_a_422(tech_api, records_a):
    url = f"/work-orders/{records_a['order'].pk}/complete"
    bad = tech_api.post(url, {}, headers={"Idempotency-Key": "twee keer"})
    assert bad.status_code == 422
    assert bad.json()["errors"]["Idempotency-Key"] == ["Vul een UUID in."]
    key = str(uuid.uuid4())
    assert tech_api.post(url, {}, headers={"Idempotency-Key": key}).status_code == 200
    again = tech_api.post(url, {}, headers={"Idempotency-Key": key})
    assert again.status_code == 200 and again.json()["status"] == "completed"
    # without the key the second completion is refused by the rule, as before
    assert tech_api.post(url, {}).status_code == 409


def test_the_batch_applies_in_order_and_a_refusal_stops_nothing(tech_api, records_a, tenant_a):
    order = records_a["order"].pk
    repeated = str(uuid.uuid4())
    batch = [
        _act("time.add", order, {"kind": "work", "minutes": 135, "date": RECENT}, repeated),
        _act("material.add", order, {"item_number": "OLD-1", "quantity": "1"}),  # inactive
        _act("time.add", order, {"kind": "travel", "minutes": 20, "date": RECENT}),
        _act("time.add", order, {"kind": "work", "minutes": 135, "date": RECENT}, repeated),
        _act("time.add", records_a["unplanned"].pk, {"kind": "work", "minutes": 5,
                                                     "date": RECENT}),  # not planned to tech_a
        _act("workorder.archive", order, {}),  # office only
        _act("time.add", order, {"kind": "work", "minutes": "veel", "date": RECENT}),
        _act("no.such", order, {}),
        _act("material.add", order, {"item_number": "KR-15", "quantity": "2"}),
        _act("workorder.complete", order, {"signed_by_name": "Zoë"}),
        _act("time.add", order, {"kind": "work", "minutes": 5, "date": RECENT}),  # completed now
    ]
    response = tech_api.post("/actions", batch)
    assert response.status_code == 200, response.content
    answers = response.json()
    assert [a["client_id"] for a in answers] == [a["client_id"] for a in batch]
    assert [(a["status"], a["code"]) for a in answers] == [
        ("applied", 201), ("refused", 422), ("applied", 201), ("already_applied", 201),
        ("refused", 404), ("refused", 403), ("refused", 422), ("refused", 422),
        ("applied", 201), ("applied", 200), ("refused", 409),
    ]
    assert answers[3]["result"] == answers[0]["result"]
    assert answers[1]["detail"] == "Artikel OLD-1 is inactief."
    assert answers[1]["errors"] == {"item_number": ["Artikel OLD-1 is inactief."]}
    assert "payload.minutes" in answers[6]["errors"]
    assert answers[10]["detail"] == "Deze werkbon is gereed gemeld; kantoor controleert hem nu."
    assert _time_entries(tenant_a, records_a["order"]) == [135, 20]
    with tenant_context(tenant_a):
        assert WorkOrder.objects.get(pk=order).status == "completed"
        assert [m.item_number for m in MaterialLine.objects.all()] == ["KR-15"]
    # the whole batch sent again (the queue did not hear the answer): nothing changes
    again = tech_api.post("/actions", batch).json()
    assert [a["status"] for a in again if a["status"] != "refused"] == ["already_applied"] * 5
    assert _time_entries(tenant_a, records_a["order"]) == [135, 20]


def test_the_batch_makes_a_work_order_on_site_and_registers_on_it(tech_api, office_api, records_a,
                                                                  tenant_a, tech_a):
    made = str(uuid.uuid4())
    batch = [
        _act("workorder.create_on_site", None, {
            "customer_number": "10001", "work_address_id": records_a["address"].pk,
            "description": "Lekkage boven de keuken"}, made),
        _act("time.add", made, {"kind": "work", "minutes": 45, "date": RECENT}),
        _act("material.add", made, {"item_number": "KR-15", "quantity": "3"}),
    ]
    answers = tech_api.post("/actions", batch).json()
    assert [a["status"] for a in answers] == ["applied"] * 3, answers
    with tenant_context(tenant_a):
        order = WorkOrder.objects.get(pk=answers[0]["result"]["id"])
        assert order.created_by == tech_a and list(order.technicians.all()) == [tech_a]
        assert [e.minutes for e in order.time_entries.all()] == [45]
        assert order.material_lines.get().quantity == 3
    # the office sees it as made on site
    detail = office_api.get(f"/work-orders/{order.pk}").json()
    assert (detail["created_by"], detail["made_on_site"]) == ("tech_a", True)


def test_a_technician_cannot_make_a_work_order_for_another_tenants_customer(
        tech_api, records_a, tenant_b, tenant_a):
    with tenant_context(tenant_b):
        foreign = Customer.objects.create(number="B-77", name="Klant van B")
        WorkAddress.objects.create(customer=foreign, street="Elders 1")
    for body in ({"customer_number": "B-77"}, {"customer_number": "10002"},  # inactive
                 {"customer_number": "10001", "work_address_id": records_a["other_address"].pk}):
        response = tech_api.post("/on-site-work-orders", body)
        assert response.status_code == 422, (body, response.content)
    with tenant_context(tenant_a):
        assert WorkOrder.objects.count() == 2


def test_the_office_cannot_use_the_on_site_endpoint(office_api, records_a):
    response = office_api.post("/on-site-work-orders", {"customer_number": "10001"})
    assert response.status_code == 403


def test_a_technician_cannot_see_or_change_another_technicians_order(records_a, tenant_a):
    with tenant_context(tenant_a):
        other = make_user(tenant_a, "tech_other", Role.TECHNICIAN)
    api = client_for(other)
    order = records_a["order"].pk
    assert api.get(f"/work-orders/{order}").status_code == 404
    assert api.post(f"/work-orders/{order}/time-entries",
                    {"kind": "work", "minutes": 5, "date": RECENT}).status_code == 404
    answers = api.post("/actions", [
        _act("time.add", order, {"kind": "work", "minutes": 5, "date": RECENT}),
        _act("workorder.complete", order, {}),
    ]).json()
    assert [(a["status"], a["code"]) for a in answers] == [("refused", 404), ("refused", 404)]
    assert _time_entries(tenant_a, records_a["order"]) == []


def test_a_client_id_reused_for_another_work_order_is_refused(tech_api, records_a, tenant_a,
                                                               tech_a):
    with tenant_context(tenant_a):
        services.plan(records_a["unplanned"], technicians=[tech_a],
                      planned_start=records_a["order"].planned_start)
    client_id = str(uuid.uuid4())
    body = {"kind": "work", "minutes": 5, "date": RECENT}
    answers = tech_api.post("/actions", [
        _act("time.add", records_a["order"].pk, body, client_id),
        _act("time.add", records_a["unplanned"].pk, body, client_id),
    ]).json()
    assert [a["status"] for a in answers] == ["applied", "refused"]
    assert "client-id" in answers[1]["detail"]


def test_the_batch_is_bounded(tech_api, records_a):
    batch = [_act("workorder.complete", records_a["order"].pk, {})
             for _ in range(limits.MAX_ACTIONS_PER_BATCH + 1)]
    assert tech_api.post("/actions", batch).status_code == 422
    bad_id = [{**_act("workorder.complete", records_a["order"].pk, {}), "client_id": "x" * 500}]
    assert tech_api.post("/actions", bad_id).status_code == 422


def test_the_batch_takes_a_session_with_csrf(tech_a, records_a, tenant_a):
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=tech_a.username, password=PASSWORD)
    batch = json.dumps([_act("time.add", records_a["order"].pk,
                             {"kind": "work", "minutes": 30, "date": RECENT})])
    refused = client.post(f"{API}/actions", batch, content_type="application/json")
    assert refused.status_code == 403
    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    response = client.post(f"{API}/actions", batch, content_type="application/json",
                           headers={"X-CSRFToken": secret})
    assert response.status_code == 200 and response.json()[0]["status"] == "applied"
    assert _time_entries(tenant_a, records_a["order"]) == [30]


def test_a_stale_version_in_the_batch_is_refused(tech_api, records_a, tenant_a, tech_a):
    order = records_a["order"]
    stale = {**_act("workorder.complete", order.pk, {}), "version": order.version}
    complete_order(tenant_a, order, tech_a)
    with tenant_context(tenant_a):
        services.reopen(WorkOrder.objects.get(pk=order.pk))
    answer = tech_api.post("/actions", [stale]).json()[0]
    assert (answer["status"], answer["code"]) == ("refused", 412)
