"""Office versus technician: office screens are 403 for technicians; technicians see only
the orders planned to them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD, make_user
from tests.workorders.conftest import RECENT
from werkbon.accounts.models import Role
from werkbon.workorders import services
from werkbon.workorders.models import MaterialLine, TimeEntry, WorkOrderStatus

pytestmark = pytest.mark.django_db


def office_urls(order, entry_pk=1, line_pk=1):
    return [
        ("get", reverse("workorders:list")),
        ("get", reverse("workorders:create")),
        ("get", reverse("workorders:work_address_options")),
        ("get", reverse("workorders:detail", args=[order.pk])),
        ("get", reverse("workorders:edit", args=[order.pk])),
        ("post", reverse("workorders:reopen", args=[order.pk])),
        ("post", reverse("workorders:archive", args=[order.pk])),
        ("get", reverse("workorders:time_entry_edit", args=[order.pk, entry_pk])),
        ("post", reverse("workorders:time_entry_delete", args=[order.pk, entry_pk])),
        ("get", reverse("workorders:material_line_edit", args=[order.pk, line_pk])),
        ("post", reverse("workorders:material_line_delete", args=[order.pk, line_pk])),
        ("get", reverse("workorders:planning")),
        ("post", reverse("workorders:plan", args=[order.pk])),
        ("get", reverse("workorders:customer_list")),
        ("get", reverse("workorders:customer_create")),
        ("get", reverse("workorders:customer_detail", args=[order.customer_id])),
        ("get", reverse("workorders:item_list")),
        ("get", reverse("workorders:item_create")),
        ("get", reverse("workorders:item_groups")),
        ("get", reverse("workorders:template_list")),
    ]


def test_it_refuses_office_screens_and_actions_to_a_technician(tech_client, completed_order):
    entry = completed_order.time_entries.first()
    line = completed_order.material_lines.first()
    for method, url in office_urls(completed_order, entry.pk, line.pk):
        response = getattr(tech_client, method)(url)
        assert response.status_code == 403, url
    completed_order.refresh_from_db()
    assert completed_order.status == WorkOrderStatus.COMPLETED
    assert TimeEntry.objects.filter(pk=entry.pk).exists()
    assert MaterialLine.objects.filter(pk=line.pk).exists()


def test_it_sends_anonymous_users_to_the_login(client, planned_order):
    for _method, url in office_urls(planned_order)[:4]:
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_it_lists_only_my_open_orders(tech_client, planned_order, tech_a, customer):
    other_tech = make_user(tech_a.tenant, "tech_a2", Role.TECHNICIAN)
    not_mine = services.create_work_order(customer=customer, technicians=[other_tech],
                                          planned_start=planned_order.planned_start)
    done = services.create_work_order(customer=customer, technicians=[tech_a],
                                      planned_start=planned_order.planned_start)
    services.complete(done, user=tech_a)
    response = tech_client.get(reverse("workorders:my_work"))
    assert [o.number for o in response.context["orders"]] == [planned_order.number]
    assert tech_client.get(
        reverse("workorders:my_work_order", args=[not_mine.pk])).status_code == 404
    assert tech_client.post(reverse("workorders:add_time_entry", args=[not_mine.pk]), {
        "time-kind": "work", "time-minutes": 10, "time-date": RECENT}).status_code == 404
    assert not TimeEntry.objects.exists()


def test_it_lets_a_technician_register_and_complete(tech_client, planned_order, items, tech_a):
    url = reverse("workorders:my_work_order", args=[planned_order.pk])
    assert tech_client.get(url).status_code == 200
    tech_client.post(reverse("workorders:add_time_entry", args=[planned_order.pk]), {
        "time-kind": "work", "time-minutes": "135", "time-date": RECENT})
    tech_client.post(reverse("workorders:add_time_entry", args=[planned_order.pk]), {
        "time-kind": "travel", "time-minutes": "20", "time-date": RECENT})
    tech_client.post(reverse("workorders:add_material_line", args=[planned_order.pk]), {
        "mat-item": items["PIJP"].pk, "mat-quantity": "1,25", "mat-note": "keuken"})
    tech_client.post(reverse("workorders:add_material_line", args=[planned_order.pk]), {
        "mat-item": items["CV01"].pk, "mat-quantity": "2", "mat-note": ""})  # counted (st)
    assert services.total_minutes(planned_order, "work") == 135
    assert services.total_minutes(planned_order, "travel") == 20
    assert sorted(str(q) for q in planned_order.material_lines.values_list("quantity", flat=True)) \
        == ["1.250", "2.000"]
    assert set(TimeEntry.objects.values_list("technician", flat=True)) == {tech_a.pk}
    response = tech_client.post(reverse("workorders:complete", args=[planned_order.pk]),
                                {"signed_by_name": "Zoë de Vries"}, follow=True)
    planned_order.refresh_from_db()
    assert planned_order.status == WorkOrderStatus.COMPLETED
    assert planned_order.signed_by_name == "Zoë de Vries"
    assert planned_order.completed_by == tech_a
    assert "gereed gemeld" in response.content.decode()
    # after completion the office reviews: the technician can no longer add
    response = tech_client.post(reverse("workorders:add_time_entry", args=[planned_order.pk]), {
        "time-kind": "work", "time-minutes": "5", "time-date": RECENT}, follow=True)
    assert "kantoor controleert" in response.content.decode()
    assert services.total_minutes(planned_order, "work") == 135


@pytest.mark.parametrize("data, message", [
    ({"time-kind": "work", "time-minutes": "0", "time-date": RECENT}, "Tijd niet geboekt"),
    ({"time-kind": "sleep", "time-minutes": "5", "time-date": RECENT}, "Tijd niet geboekt"),
    ({"time-kind": "work", "time-minutes": "abc", "time-date": "12-3"}, "Tijd niet geboekt"),
])
def test_it_refuses_bad_time_input_with_a_message(tech_client, planned_order, data, message):
    response = tech_client.post(reverse("workorders:add_time_entry", args=[planned_order.pk]),
                                data, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TimeEntry.objects.exists()


@pytest.mark.parametrize("quantity", ["0", "-1", "twee", "", "1e999"])
def test_it_refuses_bad_quantities_with_a_message(tech_client, planned_order, items, quantity):
    response = tech_client.post(reverse("workorders:add_material_line", args=[planned_order.pk]),
                                {"mat-item": items["CV01"].pk, "mat-quantity": quantity},
                                follow=True)
    assert response.status_code == 200
    assert "Materiaal niet geboekt" in response.content.decode()
    assert not MaterialLine.objects.exists()


def test_it_searches_items_for_the_material_form(tech_client, items):
    html = tech_client.get(reverse("workorders:item_options"), {"q": "pijp"}).content.decode()
    assert "Koperen pijp 15 mm" in html
    assert "Vulkraan" not in html


def test_it_lets_the_office_add_time_for_a_technician(office_client, planned_order, tech_a):
    office_client.post(reverse("workorders:add_time_entry", args=[planned_order.pk]), {
        "time-kind": "travel", "time-minutes": "15", "time-date": RECENT,
        "time-technician": tech_a.pk})
    entry = TimeEntry.objects.get()
    assert (entry.technician, entry.minutes, entry.kind) == (tech_a, 15, "travel")
    assert entry.date.isoformat() == RECENT


def test_it_does_not_show_another_tenants_order(client, planned_order, office_b):
    assert client.login(username=office_b.username, password=PASSWORD)
    assert client.get(reverse("workorders:detail", args=[planned_order.pk])).status_code == 404
    assert client.post(reverse("workorders:archive", args=[planned_order.pk])).status_code == 404
    assert client.get(reverse("workorders:pdf", args=[planned_order.pk])).status_code == 404


def test_it_shows_quantities_without_trailing_zeros(office_client, completed_order):
    html = office_client.get(reverse("workorders:detail", args=[completed_order.pk])).content
    assert "<td data-label=\"Aantal\">1,5</td>" in html.decode()
    from werkbon.workorders.templatetags.workorders import quantity

    assert quantity("10.000") == "10"
