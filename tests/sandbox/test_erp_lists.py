"""ERP list behaviour: paging and clamping, metadata, delta filters and their 400s, filters,
and control-plane changes showing up in the API."""

from __future__ import annotations

from vismanet_sandbox import demo

from .conftest import assert_exception_envelope

T = demo.DEMO_TENANT_ID


def page_all(client, path, page_size, **params):
    seen, page = [], 1
    while True:
        items = client.get(path, params={"pageNumber": page, "pageSize": page_size, **params}).json()
        seen += items
        if len(items) < page_size:
            return seen
        page += 1


def test_demo_seed_sizes(erp, small):
    customers = page_all(erp, "/v1/customer", 1000)
    assert len(customers) >= 300
    statuses = {c["status"] for c in customers}
    assert {"Active", "Inactive", "OnHold"} <= statuses
    assert any(c["mainAddress"]["country"]["id"] == "BE" for c in customers)
    assert any(c["mainAddress"]["country"]["id"] in ("SE", "DK", "NO", "FI") for c in customers)
    assert any(c["invoiceAddress"]["addressId"] != c["mainAddress"]["addressId"] for c in customers)
    assert any(ch in "".join(c["name"] for c in customers) for ch in "ëïéöü")
    items = page_all(erp, "/v1/inventory", 5000)
    nonstock = [i for i in items if not i["stockItem"]]
    assert len(nonstock) == 150 and sum(i["stockItem"] for i in items) == 30
    by_number = {i["inventoryNumber"]: i for i in items}
    assert (by_number["ARBEID"]["baseUnit"], by_number["REISTIJD"]["baseUnit"], by_number["VOORRIJDEN"]["baseUnit"]) == ("UUR", "UUR", "STK")
    assert all(by_number[n]["status"] == "Active" for n in ("ARBEID", "REISTIJD", "VOORRIJDEN"))
    assert {w["warehouseID"] for w in erp.get("/v1/warehouse").json()} == {"HOOFD", "BUS1", "BUS2"}
    assert {"SO", "QT"} <= {t["orderType"] for t in erp.get("/v1/salesordertype").json()}
    orders = erp.get("/api/v3/SalesOrders/SO").json()["value"]
    assert len(orders) == 10 and sum("werkbon" in o["description"].lower() for o in orders) == 3
    assert erp.get("/api/v3/SalesOrders/QT").json()["totalCount"] == 5
    assert len(small.get("/v1/warehouse").json()) == 1
    more = [loc for loc in page_all(erp, "/v1/location", 1000) if loc["locationId"] != "MAIN"]
    assert more


def test_paging_metadata_and_silent_clamp(sandbox, erp):
    sandbox.control.settings(T, maxPageSize=50)
    first = erp.get("/v1/customer", params={"pageNumber": 1, "pageSize": 500}).json()
    assert len(first) == 50
    assert first[0]["metadata"] == {"totalCount": 330, "maxPageSize": 50}
    numbers = [c["number"] for c in page_all(erp, "/v1/customer", 50)]
    assert len(numbers) == len(set(numbers)) == 330
    internal = [c["internalId"] for c in page_all(erp, "/v1/customer", 50)]
    assert internal == sorted(internal)
    assert erp.get("/v1/customer", params={"pageNumber": 99, "pageSize": 50}).json() == []
    inventory = erp.get("/v1/inventory", params={"pageSize": 9000}).json()
    assert inventory[0]["metadata"]["maxPageSize"] == 5000 and len(inventory) == 180


def test_paging_stays_exact_when_records_are_inserted(sandbox, erp):
    first = erp.get("/v1/customer", params={"pageNumber": 1, "pageSize": 100}).json()
    sandbox.control.add_customer(T, {"number": "99999", "name": "Nieuwe Klant B.V."})
    rest = page_all(erp, "/v1/customer", 100)[100:]
    numbers = [c["number"] for c in first + rest]
    assert len(numbers) == len(set(numbers)) == 331 and numbers[-1] == "99999"


def test_bad_paging_values(erp):
    assert_exception_envelope(erp.get("/v1/customer", params={"pageNumber": 0}), 400)
    assert_exception_envelope(erp.get("/v1/customer", params={"pageSize": "x"}), 400)


