"""What only a real browser shows: Chromium must accept a decimal answer ("1,6" and 1.6)
in a custom form, and show an already planned date in the plan form's date picker."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.browser.test_workorder_flow import log_in
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import services
from werkbon.workorders.models import (
    Customer,
    FormAnswer,
    FormQuestion,
    FormTemplate,
    QuestionKind,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_decimal_answer_is_saved_and_a_planned_date_is_shown(page, live_server, tenant_a,
                                                                 office_a, tech_a):
    from playwright.sync_api import expect

    start = timezone.make_aware(dt.datetime(2026, 11, 25, 10, 30))
    with tenant_context(tenant_a):
        customer = Customer.objects.create(number="10001", name="Bakkerij Müller")
        order = services.create_work_order(customer=customer, technicians=[tech_a],
                                           planned_start=start)
        template = FormTemplate.objects.create(name="Meting")
        question = FormQuestion.objects.create(template=template, label="Druk (bar)",
                                               kind=QuestionKind.NUMBER, required=True)

    log_in(page, live_server.url, office_a.username)
    page.goto(f"{live_server.url}/werkorders/{order.pk}/")
    # A Dutch "25-11-2026" in a date input is an empty picker; ISO shows the date.
    expect(page.locator("#id_plan-date")).to_have_value("2026-11-25")
    expect(page.locator("#id_plan-time")).to_have_value("10:30")

    for typed, stored in (("1,6", "1.6"), ("1.6", "1.6")):
        page.goto(f"{live_server.url}/werkorders/{order.pk}/formulier/{template.pk}/")
        field = page.locator(f"#id_q{question.pk}")
        field.fill(typed)
        # Chromium blocks a number input without step="any" ("nearest valid values 1
        # and 2"): the field must be valid for the browser itself.
        assert field.evaluate("el => el.checkValidity()") is True
        page.click('[data-testid="save-form"]')
        page.wait_for_load_state()
        with tenant_context(tenant_a):
            assert FormAnswer.objects.get(question=question).value == stored
