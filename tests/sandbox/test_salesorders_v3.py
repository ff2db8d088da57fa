"""Sales Orders v3: list/paging/orderBy/modifiedSince, create with validation codes,
If-Match 428/412 on writes, patch, lines."""

from __future__ import annotations

from vismanet_sandbox import demo

from .conftest import assert_problem, validation_codes

T = demo.DEMO_TENANT_ID


def new_order(**overrides):
    body = {"type": "SO", "customer": {"id": "10001", "locationId": "MAIN", "order": "WB-2026-0500",
                                       "refNo": "J. de Vries"},
            "description": "Werkbon WB-2026-0500 - storing", "note": "Uitgevoerd op 30-10-2026.", "status": "Hold",
            "orderLines": [
                {"inventoryId": "ARBEID", "quantity": 2.5, "unitPrice": 70.0, "hasManualPrice": True,
                 "warehouseId": "BUS1", "description": "Arbeid"},
                {"inventoryId": "REISTIJD", "quantity": 0.5, "unitPrice": 99.0, "hasManualPrice": False},
                {"inventoryId": "VOORRIJDEN", "quantity": 1, "note": "Voorrijden"}]}
    body.update(overrides)
    return body


def test_list_paging_and_next_page(erp):
    first = erp.get("/api/v3/SalesOrders", params={"pageSize": 4}).json()
    assert first["totalCount"] == 15 and len(first["value"]) == 4
    assert "pageIndex=1" in first["nextPage"]
    seen, url = [], "/api/v3/SalesOrders?pageSize=4"
    while url:
        page = erp.get(url).json()
        seen += [(o["type"], o["orderId"]) for o in page["value"]]
        url = page["nextPage"]
    assert len(seen) == len(set(seen)) == 15
    item = first["value"][0]
    assert {"orderId", "type", "status", "lastModified", "customerId", "customerOrder", "description",
            "orderTotal", "_links"} <= set(item)
    assert_problem(erp.get("/api/v3/SalesOrders", params={"pageSize": 0}), 400)
    assert_problem(erp.get("/api/v3/SalesOrders", params={"pageIndex": -1}), 400)
    assert_problem(erp.get("/api/v3/SalesOrders", params={"orderBy": "name asc"}), 400)
    assert_problem(erp.get("/api/v3/SalesOrders", params={"modifiedSince": "gisteren"}), 400)


def test_order_by_and_modified_since(erp):
    asc = erp.get("/api/v3/SalesOrders/QT", params={"orderBy": "lastModified asc"}).json()["value"]
    stamps = [o["lastModified"] for o in asc]
    assert stamps == sorted(stamps) and all(o["type"] == "QT" for o in asc)
    desc = erp.get("/api/v3/SalesOrders/SO", params={"orderBy": "orderId desc"}).json()["value"]
    assert [o["orderId"] for o in desc] == sorted((o["orderId"] for o in desc), reverse=True)
    middle = stamps[2]
    since = erp.get("/api/v3/SalesOrders/QT", params={"modifiedSince": middle, "orderBy": "lastModified asc"}).json()
    assert [o["lastModified"] for o in since["value"]] == stamps[2:]
    offset = erp.get("/api/v3/SalesOrders/QT", params={"modifiedSince": "2020-01-01T01:00:00+01:00"}).json()
    assert offset["totalCount"] == 5
    assert erp.get("/api/v3/SalesOrders", params={"filter": "00010"}).json()["totalCount"] == 9