def test_delta_filter_operators_and_formats(sandbox, erp):
    sandbox.control.change_customer(T, "10005", {"name": "Gewijzigd B.V.", "lastModifiedDateTime": "2030-01-02T03:04:05.678"})
    sandbox.control.change_customer(T, "10006", {"name": "Ook gewijzigd", "lastModifiedDateTime": "2030-01-02T03:04:05.678"})
    for value in ("2030-01-02", "2030-01-02 03:04:05", "2030-01-02 03:04:05.678", "2030-01-02T03:04:05",
                  "2030-01-02T03:04:05.678"):
        got = erp.get("/v1/customer", params={"lastModifiedDateTime": value, "lastModifiedDateTimeCondition": ">="}).json()
        assert {c["number"] for c in got} == {"10005", "10006"}, value
    equal = {"lastModifiedDateTime": "2030-01-02T03:04:05.678"}
    assert erp.get("/v1/customer", params=equal | {"lastModifiedDateTimeCondition": ">"}).json() == []
    assert len(erp.get("/v1/customer", params=equal | {"lastModifiedDateTimeCondition": "<"}).json()) == 328
    assert len(erp.get("/v1/customer", params=equal | {"lastModifiedDateTimeCondition": "<="}).json()) == 330
    item = erp.get("/v1/customer/10005").json()
    assert item["lastModifiedDateTime"] == "2030-01-02T03:04:05.678" and item["name"] == "Gewijzigd B.V."


def test_delta_filter_errors(erp):
    assert_exception_envelope(erp.get("/v1/customer", params={"lastModifiedDateTime": "2026-01-01"}), 400, "mutually inclusive")
    assert_exception_envelope(erp.get("/v1/inventory", params={"lastModifiedDateTimeCondition": ">"}), 400, "mutually inclusive")
    assert_exception_envelope(erp.get("/v1/customer", params={"lastModifiedDateTime": "2026-01-01",
                                                              "lastModifiedDateTimeCondition": "=="}), 400)
    assert_exception_envelope(erp.get("/v1/customer", params={"lastModifiedDateTime": "01-01-2026",
                                                              "lastModifiedDateTimeCondition": ">"}), 400)
    assert_exception_envelope(erp.get("/v1/customer", params={"lastModifiedDateTime": "2026-01-01T00:00:00+01:00",
                                                              "lastModifiedDateTimeCondition": ">"}), 400)


def test_timestamps_and_etag(erp):
    response = erp.get("/v1/customer/10001")
    body = response.json()
    assert response.headers["etag"] == f'"{body["timeStamp"]}"'
    import re
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", body["lastModifiedDateTime"])
    same = erp.get(f"/v1/customer/internal/{body['internalId']}").json()
    assert same["number"] == "10001"
    assert_exception_envelope(erp.get("/v1/customer/NOPE"), 404, "not found")


def test_customer_and_inventory_filters(erp):
    inactive = erp.get("/v1/customer", params={"status": "Inactive"}).json()
    assert inactive and all(c["status"] == "Inactive" for c in inactive)
    assert_exception_envelope(erp.get("/v1/customer", params={"status": "Weird"}), 400)
    labor = erp.get("/v1/inventory", params=[("inventoryTypes", "LaborItem"), ("inventoryTypes", "ServiceItem")]).json()
    assert {i["type"] for i in labor} == {"LaborItem", "ServiceItem"}
    comma = erp.get("/v1/inventory", params={"inventoryTypes": "LaborItem,ServiceItem"}).json()
    assert len(comma) == len(labor)
    slim = erp.get("/v1/inventory", params={"status": "Active", "expandAttachment": "false", "expandNote": "false",
                                            "expandWarehouseDetail": "false"}).json()
    assert all(i["status"] == "Active" for i in slim) and "warehouseDetails" not in slim[0]
    assert_exception_envelope(erp.get("/v1/inventory", params={"expandNote": "maybe"}), 400)
    assert_exception_envelope(erp.get("/v1/inventory", params={"inventoryTypes": "Gadget"}), 400)
    one = erp.get("/v1/inventory/ARBEID")
    assert one.headers["etag"] == f'"{one.json()["timestamp"]}"'
    assert erp.get(f"/v1/inventory/internal/{one.json()['inventoryId']}").json()["inventoryNumber"] == "ARBEID"


