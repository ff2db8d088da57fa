"""Installations ("objecten") of a work address, named on work orders, with their service
history (issue 11): werkbon/workorders/installations.py, services.set_installations and
views/installations.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD, make_user
from tests.workorders.conftest import local
from werkbon.accounts.models import Role
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import actions, installations, limits, services
from werkbon.workorders.models import Customer, InstalledObject, WorkAddress, WorkOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def boiler(work_address) -> InstalledObject:
    return installations.create_installation(
        work_address=work_address, name="CV-ketel", brand="Remeha", model="Calenta Ace 28c",
        serial_number="RM-123", year_installed=2015, notes="Filter vervangen in 2023")


@pytest.fixture
def other_address(customer) -> WorkAddress:
    return WorkAddress.objects.create(customer=customer, name="Werf", street="Werfstraat",
                                      house_number="1", city="Groningen")


def _order(customer, address, technician, *, description: str) -> WorkOrder:
    return services.create_work_order(customer=customer, work_address=address,
                                      description=description, technicians=[technician],
                                      planned_start=local(2025, 3, 12))


def _done(order: WorkOrder, technician, *, minutes: int = 60, items=None) -> WorkOrder:
    services.add_time_entry(order, technician=technician, kind="work", minutes=minutes,
                            date=timezone.localdate() - dt.timedelta(days=1))
    for item in items or []:
        services.add_material_line(order, item=item, quantity=Decimal("2"), technician=technician)
    return services.complete(order, user=technician)


# --- the service history -----------------------------------------------------------------


def test_history_lists_exactly_the_work_orders_done_on_the_installation(
        customer, work_address, boiler, tech_a, office_a, items, tenant_b, tech_b):
    pump = installations.create_installation(work_address=work_address, name="Warmtepomp")
    completed = _order(customer, work_address, tech_a, description="Ketel onderhoud")
    services.set_installations(completed, installations=[boiler])
    _done(completed, tech_a, minutes=135, items=[items["CV01"]])
    archived = _order(customer, work_address, tech_a, description="Lekkage verholpen")
    services.set_installations(archived, installations=[boiler, pump])
    services.archive(_done(archived, tech_a), user=office_a)
    still_open = _order(customer, work_address, tech_a, description="Nog te doen")
    services.set_installations(still_open, installations=[boiler])
    only_pump = _order(customer, work_address, tech_a, description="Alleen de pomp")
    services.set_installations(only_pump, installations=[pump])
    _done(only_pump, tech_a)
    _done(_order(customer, work_address, tech_a, description="Niets genoemd"), tech_a)
    # Tenant B has its own installation with a done work order on it.
    with tenant_context(tenant_b):
        b_customer = Customer.objects.create(number="B-1", name="Bèta klant")
        b_address = WorkAddress.objects.create(customer=b_customer, street="Bètastraat")
        b_boiler = installations.create_installation(work_address=b_address, name="CV-ketel")
        b_order = _order(b_customer, b_address, tech_b, description="Bèta werk")
        services.set_installations(b_order, installations=[b_boiler])
        _done(b_order, tech_b)

    history = installations.service_history(boiler)

    assert [entry.order.pk for entry in history] == [archived.pk, completed.pk]
    first = history[1]
    assert first.description == "Ketel onderhoud"
    assert first.technicians == ["Piet Jansen"]
    assert first.work_minutes == 135 and first.work_hours == Decimal("2.25")
    assert [(m.item_number, m.quantity) for m in first.materials] == [("CV01", Decimal("2"))]
    assert first.date == timezone.localdate(completed.completed_at)
    assert [e.order.pk for e in installations.service_history(pump)] == [only_pump.pk, archived.pk]
    with tenant_context(tenant_b):
        assert [e.order.pk for e in installations.service_history(b_boiler)] == [b_order.pk]


def test_the_office_sees_the_history_on_the_installation_screen(
        office_client, customer, work_address, boiler, tech_a, items):
    order = _order(customer, work_address, tech_a, description="Ketel ontlucht")
    services.set_installations(order, installations=[boiler])
    _done(order, tech_a, items=[items["PIJP"]])
    planned = _order(customer, work_address, tech_a, description="Volgende beurt")
    services.set_installations(planned, installations=[boiler])

    page = office_client.get(reverse("workorders:installation_detail", args=[boiler.pk]))

    assert page.status_code == 200
    text = page.content.decode()
    assert "Ketel ontlucht" in text and "Koperen pijp 15 mm" in text and "Piet Jansen" in text
    assert "Volgende beurt" not in text
    assert f'data-number="{order.number}"' in text
    assert f'data-number="{planned.number}"' not in text


# --- linking -----------------------------------------------------------------------------


def test_an_installation_of_another_address_or_tenant_cannot_be_named(
        customer, work_address, other_address, boiler, tech_a, tenant_b, tech_b):
    order = _order(customer, work_address, tech_a, description="x")
    elsewhere = installations.create_installation(work_address=other_address, name="Boiler werf")
    with pytest.raises(services.LifecycleError, match="geen installatie op het werkadres"):
        services.set_installations(order, installations=[boiler, elsewhere])
    with tenant_context(tenant_b):
        b_customer = Customer.objects.create(number="B-1", name="Bèta")
        b_address = WorkAddress.objects.create(customer=b_customer, street="Bètastraat")
        b_boiler = installations.create_installation(work_address=b_address, name="CV-ketel")
    with pytest.raises(services.LifecycleError, match="geen installatie op het werkadres"):
        services.set_installations(order, installations=[b_boiler])
    assert list(order.installations.all()) == []
    without_address = services.create_work_order(customer=customer)
    with pytest.raises(services.LifecycleError):
        services.set_installations(without_address, installations=[boiler])


def test_the_screen_refuses_an_installation_of_another_tenant(
        tech_client, customer, work_address, boiler, tech_a, tenant_b):
    order = _order(customer, work_address, tech_a, description="x")
    with tenant_context(tenant_b):
        b_customer = Customer.objects.create(number="B-1", name="Bèta")
        b_address = WorkAddress.objects.create(customer=b_customer, street="Bètastraat")
        b_boiler = installations.create_installation(work_address=b_address, name="Bèta ketel")

    url = reverse("workorders:set_installations", args=[order.pk])
    refused = tech_client.post(url, {"inst-installations": [b_boiler.pk]}, follow=True)
    assert "Installaties niet opgeslagen" in refused.content.decode()
    assert list(order.installations.all()) == []
    saved = tech_client.post(url, {"inst-installations": [boiler.pk]}, follow=True)
    assert saved.status_code == 200
    assert list(order.installations.all()) == [boiler]
    assert "RM-123" in saved.content.decode()


def test_archived_and_closed_orders_refuse_changes(
        customer, work_address, boiler, tech_a, office_a):
    order = _order(customer, work_address, tech_a, description="x")
    _done(order, tech_a)
    with pytest.raises(services.LifecycleError, match="gereed gemeld"):  # the action layer decides
        actions.apply("installations.set", user=tech_a, work_order=order, installations=[boiler])
    actions.apply("installations.set", user=office_a, work_order=order,
                  installations=[boiler])  # office reviews
    services.archive(order, user=office_a)
    with pytest.raises(services.LifecycleError, match="gearchiveerd"):
        actions.apply("installations.set", user=office_a, work_order=order, installations=[])
    with pytest.raises(services.LifecycleError, match="gearchiveerd"):  # the service too
        services.set_installations(order, installations=[])
    assert list(order.installations.all()) == [boiler]


def test_a_technician_names_installations_only_on_their_own_orders(
        customer, work_address, boiler, tech_a, tenant_a):
    other_tech = make_user(tenant_a, "tech_c", Role.TECHNICIAN)
    order = _order(customer, work_address, other_tech, description="x")
    with pytest.raises(actions.ActionRefused) as refused:  # not theirs: "not found"
        actions.apply("installations.set", user=tech_a, work_order=order, installations=[boiler])
    assert refused.value.status == 404
    assert list(order.installations.all()) == []


def test_an_inactive_installation_stays_but_cannot_be_named_anew(
        customer, work_address, boiler, tech_a):
    named = _order(customer, work_address, tech_a, description="x")
    services.set_installations(named, installations=[boiler])
    installations.set_installation_active(boiler, active=False)
    boiler.refresh_from_db()
    services.set_installations(named, installations=[boiler])  # kept
    fresh = _order(customer, work_address, tech_a, description="y")
    with pytest.raises(services.LifecycleError, match="inactief"):
        services.set_installations(fresh, installations=[boiler])
    assert installations.choices_for(fresh) == []
    assert installations.choices_for(named) == [boiler]


def test_a_named_installation_cannot_be_deleted_an_unused_one_can(
        office_client, customer, work_address, boiler, tech_a):
    order = _order(customer, work_address, tech_a, description="x")
    services.set_installations(order, installations=[boiler])
    refused = office_client.post(reverse("workorders:installation_delete", args=[boiler.pk]),
                                 follow=True)
    assert "deactiveer" in refused.content.decode()
    assert InstalledObject.objects.filter(pk=boiler.pk).exists()
    services.set_installations(order, installations=[])
    office_client.post(reverse("workorders:installation_delete", args=[boiler.pk]))
    assert not InstalledObject.objects.filter(pk=boiler.pk).exists()


def test_changing_the_work_address_forgets_installations_of_the_old_one(
        office_client, customer, work_address, other_address, boiler, tech_a):
    order = _order(customer, work_address, tech_a, description="x")
    services.set_installations(order, installations=[boiler])
    order.refresh_from_db()
    office_client.post(reverse("workorders:edit", args=[order.pk]), {
        "customer": customer.pk, "work_address": other_address.pk, "description": "x",
        "customer_reference": "", "planned_minutes": 60, "version": order.version})
    order.refresh_from_db()
    assert order.work_address_id == other_address.pk
    assert list(order.installations.all()) == []


# --- what the technician sees -----------------------------------------------------------


def test_the_technician_sees_the_history_on_their_work_order(
        client, customer, work_address, boiler, tech_a, tenant_a, items):
    earlier = _order(customer, work_address, tech_a, description="Vorige beurt ketel")
    services.set_installations(earlier, installations=[boiler])
    _done(earlier, tech_a, items=[items["CV01"]])
    today = _order(customer, work_address, tech_a, description="Vandaag")
    services.set_installations(today, installations=[boiler])
    assert client.login(username=tech_a.username, password=PASSWORD)

    page = client.get(reverse("workorders:my_work_order", args=[today.pk])).content.decode()

    assert "CV-ketel" in page and "Vorige beurt ketel" in page and "Vulkraan" in page
    assert f'data-number="{earlier.number}"' in page
    # the technician gets no link to the office's installation screen
    assert reverse("workorders:installation_detail", args=[boiler.pk]) not in page


def test_a_technician_cannot_see_installations_of_orders_not_planned_on_them(
        client, customer, work_address, boiler, tech_a, tenant_a):
    other_tech = make_user(tenant_a, "tech_c", Role.TECHNICIAN)
    elsewhere = WorkAddress.objects.create(customer=customer, street="Geheimstraat")
    hidden = installations.create_installation(work_address=elsewhere, name="Geheime ketel")
    theirs = _order(customer, elsewhere, other_tech, description="Niet van jou")
    services.set_installations(theirs, installations=[hidden])
    mine = _order(customer, work_address, tech_a, description="Van jou")
    assert client.login(username=tech_a.username, password=PASSWORD)

    assert client.get(reverse("workorders:my_work_order", args=[theirs.pk])).status_code == 404
    for name in ("installation_detail", "installation_edit"):
        assert client.get(reverse(f"workorders:{name}", args=[hidden.pk])).status_code == 403
    assert client.get(reverse("workorders:installation_list", args=[elsewhere.pk])).status_code == 403
    assert client.post(reverse("workorders:set_installations", args=[theirs.pk]),
                       {"inst-installations": [hidden.pk]}).status_code == 404
    assert list(installations.visible_installations(tech_a)) == [boiler]
    page = client.get(reverse("workorders:my_work_order", args=[mine.pk])).content.decode()
    assert "Geheime ketel" not in page


# --- input bounds ------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value"), [
    ("name", "x" * (limits.MAX_INSTALLATION_NAME_LENGTH + 1)),
    ("name", "   "),
    ("brand", "x" * (limits.MAX_INSTALLATION_FIELD_LENGTH + 1)),
    ("serial_number", "x" * (limits.MAX_INSTALLATION_FIELD_LENGTH + 1)),
    ("notes", "x" * (limits.MAX_INSTALLATION_NOTES_LENGTH + 1)),
    ("year_installed", limits.MIN_INSTALLATION_YEAR - 1),
    ("year_installed", timezone.localdate().year + 2),
])
def test_the_service_and_the_form_refuse_values_outside_the_limits(
        office_client, work_address, field, value):
    values = {"name": "CV-ketel", field: value}
    with pytest.raises(services.LifecycleError):
        installations.create_installation(work_address=work_address, **values)
    form = {"name": "CV-ketel", "brand": "", "model": "", "serial_number": "",
            "year_installed": "", "notes": "", field: value}
    page = office_client.post(reverse("workorders:installation_create", args=[work_address.pk]),
                              form)
    assert page.status_code == 200 and "has-error" in page.content.decode()
    assert not InstalledObject.objects.exists()


def test_the_limits_themselves_are_accepted(office_client, work_address):
    page = office_client.post(reverse("workorders:installation_create", args=[work_address.pk]), {
        "name": "n" * limits.MAX_INSTALLATION_NAME_LENGTH,
        "brand": "b" * limits.MAX_INSTALLATION_FIELD_LENGTH, "model": "Calenta",
        "serial_number": "s" * limits.MAX_INSTALLATION_FIELD_LENGTH,
        "year_installed": str(timezone.localdate().year + 1),
        "notes": "n" * limits.MAX_INSTALLATION_NOTES_LENGTH})
    saved = InstalledObject.objects.get()
    assert page.status_code == 302 and page["Location"] == reverse(
        "workorders:installation_detail", args=[saved.pk])
    assert saved.year_installed == timezone.localdate().year + 1
    installations.update_installation(saved, year_installed=limits.MIN_INSTALLATION_YEAR)


def test_too_many_installations_on_one_order_are_refused(customer, work_address, tech_a):
    many = [InstalledObject(work_address=work_address, name=f"Radiator {n}")
            for n in range(limits.MAX_INSTALLATIONS_PER_ORDER + 1)]
    for item in many:
        item.save()
    order = _order(customer, work_address, tech_a, description="x")
    with pytest.raises(services.LifecycleError, match="hoogstens"):
        services.set_installations(order, installations=many)
    services.set_installations(order, installations=many[:limits.MAX_INSTALLATIONS_PER_ORDER])
    assert order.installations.count() == limits.MAX_INSTALLATIONS_PER_ORDER


def test_the_customer_screen_leads_to_the_installations(office_client, customer, work_address, boiler):
    page = office_client.get(reverse("workorders:customer_detail", args=[customer.pk])).content.decode()
    assert reverse("workorders:installation_list", args=[work_address.pk]) in page
    listing = office_client.get(reverse("workorders:installation_list", args=[work_address.pk]))
    text = listing.content.decode()
    assert "CV-ketel" in text and "Remeha" in text and "RM-123" in text and "2015" in text
    assert "Bouwjaar" in text and "Serienummer" in text


def test_any_save_that_moves_the_order_forgets_the_old_addresses_installations(
        customer, work_address, other_address, boiler, tech_a, tenant_a):
    """As the order import does it: a plain save with update_fields, no screen involved."""
    order = _order(customer, work_address, tech_a, description="x")
    there = installations.create_installation(work_address=other_address, name="Boiler werf")
    services.set_installations(order, installations=[boiler])
    order = WorkOrder.objects.get(pk=order.pk)
    order.description = "y"
    order.save()
    assert list(order.installations.all()) == [boiler]  # same address: kept
    order.work_address = other_address
    order.save(update_fields=["work_address", "updated_at"])
    assert list(order.installations.all()) == []
    services.set_installations(order, installations=[there])
    with tenant_context(None):  # also without a tenant (support admin, system jobs)
        moved = WorkOrder.all_tenants.get(pk=order.pk)
        moved.work_address = None
        moved.save(update_fields=["work_address", "updated_at"])
    assert list(order.installations.all()) == []


def test_the_installations_form_sent_twice_is_saved_once(tech_client, customer, work_address, boiler,
                                                         tech_a):
    import re

    order = _order(customer, work_address, tech_a, description="x")
    page = tech_client.get(reverse("workorders:my_work_order", args=[order.pk])).content.decode()
    form = page[page.index('data-testid="installations-form"'):]
    client_id = re.search(r'name="client_id" value="([0-9a-f-]{36})"', form).group(1)
    url = reverse("workorders:set_installations", args=[order.pk])
    body = {"inst-installations": [boiler.pk], "inst-version": order.version, "client_id": client_id}
    tech_client.post(url, body)
    order.refresh_from_db()
    version = order.version
    # the resend carries the version read before the first: applied once, not refused as stale
    again = tech_client.post(url, body, follow=True)
    assert "Dit was al opgeslagen" in again.content.decode()
    order.refresh_from_db()
    assert order.version == version and list(order.installations.all()) == [boiler]


# --- wording and marks (review of issue 11) -----------------------------------------------


def test_the_delete_refusal_counts_in_proper_dutch_and_knows_an_inactive_installation(
        customer, work_address, boiler, tech_a):
    first = _order(customer, work_address, tech_a, description="x")
    services.set_installations(first, installations=[boiler])
    with pytest.raises(services.LifecycleError) as one:
        installations.delete_installation(boiler)
    assert "CV-ketel staat op 1 werkbon en kan niet worden verwijderd; deactiveer" in str(one.value)
    second = _order(customer, work_address, tech_a, description="y")
    services.set_installations(second, installations=[boiler])
    with pytest.raises(services.LifecycleError) as two:
        installations.delete_installation(boiler)
    assert "CV-ketel staat op 2 werkbonnen en kan niet worden verwijderd" in str(two.value)
    for refusal in (one, two):
        assert "(nen)" not in str(refusal.value)
    # Deactivated already: no advice to deactivate it, but that it is inactive.
    installations.set_installation_active(boiler, active=False)
    with pytest.raises(services.LifecycleError) as inactive:
        installations.delete_installation(boiler)
    text = str(inactive.value)
    assert "staat op 2 werkbonnen" in text and "al buiten gebruik" in text
    assert "deactiveer" not in text
    assert InstalledObject.objects.filter(pk=boiler.pk).exists()


def test_the_work_order_card_marks_an_inactive_installation(
        office_client, customer, work_address, boiler, tech_a):
    from django.test import Client

    client = Client()
    order = _order(customer, work_address, tech_a, description="x")
    services.set_installations(order, installations=[boiler])
    office_page = reverse("workorders:detail", args=[order.pk])
    assert 'data-testid="installation-inactive"' not in office_client.get(office_page).content.decode()
    installations.set_installation_active(boiler, active=False)
    assert client.login(username=tech_a.username, password=PASSWORD)
    for page in (office_client.get(office_page).content.decode(),
                 client.get(reverse("workorders:my_work_order", args=[order.pk])).content.decode()):
        card = page[page.index('data-testid="installations-card"'):]
        card = card[:card.index("</section>")]
        assert 'data-testid="installation-inactive"' in card and "buiten gebruik" in card
    # In the office's form too, the checkbox of the (still named) installation says so.
    assert "CV-ketel" in card and "(buiten gebruik)" in office_client.get(office_page).content.decode()


def test_each_history_cell_carries_its_label_for_the_phone(
        client, customer, work_address, boiler, tech_a):
    earlier = _order(customer, work_address, tech_a, description="")
    services.set_installations(earlier, installations=[boiler])
    _done(earlier, tech_a)
    today = _order(customer, work_address, tech_a, description="Vandaag")
    services.set_installations(today, installations=[boiler])
    assert client.login(username=tech_a.username, password=PASSWORD)
    page = client.get(reverse("workorders:my_work_order", args=[today.pk])).content.decode()
    row = page[page.index('data-testid="history-entry"'):]
    row = row[:row.index("</tr>")]
    import re

    labels = re.findall(r'<span class="cell-label">([^<]*)</span>', row)
    assert labels == ["Werkbon: ", "Datum: ", "Monteurs: ", "Uitgevoerd werk: ", "Materialen: "]
    assert row.count("<td") == len(labels)  # every cell