def test_create_then_read_back(sandbox, erp):
    response = erp.post("/api/v3/SalesOrders", json=new_order())
    assert response.status_code == 201, response.text
    assert response.content == b""
    location = response.headers["location"]
    assert location.endswith("/api/v3/SalesOrders/SO/000111")
    got = erp.get("/api/v3/salesorders/SO/000111", params={"expand": "Customer,Note"})
    order = got.json()
    assert got.headers["etag"] == f'"{order["version"]}"'
    assert order["status"]["description"] == "Hold" and order["customer"]["order"] == "WB-2026-0500"
    assert order["note"] == "Uitgevoerd op 30-10-2026." and "billing" not in order and "lines" not in order
    lines = erp.get("/api/v3/SalesOrders/SO/000111/lines").json()["value"]
    assert [(ln["inventory"]["id"], ln["unitPrice"]) for ln in lines] == [("ARBEID", 70.0), ("REISTIJD", 48.0), ("VOORRIJDEN", 39.5)]
    assert lines[0]["warehouseId"] == "BUS1" and lines[2]["note"] == "Voorrijden"
    assert erp.get("/api/v3/SalesOrders/SO/000111/lines/2").json()["inventory"]["id"] == "REISTIJD"
    assert_problem(erp.get("/api/v3/SalesOrders/SO/000111/lines/99"), 404)
    assert_problem(erp.get("/api/v3/SalesOrders/SO/999999"), 404)
    # Finding "a document I may already have made": list items carry customerOrder.
    listed = erp.get("/api/v3/SalesOrders/SO", params={"customerId": "10001", "orderBy": "created desc"}).json()
    assert listed["value"][0]["customerOrder"] == "WB-2026-0500"
    stored = sandbox.control.sales_order(T, "SO", "000111")
    assert len(stored["lines"]) == 3 and stored["customer"]["refNo"] == "J. de Vries"
    assert erp.post("/api/v3/SalesOrders", json=new_order(type="QT")).headers["location"].endswith("/QT/000206")


def test_create_validation_codes(sandbox, erp):
    inactive = next(c["number"] for c in erp.get("/v1/customer", params={"status": "Inactive"}).json())
    inactive_item = next(i["inventoryNumber"] for i in erp.get("/v1/inventory", params={"status": "Inactive"}).json())
    codes = validation_codes(erp.post("/api/v3/SalesOrders", json=new_order(
        customer={"id": inactive, "order": "x" * 41},
        description="d" * 256,
        orderLines=[{"inventoryId": "NOPE"}, {"inventoryId": inactive_item}, {"inventoryId": "ARBEID", "warehouseId": "XX"},
                    {"quantity": 1}, {"inventoryId": "ARBEID", "unitOfMeasure": "DOOS"},
                    {"inventoryId": "ARBEID", "quantity": -1}, {"inventoryId": "ARBEID", "discountPercent": 150}])))
    assert codes == {
        "Customer.Order": "0002-InvalidLength", "Customer.Id": "1407-InvalidCustomerStatus",
        "Description": "0002-InvalidLength",
        "OrderLines[0].InventoryId": "1804-InventoryIdNotFound", "OrderLines[1].InventoryId": "1804-InventoryIdNotFound",
        "OrderLines[2].WarehouseId": "1802-InvalidWarehouseId", "OrderLines[3].InventoryId": "0001-NullNotAllowed",
        "OrderLines[4].UnitOfMeasure": "1808-InvalidUnitOfMeasure", "OrderLines[5].Quantity": "1809-InvalidQuantityForType",
        "OrderLines[6].DiscountPercent": "0100-OutsideValidRange"}
    body = erp.post("/api/v3/SalesOrders", json={"customer": {"id": "10001"}}).json()
    assert body["title"] == "One or more validation errors occurred." and body["instance"] == "/api/v3/SalesOrders"
    assert body["errors"]["Type"] and body["details"][0]["code"] == "0001-NullNotAllowed"
    assert validation_codes(erp.post("/api/v3/SalesOrders", json={"type": "SO"})) == {"Customer": "0001-NullNotAllowed"}
    assert validation_codes(erp.post("/api/v3/SalesOrders", json=new_order(customer={"id": "NOPE"}))) == \
        {"Customer.Id": "0003-InvalidValue"}
    assert validation_codes(erp.post("/api/v3/SalesOrders", json=new_order(
        shipping={"preferredWarehouseId": "ZZZ", "address": {"line1": "x"}}))) == {
        "Shipping.PreferredWarehouseId": "1802-InvalidWarehouseId", "Shipping.Address.CountryId": "0001-NullNotAllowed"}
    assert validation_codes(erp.post("/api/v3/SalesOrders", json=new_order(type="CR"))) == {"Type": "0003-InvalidValue"}
    assert sandbox.control.sales_orders(T) and len(sandbox.control.sales_orders(T)) == 15


