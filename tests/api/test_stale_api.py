"""Stale changes through the API (issue 8): every work order carries a ``version``; a change
sent with an older one (If-Match header or the ``version`` field) is refused with 412 and a
Dutch message instead of overwriting; a correction without a version is refused with 428."""

from __future__ import annotations

import pytest

from tests.api.conftest import complete_order
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders.models import Customer, WorkAddress, WorkOrder

pytestmark = pytest.mark.django_db


def read(api, order) -> dict:
    return api.get(f"/work-orders/{order.pk}").json()


def changed_meanwhile(tenant, order, description="Door kantoor gewijzigd") -> None:
    with tenant_context(tenant):
        other = WorkOrder.objects.get(pk=order.pk)
        other.description = description
        other.save(update_fields=["description", "updated_at"])


def test_every_work_order_carries_a_version_that_moves_on_with_each_change(office_api, records_a):
    order = records_a["order"]
    before = read(office_api, order)["version"]
    response = office_api.patch(f"/work-orders/{order.pk}", {"version": before, "description": "Nieuw"})
    assert response.status_code == 200, response.json()
    assert response.json()["description"] == "Nieuw"
    assert response.json()["version"] == before + 1
    listed = {o["id"]: o for o in office_api.get("/work-orders").json()["items"]}
    assert listed[order.pk]["version"] == before + 1


def test_a_correction_on_an_older_version_is_refused_with_412(office_api, records_a, tenant_a):
    order = records_a["order"]
    version = read(office_api, order)["version"]
    changed_meanwhile(tenant_a, order)

    response = office_api.patch(f"/work-orders/{order.pk}", {"version": version, "description": "Mijn tekst"})

    assert response.status_code == 412
    assert response.json()["detail"].startswith(f"Werkbon {order.number} is gewijzigd")
    assert read(office_api, order)["description"] == "Door kantoor gewijzigd"


@pytest.mark.parametrize("header", ['"{v}"', "{v}", 'W/"{v}"'])
def test_if_match_carries_the_version_too(office_api, records_a, tenant_a, header):
    order = records_a["order"]
    version = read(office_api, order)["version"]
    ok = office_api.patch(f"/work-orders/{order.pk}", {"customer_reference": "PO-1"},
                          headers={"If-Match": header.format(v=version)})
    assert ok.status_code == 200, ok.json()
    stale = office_api.patch(f"/work-orders/{order.pk}", {"customer_reference": "PO-2"},
                             headers={"If-Match": header.format(v=version)})
    assert stale.status_code == 412
    assert read(office_api, order)["customer_reference"] == "PO-1"


def test_a_correction_without_a_version_is_refused_with_428(office_api, records_a):
    order = records_a["order"]
    response = office_api.patch(f"/work-orders/{order.pk}", {"description": "Blind"})
    assert response.status_code == 428
    assert "versie" in response.json()["detail"]
    assert read(office_api, order)["description"] == "Ketel onderhouden"


def test_plan_complete_and_archive_honour_if_match(office_api, tech_api, records_a, tenant_a):
    order = records_a["order"]
    version = read(office_api, order)["version"]
    changed_meanwhile(tenant_a, order)
    stale = {"If-Match": str(version)}
    plan = {"technicians": ["tech_a"], "planned_start": "2025-03-11T10:00:00+01:00"}
    assert office_api.post(f"/work-orders/{order.pk}/plan", plan, headers=stale).status_code == 412
    assert tech_api.post(f"/work-orders/{order.pk}/complete", {}, headers=stale).status_code == 412
    current = {"If-Match": str(read(office_api, order)["version"])}
    assert tech_api.post(f"/work-orders/{order.pk}/complete", {}, headers=current).status_code == 200
    assert office_api.post(f"/work-orders/{order.pk}/archive", {}, headers=current).status_code == 412
    # Without If-Match these actions work as before.
    assert office_api.post(f"/work-orders/{order.pk}/archive", {}).status_code == 200


def test_the_current_inactive_customer_and_address_stay_valid_but_no_other_inactive_one(
        office_api, records_a, tenant_a):
    order = records_a["order"]
    with tenant_context(tenant_a):
        Customer.objects.filter(pk=records_a["customer"].pk).update(status="inactive")
        WorkAddress.objects.filter(pk=records_a["address"].pk).update(is_active=False)
    version = read(office_api, order)["version"]
    same = office_api.patch(f"/work-orders/{order.pk}", {
        "version": version, "customer_number": "10001", "work_address_id": records_a["address"].pk,
        "description": "Klant inactief, werkbon loopt door"})
    assert same.status_code == 200, same.json()
    assert same.json()["customer"]["number"] == "10001"
    assert same.json()["work_address"]["id"] == records_a["address"].pk
    other = office_api.patch(f"/work-orders/{order.pk}", {
        "version": same.json()["version"], "customer_number": "10002"})
    assert other.status_code == 422
    assert "10002" in other.json()["errors"]["customer_number"][0]


def test_an_archived_work_order_refuses_a_correction(office_api, tech_a, records_a, tenant_a):
    order = records_a["order"]
    complete_order(tenant_a, order, tech_a)
    version = read(office_api, order)["version"]
    assert office_api.post(f"/work-orders/{order.pk}/archive", {}).status_code == 200
    response = office_api.patch(f"/work-orders/{order.pk}", {"version": version + 1, "description": "x"})
    assert response.status_code == 409
