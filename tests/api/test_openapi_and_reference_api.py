"""The OpenAPI document, and the reference-data endpoints (customers, items, technicians)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import API

pytestmark = pytest.mark.django_db

EXPECTED_OPERATIONS = {
    ("get", "/api/v1/work-orders"), ("post", "/api/v1/work-orders"),
    ("get", "/api/v1/work-orders/{work_order_id}"), ("patch", "/api/v1/work-orders/{work_order_id}"),
    ("post", "/api/v1/work-orders/{work_order_id}/plan"),
    ("post", "/api/v1/work-orders/{work_order_id}/complete"),
    ("post", "/api/v1/work-orders/{work_order_id}/reopen"),
    ("post", "/api/v1/work-orders/{work_order_id}/archive"),
    ("get", "/api/v1/work-orders/{work_order_id}/time-entries"),
    ("post", "/api/v1/work-orders/{work_order_id}/time-entries"),
    ("get", "/api/v1/work-orders/{work_order_id}/material-lines"),
    ("post", "/api/v1/work-orders/{work_order_id}/material-lines"),
    ("get", "/api/v1/work-orders/{work_order_id}/forms"),
    ("post", "/api/v1/work-orders/{work_order_id}/forms"),
    ("get", "/api/v1/form-templates"),
    ("get", "/api/v1/customers"), ("get", "/api/v1/customers/{customer_id}"),
    ("get", "/api/v1/items"), ("get", "/api/v1/technicians"),
    ("get", "/api/v1/installations"), ("post", "/api/v1/installations"),
    ("get", "/api/v1/installations/{installation_id}"),
    ("patch", "/api/v1/installations/{installation_id}"),
    ("delete", "/api/v1/installations/{installation_id}"),
    ("put", "/api/v1/work-orders/{work_order_id}/installations"),
    ("post", "/api/v1/on-site-work-orders"), ("post", "/api/v1/actions"),
    ("get", "/api/v1/work-orders/{work_order_id}/signature"),
    ("put", "/api/v1/work-orders/{work_order_id}/signature"),
    ("get", "/api/v1/work-orders/{work_order_id}/photos"),
    ("post", "/api/v1/work-orders/{work_order_id}/photos"),
    ("get", "/api/v1/work-orders/{work_order_id}/photos/{photo_id}"),
    ("delete", "/api/v1/work-orders/{work_order_id}/photos/{photo_id}"),
}


def test_it_serves_the_openapi_document_with_every_endpoint(db):
    response = Client().get(f"{API}/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    operations = {(method, path) for path, item in schema["paths"].items() for method in item}
    assert operations == EXPECTED_OPERATIONS
    create = schema["paths"]["/api/v1/work-orders"]["post"]
    assert create["x-werkbon-office-only"] is True
    assert {"201", "401", "403", "422"} <= set(create["responses"])
    archive = schema["paths"]["/api/v1/work-orders/{work_order_id}/archive"]["post"]
    assert {"409", "412"} <= set(archive["responses"])
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}


def test_it_documents_the_per_field_error_body(db):
    schema = Client().get(f"{API}/openapi.json").json()
    error_schema = schema["components"]["schemas"]["ValidationErrorOut"]
    assert set(error_schema["properties"]) == {"detail", "errors"}


def test_it_serves_the_interactive_docs(db):
    response = Client().get(f"{API}/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_it_finds_customers_by_name_and_number(office_api, records_a):
    body = office_api.get("/customers", {"q": "bakkerij"}).json()
    assert [c["number"] for c in body["items"]] == ["10001"]
    assert office_api.get("/customers", {"q": "10003"}).json()["count"] == 1
    assert office_api.get("/customers", {"status": "inactive"}).json()["items"][0]["number"] == "10002"
    assert office_api.get("/customers").json()["count"] == 3


def test_it_gives_a_customer_with_its_work_addresses(office_api, records_a):
    body = office_api.get(f"/customers/{records_a['customer'].pk}").json()
    assert body["number"] == "10001"
    assert [a["id"] for a in body["work_addresses"]] == [records_a["address"].pk]
    assert office_api.get("/customers/999999").status_code == 404


def test_it_keeps_customers_and_technicians_for_the_office(tech_api, records_a):
    assert tech_api.get("/customers").status_code == 403
    assert tech_api.get(f"/customers/{records_a['customer'].pk}").status_code == 403
    assert tech_api.get("/technicians").status_code == 403


def test_it_finds_items_for_technicians_too(tech_api, records_a):
    body = tech_api.get("/items", {"q": "knie"}).json()
    assert body["count"] == 1
    item = body["items"][0]
    # no sales price for a technician unless the company shows them prices (issue 10)
    assert (item["number"], item["sales_price"], item["item_type"]) == ("KR-15", None, "stock")
    assert tech_api.get("/items", {"status": "inactive"}).json()["items"][0]["number"] == "OLD-1"


def test_it_lists_the_technicians_for_planning(office_api, records_a):
    assert office_api.get("/technicians").json() == [
        {"username": "tech_a", "name": "Piet Jansen", "default_warehouse": "HOOFD"}]
