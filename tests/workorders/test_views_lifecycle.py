"""The lifecycle rules through the screens: archive only when completed, archived is read-only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.workorders.conftest import RECENT
from werkbon.workorders.models import MaterialLine, TimeEntry, WorkOrder, WorkOrderStatus

pytestmark = pytest.mark.django_db


def follow_messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_it_refuses_to_archive_an_order_that_is_not_completed(office_client, planned_order):
    response = office_client.post(reverse("workorders:archive", args=[planned_order.pk]),
                                  follow=True)
    planned_order.refresh_from_db()
    assert planned_order.status == WorkOrderStatus.PLANNED
    text = response.content.decode()
    assert "Alleen een gereed gemelde werkbon kan worden gearchiveerd" in text
    assert f"Werkbon {planned_order.number} is gepland" in text


def test_it_shows_the_archive_button_only_on_completed_orders(office_client, planned_order,
                                                                tech_a):
    url = reverse("workorders:detail", args=[planned_order.pk])
    assert 'data-testid="archive"' not in office_client.get(url).content.decode()
    from werkbon.workorders import services

    services.complete(planned_order, user=tech_a)
    assert 'data-testid="archive"' in office_client.get(url).content.decode()


def test_it_archives_a_completed_order(office_client, completed_order, office_a):
    response = office_client.post(reverse("workorders:archive", args=[completed_order.pk]),
                                  follow=True)
    completed_order.refresh_from_db()
    assert completed_order.status == WorkOrderStatus.ARCHIVED
    assert completed_order.archived_by == office_a
    assert "gearchiveerd" in follow_messages(response)


def test_it_shows_an_archived_order_without_edit_controls(office_client, archived_order):
    html = office_client.get(reverse("workorders:detail", args=[archived_order.pk])).content.decode()
    assert 'data-testid="read-only"' in html
    for control in ("archive", "reopen", "edit-work-order", "time-form", "material-form",
                    "plan-form", "complete", "edit-time-", "delete-time-", "delete-material-"):
        assert f'data-testid="{control}' not in html, control


def _edit_posts(order):
    entry = order.time_entries.first()
    line = order.material_lines.first()
    item = line.item
    return [
        ("edit", reverse("workorders:edit", args=[order.pk]),
         {"customer": order.customer_id, "description": "changed", "planned_minutes": 60}),
        ("time_entry_edit", reverse("workorders:time_entry_edit", args=[order.pk, entry.pk]),
         {"kind": "work", "minutes": 1, "date": "2025-03-12", "technician": entry.technician_id}),
        ("time_entry_delete", reverse("workorders:time_entry_delete", args=[order.pk, entry.pk]),
         {}),
        ("material_line_edit", reverse("workorders:material_line_edit", args=[order.pk, line.pk]),
         {"item": item.pk, "quantity": "9", "note": "x"}),
        ("material_line_delete",
         reverse("workorders:material_line_delete", args=[order.pk, line.pk]), {}),
        ("add_time_entry", reverse("workorders:add_time_entry", args=[order.pk]),
         {"time-kind": "work", "time-minutes": 5, "time-date": RECENT,
          "time-technician": entry.technician_id}),
        ("add_material_line", reverse("workorders:add_material_line", args=[order.pk]),
         {"mat-item": item.pk, "mat-quantity": "1", "mat-note": ""}),
        ("complete", reverse("workorders:complete", args=[order.pk]), {"signed_by_name": "x"}),
        ("reopen", reverse("workorders:reopen", args=[order.pk]), {}),
        ("archive", reverse("workorders:archive", args=[order.pk]), {}),
        ("plan", reverse("workorders:plan", args=[order.pk]),
         {"plan-technician": entry.technician_id, "plan-date": "2025-03-13",
          "plan-time": "10:00"}),
    ]


def test_it_refuses_every_edit_post_on_an_archived_order(office_client, archived_order):
    before = (
        list(TimeEntry.objects.values_list("id", "minutes", "kind", "date")),
        list(MaterialLine.objects.values_list("id", "quantity", "note", "item_id")),
    )
    snapshot = WorkOrder.objects.values().get(pk=archived_order.pk)
    for name, url, data in _edit_posts(archived_order):
        response = office_client.post(url, data, follow=True)
        assert response.status_code == 200, name
        text = follow_messages(response)
        assert "gearchiveerd" in text, (name, text)
        assert "kan niet meer worden gewijzigd" in text or "al gearchiveerd" in text, (name, text)
    after = (
        list(TimeEntry.objects.values_list("id", "minutes", "kind", "date")),
        list(MaterialLine.objects.values_list("id", "quantity", "note", "item_id")),
    )
    assert after == before
    assert WorkOrder.objects.values().get(pk=archived_order.pk) == snapshot


def test_it_refuses_a_form_fill_on_an_archived_order(office_client, archived_order):
    from werkbon.workorders.models import FilledForm, FormQuestion, FormTemplate

    template = FormTemplate.objects.create(name="Check")
    question = FormQuestion.objects.create(template=template, label="Ok?", kind="text")
    url = reverse("workorders:fill_form", args=[archived_order.pk, template.pk])
    response = office_client.post(url, {f"q{question.pk}": "ja"}, follow=True)
    assert "gearchiveerd" in follow_messages(response)
    assert not FilledForm.objects.exists()


def test_it_lets_the_office_correct_a_completed_order(office_client, completed_order):
    entry = completed_order.time_entries.get(kind="work")
    response = office_client.post(
        reverse("workorders:time_entry_edit", args=[completed_order.pk, entry.pk]),
        {"kind": "work", "minutes": 120, "date": "2025-03-12", "technician": entry.technician_id},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.minutes == 120
    line = completed_order.material_lines.get(item__unit="m")  # a fraction: not an item counted in pieces
    office_client.post(reverse("workorders:material_line_edit", args=[completed_order.pk, line.pk]),
                       {"item": line.item_id, "quantity": "3,5", "note": "gecorrigeerd"})
    line.refresh_from_db()
    assert str(line.quantity) == "3.500"
    assert line.note == "gecorrigeerd"
    office_client.post(
        reverse("workorders:material_line_delete", args=[completed_order.pk, line.pk]))
    assert not MaterialLine.objects.filter(pk=line.pk).exists()
    html = office_client.get(reverse("workorders:detail", args=[completed_order.pk])).content
    assert "120</span> min = 2,00" in html.decode()


def test_it_reopens_a_completed_order(office_client, completed_order):
    office_client.post(reverse("workorders:reopen", args=[completed_order.pk]))
    completed_order.refresh_from_db()
    assert completed_order.status == WorkOrderStatus.PLANNED
    assert completed_order.completed_at is None


def test_it_shows_totals_in_minutes_and_hours(office_client, completed_order):
    html = office_client.get(reverse("workorders:detail", args=[completed_order.pk])).content
    html = html.decode()
    assert "135</span> min = 2,25" in html
    assert "20</span> min = 0,33" in html
    assert "Zoë de Vries" in html
    assert "Bakkerij Café Søren &amp; Zoë" in html


def test_it_creates_a_planned_work_order(office_client, customer, work_address, tech_a):
    response = office_client.post(reverse("workorders:create"), {
        "customer": customer.pk, "work_address": work_address.pk,
        "description": "Lekkage keuken", "customer_reference": "REF-1",
        "technicians": [tech_a.pk], "planned_date": "2025-03-14", "planned_time": "13:15",
        "planned_minutes": 90,
    })
    order = WorkOrder.objects.get(description="Lekkage keuken")
    assert response.status_code == 302
    assert response["Location"] == reverse("workorders:detail", args=[order.pk])
    assert order.status == WorkOrderStatus.PLANNED
    assert order.customer_reference == "REF-1"
    assert list(order.technicians.all()) == [tech_a]
    from django.utils import timezone

    assert timezone.localtime(order.planned_start).replace(tzinfo=None) == dt.datetime(
        2025, 3, 14, 13, 15)


def test_it_refuses_a_work_address_of_another_customer(office_client, customer, work_address):
    from werkbon.workorders.models import Customer

    other = Customer.objects.create(number="2", name="Ander")
    response = office_client.post(reverse("workorders:create"), {
        "customer": other.pk, "work_address": work_address.pk, "planned_minutes": 60,
    })
    assert response.status_code == 200
    assert response.context["form"].errors["work_address"]
    assert not WorkOrder.objects.exists()


def test_it_reloads_the_work_addresses_of_the_chosen_customer(office_client, customer,
                                                               work_address):
    from werkbon.workorders.models import Customer, WorkAddress

    other = Customer.objects.create(number="2", name="Ander")
    WorkAddress.objects.create(customer=other, street="Elders", city="Zwolle")
    html = office_client.get(reverse("workorders:work_address_options"),
                             {"customer": customer.pk}).content.decode()
    assert "Kerkstraat 12a" in html
    assert "Elders" not in html
    bad = office_client.get(reverse("workorders:work_address_options"), {"customer": "x"})
    assert bad.status_code == 200
    # An id beyond any row (more digits than the database's integers hold) lists nothing.
    huge = office_client.get(reverse("workorders:work_address_options"), {"customer": "9" * 30})
    assert huge.status_code == 200 and "<option" not in huge.content.decode().replace(
        '<option value="">', "")


def test_it_filters_and_searches_the_list(office_client, planned_order, customer, tech_a):
    from werkbon.workorders import services

    other = services.create_work_order(customer=customer, description="Dakgoot repareren")
    url = reverse("workorders:list")
    rows = lambda r: [o.number for o in r.context["page"]]  # noqa: E731
    assert set(rows(office_client.get(url))) == {planned_order.number, other.number}
    assert rows(office_client.get(url, {"q": "dakgoot"})) == [other.number]
    assert rows(office_client.get(url, {"q": "PO-77"})) == [planned_order.number]
    assert rows(office_client.get(url, {"q": str(other.number)})) == [other.number]
    assert rows(office_client.get(url, {"q": str(planned_order.number)})) == [planned_order.number]
    assert rows(office_client.get(url, {"status": "open"})) == [other.number]
    assert rows(office_client.get(url, {"technician": tech_a.pk})) == [planned_order.number]
    assert rows(office_client.get(url, {"date_from": "2025-03-12", "date_to": "2025-03-12"})) == [
        planned_order.number]
    assert rows(office_client.get(url, {"date_from": "2025-03-13"})) == []
    assert office_client.get(url, {"status": "nonsense", "date_from": "x"}).status_code == 200


# --- the completion form after a refusal, and the confirmation (review of issue 11) ----------

def _complete_form_html(html: str) -> str:
    start = html.index('data-testid="complete-form"') if 'data-testid="complete-form"' in html \
        else html.index('data-testid="lifecycle"')
    return html[start:html.index("</form>", start)]


def _client_id(form_html: str) -> str:
    import re

    return re.search(r'name="client_id" value="([^"]+)"', form_html).group(1)


@pytest.fixture
def mail_enabled(tenant_a, customer):
    from werkbon.workorders.models import Customer

    tenant_a.customer_mail_enabled = True
    tenant_a.save()
    Customer.all_tenants.filter(pk=customer.pk).update(email="info@bakkerij.example")
    return tenant_a


def test_a_refused_completion_shows_what_the_technician_typed_with_the_error_at_the_field(
        tech_client, planned_order, mail_enabled):
    url = reverse("workorders:my_work_order", args=[planned_order.pk])
    first_id = _client_id(_complete_form_html(tech_client.get(url).content.decode()))
    response = tech_client.post(reverse("workorders:complete", args=[planned_order.pk]), {
        "signed_by_name": "Mevr. Müller", "customer_email": "muller@bakkerij",
        "client_id": first_id}, follow=True)
    planned_order.refresh_from_db()
    assert planned_order.status == WorkOrderStatus.PLANNED
    assert response.redirect_chain[-1][0] == url  # back to the page (a refresh posts nothing)
    form = _complete_form_html(response.content.decode())
    assert 'value="Mevr. Müller"' in form
    assert 'value="muller@bakkerij"' in form and "info@bakkerij.example" not in form
    assert 'data-testid="customer-email-errors"' in form and "Voer een geldig e-mailadres in" in form
    assert "has-error" in form
    assert _client_id(form) != first_id  # nothing was applied: a new attempt
    # The input is shown once: the next visit starts from the stored address again.
    again = _complete_form_html(tech_client.get(url).content.decode())
    assert 'value="info@bakkerij.example"' in again and "Müller" not in again


def test_the_typed_values_survive_a_refusal_of_the_action_layer_too(
        tech_client, planned_order, mail_enabled):
    mail_enabled.signature_required = True  # refused by the service: no signature yet
    mail_enabled.save()
    response = tech_client.post(reverse("workorders:complete", args=[planned_order.pk]), {
        "signed_by_name": '"><b>Müller', "customer_email": "muller@bakkerij.example"},
        follow=True)
    planned_order.refresh_from_db()
    assert planned_order.status == WorkOrderStatus.PLANNED
    html = response.content.decode()
    assert "handtekening" in follow_messages(response)
    form = _complete_form_html(html)
    assert 'value="&quot;&gt;&lt;b&gt;Müller"' in form and "<b>Müller" not in form  # escaped
    assert 'value="muller@bakkerij.example"' in form and "has-error" not in form


def test_the_office_form_keeps_the_input_after_a_refusal(office_client, planned_order, mail_enabled):
    response = office_client.post(reverse("workorders:complete", args=[planned_order.pk]), {
        "signed_by_name": "Mevr. Müller", "customer_email": "muller@bakkerij"}, follow=True)
    form = _complete_form_html(response.content.decode())
    assert 'value="Mevr. Müller"' in form and 'value="muller@bakkerij"' in form
    assert "has-error" in form and "Voer een geldig e-mailadres in" in form


def test_an_input_kept_for_one_order_is_not_shown_on_another(tech_client, planned_order, mail_enabled,
                                                             customer, work_address, tech_a):
    from werkbon.workorders import services

    other = services.create_work_order(customer=customer, work_address=work_address,
                                       description="Ander werk", technicians=[tech_a],
                                       planned_start=planned_order.planned_start)
    tech_client.post(reverse("workorders:complete", args=[planned_order.pk]),
                     {"signed_by_name": "Mevr. Müller", "customer_email": "muller@bakkerij"})
    form = _complete_form_html(tech_client.get(
        reverse("workorders:my_work_order", args=[other.pk])).content.decode())
    assert "Müller" not in form and 'value="info@bakkerij.example"' in form


@pytest.mark.parametrize(("typed", "stored", "expected"), [
    ("x@y.nl", "info@bakkerij.example", "de werkbon wordt gemaild naar x@y.nl."),
    ("", "info@bakkerij.example", "de werkbon wordt gemaild naar info@bakkerij.example."),
    ("", "", "niet gemaild, omdat er geen e-mailadres van de klant bekend is"),
])
def test_the_confirmation_says_where_the_work_order_is_emailed(
        tech_client, planned_order, mail_enabled, typed, stored, expected):
    from werkbon.workorders.models import Customer

    Customer.all_tenants.filter(pk=planned_order.customer_id).update(email=stored)
    response = tech_client.post(reverse("workorders:complete", args=[planned_order.pk]),
                                {"signed_by_name": "Zoë", "customer_email": typed}, follow=True)
    text = follow_messages(response)
    assert text.startswith(f"Werkbon {planned_order.number} is gereed gemeld; ")
    assert expected in text


def test_the_confirmation_names_no_address_when_the_company_does_not_email(tech_client, planned_order):
    response = tech_client.post(reverse("workorders:complete", args=[planned_order.pk]),
                                {"signed_by_name": "Zoë", "customer_email": "x@y.nl"}, follow=True)
    assert follow_messages(response) == f"Werkbon {planned_order.number} is gereed gemeld."