def test_locations(erp):
    with_extra = next(c for c in erp.get("/v1/location", params={"locationId": "LOC01"}).json())
    number = with_extra["baccount"]["number"]
    locations = erp.get(f"/v1/location/{number}").json()
    assert {"MAIN", "LOC01"} <= {loc["locationId"] for loc in locations}
    one = erp.get(f"/v1/location/{number}/LOC01").json()
    assert one["baccount"]["number"] == number and "active" in one
    assert_exception_envelope(erp.get("/v1/location/NOPE"), 404)
    assert_exception_envelope(erp.get(f"/v1/location/{number}/NOPE"), 404)


def test_reference_lists(erp):
    classes = erp.get("/v1/inventory/itemClass").json()
    assert {"DIENST", "MATERIAAL"} <= {c["id"] for c in classes}
    assert erp.get("/v1/inventory/itemclass/DIENST").json()["type"] == "LaborItem"
    assert erp.get("/v1/inventory/itemPostClass").json()
    assert erp.get("/v1/customer/customerClass").json()
    assert erp.get("/v1/warehouse/HOOFD").json()["warehouseID"] == "HOOFD"
    assert erp.get("/v1/salesordertype/QT").json()["behavior"] == "Quote"
    assert erp.get("/v1/organization").json()[0]["name"] == demo.DEMO_COMPANY_NAME
    assert erp.get("/v1/branch").json()[0]["number"] == "1"
    assert erp.get("/API/resources/v1/context").json()[0]["id"] == demo.DEMO_COMPANY_NUMBER


def test_control_changes_visible(sandbox, erp):
    added = sandbox.control.add_customer(T, {"number": "C-NEW", "name": "Ærø Installatie A/S", "status": "Active",
                                              "mainAddress": {"addressLine1": "Havnegade 1", "postalCode": "5970",
                                                              "city": "Ærøskøbing", "countryId": "DK"}})
    got = erp.get("/v1/customer/C-NEW").json()
    assert got["name"] == "Ærø Installatie A/S" and got["mainAddress"]["country"]["name"] == "Denmark"
    assert got["lastModifiedDateTime"] == added["lastModifiedDateTime"]
    assert erp.get("/v1/location/C-NEW/MAIN").status_code == 200
    sandbox.control.add_location(T, {"customer": "C-NEW", "locationId": "WERF", "locationName": "Bouwplaats"})
    assert {loc["locationId"] for loc in erp.get("/v1/location/C-NEW").json()} == {"MAIN", "WERF"}
    before = got["lastModifiedDateTime"]
    sandbox.control.deactivate_customer(T, "C-NEW")
    after = erp.get("/v1/customer/C-NEW").json()
    assert after["status"] == "Inactive" and after["lastModifiedDateTime"] >= before
    assert after["timeStamp"] != got["timeStamp"]
    sandbox.control.delete_customer(T, "C-NEW")
    assert erp.get("/v1/customer/C-NEW").status_code == 404
    sandbox.control.add_item(T, {"inventoryNumber": "NIEUW", "description": "Nieuw artikel", "type": "NonStockItem",
                                 "baseUnit": "STK", "defaultPrice": 12.5})
    assert erp.get("/v1/inventory/NIEUW").json()["defaultPrice"] == 12.5
    sandbox.control.deactivate_item(T, "NIEUW")
    assert erp.get("/v1/inventory/NIEUW").json()["status"] == "Inactive"
    sandbox.control.delete_item(T, "NIEUW")
    assert erp.get("/v1/inventory/NIEUW").status_code == 404


def test_bulk_add_and_large_paging(sandbox, erp):
    import time
    started = time.monotonic()
    added = sandbox.control.add_customers(T, [{"number": f"B{n:05d}", "name": f"Bulk {n}"} for n in range(3000)])
    assert added == 3000
    numbers = [c["number"] for c in page_all(erp, "/v1/customer", 1000)]
    assert len(numbers) == len(set(numbers)) == 3330
    assert time.monotonic() - started < 30
