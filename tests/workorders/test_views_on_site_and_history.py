"""The technician's screens on the action layer: a work order made on site (and shown so to
the office), my history of the last 30 days and the search in my own work orders, a form sent
twice applied once, time rows with their labels and units."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD, make_user
from tests.workorders.conftest import RECENT, local
from werkbon.accounts.models import Role
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import services
from werkbon.workorders.models import (
    Customer,
    MaterialLine,
    TimeEntry,
    WorkAddress,
    WorkOrder,
    WorkOrderStatus,
)

pytestmark = pytest.mark.django_db


def _client_id(html: str, form_testid: str) -> str:
    form = re.search(rf'data-testid="{form_testid}".*?</form>', html, re.S)
    assert form, form_testid
    match = re.search(r'name="client_id" value="([0-9a-f-]{36})"', form.group(0))
    assert match, f"no client id in {form_testid}"
    return match.group(1)


def test_a_double_submit_of_the_time_form_is_applied_once(tech_client, planned_order):
    page = tech_client.get(reverse("workorders:my_work_order", args=[planned_order.pk]))
    client_id = _client_id(page.content.decode(), "time-form")
    data = {"client_id": client_id, "time-kind": "work", "time-minutes": "135", "time-date": RECENT}
    url = reverse("workorders:add_time_entry", args=[planned_order.pk])
    tech_client.post(url, data)
    second = tech_client.post(url, data, follow=True)
    assert list(TimeEntry.objects.values_list("minutes", flat=True)) == [135]
    assert "al opgeslagen" in second.content.decode()
    # a new render has a new client id: the next registration is a new one
    page = tech_client.get(reverse("workorders:my_work_order", args=[planned_order.pk]))
    assert _client_id(page.content.decode(), "time-form") != client_id


def test_a_double_submit_of_the_material_form_and_of_a_deletion_is_applied_once(
        tech_client, planned_order, items):
    page = tech_client.get(reverse("workorders:my_work_order", args=[planned_order.pk]))
    data = {"client_id": _client_id(page.content.decode(), "material-form"),
            "mat-item": items["CV01"].pk, "mat-quantity": "2", "mat-note": ""}
    url = reverse("workorders:add_material_line", args=[planned_order.pk])
    tech_client.post(url, data)
    tech_client.post(url, data)
    line = MaterialLine.objects.get()
    delete = reverse("workorders:material_line_delete", args=[planned_order.pk, line.pk])
    client_id = "6f1c1c2e-1b7e-4c1e-9a55-3c3f0e0b9d11"
    tech_client.post(delete, {"client_id": client_id})
    again = tech_client.post(delete, {"client_id": client_id})
    assert again.status_code in (302, 404)  # the line is gone; nothing else happens
    assert not MaterialLine.objects.exists()


def test_time_rows_keep_their_labels_and_units(tech_client, completed_order):
    html = tech_client.get(reverse("workorders:my_work_order", args=[completed_order.pk])
                           ).content.decode()
    kinds = re.findall(r'data-testid="time-kind-cell">([^<]*)<', html)
    minutes = re.findall(r'data-testid="time-minutes-cell">([^<]*)<', html)
    assert list(zip(kinds, minutes, strict=True)) == [("Werktijd", "135 min"), ("Reistijd", "20 min")]


def test_a_technician_makes_a_work_order_on_site_and_the_office_sees_it(
        client, tech_a, office_a, customer, work_address):
    assert client.login(username=tech_a.username, password=PASSWORD)
    page = client.get(reverse("workorders:create_on_site"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Nieuwe werkbon ter plaatse" in html
    options = client.get(reverse("workorders:on_site_address_options"),
                         {"customer": customer.pk}).content.decode()
    assert f'value="{work_address.pk}"' in options
    data = {"client_id": _client_id(html, "on-site-form"), "customer": customer.pk,
            "work_address": work_address.pk, "description": "Lekkage onder het aanrecht"}
    response = client.post(reverse("workorders:create_on_site"), data)
    client.post(reverse("workorders:create_on_site"), data)  # sent twice
    order = WorkOrder.objects.get()
    assert response.url == reverse("workorders:my_work_order", args=[order.pk])
    assert (order.status, order.created_by, list(order.technicians.all())) == (
        WorkOrderStatus.PLANNED, tech_a, [tech_a])
    assert timezone.localdate(order.planned_start) == timezone.localdate()
    assert order.address.one_line() == work_address.one_line()
    client.logout()
    assert client.login(username=office_a.username, password=PASSWORD)
    listing = client.get(reverse("workorders:list")).content.decode()
    assert f'data-testid="on-site-{order.number}"' in listing
    detail = client.get(reverse("workorders:detail", args=[order.pk])).content.decode()
    assert re.search(r'Ter plaatse gemaakt door.*?data-testid="made-on-site">Piet Jansen', detail,
                     re.S)


def test_a_technician_cannot_pick_another_tenants_or_an_inactive_customer(
        client, tech_a, customer, tenant_b):
    inactive = Customer.objects.create(number="OUD", name="Oud", status="inactive")
    with tenant_context(tenant_b):
        foreign = Customer.objects.create(number="B-1", name="Klant van B")
        foreign_address = WorkAddress.objects.create(customer=foreign, street="Elders 1")
    assert client.login(username=tech_a.username, password=PASSWORD)
    html = client.get(reverse("workorders:create_on_site")).content.decode()
    assert "Klant van B" not in html and ">OUD Oud<" not in html
    for data in ({"customer": foreign.pk}, {"customer": inactive.pk},
                 {"customer": customer.pk, "work_address": foreign_address.pk}):
        response = client.post(reverse("workorders:create_on_site"), data)
        assert response.status_code == 200, data  # the form again, with the reason
    assert not WorkOrder.objects.exists()
    options = client.get(reverse("workorders:on_site_address_options"),
                         {"customer": foreign.pk}).content.decode()
    assert "Elders" not in options


def test_on_site_is_refused_when_the_company_does_not_allow_it(client, tech_a, office_a,
                                                               tenant_a, customer):
    tenant_a.technicians_create_work_orders = False
    tenant_a.save()
    assert client.login(username=tech_a.username, password=PASSWORD)
    assert 'data-testid="new-on-site"' not in client.get(reverse("workorders:my_work")).content.decode()
    assert client.get(reverse("workorders:create_on_site")).status_code == 403
    assert client.post(reverse("workorders:create_on_site"),
                       {"customer": customer.pk}).status_code == 403
    client.logout()
    assert client.login(username=office_a.username, password=PASSWORD)
    assert client.get(reverse("workorders:create_on_site")).status_code == 403
    settings_page = client.get(reverse("accounts:company_settings")).content.decode()
    assert "Monteurs maken werkbonnen ter plaatse" in settings_page


def test_my_history_shows_the_last_30_days_completed_orders_read_only(
        tech_client, tech_a, customer, work_address, tenant_a):
    def order(description: str, days_ago: int | None) -> WorkOrder:
        made = services.create_work_order(customer=customer, work_address=work_address,
                                          description=description, technicians=[tech_a],
                                          planned_start=local(2025, 6, 2))
        if days_ago is not None:
            made = services.complete(made, user=tech_a)
            WorkOrder.objects.filter(pk=made.pk).update(
                completed_at=timezone.now() - dt.timedelta(days=days_ago))
        return made

    recent, old, still_open = order("Recent", 3), order("Oud", 31), order("Open", None)
    other = make_user(tenant_a, "tech_other", Role.TECHNICIAN)
    theirs = services.create_work_order(customer=customer, technicians=[other],
                                        planned_start=local(2025, 6, 2))
    services.complete(theirs, user=other)
    html = tech_client.get(reverse("workorders:my_work")).content.decode()
    history = re.search(r'data-testid="my-history".*?</ul>', html, re.S).group(0)
    assert f"history-order-{recent.number}" in history
    assert f"history-order-{old.number}" not in history
    assert f"history-order-{theirs.number}" not in history
    assert f'open-order-{still_open.number}"' in html
    page = tech_client.get(reverse("workorders:my_work_order", args=[recent.pk])).content.decode()
    assert 'data-testid="read-only"' in page and 'data-testid="time-form"' not in page


def test_a_technician_searches_only_their_own_work_orders(tech_client, tech_a, customer,
                                                          work_address, tenant_a):
    mine = services.create_work_order(customer=customer, work_address=work_address,
                                      description="Zonneboiler vervangen", technicians=[tech_a],
                                      planned_start=local(2025, 6, 2))
    services.complete(mine, user=tech_a)
    other = make_user(tenant_a, "tech_other", Role.TECHNICIAN)
    theirs = services.create_work_order(customer=customer, description="Zonneboiler nakijken",
                                        technicians=[other], planned_start=local(2025, 6, 2))
    html = tech_client.get(reverse("workorders:my_work"), {"q": "zonneboiler"}).content.decode()
    found = re.search(r'data-testid="my-search-results".*?</ul>', html, re.S).group(0)
    assert f"found-order-{mine.number}" in found
    assert f"found-order-{theirs.number}" not in found
    too_long = tech_client.get(reverse("workorders:my_work"), {"q": "x" * 101})
    assert too_long.status_code == 200
    assert 'data-testid="my-search-results"' not in too_long.content.decode()


def test_a_technician_cannot_open_or_change_another_technicians_order(
        tech_client, customer, work_address, tenant_a):
    other = make_user(tenant_a, "tech_other", Role.TECHNICIAN)
    theirs = services.create_work_order(customer=customer, work_address=work_address,
                                        technicians=[other], planned_start=local(2025, 6, 2))
    entry = services.add_time_entry(theirs, technician=other, kind="work", minutes=10,
                                    date=dt.date(2025, 6, 2))
    for method, url, data in (
            ("get", reverse("workorders:my_work_order", args=[theirs.pk]), {}),
            ("post", reverse("workorders:add_time_entry", args=[theirs.pk]),
             {"time-kind": "work", "time-minutes": "5", "time-date": RECENT}),
            ("post", reverse("workorders:complete", args=[theirs.pk]), {}),
            ("post", reverse("workorders:time_entry_delete", args=[theirs.pk, entry.pk]), {})):
        response = getattr(tech_client, method)(url, data)
        assert response.status_code == 404, url
    theirs.refresh_from_db()
    assert theirs.status == WorkOrderStatus.PLANNED
    assert list(TimeEntry.objects.values_list("minutes", flat=True)) == [10]
