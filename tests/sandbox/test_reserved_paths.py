"""Numbers with reserved characters in URL paths: the sandbox routes encoded path segments as
Visma.net does (issue 8). The ERP API (ASP.NET on IIS) decodes the whole path before
routing: ``%2F`` becomes a separator, and ``& % ? : * < > \\`` in the decoded path are refused
with 400. The Sales Orders v3 API (ASP.NET Core) keeps ``%2F`` encoded in the route value.
Spaces, ``#`` and non-ASCII letters travel percent-encoded and come back as they were."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from vismanet_sandbox import demo

T = demo.DEMO_TENANT_ID


def seg(value: str) -> str:
    return quote(value, safe="")


@pytest.fixture
def odd_customers(sandbox):
    for number in ("K/77", "Café # 1", "A&B"):
        sandbox.control.add_customer(T, {"number": number, "name": f"Klant {number}", "status": "Active"})


def test_spaces_hash_and_non_ascii_in_a_path_segment_find_the_record(erp, odd_customers):
    response = erp.get(f"/v1/customer/{seg('Café # 1')}")
    assert response.status_code == 200, response.text
    assert response.json()["number"] == "Café # 1"


def test_an_encoded_slash_splits_the_erp_path_and_finds_no_route(erp, odd_customers):
    response = erp.get(f"/v1/customer/{seg('K/77')}")
    assert response.status_code == 404, response.text  # not 501: ASP.NET found no route
    assert "No HTTP resource was found" in response.json()["Message"]


def test_an_encoded_slash_can_reach_another_erp_route(erp, sandbox):
    # "internal/<id>" as a customer number is read as GET /v1/customer/internal/{id}.
    first = erp.get(f"/v1/customer/{demo.FIRST_CUSTOMER}").json()
    response = erp.get(f"/v1/customer/{seg('internal/' + str(first['internalId']))}")
    assert response.status_code == 200
    assert response.json()["number"] == demo.FIRST_CUSTOMER


@pytest.mark.parametrize("character", ["&", "%", "?", ":", "*", "<"])
def test_a_reserved_character_in_an_erp_path_is_refused_as_asp_net_does(erp, character):
    response = erp.get(f"/v1/inventory/{seg('MAT' + character + '1')}")
    assert response.status_code == 400, response.text
    assert "potentially dangerous Request.Path" in response.json()["Message"]


def test_the_query_string_carries_what_a_path_cannot(erp, sandbox):
    sandbox.control.add_item(T, {"inventoryNumber": "MAT/01 & ½", "description": "Koppeling",
                                 "type": "NonStockItem", "status": "Active", "stockItem": False})
    response = erp.get("/v1/inventory", params={"inventoryNumber": "MAT/01 & ½"})
    assert [i["inventoryNumber"] for i in response.json()] == ["MAT/01 & ½"]


def test_v3_keeps_an_encoded_slash_in_the_route_value(erp, sandbox):
    order = sandbox.control.sales_orders(T)[0]
    order_type, order_id = order["type"], order["orderId"]
    assert erp.get(f"/api/v3/SalesOrders/{order_type}/{order_id}/lines").status_code == 200
    # Decoded, this path would be the order's lines; ASP.NET Core looks for order "<id>/lines".
    response = erp.get(f"/api/v3/SalesOrders/{order_type}/{order_id}%2Flines")
    assert response.status_code == 404, response.text


def test_v3_decodes_other_escapes(erp, sandbox):
    response = erp.get("/api/v3/Customers", params={"filter": "Café # 1"})
    assert response.status_code == 200


def test_the_control_api_takes_keys_with_reserved_characters(sandbox, erp, odd_customers):
    sandbox.control.change_customer(T, "K/77", {"name": "Hernoemd"})
    sandbox.control.deactivate_customer(T, "A&B")
    customers = {c["number"]: c for c in sandbox.control._call("GET", f"/companies/{T}/customers")}
    assert customers["K/77"]["name"] == "Hernoemd"
    assert customers["A&B"]["status"] == "Inactive"
