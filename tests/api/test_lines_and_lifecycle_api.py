"""Time entries, material lines, forms, complete and archive through the API, and the rule
that an archived work order refuses every change."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.api.conftest import RECENT, archive_order, complete_order
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import services
from werkbon.workorders.models import (
    FilledForm,
    MaterialLine,
    TimeEntry,
    WorkOrder,
    WorkOrderStatus,
)

pytestmark = pytest.mark.django_db


def _rows(tenant, order):  # type: ignore[no-untyped-def]
    with tenant_context(tenant):
        return (TimeEntry.objects.filter(work_order=order).count(),
                MaterialLine.objects.filter(work_order=order).count(),
                FilledForm.objects.filter(work_order=order).count())


# --- time entries ---------------------------------------------------------------------


def test_it_adds_and_lists_time_entries(tech_api, records_a):
    order = records_a["order"]
    response = tech_api.post(f"/work-orders/{order.pk}/time-entries",
                             {"kind": "travel", "minutes": 20, "date": RECENT})
    assert response.status_code == 201, response.content
    assert response.json()["technician"] == "tech_a"
    listed = tech_api.get(f"/work-orders/{order.pk}/time-entries").json()
    assert [(e["kind"], e["minutes"], e["date"]) for e in listed] == [("travel", 20, RECENT)]


@pytest.mark.parametrize(("payload", "field"), [
    ({"kind": "pause", "minutes": 10, "date": RECENT}, "kind"),
    ({"kind": "work", "minutes": 0, "date": RECENT}, "minutes"),
    ({"kind": "work", "minutes": 1.5, "date": RECENT}, "minutes"),
    ({"kind": "work", "minutes": "veel", "date": RECENT}, "minutes"),
    ({"kind": "work", "minutes": 2000, "date": RECENT}, "minutes"),
    ({"kind": "work", "minutes": 10, "date": "31-02-2025"}, "date"),
    ({"kind": "work", "minutes": 10}, "date"),
])
def test_it_refuses_an_invalid_time_entry_per_field(tech_api, records_a, tenant_a, payload, field):
    response = tech_api.post(f"/work-orders/{records_a['order'].pk}/time-entries", payload)
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert _rows(tenant_a, records_a["order"])[0] == 0


def test_it_lets_the_office_register_time_for_a_technician(office_api, records_a):
    response = office_api.post(f"/work-orders/{records_a['order'].pk}/time-entries",
                               {"kind": "work", "minutes": 30, "date": RECENT,
                                "technician": "tech_a"})
    assert response.status_code == 201
    assert response.json()["technician"] == "tech_a"


def test_it_refuses_a_technician_registering_time_for_someone_else(tech_api, records_a):
    response = tech_api.post(f"/work-orders/{records_a['order'].pk}/time-entries",
                             {"kind": "work", "minutes": 30, "date": RECENT,
                              "technician": "office_a"})
    assert response.status_code == 403
    assert response.json()["detail"]


def test_it_refuses_time_on_an_order_not_planned_to_the_technician(tech_api, records_a, tenant_a):
    response = tech_api.post(f"/work-orders/{records_a['unplanned'].pk}/time-entries",
                             {"kind": "work", "minutes": 30, "date": RECENT})
    assert response.status_code == 404
    assert _rows(tenant_a, records_a["unplanned"])[0] == 0


# --- material lines ---------------------------------------------------------------------


def test_it_adds_and_lists_material_lines(tech_api, records_a):
    order = records_a["order"]
    response = tech_api.post(f"/work-orders/{order.pk}/material-lines",
                             {"item_number": "KR-15", "quantity": 15})  # counted (st): whole
    assert response.status_code == 201, response.content
    assert response.json()["quantity"] == "15.000"  # as stored (and listed)
    listed = tech_api.get(f"/work-orders/{order.pk}/material-lines").json()
    assert [(m["item_number"], m["quantity"], m["technician"]) for m in listed] == [
        ("KR-15", "15.000", "tech_a")]


@pytest.mark.parametrize(("payload", "field"), [
    ({"item_number": "NOPE", "quantity": "1"}, "item_number"),
    ({"item_number": "OLD-1", "quantity": "1"}, "item_number"),  # inactive
    ({"item_number": "KR-15", "quantity": "0"}, "quantity"),
    ({"item_number": "KR-15", "quantity": "-2"}, "quantity"),
    ({"item_number": "KR-15", "quantity": "twee"}, "quantity"),
    ({"item_number": "KR-15", "quantity": "1.2345"}, "quantity"),
    ({"item_number": "KR-15", "quantity": "1.5"}, "quantity"),  # counted in pieces (st)
    ({"item_number": "KR-15"}, "quantity"),
    ({"item_number": "KR-15", "quantity": "1", "note": "x" * 501}, "note"),
])
def test_it_refuses_an_invalid_material_line_per_field(tech_api, records_a, tenant_a, payload, field):
    response = tech_api.post(f"/work-orders/{records_a['order'].pk}/material-lines", payload)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert _rows(tenant_a, records_a["order"])[1] == 0


# --- forms ----------------------------------------------------------------------------


def test_it_lists_form_templates_with_questions(tech_api, records_a):
    templates = tech_api.get("/form-templates").json()
    assert [t["name"] for t in templates] == ["Ketelcontrole"]
    questions = templates[0]["questions"]
    assert [q["kind"] for q in questions] == ["text", "number", "yes_no", "choice", "photo"]
    assert questions[3]["choices"] == ["goed", "matig", "slecht"]
    assert questions[1]["required"] is True


def test_it_fills_in_a_form_and_changes_it(tech_api, records_a):
    order, r = records_a["order"], records_a
    response = tech_api.post(f"/work-orders/{order.pk}/forms", {
        "template_id": r["template"].pk,
        "answers": [
            {"question_id": r["q_text"].pk, "value": "Ketel schoon"},
            {"question_id": r["q_number"].pk, "value": "12,50"},
            {"question_id": r["q_yes_no"].pk, "value": True},
            {"question_id": r["q_choice"].pk, "value": "matig"},
        ]})
    assert response.status_code == 200, response.content
    answers = {a["question_id"]: a["value"] for a in response.json()["answers"]}
    assert answers == {r["q_text"].pk: "Ketel schoon", r["q_number"].pk: "12.5",
                       r["q_yes_no"].pk: "yes", r["q_choice"].pk: "matig"}
    tech_api.post(f"/work-orders/{order.pk}/forms", {
        "template_id": r["template"].pk,
        "answers": [{"question_id": r["q_yes_no"].pk, "value": "nee"}]})
    forms = tech_api.get(f"/work-orders/{order.pk}/forms").json()
    assert len(forms) == 1
    answers = {a["question_id"]: a["value"] for a in forms[0]["answers"]}
    assert answers[r["q_yes_no"].pk] == "no"
    assert answers[r["q_number"].pk] == "12.5"


@pytest.mark.parametrize(("answer_key", "value", "field"), [
    ("q_number", "veel", "answers.0.value"),
    ("q_yes_no", "misschien", "answers.0.value"),
    ("q_choice", "perfect", "answers.0.value"),
    ("q_photo", "foto.jpg", "answers.0.value"),
])
def test_it_refuses_invalid_answers_per_field(tech_api, records_a, tenant_a, answer_key, value, field):
    r = records_a
    response = tech_api.post(f"/work-orders/{r['order'].pk}/forms", {
        "template_id": r["template"].pk,
        "answers": [{"question_id": r[answer_key].pk, "value": value},
                    {"question_id": r["q_number"].pk, "value": 3}]})
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert _rows(tenant_a, r["order"])[2] == 0


def test_it_requires_the_required_questions(tech_api, records_a, tenant_a):
    r = records_a
    response = tech_api.post(f"/work-orders/{r['order'].pk}/forms", {
        "template_id": r["template"].pk,
        "answers": [{"question_id": r["q_text"].pk, "value": "ok"}]})
    assert response.status_code == 422
    assert "CO-waarde (ppm)" in response.json()["errors"]["answers"][0]


def test_it_refuses_an_unknown_template_or_question(tech_api, records_a):
    r = records_a
    response = tech_api.post(f"/work-orders/{r['order'].pk}/forms",
                             {"template_id": 999999, "answers": []})
    assert "template_id" in response.json()["errors"]
    response = tech_api.post(f"/work-orders/{r['order'].pk}/forms", {
        "template_id": r["template"].pk, "answers": [{"question_id": 999999, "value": "x"}]})
    assert "answers.0.question_id" in response.json()["errors"]


# --- complete, reopen and archive ---------------------------------------------------------


def test_it_lets_the_technician_complete_their_order(tech_api, records_a, tenant_a):
    order = records_a["order"]
    response = tech_api.post(f"/work-orders/{order.pk}/complete", {"signed_by_name": "J. de Vries"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["signed_by_name"], body["completed_by"]) == (
        "completed", "J. de Vries", "tech_a")
    assert body["completed_at"]
    again = tech_api.post(f"/work-orders/{order.pk}/complete", {})
    assert again.status_code == 409
    # once completed, the office reviews it: the technician can no longer add time
    late = tech_api.post(f"/work-orders/{order.pk}/time-entries",
                         {"kind": "work", "minutes": 5, "date": RECENT})
    assert late.status_code == 409
    assert _rows(tenant_a, order)[0] == 0


def test_it_signs_with_the_callers_name_by_default(tech_api, records_a):
    body = tech_api.post(f"/work-orders/{records_a['order'].pk}/complete").json()
    assert body["signed_by_name"] == "Piet Jansen"


def test_it_refuses_to_archive_a_work_order_that_is_not_completed(office_api, records_a, tenant_a,
                                                                 office_a):
    order = records_a["order"]
    response = office_api.post(f"/work-orders/{order.pk}/archive")
    assert response.status_code == 409
    with tenant_context(tenant_a), translation.override("nl"):
        assert WorkOrder.objects.get(pk=order.pk).status == WorkOrderStatus.PLANNED
        with pytest.raises(services.LifecycleError) as refused:
            services.archive(order, user=office_a)
    # the service's own message, in Dutch (the default language)
    assert response.json()["detail"] == str(refused.value)
    assert "Werkbon 1" in response.json()["detail"]


def test_it_refuses_archive_to_a_technician(tech_api, records_a, tenant_a, tech_a):
    complete_order(tenant_a, records_a["order"], tech_a)
    response = tech_api.post(f"/work-orders/{records_a['order'].pk}/archive")
    assert response.status_code == 403
    with tenant_context(tenant_a):
        assert WorkOrder.objects.get(pk=records_a["order"].pk).status == WorkOrderStatus.COMPLETED


def test_it_archives_a_completed_order_and_reopens_before(office_api, records_a, tenant_a, tech_a):
    order = records_a["order"]
    complete_order(tenant_a, order, tech_a)
    reopened = office_api.post(f"/work-orders/{order.pk}/reopen")
    assert reopened.json()["status"] == "planned"
    office_api.post(f"/work-orders/{order.pk}/complete")
    response = office_api.post(f"/work-orders/{order.pk}/archive")
    assert response.status_code == 200
    assert response.json()["status"] == "archived"
    assert response.json()["archived_at"]


@pytest.mark.parametrize(("path", "payload"), [
    ("/time-entries", {"kind": "work", "minutes": 10, "date": RECENT}),
    ("/material-lines", {"item_number": "KR-15", "quantity": "1"}),
    ("/plan", {"technicians": ["tech_a"], "planned_start": "2025-06-01T08:00:00Z"}),
    ("/complete", {}),
    ("/reopen", {}),
    ("/archive", {}),
    ("/forms", "form"),
])
def test_it_refuses_every_change_to_an_archived_order(office_api, records_a, tenant_a, office_a,
                                                      path, payload):
    order = records_a["order"]
    archive_order(tenant_a, order, office_a)
    if payload == "form":
        payload = {"template_id": records_a["template"].pk,
                   "answers": [{"question_id": records_a["q_number"].pk, "value": 1}]}
    with tenant_context(tenant_a):
        before = WorkOrder.objects.filter(pk=order.pk).values().get()
    response = office_api.post(f"/work-orders/{order.pk}{path}", payload)
    assert response.status_code == 409, response.content
    assert "gearchiveerd" in response.json()["detail"]
    with tenant_context(tenant_a):
        assert WorkOrder.objects.filter(pk=order.pk).values().get() == before
    assert _rows(tenant_a, order) == (0, 0, 0)


def test_it_still_reads_an_archived_order(tech_api, records_a, tenant_a, office_a):
    archive_order(tenant_a, records_a["order"], office_a)
    assert tech_api.get(f"/work-orders/{records_a['order'].pk}").json()["status"] == "archived"
