"""Out-of-range API input is a 422 with a message per field, never a 500 (issue 10, finding 5).

Every bound comes from :mod:`werkbon.workorders.limits`, the same module the screens use.
"""

from __future__ import annotations

import pytest

from werkbon.workorders import limits

pytestmark = pytest.mark.django_db

HUGE = str(2**70)


@pytest.mark.parametrize("params", [
    {"limit": HUGE}, {"offset": HUGE}, {"limit": limits.MAX_PAGE_SIZE + 1}, {"limit": 0},
    {"offset": -1},
])
@pytest.mark.parametrize("path", ["/work-orders", "/customers", "/items"])
def test_paging_out_of_range_is_a_422_naming_the_parameter(office_api, records_a, path, params):
    response = office_api.get(path, params)
    assert response.status_code == 422, response.content
    assert set(response.json()["errors"]) == set(params)


def test_the_largest_page_is_accepted(office_api, records_a):
    response = office_api.get("/work-orders", {"limit": limits.MAX_PAGE_SIZE})
    assert response.status_code == 200
    assert response.json()["count"] == 2


@pytest.mark.parametrize("path", ["/work-orders/{id}", "/work-orders/{id}/time-entries",
                                  "/customers/{id}", "/work-orders/{id}/forms"])
def test_an_id_beyond_64_bits_is_a_client_error(office_api, records_a, path):
    response = office_api.get(path.format(id=HUGE))
    assert response.status_code in {404, 422}, response.content


@pytest.mark.parametrize("field", ["planned_from", "planned_to"])
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_filter_dates_outside_the_window_are_a_422(office_api, records_a, field, day):
    response = office_api.get("/work-orders", {field: day})
    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize("start", ["0001-01-01T09:00:00+00:00", "9999-12-31T23:00:00+00:00",
                                   "9999-12-31T23:30:00-05:00"])
def test_a_planned_start_outside_the_window_is_a_422(office_api, records_a, start):
    create = office_api.post("/work-orders", {
        "customer_number": "10001", "technicians": ["tech_a"], "planned_start": start})
    assert create.status_code == 422, create.content
    assert list(create.json()["errors"]) == ["planned_start"]
    plan = office_api.post(f"/work-orders/{records_a['order'].pk}/plan",
                           {"technicians": ["tech_a"], "planned_start": start})
    assert plan.status_code == 422, plan.content


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_time_entry_date_outside_the_window_is_a_422(tech_api, records_a, day):
    response = tech_api.post(f"/work-orders/{records_a['order'].pk}/time-entries",
                             {"kind": "work", "minutes": 30, "date": day})
    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == ["date"]


@pytest.mark.parametrize(("field", "limit"), [
    ("description", limits.MAX_DESCRIPTION_LENGTH),
    ("customer_reference", limits.MAX_REFERENCE_LENGTH),
])
def test_texts_longer_than_the_shared_limit_are_a_422(office_api, records_a, field, limit):
    at_limit = office_api.post("/work-orders", {"customer_number": "10001", field: "x" * limit})
    assert at_limit.status_code == 201, at_limit.content
    over = office_api.post("/work-orders", {"customer_number": "10001", field: "x" * (limit + 1)})
    assert over.status_code == 422
    assert list(over.json()["errors"]) == [field]


@pytest.mark.parametrize("body", [
    {"description": "a\x00b"}, {"customer_reference": "PO\x00"},
])
def test_nul_characters_are_refused(office_api, records_a, body):
    response = office_api.post("/work-orders", {"customer_number": "10001", **body})
    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == list(body)


def test_a_note_with_a_nul_character_is_refused(tech_api, records_a):
    response = tech_api.post(f"/work-orders/{records_a['order'].pk}/material-lines",
                             {"item_number": "KR-15", "quantity": "1", "note": "x\x00"})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["note"]


@pytest.mark.parametrize(("question", "value"), [
    ("q_text", "x" * (limits.MAX_ANSWER_LENGTH + 1)),
    ("q_text", "nul\x00teken"),
    ("q_number", "1e999999"),
    ("q_number", "9" * 5000),
    ("q_number", "1234567890123456789012"),
    ("q_number", "0.12345678901"),
    ("q_number", 1e308),
])
def test_answers_out_of_range_are_a_422(tech_api, records_a, question, value):
    body = {"template_id": records_a["template"].pk, "answers": [
        {"question_id": records_a["q_number"].pk, "value": "12"},
        {"question_id": records_a[question].pk, "value": value}]}
    response = tech_api.post(f"/work-orders/{records_a['order'].pk}/forms", body)
    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == ["answers.1.value"]


def test_a_text_answer_at_the_limit_is_accepted(tech_api, records_a):
    body = {"template_id": records_a["template"].pk, "answers": [
        {"question_id": records_a["q_number"].pk, "value": "12"},
        {"question_id": records_a["q_text"].pk, "value": "x" * limits.MAX_ANSWER_LENGTH}]}
    response = tech_api.post(f"/work-orders/{records_a['order'].pk}/forms", body)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/work-orders", {"customer_number": "10001", "technicians": ["t"] * 1000}, "technicians"),
    ("/work-orders", {"customer_number": "10001", "work_address_id": 2**70}, "work_address_id"),
])
def test_lists_and_numbers_in_bodies_are_bounded(office_api, records_a, path, body, field):
    response = office_api.post(path, body)
    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == [field]


def test_a_search_text_is_bounded(office_api, records_a):
    response = office_api.get("/items", {"q": "x" * (limits.MAX_SEARCH_LENGTH + 1)})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["q"]