def test_if_match_required_on_writes(erp):
    path = "/api/v3/SalesOrders/SO/000102"
    tag = erp.get(path).headers["etag"]
    for method, url, body in (("PATCH", path, {"description": "x"}), ("DELETE", path, None),
                              ("POST", f"{path}/lines", {"lines": [{"inventoryId": "ARBEID", "quantity": 1}]}),
                              ("PATCH", f"{path}/lines", {"lines": [{"lineId": 1, "quantity": 3}]}),
                              ("DELETE", f"{path}/lines?ids=1", None)):
        assert_problem(erp.request(method, url, json=body), 428)
        assert_problem(erp.request(method, url, json=body, headers={"If-Match": '"AAAAAAAAAAE="'}), 412)
    accepted = erp.patch(path, json={"description": "Nieuwe omschrijving", "customer": {"order": "PO-1"}},
                         headers={"If-Match": tag})
    assert accepted.status_code == 202
    new_tag = erp.get(path).headers["etag"]
    assert new_tag != tag and accepted.headers["etag"] == new_tag
    order = erp.get(path, params={"expand": "Customer"}).json()
    assert order["description"] == "Nieuwe omschrijving" and order["customer"]["order"] == "PO-1"
    assert_problem(erp.patch(path, json={"description": "stale"}, headers={"If-Match": tag}), 412)


def test_lines_add_patch_delete(erp):
    path = "/api/v3/SalesOrders/SO/000103"
    tag = erp.get(path).headers["etag"]
    added = erp.post(f"{path}/lines", json={"lines": [{"inventoryId": "VOORRIJDEN", "quantity": 1}]}, headers={"If-Match": tag})
    assert added.status_code == 202
    lines = erp.get(f"{path}/lines").json()["value"]
    new_id = lines[-1]["lineId"]
    assert lines[-1]["inventory"]["id"] == "VOORRIJDEN"
    tag = added.headers["etag"]
    assert validation_codes(erp.patch(f"{path}/lines", json={"lines": [{"lineId": 999, "quantity": 1}]},
                                      headers={"If-Match": tag})) == {"Lines[0].LineId": "0200-LineIdDoesNotExist"}
    patched = erp.patch(f"{path}/lines", json={"lines": [{"lineId": new_id, "quantity": 2, "note": "twee"}]},
                        headers={"If-Match": tag})
    assert patched.status_code == 202
    assert erp.get(f"{path}/lines/{new_id}").json()["quantity"] == 2
    assert validation_codes(erp.delete(f"{path}/lines", params={"ids": "999"},
                                       headers={"If-Match": patched.headers["etag"]})) == {"Ids": "0200-LineIdDoesNotExist"}
    deleted = erp.delete(f"{path}/lines?ids={new_id}&ids=1", headers={"If-Match": patched.headers["etag"]})
    assert deleted.status_code == 202
    remaining = [ln["lineId"] for ln in erp.get(f"{path}/lines").json()["value"]]
    assert new_id not in remaining and 1 not in remaining
    gone = erp.delete(path, headers={"If-Match": deleted.headers["etag"]})
    assert gone.status_code == 202
    assert_problem(erp.get(path), 404)


def test_v3_customers(erp):
    found = erp.get("/api/v3/Customers", params={"filter": "10001"}).json()
    assert found["value"][0]["id"] == "10001"
    locations = erp.get("/api/v3/Customers/10001/locations").json()
    assert locations[0]["id"] == "MAIN"
    assert_problem(erp.get("/api/v3/Customers/NOPE/locations"), 404)
