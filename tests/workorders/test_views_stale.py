"""Stale forms and master data that went inactive, through the office's edit screen (issue 8):
a form opened before someone or something changed the work order is refused with a clear
Dutch message instead of overwriting; an order whose customer or work address was set
inactive can still be opened and saved."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from werkbon.workorders import services
from werkbon.workorders.models import ActiveStatus, Customer, WorkAddress, WorkOrder

pytestmark = pytest.mark.django_db


def opened_version(office_client, order) -> int:
    html = office_client.get(reverse("workorders:edit", args=[order.pk])).content.decode()
    return int(re.search(r'<input type="hidden" name="version" value="(\d+)"', html).group(1))


def edit(office_client, order, version, **changes):
    data = {"customer": order.customer_id, "work_address": order.work_address_id or "",
            "description": order.description, "customer_reference": order.customer_reference,
            "planned_minutes": order.planned_minutes, "version": version, **changes}
    return office_client.post(reverse("workorders:edit", args=[order.pk]), data)


def test_it_saves_an_edit_made_on_the_current_version_and_moves_the_version_on(
        office_client, planned_order):
    version = opened_version(office_client, planned_order)
    response = edit(office_client, planned_order, version, description="Nieuwe omschrijving")
    assert response.status_code == 302
    planned_order.refresh_from_db()
    assert planned_order.description == "Nieuwe omschrijving"
    assert planned_order.version == version + 1


def test_it_refuses_a_stale_form_instead_of_overwriting_the_other_change(
        office_client, planned_order, tech_a):
    version = opened_version(office_client, planned_order)
    # Meanwhile a colleague (or the order import) changes the description.
    other = WorkOrder.objects.get(pk=planned_order.pk)
    other.description = "Door een collega gewijzigd"
    other.save(update_fields=["description", "updated_at"])

    response = edit(office_client, planned_order, version, description="Mijn wijziging")

    assert response.status_code == 409
    planned_order.refresh_from_db()
    assert planned_order.description == "Door een collega gewijzigd"
    text = response.content.decode()
    assert f"Werkbon {planned_order.number} is gewijzigd" in text
    assert "Open de werkbon opnieuw" in text
    # The form is shown again with what the user typed, still on the old version.
    assert "Mijn wijziging" in text
    assert f'name="version" value="{version}"' in text


def test_a_plan_on_the_planning_board_makes_an_open_edit_form_stale(office_client, planned_order, tech_a):
    version = opened_version(office_client, planned_order)
    services.plan(planned_order, technicians=[tech_a], planned_start=planned_order.planned_start,
                  planned_minutes=90)
    assert edit(office_client, planned_order, version).status_code == 409
    planned_order.refresh_from_db()
    assert planned_order.planned_minutes == 90


def test_a_form_without_its_version_is_not_saved(office_client, planned_order):
    response = edit(office_client, planned_order, "", description="Zonder versie")
    assert response.status_code == 200
    planned_order.refresh_from_db()
    assert planned_order.description != "Zonder versie"


def test_an_order_whose_customer_and_work_address_went_inactive_can_be_opened_and_saved(
        office_client, planned_order, customer, work_address):
    Customer.objects.filter(pk=customer.pk).update(status=ActiveStatus.INACTIVE)
    WorkAddress.objects.filter(pk=work_address.pk).update(is_active=False)

    html = office_client.get(reverse("workorders:edit", args=[planned_order.pk])).content.decode()
    assert f'<option value="{customer.pk}" selected>' in html
    assert f'<option value="{work_address.pk}" selected>' in html
    response = edit(office_client, planned_order, opened_version(office_client, planned_order),
                    description="Nog steeds te bewerken")

    assert response.status_code == 302, response.content.decode()
    planned_order.refresh_from_db()
    assert (planned_order.customer_id, planned_order.work_address_id) == (customer.pk, work_address.pk)
    assert planned_order.description == "Nog steeds te bewerken"


def test_an_inactive_customer_is_not_offered_for_a_new_work_order_or_another_one(
        office_client, planned_order, customer, in_tenant_a):
    other = Customer.objects.create(number="K-56", name="Inactieve Klant", status=ActiveStatus.INACTIVE)
    new_form = office_client.get(reverse("workorders:create")).content.decode()
    edit_form = office_client.get(reverse("workorders:edit", args=[planned_order.pk])).content.decode()
    assert f'<option value="{other.pk}"' not in new_form
    assert f'<option value="{other.pk}"' not in edit_form
    response = edit(office_client, planned_order, opened_version(office_client, planned_order),
                    customer=other.pk, work_address="")
    assert response.status_code == 200  # not a valid choice
    planned_order.refresh_from_db()
    assert planned_order.customer_id == customer.pk
