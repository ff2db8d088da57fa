"""The installation endpoints (werkbon/workorders/api_installations.py) and the work order's
``installation_ids``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils import timezone

from tests.api.conftest import API, client_for, complete_order
from tests.conftest import make_user
from werkbon.accounts.models import Role
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import installations, limits, services
from werkbon.workorders.models import Customer, InstalledObject, WorkAddress

pytestmark = pytest.mark.django_db


def put(api, path: str, body: Any, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return api.client.put(API + path, json.dumps(body), content_type="application/json",
                          headers={**api._headers(), **(headers or {})})


def delete(api, path: str):  # type: ignore[no-untyped-def]
    return api.client.delete(API + path, headers=api._headers())


@pytest.fixture
def boiler(records_a, tenant_a) -> InstalledObject:
    with tenant_context(tenant_a):
        return installations.create_installation(work_address=records_a["address"], name="CV-ketel",
                                                 brand="Remeha", serial_number="RM-1")


def test_the_office_adds_changes_and_deletes_an_installation(office_api, records_a, tenant_a):
    created = office_api.post("/installations", {
        "work_address_id": records_a["address"].pk, "name": " CV-ketel ", "brand": "Remeha",
        "type": "Calenta", "year_installed": 2015, "notes": "in de kelder"})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["name"], body["type"], body["year_installed"], body["history"]) == \
        ("CV-ketel", "Calenta", 2015, [])
    changed = office_api.patch(f"/installations/{body['id']}", {"year_installed": None,
                                                                 "is_active": False})
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["year_installed"], changed.json()["is_active"]) == (None, False)
    assert delete(office_api, f"/installations/{body['id']}").status_code == 204
    with tenant_context(tenant_a):
        assert not InstalledObject.objects.exists()


@pytest.mark.parametrize("change", [
    {"name": ""}, {"name": "x" * (limits.MAX_INSTALLATION_NAME_LENGTH + 1)},
    {"brand": "x" * (limits.MAX_INSTALLATION_FIELD_LENGTH + 1)},
    {"notes": "x" * (limits.MAX_INSTALLATION_NOTES_LENGTH + 1)},
    {"year_installed": 1899}, {"year_installed": timezone.localdate().year + 2},
    {"serial_number": "a\x00b"},
])
def test_values_outside_the_limits_are_422(office_api, records_a, boiler, change):
    body = {"work_address_id": records_a["address"].pk, "name": "Ketel", **change}
    assert office_api.post("/installations", body).status_code == 422
    assert office_api.patch(f"/installations/{boiler.pk}", change).status_code == 422


def test_technicians_read_only_installations_of_their_own_work_orders(
        tech_api, records_a, boiler, tenant_a):
    with tenant_context(tenant_a):
        hidden = installations.create_installation(work_address=records_a["other_address"],
                                                   name="Geheime boiler")
    listed = tech_api.get("/installations").json()
    assert [row["id"] for row in listed["items"]] == [boiler.pk]
    assert tech_api.get(f"/installations/{boiler.pk}").status_code == 200
    assert tech_api.get(f"/installations/{hidden.pk}").status_code == 404
    assert tech_api.patch(f"/installations/{boiler.pk}", {"name": "x"}).status_code == 403
    assert tech_api.post("/installations", {"work_address_id": records_a["address"].pk,
                                            "name": "x"}).status_code == 403


def test_work_order_names_installations_and_exposes_their_ids(
        tech_api, office_api, records_a, boiler, tenant_a, tenant_b):
    order = records_a["order"]
    with tenant_context(tenant_a):
        elsewhere = installations.create_installation(work_address=records_a["other_address"],
                                                      name="Boiler Zeist")
    with tenant_context(tenant_b):
        b_customer = Customer.objects.create(number="B-1", name="Bèta")
        b_boiler = installations.create_installation(
            work_address=WorkAddress.objects.create(customer=b_customer, street="Bètastraat"),
            name="Bèta ketel")
    path = f"/work-orders/{order.pk}/installations"
    assert put(tech_api, path, {"installation_ids": [b_boiler.pk]}).status_code == 422
    assert put(tech_api, path, {"installation_ids": [elsewhere.pk]}).status_code == 409
    saved = put(tech_api, path, {"installation_ids": [boiler.pk, boiler.pk]})
    assert saved.status_code == 200, saved.json()
    assert saved.json()["installation_ids"] == [boiler.pk]
    assert tech_api.get(f"/work-orders/{order.pk}").json()["installation_ids"] == [boiler.pk]
    listed = office_api.get("/work-orders").json()["items"]
    assert {row["id"]: row["installation_ids"] for row in listed}[order.pk] == [boiler.pk]
    stale = put(office_api, path, {"installation_ids": [], "version": 1})
    assert stale.status_code == 412
    # The technician of another order gets a 404, not a change.
    other_tech = make_user(tenant_a, "tech_c", Role.TECHNICIAN)
    assert put(client_for(other_tech), path, {"installation_ids": []}).status_code == 404


def test_history_through_the_api(tech_api, records_a, boiler, tenant_a, tech_a):
    order = records_a["order"]
    with tenant_context(tenant_a):
        services.set_installations(order, installations=[boiler])
    before = tech_api.get(f"/installations/{boiler.pk}").json()["history"]
    complete_order(tenant_a, order, tech_a)
    after = tech_api.get(f"/installations/{boiler.pk}").json()["history"]
    assert before == []
    assert [(e["number"], e["status"], e["description"]) for e in after] == \
        [(order.number, "completed", "Ketel onderhouden")]
    # Completed: the technician can no longer change what it is done on.
    assert put(tech_api, f"/work-orders/{order.pk}/installations",
               {"installation_ids": []}).status_code == 409


def test_a_named_installation_is_not_deleted(office_api, records_a, boiler, tenant_a):
    with tenant_context(tenant_a):
        services.set_installations(records_a["order"], installations=[boiler])
    assert delete(office_api, f"/installations/{boiler.pk}").status_code == 409
    with tenant_context(tenant_a):
        assert InstalledObject.objects.filter(pk=boiler.pk).exists()


def test_moving_the_work_order_elsewhere_drops_its_installations(office_api, records_a, boiler,
                                                                   tenant_a):
    order = records_a["order"]
    with tenant_context(tenant_a):
        services.set_installations(order, installations=[boiler])
    version = office_api.get(f"/work-orders/{order.pk}").json()["version"]
    moved = office_api.patch(f"/work-orders/{order.pk}", {
        "version": version, "customer_number": "10003",
        "work_address_id": records_a["other_address"].pk})
    assert moved.status_code == 200, moved.json()
    assert moved.json()["installation_ids"] == []
