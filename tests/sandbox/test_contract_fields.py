"""Every response field the contract lists for a read operation is present in the sandbox's
answer, with a value of the listed type (or null)."""

from __future__ import annotations

import re

import pytest

from vismanet_sandbox import coverage

PATHS = {
    "organization.list": "/v1/organization", "branch.list": "/v1/branch", "customer.list": "/v1/customer",
    "customer.classes": "/v1/customer/customerClass", "customer_location.list": "/v1/location/10004",
    "location.list": "/v1/location", "inventory.list": "/v1/inventory?pageSize=5",
    "itemclass.list": "/v1/inventory/itemClass", "postingclass.list": "/v1/inventory/itemPostClass",
    "warehouse.list": "/v1/warehouse", "salesordertype.list": "/v1/salesordertype",
    "salesorder_v3.list": "/api/v3/SalesOrders", "salesorder_v3.get": "/api/v3/SalesOrders/SO/000101?expand=All",
    "salesorder_v3.lines.list": "/api/v3/SalesOrders/SO/000101/lines", "customer_v3.list": "/api/v3/Customers",
    "customer_v3.locations": "/api/v3/Customers/10001/locations", "context.list": "/resources/v1/context",
    "customerinvoice.list": "/v1/customerinvoice?expandAttachments=true",
}
TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "date-time": str}

pytestmark = pytest.mark.skipif(not coverage.contract_path().exists(), reason="contract file not available")


def first_item(body):
    if isinstance(body, dict) and "value" in body and "totalCount" in body:
        body = body["value"]
    return body[0] if isinstance(body, list) else body


@pytest.mark.parametrize("op", sorted(PATHS))
def test_response_fields_match_contract(erp, op):
    if op == "customerinvoice.list":
        erp.post("/v2/customerinvoice", json={"customerNumber": {"value": "10001"},
                                              "invoiceLines": [{"operation": "Insert", "inventoryNumber": {"value": "ARBEID"}}]})
    fields = coverage.load_contract()[op]["responses"]["200"].get("fields")
    if not isinstance(fields, list):
        fields = coverage.load_contract()["customer_location.list"]["responses"]["200"]["fields"]
    response = erp.get(PATHS[op])
    assert response.status_code == 200, response.text
    item = first_item(response.json())
    for field in fields:
        assert field["name"] in item, f"{op}: {field['name']} missing"
        value = item[field["name"]]
        base = re.split(r"[<{(]", field["type"])[0]
        if value is not None and base in TYPES:
            assert isinstance(value, TYPES[base]), f"{op}: {field['name']}={value!r} is not {field['type']}"
            if base == "integer":
                assert not isinstance(value, bool)
        if value is not None and base.startswith(("array", "object")) and base != "object":
            assert isinstance(value, list if base == "array" else dict), f"{op}: {field['name']}"
