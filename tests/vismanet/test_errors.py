from __future__ import annotations

import httpx
import pytest

from vismanet import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionError,
    RateLimitedError,
    RetryPolicy,
    ServerError,
    ValidationError,
    VismaNetError,
)

from .conftest import erp_error


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, ValidationError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (412, PreconditionError),
        (422, ValidationError),
        (428, PreconditionError),
        (429, RateLimitedError),
        (500, ServerError),
        (503, ServerError),
        (418, VismaNetError),
    ],
)
def test_it_maps_each_status_to_its_error_class(fake, make_client, status, expected):
    fake.on("GET", "/v1/customer/1", erp_error(status, "Something is wrong."))
    client = make_client(retry_policy=RetryPolicy(max_attempts=1))
    with pytest.raises(expected) as caught:
        client.customers.get("1")
    assert type(caught.value) is expected
    assert caught.value.status_code == status
    assert caught.value.operation == "customer.get"
    assert caught.value.method == "GET"


def test_it_reads_the_erp_exception_envelope(fake, make_client):
    fake.on("GET", "/v1/customer/99999", erp_error(404, "Customer 99999 not found."))
    with pytest.raises(NotFoundError) as caught:
        make_client().customers.get("99999")
    error = caught.value
    assert error.message == "Customer 99999 not found."
    assert error.error_code == "12046"
    assert error.request_ids == {"Ipp-Request-Id": "ipp-123", "ExceptionMessageID": "12046_abc"}
    assert str(error).startswith("[request id ipp-123] customer.get (GET) HTTP 404:")


def test_it_reads_the_erp_message_body_with_model_state(fake, make_client):
    body = {"Message": "The request is invalid.", "ModelState": {"invoice.hold": ["Bad bool"]}}
    fake.on("POST", "/v2/customerinvoice", httpx.Response(400, json=body))
    from .test_requests import full_invoice

    with pytest.raises(ValidationError) as caught:
        make_client().customer_invoices.create(full_invoice())
    assert caught.value.message == "The request is invalid."
    assert caught.value.field_errors == {"invoice.hold": ["Bad bool"]}
    assert not caught.value.may_have_been_applied


def test_it_reads_v3_validation_problem_details(fake, make_client):
    problem = {
        "type": "https://tools.ietf.org/html/rfc7231#section-6.5.1",
        "title": "One or more validation errors occurred.",
        "status": 400,
        "detail": None,
        "instance": "/api/v3/SalesOrders",
        "errors": {"OrderLines[0].InventoryId": ["InventoryId cannot be found or is invalid"]},
        "details": [
            {
                "code": "1804-InventoryIdNotFound",
                "message": "InventoryId cannot be found or is invalid",
                "parameters": {"property": "OrderLines[0].InventoryId"},
            },
            {
                "code": "1407-InvalidCustomerStatus",
                "message": "Customer is inactive",
                "parameters": {"property": "Customer.Id"},
            },
        ],
        "traceId": "00-abc-01",
    }
    fake.on(
        "POST",
        "/api/v3/SalesOrders",
        httpx.Response(400, json=problem, headers={"Content-Type": "application/problem+json"}),
    )
    from vismanet import NewSalesOrder, NewSalesOrderCustomer

    with pytest.raises(ValidationError) as caught:
        make_client().sales_orders.create(
            NewSalesOrder(type="SO", customer=NewSalesOrderCustomer(id="1"))
        )
    error = caught.value
    assert error.message == "One or more validation errors occurred."
    assert error.error_codes == ["1804-InventoryIdNotFound", "1407-InvalidCustomerStatus"]
    assert error.field_errors == {
        "OrderLines[0].InventoryId": ["InventoryId cannot be found or is invalid"],
        "Customer.Id": ["Customer is inactive"],
    }
    assert error.request_id == "00-abc-01"
    assert "1804-InventoryIdNotFound" in str(error)


def test_it_reads_a_v3_problem_detail_for_a_stale_etag(fake, make_client):
    problem = {"title": "Precondition Failed", "status": 412, "detail": "Version mismatch."}
    fake.on("PATCH", "/api/v3/SalesOrders/SO/1", httpx.Response(412, json=problem))
    from vismanet import SalesOrderPatch

    with pytest.raises(PreconditionError) as caught:
        make_client().sales_orders.patch("SO", "1", SalesOrderPatch(note="x"), if_match="old")
    assert caught.value.message == "Precondition Failed Version mismatch."


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (httpx.Response(502, text="<html>Bad gateway</html>"), "<html>Bad gateway</html>"),
        (httpx.Response(403), "Forbidden"),
        (httpx.Response(404, json=["odd"]), '["odd"]'),
        (httpx.Response(400, json={"message": "lower-case message"}), "lower-case message"),
    ],
)
def test_it_reads_plain_text_empty_and_odd_bodies(fake, make_client, reply, message):
    fake.on("GET", "/v1/warehouse/W", reply)
    with pytest.raises(VismaNetError) as caught:
        make_client(retry_policy=RetryPolicy(max_attempts=1)).warehouses.get("W")
    assert caught.value.message == message


def test_it_names_the_request_id_first_even_without_one(fake, make_client):
    fake.on("GET", "/v1/warehouse/W", httpx.Response(404))
    with pytest.raises(NotFoundError) as caught:
        make_client().warehouses.get("W")
    assert str(caught.value).startswith("[request id unknown] warehouse.get")
