"""Numbers with reserved characters (``/``, ``&``, ``?``, ``#``, ``%``, spaces, non-ASCII) on the
wire (issue 8). A value a path segment can carry is percent-encoded (UTF-8); one it cannot
(Visma.net's ERP API decodes the path before routing and refuses ``& % ? : * < > \\``; v3 keeps
``%2F`` encoded) is looked up by query parameter or internal id, or refused before anything is
sent, so a call never reaches another route and is never retried against one."""

from __future__ import annotations

import re

import httpx
import pytest

from vismanet import NotFoundError, UnaddressableError, ValidationError, _endpoints

RESERVED = ["A/B", "A&B", "50%", "WAT?", "A:B", "A*B", "<A>", "A\\B", "A+B", "TRAILING."]
CARRIED = ["A B", "A#B", "Café", "½\"", "Ærø-1"]


def raw_paths(fake) -> list[str]:
    return [r.url.raw_path.decode().split("?")[0] for r in fake.requests if r.url.path != "/connect/token"]


@pytest.mark.parametrize("number", CARRIED)
def test_a_number_a_path_segment_can_carry_is_percent_encoded_in_it(fake, make_client, number):
    fake.on("GET", f"/v1/inventory/{number}", httpx.Response(200, json={"inventoryNumber": number}))
    item = make_client().inventory.get(number)
    assert item.inventory_number == number
    [path] = raw_paths(fake)
    segment = path.rsplit("/", 1)[-1]
    assert re.fullmatch(r"[A-Za-z0-9\-._~%]+", segment), segment  # every reserved byte escaped


def test_an_item_number_with_a_slash_is_looked_up_by_query_and_internal_id(fake, make_client):
    fake.on("GET", "/v1/inventory", httpx.Response(200, json=[
        {"inventoryId": 7, "inventoryNumber": "MAT/01X"},  # the filter matches by part
        {"inventoryId": 8, "inventoryNumber": "MAT/01"},
    ]))
    fake.on("GET", "/v1/inventory/internal/8", httpx.Response(
        200, json={"inventoryId": 8, "inventoryNumber": "MAT/01", "status": "Active"}, headers={"ETag": "e8"}))
    item = make_client().inventory.get("MAT/01")
    assert (item.inventory_id, item.status, item.etag) == (8, "Active", "e8")
    listed = fake.calls("GET", "/v1/inventory")[0]
    assert listed.url.params["inventoryNumber"] == "MAT/01"
    assert raw_paths(fake) == ["/v1/inventory", "/v1/inventory/internal/8"]


def test_an_unknown_item_number_with_a_slash_is_not_found(fake, make_client):
    fake.on("GET", "/v1/inventory", httpx.Response(200, json=[]))
    with pytest.raises(NotFoundError):
        make_client().inventory.get("MAT/99")


@pytest.mark.parametrize("number", ["K/77", "K&Zn", "100%", "Wie?"])
def test_a_customer_number_a_path_cannot_carry_is_found_through_v3_and_its_internal_id(
        fake, make_client, number):
    fake.on("GET", "/api/v3/Customers", httpx.Response(200, json={
        "value": [{"id": number + "0", "internalId": 1}, {"id": number, "internalId": 2}],
        "totalCount": 2, "nextPage": None}))
    fake.on("GET", "/v1/customer/internal/2", httpx.Response(
        200, json={"internalId": 2, "number": number, "status": "Active"}))
    customer = make_client().customers.get(number)
    assert (customer.internal_id, customer.number) == (2, number)
    assert fake.calls("GET", "/api/v3/Customers")[0].url.params["filter"] == number
    assert raw_paths(fake) == ["/api/v3/Customers", "/v1/customer/internal/2"]


def test_an_unknown_customer_number_with_a_slash_is_not_found(fake, make_client):
    fake.on("GET", "/api/v3/Customers", httpx.Response(200, json={"value": [], "nextPage": None}))
    with pytest.raises(NotFoundError):
        make_client().customers.get("K/404")


def test_a_warehouse_or_item_class_a_path_cannot_carry_is_found_in_the_list(fake, make_client):
    fake.on("GET", "/v1/warehouse", httpx.Response(200, json=[{"warehouseID": "W/1"}]))
    fake.on("GET", "/v1/inventory/itemClass", httpx.Response(200, json=[{"id": "K&L"}]))
    client = make_client()
    assert client.warehouses.get("W/1").warehouse_id == "W/1"
    assert client.item_classes.get("K&L").id == "K&L"
    assert raw_paths(fake) == ["/v1/warehouse", "/v1/inventory/itemClass"]


@pytest.mark.parametrize("order_id", ["A/B", "..", ""])
def test_an_order_id_no_path_can_carry_is_refused_before_anything_is_sent(fake, make_client, order_id):
    client = make_client()
    with pytest.raises(UnaddressableError) as caught:
        client.sales_orders.get("SO", order_id)
    assert isinstance(caught.value, ValidationError)  # permanent: never retried
    assert caught.value.parameter == "orderId"
    assert fake.requests == []


def test_v3_order_ids_with_other_reserved_characters_are_percent_encoded(fake, make_client):
    fake.on("GET", "/api/v3/SalesOrders/SO/A&B #1", httpx.Response(200, json={"orderId": "A&B #1", "type": "SO"}))
    order = make_client().sales_orders.get("SO", "A&B #1")
    assert order.order_id == "A&B #1"
    assert raw_paths(fake) == ["/api/v3/SalesOrders/SO/A%26B%20%231"]


def test_no_operation_ever_puts_an_unsafe_value_in_a_path(fake):
    """The loop guard by construction: every templated operation refuses, none sends."""
    endpoints = [v for v in vars(_endpoints).values()
                 if isinstance(v, _endpoints.Endpoint) and "{" in v.path]
    assert len(endpoints) > 15
    for endpoint in endpoints:
        names = re.findall(r"\{(\w+)\}", endpoint.path)
        unsafe = ["A/B"] if endpoint.base == "salesorders_v3" else RESERVED
        for value in unsafe:
            with pytest.raises(UnaddressableError):
                endpoint.format(**dict.fromkeys(names, value))
        for value in CARRIED:
            formatted = endpoint.format(**dict.fromkeys(names, value))
            assert formatted.count("/") == endpoint.path.count("/"), endpoint.name
