"""The technician's offline data, service worker and manifest (issue 12).

The data are the technician's own open orders up to seven days ahead, of their own tenant,
with active items only and no prices; versioned by ETag (304 when unchanged); 401 JSON
without a session. The service worker is served at the root with a scope header and a
version that changes with the cached files; the app shell holds no user data.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import services
from werkbon.workorders.models import (
    Customer,
    FormQuestion,
    FormTemplate,
    InstalledObject,
    Item,
    WorkAddress,
)

pytestmark = pytest.mark.django_db


def _at(days: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate() + dt.timedelta(days=days),
                                                   dt.time(9, 0)))


@pytest.fixture
def world(tenant_a, tech_a, office_a, tenant_b, tech_b):
    with tenant_context(tenant_a):
        customer = Customer.objects.create(number="10001", name="Klant Alfa", phone="0612345678")
        address = WorkAddress.objects.create(customer=customer, street="Kerkstraat", house_number="1",
                                             postal_code="7901 AA", city="Hoogeveen")
        InstalledObject.objects.create(work_address=address, name="CV-ketel", brand="Remeha",
                                       serial_number="SN-1")
        active = Item.objects.create(number="A-1", description="Kraan", unit="st",
                                     sales_price=Decimal("12.50"))
        Item.objects.create(number="A-2", description="Oude kraan", unit="st", status="inactive")
        template = FormTemplate.objects.create(name="Keuring")
        FormQuestion.objects.create(template=template, label="Druk in orde?", kind="yes_no")
        FormTemplate.objects.create(name="Oud", is_active=False)
        today = services.create_work_order(customer=customer, work_address=address,
                                           description="Lekkage", technicians=[tech_a],
                                           planned_start=_at(0))
        services.add_time_entry(today, technician=tech_a, kind="work", minutes=30,
                                date=timezone.localdate())
        services.add_material_line(today, item=active, quantity=Decimal("2"), note="",
                                   technician=tech_a)
        week = services.create_work_order(customer=customer, work_address=address,
                                          technicians=[tech_a], planned_start=_at(7))
        later = services.create_work_order(customer=customer, work_address=address,
                                           technicians=[tech_a], planned_start=_at(8))
        other = services.create_work_order(customer=customer, work_address=address,
                                           technicians=[office_a], planned_start=_at(0))
        done = services.create_work_order(customer=customer, work_address=address,
                                          technicians=[tech_a], planned_start=_at(0))
        services.complete(done, user=tech_a)
    with tenant_context(tenant_b):
        customer_b = Customer.objects.create(number="20001", name="Klant Bèta")
        Item.objects.create(number="B-1", description="Item of B", unit="st")
        services.create_work_order(customer=customer_b, technicians=[tech_b], planned_start=_at(0))
    return {"today": today, "week": week, "later": later, "other": other, "done": done,
            "active": active}


def _client(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_technician_gets_their_own_orders_of_the_coming_week(world, tech_a):
    response = _client(tech_a).get("/werkorders/app/gegevens/")
    assert response.status_code == 200
    data = response.json()
    assert data["user"] == {"id": tech_a.pk, "tenant": tech_a.tenant_id, "name": tech_a.display_name}
    ids = [order["id"] for order in data["orders"]]
    assert ids == [world["today"].pk, world["week"].pk]  # not day 8, not others', not completed
    today = data["orders"][0]
    assert today["customer"]["name"] == "Klant Alfa"
    assert today["address"]["one_line"] == "Kerkstraat 1, 7901 AA Hoogeveen"
    assert today["description"] == "Lekkage"
    assert [i["name"] for i in today["installations"]] == ["CV-ketel"]
    assert today["installations"][0]["history"] == []
    assert [(t["minutes"], t["own"]) for t in today["time_entries"]] == [(30, True)]
    assert [(m["item_number"], m["quantity"]) for m in today["material_lines"]] == [("A-1", "2.000")]
    assert data["items"] == [[world["active"].pk, "A-1", "Kraan", "st"]]  # active only, no price
    assert "12.50" not in response.content.decode()
    assert [t["name"] for t in data["templates"]] == ["Keuring"]
    assert data["templates"][0]["questions"][0]["kind"] == "yes_no"


def test_the_data_are_versioned_by_etag(world, tech_a, tenant_a):
    client = _client(tech_a)
    first = client.get("/werkorders/app/gegevens/")
    tag = first["ETag"]
    assert tag
    same = client.get("/werkorders/app/gegevens/", HTTP_IF_NONE_MATCH=tag)
    assert same.status_code == 304
    assert same.content == b""
    with tenant_context(tenant_a):
        services.add_time_entry(world["today"], technician=tech_a, kind="travel", minutes=15,
                                date=timezone.localdate())
    changed = client.get("/werkorders/app/gegevens/", HTTP_IF_NONE_MATCH=tag)
    assert changed.status_code == 200
    assert changed["ETag"] != tag


def test_without_a_session_the_data_are_a_json_401(world):
    response = Client().get("/werkorders/app/gegevens/")
    assert response.status_code == 401
    assert "Log in" in response.json()["detail"] or "Log" in response.json()["detail"]


def test_another_tenant_sees_none_of_it(world, tech_b):
    data = _client(tech_b).get("/werkorders/app/gegevens/").json()
    assert [o["customer"]["name"] for o in data["orders"]] == ["Klant Bèta"]
    assert [row[1] for row in data["items"]] == ["B-1"]
    assert data["templates"] == []


def test_the_service_worker_covers_the_site(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    text = response.content.decode()
    assert "workbox-precaching.prod.js" in text and "/werkorders/app/" in text
    policy = response["Content-Security-Policy"]
    assert "worker-src 'self'" in policy and "manifest-src 'self'" in policy


def test_the_app_shell_holds_no_user_data(world, tech_a):
    shell = _client(tech_a).get("/werkorders/app/")
    assert shell.status_code == 200
    text = shell.content.decode()
    assert tech_a.display_name not in text
    assert "csrfmiddlewaretoken" not in text and "Klant Alfa" not in text
    anonymous = Client().get("/werkorders/app/")
    assert anonymous.status_code == 200  # cached for whoever opens the app


def test_the_manifest_makes_the_app_installable(client):
    response = client.get("/werkorders/app/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["start_url"] == "/werkorders/app/"
    assert manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/")), icon["src"]


def test_customers_for_a_work_order_on_site_only_when_the_company_allows_it(world, tech_a, tenant_a):
    tenant_a.technicians_create_work_orders = False
    tenant_a.save(update_fields=["technicians_create_work_orders"])
    data = _client(tech_a).get("/werkorders/app/gegevens/").json()
    assert data["customers"] == [] and "workorder.create_on_site" not in data["actions"]
    tenant_a.technicians_create_work_orders = True
    tenant_a.save(update_fields=["technicians_create_work_orders"])
    with tenant_context(tenant_a):
        Customer.objects.create(number="10009", name="Oud", status="inactive")
    data = _client(tech_a).get("/werkorders/app/gegevens/").json()
    assert "workorder.create_on_site" in data["actions"]
    assert [(c["number"], c["name"]) for c in data["customers"]] == [("10001", "Klant Alfa")]
    assert [a["one_line"] for a in data["customers"][0]["addresses"]] == ["Kerkstraat 1, 7901 AA Hoogeveen"]


def test_the_javascript_catalog_per_language_is_cached_by_the_worker(client):
    dutch = client.get("/jsi18n/nl/").content.decode()
    assert "Nieuwe werkbon ter plaatse" in dutch
    english = client.get("/jsi18n/en/", HTTP_COOKIE="django_language=nl")
    assert english.status_code == 200 and "Nieuwe werkbon" not in english.content.decode()
    assert client.get("/jsi18n/xx/").status_code == 404
    worker = client.get("/sw.js").content.decode()
    assert '"/jsi18n/nl/"' in worker and '"/jsi18n/en/"' in worker
