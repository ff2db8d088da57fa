"""ERP inventory items: ``GET /v1/inventory``, ``/v1/inventory/{inventoryNumber}``,
``/v1/inventory/internal/{inventoryId}`` (reference §7.3)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..core import Call, etag, json_response
from ..errors import erp_not_found, erp_validation
from ..paging import erp_date_filter
from ..store import Record
from .common import bool_param, erp_list, ref

STATUSES = ("Active", "NoSales", "NoPurchases", "NoRequest", "Inactive", "MarkedForDeletion")
TYPES = ("NonStockItem", "LaborItem", "ServiceItem", "ChargeItem", "ExpenseItem",
         "FinishedGoodItem", "ComponentPartItem", "SubassemblyItem")
UNSELLABLE = ("NoSales", "Inactive", "MarkedForDeletion")
EXPANDS = ("expandCrossReference", "expandAttachment", "expandAttribute", "expandWarehouseDetail",
           "expandAccountInformation", "expandInventoryUnits", "expandSupplierDetails",
           "expandSalesCategories", "expandNote", "addCostPriceStatistics")


def render(rec: Record, expand: dict[str, bool | None] | None = None,
           attachments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """InventoryDto. The spec says expand flags default to true, so None counts as expanded."""
    d = rec.data
    expand = expand or {}

    def on(flag: str) -> bool:
        return expand.get(flag) is not False

    item_class = d.get("itemClass") or {}
    dto: dict[str, Any] = {
        "inventoryId": rec.internal_id,
        "inventoryNumber": d["inventoryNumber"],
        "status": d.get("status", "Active"),
        "type": d.get("type", "NonStockItem"),
        "description": d.get("description"),
        "body": d.get("body"),
        "itemClass": {"id": item_class.get("id"), "description": item_class.get("description"),
                      "type": item_class.get("type"), "attributes": []} if item_class else None,
        "postingClass": ref(d.get("postingClassId"), d.get("postingClassDescription")),
        "vatCode": ref(d.get("vatCodeId", "H"), d.get("vatCodeDescription", "BTW hoog 21%")),
        "lotSerialClass": None,
        "defaultPrice": d.get("defaultPrice", 0.0),
        "recommendedPrice": d.get("recommendedPrice", d.get("defaultPrice", 0.0)),
        "pendingCost": 0.0,
        "currentCost": d.get("currentCost", 0.0),
        "lastCost": d.get("currentCost", 0.0),
        "baseUnit": d.get("baseUnit", "STK"),
        "salesUnit": d.get("salesUnit", d.get("baseUnit", "STK")),
        "purchaseUnit": d.get("purchaseUnit", d.get("baseUnit", "STK")),
        "stockItem": bool(d.get("stockItem", False)),
        "kitItem": bool(d.get("kitItem", False)),
        "defaultWarehouse": ref(d.get("defaultWarehouseId")),
        "defaultIssueFrom": None,
        "defaultReceiptTo": None,
        "priceClass": None,
        "lastModifiedDateTime": rec.modified,
        "timestamp": rec.tag,
        "errorInfo": None,
    }
    if on("expandWarehouseDetail"):
        dto["warehouseDetails"] = [
            {"warehouse": {"id": w, "description": None}, "isDefault": w == d.get("defaultWarehouseId"),
             "quantityOnHand": q, "available": q} for w, q in (d.get("stock") or {}).items()]
    if on("expandInventoryUnits"):
        dto["inventoryUnits"] = [{"toUnit": dto["baseUnit"], "fromUnit": dto["salesUnit"],
                                  "unitRate": 1.0, "unitMultDiv": "Multiply"}]
    if on("expandCrossReference"):
        dto["crossReferences"] = d.get("crossReferences", [])
    if on("expandAttribute"):
        dto["attributes"] = d.get("attributes", [])
    if on("expandSalesCategories"):
        dto["salesCategories"] = []
    if on("expandSupplierDetails"):
        dto["supplierDetails"] = []
    if on("expandNote"):
        dto["note"] = d.get("note")
    if on("expandAttachment"):
        dto["attachments"] = attachments or []
    return dto


def _expand(call: Call) -> dict[str, bool | None]:
    return {flag: bool_param(call, flag) for flag in EXPANDS}


async def list_inventory(call: Call) -> Response:
    """GET /v1/inventory"""
    q = call.request.query_params
    status = q.get("status")
    if status and status not in STATUSES:
        raise erp_validation(f"Invalid status '{status}'. Valid values: {', '.join(STATUSES)}.")
    types: set[str] = set()
    for raw in q.getlist("inventoryTypes") + q.getlist("inventoryTypes[]"):
        for value in raw.split(","):
            if value.strip():
                if value.strip() not in TYPES:
                    raise erp_validation(f"Invalid inventoryTypes value '{value.strip()}'.")
                types.add(value.strip())
    for name in ("availabilityLastModifiedDateTime", "attachmentLastModifiedDateTime"):
        erp_date_filter(call.request, name)  # validated; availability/attachment dates not tracked
    if q.get("salesCategory") and not q["salesCategory"].isdigit():
        raise erp_validation(f"The value '{q['salesCategory']}' is not valid for salesCategory.")
    expand = _expand(call)

    def keep(rec: Record) -> bool:
        d = rec.data
        if status and d.get("status", "Active") != status:
            return False
        if types and d.get("type") not in types:
            return False
        if q.get("inventoryNumber") and q["inventoryNumber"].lower() not in d["inventoryNumber"].lower():
            return False
        if q.get("description") and q["description"].lower() not in (d.get("description") or "").lower():
            return False
        if q.get("alternateID"):
            return any(x.get("alternateID") == q["alternateID"] for x in d.get("crossReferences", []))
        # No sales categories are seeded: a salesCategory filter matches nothing.
        return not q.get("salesCategory")

    filtered = bool(status or types or any(
        q.get(name) for name in ("inventoryNumber", "description", "alternateID", "salesCategory")))
    return erp_list(call, "inventory", lambda r: render(r, expand), predicate=keep if filtered else None,
                    inventory=True)


def _found(call: Call, rec: Record | None, what: str) -> Response:
    if rec is None:
        raise erp_not_found(f"Inventory item {what} not found.")
    from .attachments import attachments_of

    dto = render(rec, _expand(call), attachments_of(call, f"inventory:{rec.key}"))
    return json_response(dto, headers={"ETag": etag(rec.tag)})


async def get_inventory(call: Call) -> Response:
    """GET /v1/inventory/{inventoryNumber}"""
    number = call.params["inventoryNumber"]
    return _found(call, call.store.get(call.tenant, "inventory", number), number)


async def get_inventory_internal(call: Call) -> Response:
    """GET /v1/inventory/internal/{inventoryId}"""
    raw = call.params["inventoryId"]
    if not raw.isdigit():
        raise erp_validation(f"The value '{raw}' is not valid for inventoryId.")
    return _found(call, call.store.get_internal(call.tenant, "inventory", int(raw)), raw)
