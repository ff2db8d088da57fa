"""Small ERP reference lists: item classes, posting classes, warehouses, sales order types,
organization, branch and the legacy company list (reference §2.6, §7.4-7.6)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..core import Call, json_response
from ..errors import erp_not_found
from ..paging import erp_date_filter, erp_page
from ..store import Record
from .common import address, bool_param, erp_list


def render_item_class(rec: Record) -> dict[str, Any]:
    """ItemClassDto of a stored item class."""
    d = rec.data
    return {"id": d["id"], "description": d.get("description"), "type": d.get("type"),
            "attributes": d.get("attributes", []), "errorInfo": None}


async def list_item_classes(call: Call) -> Response:
    """GET /v1/inventory/itemClass"""
    return erp_list(call, "itemClass", render_item_class, delta=False)


async def get_item_class(call: Call) -> Response:
    """GET /v1/inventory/itemclass/{itemClassNumber}"""
    rec = call.store.get(call.tenant, "itemClass", call.params["itemClassNumber"])
    if rec is None:
        raise erp_not_found(f"Item class {call.params['itemClassNumber']} not found.")
    return json_response(render_item_class(rec))


async def list_posting_classes(call: Call) -> Response:
    """GET /v1/inventory/itemPostClass"""
    return erp_list(call, "postingClass",
                    lambda r: {"id": r.data["id"], "description": r.data.get("description")}, delta=False)


def _warehouse_address(data: dict[str, Any] | None) -> dict[str, Any]:
    """WarehouseAddressDto: the ERP Address without ``addressLine3``, plus type and validated."""
    rendered = {key: value for key, value in (address(data) or {}).items() if key != "addressLine3"}
    return {**rendered, "addressType": "Warehouse", "validated": False}


def render_warehouse(rec: Record) -> dict[str, Any]:
    """WarehouseDto of a stored warehouse (fixed locations and cost settings)."""
    d = rec.data
    return {
        "warehouseID": d["warehouseID"], "description": d.get("description"),
        "active": d.get("active", True), "branch": d.get("branch"),
        "replenishmentClass": None, "lockSitePICountEntry": False, "locationEntry": "Validate",
        "avgDefaultCost": "AverageCost", "fifoDefaultCost": "AverageCost",
        "receiptLocation": {"id": "R1", "description": "Ontvangst"},
        "shipLocation": {"id": "S1", "description": "Uitgifte"},
        "returnLocation": {"id": "R1", "description": "Ontvangst"},
        "dropShipLocation": None, "contact": None,
        "address": _warehouse_address(d.get("address")),
        "locations": d.get("locations", []),
        "timestamp": rec.tag,
    }


async def list_warehouses(call: Call) -> Response:
    """GET /v1/warehouse"""
    active = bool_param(call, "active")
    branch = call.request.query_params.get("branch")

    def keep(rec: Record) -> bool:
        if active is not None and rec.data.get("active", True) != active:
            return False
        return not (branch and (rec.data.get("branch") or {}).get("number") != branch)
    return erp_list(call, "warehouse", render_warehouse, predicate=keep, delta=False)


async def get_warehouse(call: Call) -> Response:
    """GET /v1/warehouse/{warehouseId}"""
    rec = call.store.get(call.tenant, "warehouse", call.params["warehouseId"])
    if rec is None:
        raise erp_not_found(f"Warehouse {call.params['warehouseId']} not found.")
    return json_response(render_warehouse(rec))


def render_order_type(rec: Record) -> dict[str, Any]:
    """SalesOrderTypeDto of a stored order type."""
    d = rec.data
    return {"orderType": d["orderType"], "active": d.get("active", True), "description": d.get("description"),
            "behavior": d.get("behavior"), "defaultOperation": d.get("defaultOperation", "Issue"),
            "customerDocumentType": d.get("customerDocumentType", "Invoice"), "errorInfo": None}


async def list_order_types(call: Call) -> Response:
    """GET /v1/salesordertype"""
    modified = erp_date_filter(call.request, "lastModifiedDateTime")
    records = call.store.list(call.tenant, "salesOrderType", modified=modified)
    return erp_list(call, "salesOrderType", render_order_type, records=records)


async def get_order_type(call: Call) -> Response:
    """GET /v1/salesordertype/{orderType}"""
    rec = call.store.get(call.tenant, "salesOrderType", call.params["orderType"])
    if rec is None:
        raise erp_not_found(f"Sales order type {call.params['orderType']} not found.")
    return json_response(render_order_type(rec))


async def list_organizations(call: Call) -> Response:
    """GET /v1/organization (cheap "is this token valid for this tenant" probe)."""
    assert call.company is not None
    erp_date_filter(call.request, "lastModifiedDateTime")
    org = dict(call.company.data.get("organization") or {})
    if bool_param(call, "expandBranches") is not False:
        org["branches"] = call.company.data.get("branches", [])
    return json_response([org] if org else [])


async def list_branches(call: Call) -> Response:
    """GET /v1/branch"""
    assert call.company is not None
    modified = erp_date_filter(call.request, "lastModifiedDateTime")
    branches = call.company.data.get("branches", [])
    if modified:
        op, value = modified
        checks = {">": str.__gt__, "<": str.__lt__, ">=": str.__ge__, "<=": str.__le__}
        branches = [b for b in branches if checks[op](b.get("lastModifiedDateTime", ""), value)]
    page, _meta = erp_page(call.request, branches, int(call.setting("maxPageSize")))
    return json_response(page)


async def list_contexts(call: Call) -> Response:
    """GET /resources/v1/context (legacy company list).

    Interactive tokens list every company their user reaches; service tokens their own tenant.
    """
    assert call.company is not None
    auth = call.sandbox.auth
    token = call.request.headers["authorization"][7:].strip()
    grant = auth.access[token]
    tenants = {call.company.tenant_id.lower()}
    if grant.user and grant.user in auth.users:
        tenants |= {t.lower() for t in auth.users[grant.user].get("tenants", [])}
    return json_response([{"id": c.number, "name": c.name, "type": "Company"}
                          for c in call.store.companies() if c.tenant_id.lower() in tenants])
