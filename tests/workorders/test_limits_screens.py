"""Out-of-range input on the screens: a Dutch message on the field, never a 500 or a
1 MB record (issue 10, findings 2 and 5). The bounds are the ones the API uses."""

from __future__ import annotations

import pytest
from django.urls import reverse

from werkbon.workorders import limits
from werkbon.workorders.models import FilledForm, FormQuestion, FormTemplate, WorkOrder

pytestmark = pytest.mark.django_db


def _create(client, customer, **fields):
    return client.post(reverse("workorders:create"), {
        "customer": customer.pk, "planned_minutes": 60, **fields})


def test_a_description_over_the_limit_is_refused_on_the_field(office_client, customer):
    response = _create(office_client, customer,
                       description="x" * (limits.MAX_DESCRIPTION_LENGTH + 1))
    assert response.status_code == 200
    assert "description" in response.context["form"].errors
    assert "niet meer dan 10000 tekens" in response.content.decode()
    assert not WorkOrder.objects.exists()
    ok = _create(office_client, customer, description="x" * limits.MAX_DESCRIPTION_LENGTH)
    assert ok.status_code == 302


def test_a_nul_character_is_refused(office_client, customer):
    response = _create(office_client, customer, description="een\x00twee")
    assert response.status_code == 200
    assert "description" in response.context["form"].errors
    assert not WorkOrder.objects.exists()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_planned_date_outside_the_window_is_a_message(office_client, customer, day):
    response = _create(office_client, customer, planned_date=day, planned_time="23:30")
    assert response.status_code == 200
    assert "planned_date" in response.context["form"].errors
    assert not WorkOrder.objects.exists()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_the_plan_form_refuses_dates_outside_the_window(office_client, planned_order, tech_a, day):
    response = office_client.post(reverse("workorders:plan", args=[planned_order.pk]), {
        "plan-technician": tech_a.pk, "plan-date": day, "plan-time": "23:30"})
    assert response.status_code in {200, 302}


@pytest.mark.parametrize("day", ["0001-01-01", "0001-01-03", "9999-12-31"])
def test_the_planning_week_parameter_outside_the_window_shows_this_week(office_client, day):
    response = office_client.get(reverse("workorders:planning"), {"week": day})
    assert response.status_code == 200


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_list_filter_dates_outside_the_window_are_a_message(office_client, customer, day):
    response = office_client.get(reverse("workorders:list"), {"date_from": day, "date_to": day})
    assert response.status_code == 200
    assert "date_from" in response.context["form"].errors


@pytest.mark.parametrize("page", ["99999999999999999999999", "-1", "x"])
def test_an_odd_page_number_shows_a_page(office_client, page):
    assert office_client.get(reverse("workorders:list"), {"page": page}).status_code == 200


def test_a_text_answer_over_the_limit_is_refused(tech_client, planned_order, in_tenant_a):
    template = FormTemplate.objects.create(name="Notities")
    question = FormQuestion.objects.create(template=template, label="Notitie", kind="text")
    url = reverse("workorders:fill_form", args=[planned_order.pk, template.pk])
    response = tech_client.post(url, {f"q{question.pk}": "x" * (limits.MAX_ANSWER_LENGTH + 1)})
    assert response.status_code == 200
    assert f"q{question.pk}" in response.context["form"].errors
    assert not FilledForm.objects.exists()
    assert tech_client.post(url, {f"q{question.pk}": "x" * limits.MAX_ANSWER_LENGTH}).status_code == 302


@pytest.mark.parametrize("value", ["1e999999", "12345678901234567890123"])
def test_a_number_answer_out_of_range_is_refused(tech_client, planned_order, in_tenant_a, value):
    template = FormTemplate.objects.create(name="Metingen")
    question = FormQuestion.objects.create(template=template, label="Druk", kind="number")
    url = reverse("workorders:fill_form", args=[planned_order.pk, template.pk])
    response = tech_client.post(url, {f"q{question.pk}": value})
    assert response.status_code == 200
    assert f"q{question.pk}" in response.context["form"].errors


def test_a_search_text_is_cut_to_the_limit(tech_client):
    response = tech_client.get(reverse("workorders:item_options"),
                               {"q": "x" * 100_000})
    assert response.status_code == 200
