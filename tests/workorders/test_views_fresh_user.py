"""What a fresh user ran into on the work-order screens: decimal and date inputs, the
lifecycle (complete only a planned order), technicians correcting their own registrations,
dates of time entries, messages that name the field, error pages, and the language."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from tests.conftest import make_user
from tests.workorders.conftest import RECENT
from werkbon.accounts.models import Role
from werkbon.workorders import services
from werkbon.workorders.forms import (
    FilledFormForm,
    ItemForm,
    OfficeTimeEntryForm,
    PlanForm,
    TimeEntryForm,
    WorkOrderForm,
)
from werkbon.workorders.limits import MAX_PLANNED_MINUTES, MAX_TIME_ENTRY_MINUTES
from werkbon.workorders.models import (
    Customer,
    FormAnswer,
    FormQuestion,
    FormTemplate,
    Item,
    MaterialLine,
    QuestionKind,
    TimeEntry,
    WorkOrderStatus,
)

pytestmark = pytest.mark.django_db


def messages_of(response) -> str:  # type: ignore[no-untyped-def]
    return " ".join(str(m) for m in response.context["messages"])


def _input(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert match, name
    return match.group(0)


# --- W1: decimals ---------------------------------------------------------------------------


def test_a_decimal_answer_is_a_text_input_with_a_decimal_keyboard_and_saves(
        tech_client, planned_order):
    template = FormTemplate.objects.create(name="Meting")
    question = FormQuestion.objects.create(template=template, label="Druk (bar)",
                                           kind=QuestionKind.NUMBER, required=True)
    url = reverse("workorders:fill_form", args=[planned_order.pk, template.pk])
    field = _input(tech_client.get(url).content.decode(), f"q{question.pk}")
    # A number input without step="any" makes the browser refuse 1.6 before it is sent.
    assert 'type="text"' in field and 'inputmode="decimal"' in field, field
    tech_client.post(url, {f"q{question.pk}": "1,6"})
    assert FormAnswer.objects.get(question=question).value == "1.6"


def test_the_sales_price_is_a_text_input_too(in_tenant_a):
    html = str(ItemForm()["sales_price"])
    assert 'type="text"' in html and 'inputmode="decimal"' in html


# --- W2: date inputs ------------------------------------------------------------------------


def test_the_plan_form_shows_the_planned_date_in_the_format_a_date_input_reads(
        office_client, planned_order):
    html = office_client.get(reverse("workorders:detail", args=[planned_order.pk])).content.decode()
    assert 'value="2025-03-12"' in _input(html, "plan-date")
    assert 'value="09:30"' in _input(html, "plan-time")


def test_every_date_input_renders_iso(in_tenant_a, planned_order):
    day = dt.date(2026, 11, 25)
    assert 'value="2026-11-25"' in str(PlanForm(initial={"date": day})["date"])
    assert 'value="2026-11-25"' in str(WorkOrderForm(initial={"planned_date": day})["planned_date"])
    assert 'value="2026-11-25"' in str(TimeEntryForm(initial={"date": day})["date"])


# --- W4: complete only a planned order --------------------------------------------------------


def test_an_order_that_was_never_planned_cannot_be_completed(office_client, customer):
    order = services.create_work_order(customer=customer, description="Lekkage")
    detail = office_client.get(reverse("workorders:detail", args=[order.pk])).content.decode()
    assert 'data-testid="complete"' not in detail
    response = office_client.post(reverse("workorders:complete", args=[order.pk]),
                                  {"signed_by_name": "X"}, follow=True)
    assert "is nog niet gepland" in messages_of(response)
    order.refresh_from_db()
    assert order.status == WorkOrderStatus.OPEN
    with pytest.raises(services.LifecycleError):
        services.complete(order, user=order.technicians.first() or _any_user(order))


def _any_user(order):  # type: ignore[no-untyped-def]
    from werkbon.accounts.models import User

    return User.objects.filter(tenant=order.tenant).first()


# --- W3 (screens): the office books time on a planned technician -----------------------------


def test_the_office_time_form_offers_only_the_planned_technicians(office_client, planned_order,
                                                                   tech_a):
    make_user(tech_a.tenant, "tech_other", Role.TECHNICIAN)
    form = OfficeTimeEntryForm(order=planned_order)
    assert list(form.fields["technician"].queryset) == [tech_a]
    assert form.fields["technician"].initial == tech_a.pk


# --- W5: technicians correct their own registrations; dates -----------------------------------


@pytest.fixture
def own_and_other(planned_order, tech_a, items):
    other = make_user(tech_a.tenant, "tech_other", Role.TECHNICIAN)
    planned_order.technicians.add(other)
    today = timezone.localdate()
    mine = services.add_time_entry(planned_order, technician=tech_a, kind="work", minutes=60,
                                   date=today)
    theirs = services.add_time_entry(planned_order, technician=other, kind="work", minutes=30,
                                     date=today)
    my_line = services.add_material_line(planned_order, item=items["CV01"],
                                         quantity=Decimal("1"), technician=tech_a)
    their_line = services.add_material_line(planned_order, item=items["CV01"],
                                            quantity=Decimal("2"), technician=other)
    return mine, theirs, my_line, their_line


def test_a_technician_corrects_and_deletes_their_own_registrations(tech_client, planned_order,
                                                                   own_and_other):
    mine, theirs, my_line, their_line = own_and_other
    page = tech_client.get(reverse("workorders:my_work_order", args=[planned_order.pk]))
    html = page.content.decode()
    assert f'data-testid="edit-time-{mine.pk}"' in html
    assert f'data-testid="edit-time-{theirs.pk}"' not in html
    assert f'data-testid="delete-material-{my_line.pk}"' in html
    assert f'data-testid="delete-material-{their_line.pk}"' not in html

    url = reverse("workorders:time_entry_edit", args=[planned_order.pk, mine.pk])
    assert tech_client.get(url).status_code == 200
    response = tech_client.post(url, {"kind": "travel", "minutes": "45", "date": RECENT})
    assert response["Location"] == reverse("workorders:my_work_order", args=[planned_order.pk])
    mine.refresh_from_db()
    assert (mine.kind, mine.minutes, mine.date.isoformat()) == ("travel", 45, RECENT)
    tech_client.post(reverse("workorders:material_line_edit", args=[planned_order.pk, my_line.pk]),
                     {"item": my_line.item_id, "quantity": "3", "note": "verkeerd geteld"})  # CV01 is counted (st)
    my_line.refresh_from_db()
    assert my_line.quantity == Decimal("3")
    tech_client.post(reverse("workorders:time_entry_delete", args=[planned_order.pk, mine.pk]))
    tech_client.post(reverse("workorders:material_line_delete",
                             args=[planned_order.pk, my_line.pk]))
    assert not TimeEntry.objects.filter(pk=mine.pk).exists()
    assert not MaterialLine.objects.filter(pk=my_line.pk).exists()


def test_a_technician_cannot_touch_someone_elses_or_a_completed_orders_registrations(
        tech_client, planned_order, own_and_other, tech_a):
    mine, theirs, _my_line, their_line = own_and_other
    for url in (reverse("workorders:time_entry_edit", args=[planned_order.pk, theirs.pk]),
                reverse("workorders:time_entry_delete", args=[planned_order.pk, theirs.pk]),
                reverse("workorders:material_line_delete", args=[planned_order.pk, their_line.pk])):
        response = tech_client.post(url, {"kind": "work", "minutes": "1", "date": RECENT})
        assert response.status_code == 403, url
        assert "zelf hebt geregistreerd" in response.content.decode()
    services.complete(planned_order, user=tech_a)
    response = tech_client.post(
        reverse("workorders:time_entry_delete", args=[planned_order.pk, mine.pk]))
    assert response.status_code == 403
    assert TimeEntry.objects.count() == 2
    assert MaterialLine.objects.count() == 2


@pytest.mark.parametrize("days_ago", [-1, 366])
def test_a_time_entry_date_in_the_future_or_over_a_year_back_is_refused(
        tech_client, planned_order, days_ago):
    date = timezone.localdate() - dt.timedelta(days=days_ago)
    response = tech_client.post(reverse("workorders:add_time_entry", args=[planned_order.pk]), {
        "time-kind": "work", "time-minutes": "30", "time-date": date.isoformat()}, follow=True)
    text = messages_of(response)
    assert "Datum:" in text and date.strftime("%d-%m-%Y") in text, text
    assert not TimeEntry.objects.exists()


def test_a_correction_may_keep_an_old_date(office_client, completed_order):
    entry = completed_order.time_entries.get(kind="work")  # dated 12-03-2025, over a year ago
    office_client.post(
        reverse("workorders:time_entry_edit", args=[completed_order.pk, entry.pk]),
        {"kind": "work", "minutes": "100", "date": "2025-03-12",
         "technician": entry.technician_id})
    entry.refresh_from_db()
    assert entry.minutes == 100


# --- W6: planning in the past; the year on the technician's list -------------------------------


def test_planning_in_the_past_warns(office_client, customer, tech_a):
    order = services.create_work_order(customer=customer)
    response = office_client.post(reverse("workorders:plan", args=[order.pk]), {
        "plan-technician": tech_a.pk, "plan-date": "2020-01-01", "plan-time": "10:00"},
        follow=True)
    assert "01-01-2020 ligt in het verleden" in messages_of(response)
    order.refresh_from_db()
    assert order.status == WorkOrderStatus.PLANNED
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = office_client.post(reverse("workorders:plan", args=[order.pk]), {
        "plan-technician": tech_a.pk, "plan-date": tomorrow.isoformat(), "plan-time": "10:00"},
        follow=True)
    assert "verleden" not in messages_of(response)


def test_planning_earlier_today_warns_too(office_client, customer, tech_a, monkeypatch):
    """New-user review: a start earlier today was accepted silently (only earlier days
    warned). Still planned; a start within the current quarter of an hour is not warned."""
    today = timezone.localdate()
    now = timezone.make_aware(dt.datetime.combine(today, dt.time(14, 7)))
    monkeypatch.setattr(timezone, "now", lambda: now)  # today (the session stays valid), 14:07
    order = services.create_work_order(customer=customer)

    def plan(time: str) -> str:
        response = office_client.post(reverse("workorders:plan", args=[order.pk]), {
            "plan-technician": tech_a.pk, "plan-date": today.isoformat(), "plan-time": time},
            follow=True)
        return messages_of(response)

    shown = plan("09:00")
    assert "Let op: vandaag 09:00 is al voorbij. Controleer de tijd als dat niet de bedoeling was." \
        in shown, shown
    order.refresh_from_db()
    assert order.status == WorkOrderStatus.PLANNED
    assert timezone.localtime(order.planned_start).strftime("%H:%M") == "09:00"
    for later in ("14:00", "16:00"):  # now (14:07, in the current quarter) and later
        shown = plan(later)
        assert "planned" in shown or "gepland" in shown, shown
        assert "voorbij" not in shown and "verleden" not in shown, (later, shown)


def test_the_technicians_list_shows_the_year(tech_client, planned_order):
    html = tech_client.get(reverse("workorders:my_work")).content.decode()
    assert "12-03-2025 09:30" in html


# --- W10: local numbers ------------------------------------------------------------------------


def test_numbers_are_unique_regardless_of_case_and_without_markup(office_client, in_tenant_a):
    Item.objects.create(number="ARBEID", description="Arbeid")
    response = office_client.post(reverse("workorders:item_create"), {
        "number": "arbeid", "description": "Arbeid", "sales_price": "1", "item_type": "non_stock",
        "status": "active"})
    assert response.status_code == 200 and response.context["form"].errors["number"]
    response = office_client.post(reverse("workorders:customer_create"), {
        "number": "<b>X</b>", "name": "X", "status": "active", "country": "NL"})
    assert "Gebruik alleen letters" in response.context["form"].errors["number"][0]
    assert not Customer.objects.exists()
    Customer.objects.create(number="K-1", name="Een")
    response = office_client.post(reverse("workorders:customer_create"), {
        "number": "k-1", "name": "Twee", "status": "active", "country": "NL"})
    assert response.context["form"].errors["number"]
    assert Item.objects.count() == 1 and Customer.objects.count() == 1


# --- U10 and U11: required yes/no, messages that name the field -----------------------------------


def test_a_required_yes_no_question_has_no_empty_choice(in_tenant_a):
    template = FormTemplate.objects.create(name="Check")
    required = FormQuestion.objects.create(template=template, label="Lekvrij?",
                                           kind=QuestionKind.YES_NO, required=True)
    optional = FormQuestion.objects.create(template=template, label="Schoon?",
                                           kind=QuestionKind.YES_NO)
    form = FilledFormForm(template=template, answers={})
    assert [v for v, _label in form.fields[f"q{required.pk}"].choices] == ["yes", "no"]
    assert "checked" not in str(form[f"q{required.pk}"])
    assert [v for v, _label in form.fields[f"q{optional.pk}"].choices] == ["", "yes", "no"]


def test_planning_errors_name_the_fields(office_client, planned_order):
    response = office_client.post(reverse("workorders:plan", args=[planned_order.pk]), {},
                                  follow=True)
    text = messages_of(response)
    assert "Monteur: " in text and "Datum: " in text and "Tijd: " in text, text


def test_time_and_material_errors_say_what_was_wrong(tech_client, planned_order, items):
    response = tech_client.post(reverse("workorders:add_time_entry", args=[planned_order.pk]), {
        "time-kind": "pauze", "time-minutes": "5", "time-date": RECENT}, follow=True)
    assert "Soort: Kies werktijd of reistijd." in messages_of(response)
    for item in ("", "999999"):
        response = tech_client.post(
            reverse("workorders:add_material_line", args=[planned_order.pk]),
            {"mat-item": item, "mat-quantity": "1"}, follow=True)
        assert "Artikel: " in messages_of(response)
        assert "verplicht" not in messages_of(response)
        assert "uit de lijst" in messages_of(response)


# --- K1, K4, K5 ----------------------------------------------------------------------------


def test_the_minimum_quantity_is_written_with_a_decimal_comma(tech_client, planned_order, items):
    response = tech_client.post(reverse("workorders:add_material_line", args=[planned_order.pk]),
                                {"mat-item": items["CV01"].pk, "mat-quantity": "0"}, follow=True)
    text = messages_of(response)
    assert "0,001" in text and "0.001" not in text, text


def test_the_planned_column_does_not_wrap_and_totals_use_the_phone_width(office_client,
                                                                         planned_order):
    html = office_client.get(reverse("workorders:list")).content.decode()
    assert '<td class="nowrap" data-label="Gepland">' in html
    css = Path(finders.find("werkbon.css")).read_text(encoding="utf-8")
    assert ".nowrap { white-space:nowrap; }" in css
    assert "table.responsive tfoot th { display:block;" in css


def test_the_screens_use_the_shared_limits(in_tenant_a, planned_order):
    assert TimeEntryForm().fields["minutes"].max_value == MAX_TIME_ENTRY_MINUTES
    assert PlanForm().fields["minutes"].max_value == MAX_PLANNED_MINUTES
    assert WorkOrderForm().fields["planned_minutes"].max_value == MAX_PLANNED_MINUTES
    too_long = TimeEntryForm({"kind": "work", "minutes": MAX_TIME_ENTRY_MINUTES + 1,
                              "date": RECENT})
    assert not too_long.is_valid() and "minutes" in too_long.errors
    with pytest.raises(services.LifecycleError):
        services.add_time_entry(planned_order, technician=planned_order.technicians.first(),
                                kind="work", minutes=MAX_TIME_ENTRY_MINUTES + 1,
                                date=timezone.localdate())
