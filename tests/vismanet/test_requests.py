"""What the client puts on the wire, held against visma-net-contract.json."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import httpx
import pytest

import vismanet
from vismanet import (
    InvoiceAddressUpdate,
    InvoiceContactUpdate,
    NewCustomerInvoice,
    NewCustomerInvoiceLine,
    NewSalesOrder,
    NewSalesOrderAddress,
    NewSalesOrderBilling,
    NewSalesOrderCustomer,
    NewSalesOrderLine,
    NewSalesOrderPrint,
    SalesOrderLinePatch,
    SalesOrderPatch,
    SubaccountSegment,
    UnexpectedResponseError,
    _endpoints,
)

EMPTY = httpx.Response(200, json=[])


def contract_fields(fields: list[dict]) -> dict[str, dict]:
    return {f["name"]: f for f in fields}


def test_it_uses_the_contract_method_base_and_path_for_every_operation(contract):
    endpoints = [v for v in vars(_endpoints).values() if isinstance(v, _endpoints.Endpoint)]
    assert len(endpoints) > 30
    for endpoint in endpoints:
        spec = contract[endpoint.name]
        assert (endpoint.method, endpoint.base, endpoint.path) == (
            spec["method"],
            spec["base"],
            spec["path"],
        ), endpoint.name


def test_it_sends_the_delta_filter_as_a_pair_in_utc(fake, make_client):
    fake.on("GET", "/v1/customer", EMPTY)
    since = datetime(2025, 5, 25, 8, 0, 0, 250_000, tzinfo=timezone(timedelta(hours=2)))
    list(make_client().customers.list(last_modified=since, last_modified_condition=">"))
    request = fake.calls("GET", "/v1/customer")[0]
    assert request.url.params["lastModifiedDateTime"] == "2025-05-25T06:00:00.250"
    assert request.url.params["lastModifiedDateTimeCondition"] == ">"
    assert b"lastModifiedDateTimeCondition=%3E&" in request.url.query
    assert request.url.params["pageNumber"] == "1"


def test_it_encodes_the_greater_or_equal_condition(fake, make_client):
    fake.on("GET", "/v1/location", EMPTY)
    since = datetime(2025, 5, 25, tzinfo=UTC)
    list(make_client().customer_locations.list(last_modified=since))
    assert b"lastModifiedDateTimeCondition=%3E%3D" in fake.calls("GET", "/v1/location")[0].url.query


def test_it_refuses_a_naive_delta_datetime(make_client):
    with pytest.raises(ValueError, match="aware"):
        make_client().customers.list(last_modified=datetime(2025, 5, 25))


def test_it_sends_modified_since_and_order_by_for_v3_lists(fake, make_client):
    fake.on("GET", "/api/v3/SalesOrders/QT", httpx.Response(200, json={"value": []}))
    since = datetime(2025, 5, 25, 8, 0, tzinfo=timezone(timedelta(hours=2)))
    list(make_client().sales_orders.list(order_type="QT", modified_since=since))
    params = fake.calls("GET", "/api/v3/SalesOrders/QT")[0].url.params
    assert params["modifiedSince"] == "2025-05-25T06:00:00.000Z"
    assert params["orderBy"] == "lastModified asc"
    assert (params["pageIndex"], params["pageSize"]) == ("0", "100")


def test_it_sends_inventory_types_once_per_value_and_every_expand_flag(fake, make_client):
    fake.on("GET", "/v1/inventory", EMPTY)
    inventory = make_client().inventory.list(
        inventory_types=["NonStockItem", "LaborItem"], expand=["expandAttribute"]
    )
    list(inventory)
    params = fake.calls("GET", "/v1/inventory")[0].url.params
    assert params.get_list("inventoryTypes") == ["NonStockItem", "LaborItem"]
    assert params["expandAttribute"] == "true"
    assert params["expandWarehouseDetail"] == "false"
    assert set(vismanet.INVENTORY_EXPAND_FLAGS) <= set(params.keys())


def full_invoice() -> NewCustomerInvoice:
    line = NewCustomerInvoiceLine(
        line_number=1,
        inventory_number="ARBEID",
        description="Arbeid 2,5 uur",
        quantity=2.5,
        unit_price_in_currency=62.5,
        manual_amount_in_currency=156.25,
        uom="UUR",
        account_number="8000",
        subaccount=[SubaccountSegment(segment_id=1, segment_value="01")],
        vat_code_id="H",
        discount_percent=0,
        discount_amount_in_currency=0,
        manual_discount=False,
        discount_code="D",
        salesperson="SP",
        branch_number="1",
        note="n",
        term_start_date=date(2025, 6, 1),
        term_end_date=date(2025, 6, 30),
        task_id="T",
        item_type="Service",
    )
    return NewCustomerInvoice(
        customer_number="10023",
        document_date=date(2025, 6, 2),
        hold=True,
        customer_ref_number="PO-88412",
        external_reference="werkbon:WB-2025-0192",
        invoice_text="Werkbon WB-2025-0192",
        note="Uitgevoerd",
        location_id="MAIN",
        branch_number="1",
        currency_id="EUR",
        credit_terms_id="30D",
        payment_method_id="BANK",
        document_due_date=date(2025, 7, 2),
        cash_discount_date=date(2025, 6, 12),
        financial_period="202506",
        post_period="202506",
        salesperson="SP",
        sales_person_id=7,
        project="X",
        contact=3,
        billing_address=InvoiceAddressUpdate(override_address=True, address_line1="Postbus 1"),
        invoice_contact=InvoiceContactUpdate(override_contact=True, email="a@b.example"),
        send_to_auto_invoice=False,
        dont_print=True,
        dont_email=True,
        reference_number="100231",
        override_number_series=False,
        invoice_lines=[line],
        tax_detail_lines=[{"taxId": {"value": "H"}}],
    )


def test_it_wraps_invoice_fields_exactly_where_the_contract_says(contract):
    spec = contract_fields(contract["customerinvoice.create"]["request_body"]["fields"])
    body = full_invoice().to_api()
    assert set(body) == set(spec), "every contract field is sent, and nothing else"
    for name, value in body.items():
        wrapped = isinstance(value, dict) and set(value) == {"value"}
        assert wrapped == bool(spec[name].get("wrapped")), name
    assert body["documentDate"] == {"value": "2025-06-02T00:00:00"}
    assert body["billingAddress"] == {
        "value": {"overrideAddress": {"value": True}, "addressLine1": {"value": "Postbus 1"}}
    }
    line_spec = contract_fields(spec["invoiceLines"]["fields"])
    line = body["invoiceLines"][0]
    assert set(line) == set(line_spec)
    for name, value in line.items():
        wrapped = isinstance(value, dict) and set(value) == {"value"}
        assert wrapped == bool(line_spec[name].get("wrapped")), name
    assert line["quantity"] == {"value": 2.5}
    assert line["operation"] == "Insert"
    assert line["subaccount"] == [{"segmentId": 1, "segmentValue": "01"}]


def assert_keys_in_contract(body: dict, fields: list[dict], where: str) -> None:
    spec = contract_fields(fields)
    for key, value in body.items():
        assert key in spec, f"{where}.{key} is not in the contract"
        nested = spec[key].get("fields") or (spec[key].get("items") or {}).get("fields")
        if nested and isinstance(value, dict):
            assert_keys_in_contract(value, nested, f"{where}.{key}")
        if nested and isinstance(value, list):
            for item in value:
                assert_keys_in_contract(item, nested, f"{where}.{key}[]")


def test_it_sends_v3_order_bodies_unwrapped_with_contract_names(contract, fake, make_client):
    fake.on(
        "POST",
        "/api/v3/SalesOrders",
        httpx.Response(
            201, headers={"Location": "https://salesorder.visma.net/api/v3/SalesOrders/SO/000123"}
        ),
    )
    order = NewSalesOrder(
        type="SO",
        customer=NewSalesOrderCustomer(id="10023", location_id="MAIN", order="PO-1", ref_no="JdV"),
        description="Werkbon WB-2025-0192",
        note="Uitgevoerd",
        status="Hold",
        date=date(2025, 6, 2),
        billing=NewSalesOrderBilling(address=NewSalesOrderAddress(line1="Weg 1", country_id="NL")),
        print_=NewSalesOrderPrint(description_on_invoice=True),
        order_lines=[
            NewSalesOrderLine(
                inventory_id="ARBEID",
                quantity=2.5,
                unit_price=62.5,
                has_manual_price=True,
                warehouse_id="HOOFD",
            ),
        ],
    )
    created = make_client().sales_orders.create(order)
    assert created.id == "000123"
    body = json.loads(fake.calls("POST", "/api/v3/SalesOrders")[0].content)
    assert body["customer"] == {
        "id": "10023",
        "locationId": "MAIN",
        "order": "PO-1",
        "refNo": "JdV",
    }
    assert body["orderLines"][0]["quantity"] == 2.5
    assert body["date"] == "2025-06-02T00:00:00"
    assert body["print"] == {"descriptionOnInvoice": True}
    assert "value" not in json.dumps(body)
    assert_keys_in_contract(
        body, contract["salesorder_v3.create"]["request_body"]["fields"], "order"
    )
    for field in contract["salesorder_v3.create"]["request_body"]["fields"]:
        if field.get("required"):
            assert field["name"] in body


def test_it_covers_every_v3_contract_field_in_the_write_models(contract):
    def aliases(model: type) -> set[str]:
        return {info.alias for info in model.model_fields.values()}

    create = contract["salesorder_v3.create"]["request_body"]["fields"]
    assert {f["name"] for f in create} == aliases(NewSalesOrder)
    line_fields = contract_fields(create)["orderLines"]["fields"]
    assert {f["name"] for f in line_fields} == aliases(NewSalesOrderLine)
    patch = contract["salesorder_v3.patch"]["request_body"]["fields"]
    assert {f["name"] for f in patch} == aliases(SalesOrderPatch)
    patch_lines = contract["salesorder_v3.lines.patch"]["request_body"]["fields"][0]
    assert {f["name"] for f in patch_lines["fields"]} == aliases(SalesOrderLinePatch)


def test_it_sends_if_match_quoted_and_lines_under_a_lines_key(fake, make_client):
    fake.on(
        "POST", "/api/v3/SalesOrders/SO/000123/lines", httpx.Response(202, headers={"ETag": '"v2"'})
    )
    result = make_client().sales_orders.add_lines(
        "SO", "000123", [NewSalesOrderLine(inventory_id="REISTIJD", quantity=0.5)], if_match="v1"
    )
    request = fake.calls("POST", "/api/v3/SalesOrders/SO/000123/lines")[0]
    assert request.headers["If-Match"] == '"v1"'
    assert json.loads(request.content) == {"lines": [{"inventoryId": "REISTIJD", "quantity": 0.5}]}
    assert result.etag == '"v2"'


def test_it_patches_only_the_fields_set(fake, make_client):
    fake.on("PATCH", "/api/v3/SalesOrders/SO/1", httpx.Response(202))
    make_client().sales_orders.patch("SO", "1", SalesOrderPatch(status="Open"), if_match='"e"')
    request = fake.calls("PATCH", "/api/v3/SalesOrders/SO/1")[0]
    assert json.loads(request.content) == {"status": "Open"}
    assert request.headers["If-Match"] == '"e"'


def test_it_sends_line_ids_to_delete_comma_separated(fake, make_client):
    fake.on("DELETE", "/api/v3/SalesOrders/SO/1/lines", httpx.Response(202))
    make_client().sales_orders.delete_lines("SO", "1", [3, 4], if_match="e")
    assert fake.calls("DELETE", "/api/v3/SalesOrders/SO/1/lines")[0].url.params["ids"] == "3,4"


def test_it_returns_the_new_invoice_number_from_a_location_on_any_host(fake, make_client):
    fake.on(
        "POST",
        "/v2/customerinvoice",
        httpx.Response(
            201,
            headers={
                "Location": "https://other.example/API/controller/api/v1/customerinvoice/100231",
                "ETag": '"abc"',
            },
        ),
    )
    created = make_client().customer_invoices.create(full_invoice())
    assert (created.id, created.etag) == ("100231", '"abc"')


def test_it_raises_when_a_create_answers_without_location(fake, make_client):
    fake.on("POST", "/v2/customerinvoice", httpx.Response(201, json={}))
    with pytest.raises(UnexpectedResponseError) as caught:
        make_client().customer_invoices.create(full_invoice())
    assert caught.value.may_have_been_applied


def test_it_finds_invoices_by_marker(fake, make_client):
    fake.on(
        "GET",
        "/v1/customerinvoice",
        httpx.Response(200, json=[{"referenceNumber": "100231"}]),
        EMPTY,
    )
    found = list(make_client().customer_invoices.list(external_reference="werkbon:WB-1"))
    assert [i.reference_number for i in found] == ["100231"]
    assert (
        fake.calls("GET", "/v1/customerinvoice")[0].url.params["externalReference"]
        == "werkbon:WB-1"
    )


def test_it_uploads_attachments_as_multipart_and_reads_them_back(fake, make_client):
    guid = "6f1c0a2e-0000-4000-8000-000000000001"
    fake.on(
        "POST",
        "/v1/salesorder/orderType/QT/000042/attachment",
        httpx.Response(
            201, headers={"Location": f"https://api.finance.visma.net/v1/attachment/{guid}"}
        ),
    )
    fake.on(
        "GET",
        f"/v1/attachment/{guid}",
        httpx.Response(
            200,
            content=b"%PDF-1.7 body",
            headers={
                "Content-Type": "application/pdf",
                "Content-Disposition": 'attachment; filename="werkbon.pdf"',
            },
        ),
    )
    client = make_client()
    created = client.attachments.upload_to_sales_order(
        "QT", "000042", filename="werkbon.pdf", content=b"%PDF-1.7 body"
    )
    request = fake.calls("POST", "/v1/salesorder/orderType/QT/000042/attachment")[0]
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert b'filename="werkbon.pdf"' in request.content
    assert b"Content-Type: application/pdf" in request.content
    downloaded = client.attachments.download(created.id)
    assert (downloaded.content, downloaded.filename, downloaded.size) == (
        b"%PDF-1.7 body",
        "werkbon.pdf",
        13,
    )


def test_it_attaches_the_etag_header_to_a_fetched_order(fake, make_client):
    fake.on(
        "GET",
        "/api/v3/SalesOrders/SO/000123",
        httpx.Response(
            200,
            json={
                "orderId": "000123",
                "status": {"description": "Open"},
                "attachments": [{"id": "g", "name": "a.pdf", "revision": 2}],
            },
            headers={"ETag": '"v7"'},
        ),
    )
    order = make_client().sales_orders.get("SO", "000123", expand=["Attachments", "Note"])
    assert (order.etag, order.status_code, order.attachments[0].revision) == ('"v7"', "Open", 2)
    params = fake.calls("GET", "/api/v3/SalesOrders/SO/000123")[0].url.params
    assert params.get_list("expand") == ["Attachments", "Note"]
