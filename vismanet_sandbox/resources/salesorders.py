"""Sales Orders v3 (reference §8): list (all types / one type), get with ``expand``, create
(``NewSalesOrderCommand``), patch, delete, and the ``/lines`` operations. Writes other than
create need ``If-Match`` (missing → 428, mismatch → 412); validation failures answer
``SalesOrderValidationProblemDetails`` with Visma's error codes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from starlette.responses import Response

from ..core import Call, etag, if_match_values, json_response
from ..errors import ValidationIssues, problem
from ..paging import parse_v3_datetime, v3_page
from ..store import Record
from .attachments import attachments_of
from .inventory import UNSELLABLE

NULL, LENGTH, INVALID, NOT_ALLOWED, STATE, RANGE = (
    "0001-NullNotAllowed", "0002-InvalidLength", "0003-InvalidValue", "0004-ValueNotAllowed",
    "0005-InvalidState", "0100-OutsideValidRange")
LINE_MISSING = "0200-LineIdDoesNotExist"
BAD_CUSTOMER_STATUS, BAD_WAREHOUSE, ITEM_NOT_FOUND = (
    "1407-InvalidCustomerStatus", "1802-InvalidWarehouseId", "1804-InventoryIdNotFound")
BAD_UOM, BAD_QUANTITY, LINE_COMPLETED = (
    "1808-InvalidUnitOfMeasure", "1809-InvalidQuantityForType", "1810-LineAlreadyCompleted")

HEADER_LIMITS = {"orderId": 15, "description": 255, "note": 2048, "branchId": 30, "currencyId": 5,
                 "projectId": 30, "salesPersonId": 15, "originalOrderType": 2, "originalOrderId": 15}
CUSTOMER_LIMITS = {"order": 40, "refNo": 40}
ADDRESS_LIMITS = {"line1": 50, "line2": 50, "line3": 50, "postalCode": 20, "city": 50, "countryId": 2,
                  "stateId": 50}
CONTACT_LIMITS = {"name": 255, "attention": 255, "email": 255, "phone1": 50}
SHIPPING_LIMITS = {"preferredWarehouseId": 30, "shipViaId": 15, "termsId": 15, "zoneId": 15, "fobPointId": 15}
FINANCIAL_LIMITS = {"invoiceId": 15, "postPeriod": 6}
PAYMENT_LIMITS = {"cashAccountId": 10, "paymentReference": 40}
LINE_LIMITS = {"unitOfMeasure": 6, "description": 256, "note": 2048, "discountCode": 10, "branchId": 30,
               "salesPersonId": 15, "salesAccountId": 10, "projectTaskId": 30, "externalLink": 255}
LINE_FIELDS = {"inventoryId", "quantity", "unitPrice", "hasManualPrice", "unitOfMeasure", "warehouseId",
               "warehouseLocationId", "description", "note", "unitCost", "discountPercent", "discountAmount",
               "discountCode", "hasManualDiscount", "operation", "requestDate", "shipDate", "shippingRule",
               "branchId", "salesPersonId", "salesAccountId", "subaccount", "taxCategoryId", "projectTaskId",
               "reasonCode", "externalLink", "commissionable", "purchaseOrderSource", "supplierId",
               "supplierPrice", "overshipThreshold", "undershipThreshold", "sortOrder", "lineId"}
CLOSED = ("Completed", "Cancelled", "Invoiced", "Voided")
EXPANDS = ("None", "Billing", "Payment", "FinancialInformation", "Shipping", "Customer", "Owner",
           "Origin", "Note", "Freight", "Attachments", "All")
ORDER_BY = re.compile(r"^\s*(created|lastModified|orderId)(?:\s+(asc|desc))?\s*$", re.IGNORECASE)


def v3_time(ts: str) -> str:
    """v3 date-times are emitted in UTC with ``Z``."""
    return ts + "Z"


def _date_only(value: str | None) -> str | None:
    return value[:10] + "T00:00:00" if value else None


# -- validation -----------------------------------------------------------------------------

class Checker:
    """Validates one command body against the company's data, collecting every issue."""

    def __init__(self, call: Call) -> None:
        self.call = call
        self.issues = ValidationIssues()

    def text(self, obj: dict[str, Any], name: str, limit: int | None, prop: str) -> None:
        """Check an optional string field against its maximum length."""
        value = obj.get(name)
        if value is None:
            return
        if not isinstance(value, str):
            self.issues.add(prop, INVALID, f"{prop} must be a string")
        elif limit is not None and len(value) > limit:
            self.issues.add(prop, LENGTH, f"The length of '{prop}' must be {limit} characters or fewer. "
                                          f"You entered {len(value)} characters.")

    def number(self, obj: dict[str, Any], name: str, prop: str, lo: float | None = None,
               hi: float | None = None) -> None:
        """Check an optional numeric field (bool rejected) against ``[lo, hi]``."""
        value = obj.get(name)
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.issues.add(prop, INVALID, f"{prop} must be a number")
        elif (lo is not None and value < lo) or (hi is not None and value > hi):
            self.issues.add(prop, RANGE, f"{prop} must be between {lo} and {hi}")

    def date(self, obj: dict[str, Any], name: str, prop: str) -> None:
        """Check an optional ISO 8601 date-time field."""
        value = obj.get(name)
        if value is None:
            return
        try:
            datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            self.issues.add(prop, INVALID, f"{prop} is not a valid date-time")

    def enum(self, obj: dict[str, Any], name: str, allowed: tuple[str, ...], prop: str) -> None:
        """Check an optional field against its allowed values."""
        value = obj.get(name)
        if value not in (None, "") and value not in allowed:
            self.issues.add(prop, NOT_ALLOWED, f"{prop} must be one of {', '.join(allowed)}")

    def limits(self, obj: Any, limits: dict[str, int], prefix: str) -> None:
        """Check an optional object's string fields against ``limits`` (name -> max length)."""
        if obj is None:
            return
        if not isinstance(obj, dict):
            self.issues.add(prefix.rstrip("."), INVALID, f"{prefix.rstrip('.')} must be an object")
            return
        for name, limit in limits.items():
            self.text(obj, name, limit, f"{prefix}{name[0].upper()}{name[1:]}")

    def address_contact(self, section: Any, prefix: str) -> None:
        """Check a billing/shipping section's address (CountryId required) and contact."""
        if not isinstance(section, dict):
            return
        addr = section.get("address")
        self.limits(addr, ADDRESS_LIMITS, f"{prefix}.Address.")
        if isinstance(addr, dict) and not addr.get("countryId"):
            self.issues.add(f"{prefix}.Address.CountryId", NULL, "CountryId is required when an address is given")
        self.limits(section.get("contact"), CONTACT_LIMITS, f"{prefix}.Contact.")

    def warehouse(self, value: Any, prop: str) -> None:
        """Check that an optional warehouse id exists and is active."""
        if value in (None, ""):
            return
        rec = self.call.store.get(self.call.tenant, "warehouse", str(value))
        if rec is None or not rec.data.get("active", True):
            self.issues.add(prop, BAD_WAREHOUSE, "Invalid Warehouse Id, or Warehouse Id not found")

    def line(self, raw: Any, prop: str, *, new: bool) -> dict[str, Any] | None:
        """Validate one line; returns the item record's data for new lines."""
        if not isinstance(raw, dict):
            self.issues.add(prop, INVALID, f"{prop} must be an object")
            return None
        item = None
        if new or "inventoryId" in raw:
            inv = raw.get("inventoryId")
            if inv is None or inv == "":
                self.issues.add(f"{prop}.InventoryId", NULL if inv is None else "0001-EmptyNotAllowed",
                                "InventoryId is required")
            else:
                rec = self.call.store.get(self.call.tenant, "inventory", str(inv))
                if rec is None or rec.data.get("status", "Active") in UNSELLABLE:
                    self.issues.add(f"{prop}.InventoryId", ITEM_NOT_FOUND, "InventoryId cannot be found or is invalid")
                else:
                    item = rec.data
        for name, limit in LINE_LIMITS.items():
            self.text(raw, name, limit, f"{prop}.{name[0].upper()}{name[1:]}")
        for name in ("quantity", "unitPrice", "unitCost", "discountAmount", "supplierPrice"):
            self.number(raw, name, f"{prop}.{name[0].upper()}{name[1:]}")
        self.number(raw, "discountPercent", f"{prop}.DiscountPercent", -100, 100)
        self.number(raw, "overshipThreshold", f"{prop}.OvershipThreshold", 100, 999)
        self.number(raw, "undershipThreshold", f"{prop}.UndershipThreshold", 0, 100)
        self.enum(raw, "operation", ("Issue", "Receipt"), f"{prop}.Operation")
        self.enum(raw, "shippingRule", ("CancelRemainder", "BackOrderAllowed", "ShipComplete"),
                  f"{prop}.ShippingRule")
        self.enum(raw, "purchaseOrderSource", ("dropShip", "purchaseToOrder"), f"{prop}.PurchaseOrderSource")
        self.date(raw, "requestDate", f"{prop}.RequestDate")
        self.date(raw, "shipDate", f"{prop}.ShipDate")
        self.warehouse(raw.get("warehouseId"), f"{prop}.WarehouseId")
        qty = raw.get("quantity")
        if isinstance(qty, int | float) and not isinstance(qty, bool) and qty < 0 and \
                (item or {}).get("type") != "ChargeItem":
            self.issues.add(f"{prop}.Quantity", BAD_QUANTITY,
                            "Quantity must be zero or positive when inventory item is not of type MiscCharge")
        uom = raw.get("unitOfMeasure")
        if item and isinstance(uom, str) and uom and \
                uom.upper() not in {str(item.get(u, "")).upper() for u in ("baseUnit", "salesUnit", "purchaseUnit")}:
            self.issues.add(f"{prop}.UnitOfMeasure", BAD_UOM, "Invalid Unit of Measure")
        unknown = set(raw) - LINE_FIELDS
        for name in sorted(unknown):
            self.issues.add(f"{prop}.{name}", INVALID, f"Unknown field '{name}'")
        return item

    def header(self, body: dict[str, Any], *, create: bool) -> None:
        """Validate the order header: text limits, status, dates, billing/shipping, customer and location.

        ``create`` requires the customer and restricts status to Open/Hold.
        """
        for name, limit in HEADER_LIMITS.items():
            self.text(body, name, limit, name[0].upper() + name[1:])
        self.enum(body, "status", ("Open", "Hold") if create else ("Open", "Hold", "BackOrder"), "Status")
        for name in ("date", "requestOn", "cancelBy"):
            self.date(body, name, name[0].upper() + name[1:])
        self.address_contact(body.get("billing"), "Billing")
        shipping = body.get("shipping")
        self.address_contact(shipping, "Shipping")
        self.limits(shipping, SHIPPING_LIMITS, "Shipping.")
        if isinstance(shipping, dict):
            self.enum(shipping, "rule", ("CancelRemainder", "BackOrderAllowed", "ShipComplete"), "Shipping.Rule")
            self.warehouse(shipping.get("preferredWarehouseId"), "Shipping.PreferredWarehouseId")
        self.limits(body.get("financialInformation"), FINANCIAL_LIMITS, "FinancialInformation.")
        self.limits(body.get("paymentSettings"), PAYMENT_LIMITS, "PaymentSettings.")
        customer = body.get("customer")
        if create and customer is None:
            self.issues.add("Customer", NULL, "Customer is required")
        if customer is None:
            return
        if not isinstance(customer, dict):
            self.issues.add("Customer", INVALID, "Customer must be an object")
            return
        for name, limit in CUSTOMER_LIMITS.items():
            self.text(customer, name, limit, f"Customer.{name[0].upper()}{name[1:]}")
        cid = customer.get("id")
        if create or "id" in customer:
            if cid in (None, ""):
                self.issues.add("Customer.Id", NULL, "Customer.Id is required")
                return
            rec = self.call.store.get(self.call.tenant, "customer", str(cid))
            if rec is None:
                self.issues.add("Customer.Id", INVALID, f"Customer '{cid}' cannot be found")
                return
            if rec.data.get("status", "Active") in ("Inactive", "OnHold"):
                self.issues.add("Customer.Id", BAD_CUSTOMER_STATUS,
                                f"Invalid Customer Status: '{rec.data.get('status')}'")
        loc = customer.get("locationId")
        if loc not in (None, "") and cid:
            loc_rec = self.call.store.get(self.call.tenant, "location", f"{cid}/{loc}")
            if loc_rec is None or not loc_rec.data.get("active", True):
                self.issues.add("Customer.LocationId", INVALID, f"Location '{loc}' cannot be found or is inactive")


# -- state changes ---------------------------------------------------------------------------

def _price(item: dict[str, Any], raw: dict[str, Any]) -> tuple[float, bool]:
    """Manual price only when given and not explicitly ``hasManualPrice: false`` (§8.4)."""
    if raw.get("unitPrice") is not None and raw.get("hasManualPrice") is not False:
        return float(raw["unitPrice"]), True
    return float(item.get("defaultPrice", 0.0)), False


def new_line(order: dict[str, Any], item: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    """A new stored order line for ``item`` from a validated command line; takes the next line id.

    The price is the item's default price unless a manual ``unitPrice`` is given (§8.4).
    """
    line_id = order.get("nextLineId", 1)
    order["nextLineId"] = line_id + 1
    price, manual = _price(item, raw)
    line = {
        "lineId": line_id, "sortOrder": len(order["lines"]) + 1,
        "inventoryId": item["inventoryNumber"], "inventoryDescription": item.get("description"),
        "baseUnit": item.get("baseUnit"), "stockItem": bool(item.get("stockItem")),
        "description": raw.get("description") or item.get("description"),
        "quantity": float(raw.get("quantity") or 0), "unitOfMeasure": raw.get("unitOfMeasure") or item.get("salesUnit"),
        "unitPrice": price, "hasManualPrice": manual, "unitCost": float(raw.get("unitCost") or item.get("currentCost", 0)),
        "discountPercent": float(raw.get("discountPercent") or 0), "discountAmount": float(raw.get("discountAmount") or 0),
        "discountCode": raw.get("discountCode"), "hasManualDiscount": bool(raw.get("hasManualDiscount")),
        "warehouseId": raw.get("warehouseId") or order.get("shipping", {}).get("preferredWarehouseId")
        or item.get("defaultWarehouseId"),
        "operation": raw.get("operation") or "Issue", "shippingRule": raw.get("shippingRule") or "CancelRemainder",
        "requestDate": raw.get("requestDate") or order.get("requestOn"), "shipDate": raw.get("shipDate") or order.get("requestOn"),
        "note": raw.get("note"), "completed": False,
    }
    for extra in ("branchId", "salesPersonId", "salesAccountId", "subaccount", "taxCategoryId", "projectTaskId",
                  "reasonCode", "externalLink", "commissionable", "purchaseOrderSource", "supplierId",
                  "supplierPrice", "overshipThreshold", "undershipThreshold"):
        if raw.get(extra) is not None:
            line[extra] = raw[extra]
    return line


def patch_line(call: Call, line: dict[str, Any], raw: dict[str, Any]) -> None:
    """Apply a validated line patch to ``line`` in place; a new item resets the price."""
    if raw.get("inventoryId"):
        item = call.store.get(call.tenant, "inventory", raw["inventoryId"])
        assert item is not None
        line.update(inventoryId=item.data["inventoryNumber"], inventoryDescription=item.data.get("description"),
                    baseUnit=item.data.get("baseUnit"))
        if raw.get("unitPrice") is None:
            line["unitPrice"] = float(item.data.get("defaultPrice", 0.0))
    if raw.get("unitPrice") is not None:
        line["unitPrice"] = float(raw["unitPrice"])
        line["hasManualPrice"] = raw.get("hasManualPrice") is not False
    for name in LINE_FIELDS - {"lineId", "inventoryId", "unitPrice", "hasManualPrice"}:
        if name in raw:
            line[name] = raw[name]


def _line_total(line: dict[str, Any]) -> float:
    gross = line["quantity"] * line["unitPrice"]
    discount = line.get("discountAmount") or gross * (line.get("discountPercent") or 0) / 100
    return round(gross - discount, 2)


def render_line(call: Call, order_key: str, line: dict[str, Any]) -> dict[str, Any]:
    """SalesOrderLineDto."""
    total = _line_total(line)
    return {
        "lineId": line["lineId"], "sortOrder": line["sortOrder"],
        "lineType": "GoodsForInventory" if line.get("stockItem") else "NonStockItem",
        "inventory": {"id": line["inventoryId"], "description": line.get("inventoryDescription"),
                      "baseUnit": line.get("baseUnit")},
        "inventoryAlternateId": None, "description": line.get("description"),
        "quantity": line["quantity"], "baseOrderQuantity": line["quantity"],
        "openQuantity": 0.0 if line.get("completed") else line["quantity"],
        "quantityOnShipments": 0.0, "billedQuantity": 0.0, "unitOfMeasure": line.get("unitOfMeasure"),
        "unitPrice": line["unitPrice"], "unitCost": line.get("unitCost", 0.0), "replacementUnitCost": 0.0,
        "extendedPrice": total, "lineTotalBeforeDiscount": round(line["quantity"] * line["unitPrice"], 2),
        "discountPercent": line.get("discountPercent", 0.0), "discountAmount": line.get("discountAmount", 0.0),
        "discountCode": line.get("discountCode"), "discountSequenceId": None,
        "hasManualPrice": line.get("hasManualPrice", False), "hasManualDiscount": line.get("hasManualDiscount", False),
        "freeItem": False, "warehouseId": line.get("warehouseId"), "warehouseLocation": None,
        "operation": line.get("operation", "Issue"), "shippingRule": line.get("shippingRule"),
        "requestDate": line.get("requestDate"), "shipDate": line.get("shipDate"), "orderDate": None,
        "completed": line.get("completed", False), "openLine": not line.get("completed", False),
        "note": line.get("note"), "branch": None, "salesPerson": None,
        "salesAccountId": line.get("salesAccountId"), "subaccount": line.get("subaccount"),
        "taxCategoryId": line.get("taxCategoryId"), "projectTaskId": line.get("projectTaskId"),
        "purchaseOrderSource": line.get("purchaseOrderSource"), "supplier": None,
        "supplierPrice": line.get("supplierPrice"), "reasonCode": line.get("reasonCode"),
        "commissionable": line.get("commissionable", False), "externalLink": line.get("externalLink"),
        "overshipThreshold": line.get("overshipThreshold", 100.0),
        "undershipThreshold": line.get("undershipThreshold", 100.0),
        "attachments": attachments_of(call, f"salesOrder:{order_key}", line["lineId"]),
    }


def _totals(data: dict[str, Any]) -> tuple[float, float, float]:
    qty = sum(ln["quantity"] for ln in data["lines"])
    net = round(sum(_line_total(ln) for ln in data["lines"]), 2)
    tax = round(net * 0.21, 2)
    return qty, net, tax


def render_list_item(call: Call, rec: Record) -> dict[str, Any]:
    """SalesOrderListDto."""
    d = rec.data
    qty, net, tax = _totals(d)
    path = f"/api/v3/SalesOrders/{d['type']}/{d['orderId']}"
    return {
        "orderId": d["orderId"], "type": d["type"], "status": d["status"], "date": d.get("date"),
        "requestOn": d.get("requestOn"), "shippingScheduledDate": d.get("shipping", {}).get("scheduledDate"),
        "lastModified": v3_time(rec.modified), "customerId": d["customer"]["id"],
        "customerName": d["customer"].get("name"), "customerOrder": d["customer"].get("order"),
        "customerRefNo": d["customer"].get("refNo"), "location": d["customer"].get("locationId"),
        "description": d.get("description"), "currency": d.get("currencyId", "EUR"),
        "orderQty": qty, "orderTotal": round(net + tax, 2),
        "_links": {"self": {"href": call.absolute(path)}, "lines": {"href": call.absolute(path + "/lines")}},
    }


def _addr_read(addr: dict[str, Any] | None) -> dict[str, Any] | None:
    if not addr:
        return None
    return {"id": addr.get("id"), "line1": addr.get("line1"), "line2": addr.get("line2"),
            "line3": addr.get("line3"), "postalCode": addr.get("postalCode"), "city": addr.get("city"),
            "country": {"id": addr.get("countryId"), "name": None}, "county": None,
            "overridesDefault": addr.get("overridesDefault", False)}


def _contact_read(contact: dict[str, Any] | None) -> dict[str, Any] | None:
    if not contact:
        return None
    return {"id": contact.get("id"), "name": contact.get("name"), "attention": contact.get("attention"),
            "email": contact.get("email"), "phone1": contact.get("phone1"), "phone2": None, "fax": None,
            "overridesDefault": contact.get("overridesDefault", False)}


def render_order(call: Call, rec: Record, expand: set[str]) -> dict[str, Any]:
    """SalesOrderDto; sections appear only when expanded, lines never."""
    d = rec.data

    def want(section: str) -> bool:
        return "All" in expand or section in expand

    qty, net, tax = _totals(d)
    dto: dict[str, Any] = {
        "type": d["type"], "orderId": d["orderId"],
        "status": {"description": d["status"], "hold": d["status"] == "Hold", "cancelled": d["status"] == "Cancelled"},
        "date": d.get("date"), "requestOn": d.get("requestOn"), "cancelBy": d.get("cancelBy"),
        "lastModified": v3_time(rec.modified), "createdBy": d.get("createdBy"),
        "currencyId": d.get("currencyId", "EUR"), "description": d.get("description"),
        "orderQty": qty,
        "totals": {"orderTotal": round(net + tax, 2), "taxTotal": tax, "taxableTotal": net, "taxExemptTotal": 0.0,
                   "discountTotal": 0.0, "freightTotal": 0.0, "unbilledAmount": round(net + tax, 2),
                   "unshippedAmount": round(net + tax, 2), "costTotal": 0.0,
                   "orderTotalInBaseCurrency": round(net + tax, 2), "taxTotalInBaseCurrency": tax},
        "branch": {"id": d.get("branchId", "1"), "description": None},
        "project": {"id": d["projectId"], "description": None, "internalId": None} if d.get("projectId") else None,
        "salesPerson": {"id": d["salesPersonId"], "description": None} if d.get("salesPersonId") else None,
        "originalOrderId": d.get("originalOrderId"), "originalOrderType": d.get("originalOrderType"),
        "print": d.get("print") or {"descriptionOnInvoice": False, "noteOnExternalDocuments": False,
                                    "noteOnInternalDocuments": False},
        "isRotRutDeductable": False,
        "useReplacementCostForMarginAndProfit": d.get("useReplacementCostForMarginAndProfit", False),
        "version": rec.tag,
    }
    if want("Note"):
        dto["note"] = d.get("note")
    if want("Customer"):
        c = d["customer"]
        dto["customer"] = {"id": c["id"], "internalId": c.get("internalId"), "name": c.get("name"),
                           "contactId": c.get("contactId"), "order": c.get("order"), "refNo": c.get("refNo"),
                           "location": {"id": c.get("locationId"), "internalId": None, "name": None,
                                        "countryId": c.get("countryId"), "corporateId": None, "gln": None,
                                        "taxRegistrationId": None, "warehouseId": None},
                           "taxZone": None}
    if want("Billing"):
        billing = d.get("billing") or {}
        dto["billing"] = {"address": _addr_read(billing.get("address")),
                          "contact": _contact_read(billing.get("contact"))}
    if want("Shipping"):
        s = d.get("shipping") or {}
        wh = s.get("preferredWarehouseId")
        dto["shipping"] = {"address": _addr_read(s.get("address")), "contact": _contact_read(s.get("contact")),
                           "fobPoint": None, "insurance": s.get("insurance", False),
                           "intrastatTransactionType": None,
                           "preferredWarehouse": {"id": wh, "description": None} if wh else None,
                           "priority": s.get("priority", 0), "residentialDelivery": s.get("residentialDelivery", False),
                           "rule": s.get("rule", "CancelRemainder"), "saturdayDelivery": s.get("saturdayDelivery", False),
                           "scheduledDate": s.get("scheduledDate"), "shipSeparately": s.get("shipSeparately", False),
                           "shipVia": None, "terms": None, "zone": None}
    if want("FinancialInformation"):
        f = d.get("financialInformation") or {}
        dto["financialInformation"] = {"invoiceDate": f.get("invoiceDate"), "dueDate": f.get("dueDate"),
                                       "cashDiscountDate": f.get("cashDiscountDate"), "invoiceId": f.get("invoiceId"),
                                       "invoiceSeparately": f.get("invoiceSeparately", False),
                                       "postPeriod": f.get("postPeriod"), "terms": None}
    if want("Payment"):
        p = d.get("paymentSettings") or {}
        dto["paymentSettings"] = {"cashAccountId": p.get("cashAccountId"), "paymentMethod": None,
                                  "paymentReference": p.get("paymentReference")}
    if want("Freight"):
        dto["freight"] = d.get("freight") or {"cost": 0.0, "premiumAmount": 0.0, "taxCategoryId": None}
    if want("Owner"):
        dto["owner"] = {"id": d.get("ownerId"), "internalId": None} if d.get("ownerId") else None
    if want("Origin"):
        dto["origin"] = ({"orderId": d["originalOrderId"], "orderType": d.get("originalOrderType"), "_links": {}}
                         if d.get("originalOrderId") else None)
    if want("Attachments"):
        dto["attachments"] = attachments_of(call, f"salesOrder:{rec.key}")
    return dto


# -- handlers -----------------------------------------------------------------------------

def _expand(call: Call) -> set[str]:
    values: set[str] = set()
    for raw in call.request.query_params.getlist("expand") + call.request.query_params.getlist("expand[]"):
        for part in raw.split(","):
            part = part.strip()
            if not part:
                continue
            match = next((e for e in EXPANDS if e.lower() == part.lower()), None)
            if match is None:
                raise problem(400, f"The value '{part}' is not valid for expand.", instance=call.path)
            values.add(match)
    return values


async def list_orders(call: Call) -> Response:
    """GET /api/v3/SalesOrders and GET /api/v3/SalesOrders/{type}"""
    q = call.request.query_params
    order_by = q.get("orderBy") or "orderId asc"
    m = ORDER_BY.match(order_by)
    if not m:
        raise problem(400, f"Invalid orderBy '{order_by}'. Use created, lastModified or orderId, "
                           "optionally followed by asc or desc.", instance=call.path)
    since = parse_v3_datetime(q["modifiedSince"], "modifiedSince", call.path) if q.get("modifiedSince") else None
    expand = _expand(call)
    order_type = call.params.get("type")
    records = call.store.list(call.tenant, "salesOrder", key_prefix=f"{order_type}/" if order_type else None,
                              modified=(">=", since) if since else None)
    customer, status, text = q.get("customerId"), q.get("status"), q.get("filter")
    records = [r for r in records
               if (not customer or r.data["customer"]["id"].lower() == customer.lower())
               and (not status or r.data["status"].lower() == status.lower())
               and (not text or text.lower() in r.data["orderId"].lower())]
    field = m.group(1).lower()
    sort_key = {"created": lambda r: (r.created, r.internal_id), "lastmodified": lambda r: (r.modified, r.internal_id),
                "orderid": lambda r: (r.data["orderId"], r.data["type"])}[field]
    records.sort(key=sort_key, reverse=(m.group(2) or "asc").lower() == "desc")
    # Since 10.92 any expand caps the effective page size at 100 (reference §4.2).
    body = v3_page(call.request, records, default_size=100, max_size=1000, cap=100 if expand else None)
    body["value"] = [render_list_item(call, r) for r in body["value"]]
    return json_response(body)


def _order(call: Call) -> Record:
    rec = call.store.get(call.tenant, "salesOrder", f"{call.params['type']}/{call.params['orderId']}")
    if rec is None:
        raise problem(404, f"Sales order {call.params['type']} {call.params['orderId']} was not found.",
                      instance=call.path)
    return rec


def _precondition(call: Call, rec: Record) -> None:
    wanted = if_match_values(call.request)
    if wanted is None:
        raise problem(428, "The If-Match header is required for this operation.", instance=call.path)
    if "*" not in wanted and rec.tag not in wanted:
        raise problem(412, "The order has been changed since it was read (If-Match does not match the "
                           "current version).", instance=call.path)


def _writable(call: Call, rec: Record) -> None:
    if rec.data["status"] in CLOSED:
        issues = ValidationIssues()
        issues.add("Status", STATE, f"The order has status '{rec.data['status']}' and cannot be changed")
        raise issues.error(call.path)


async def get_order(call: Call) -> Response:
    """GET /api/v3/SalesOrders/{type}/{orderId}"""
    rec = _order(call)
    return json_response(render_order(call, rec, _expand(call)), headers={"ETag": etag(rec.tag)})


def _customer_snapshot(call: Call, customer: dict[str, Any]) -> dict[str, Any]:
    rec = call.store.get(call.tenant, "customer", str(customer["id"]))
    assert rec is not None
    return {"id": rec.data["number"], "internalId": rec.internal_id, "name": rec.data.get("name"),
            "status": rec.data.get("status", "Active"),
            "countryId": (rec.data.get("mainAddress") or {}).get("countryId"),
            "locationId": customer.get("locationId") or "MAIN", "contactId": customer.get("contactId"),
            "order": customer.get("order"), "refNo": customer.get("refNo"), "termsId": customer.get("termsId")}


async def create_order(call: Call) -> Response:
    """POST /api/v3/SalesOrders (NewSalesOrderCommand): 201 + Location, no body."""
    body = await call.json_object()
    check = Checker(call)
    order_type = body.get("type")
    type_rec = None
    if order_type in (None, ""):
        check.issues.add("Type", NULL if order_type is None else "0001-EmptyNotAllowed", "Type is required")
    else:
        type_rec = call.store.get(call.tenant, "salesOrderType", str(order_type))
        if type_rec is None or not type_rec.data.get("active", True):
            check.issues.add("Type", INVALID, f"Order type '{order_type}' cannot be found or is inactive")
    check.header(body, create=True)
    if body.get("orderId") and type_rec and not type_rec.data.get("manualNumbering"):
        check.issues.add("OrderId", NOT_ALLOWED, "OrderId can only be given for order types with manual numbering")
    lines = body.get("orderLines") or []
    if not isinstance(lines, list):
        check.issues.add("OrderLines", INVALID, "OrderLines must be an array")
        lines = []
    items = [check.line(raw, f"OrderLines[{i}]", new=True) for i, raw in enumerate(lines)]
    if check.issues:
        raise check.issues.error(call.path)
    assert type_rec is not None
    order_type = type_rec.data["orderType"]
    if body.get("orderId"):
        order_id = body["orderId"]
        if call.store.get(call.tenant, "salesOrder", f"{order_type}/{order_id}"):
            raise problem(409, f"Sales order {order_type} {order_id} already exists.", instance=call.path)
    else:
        order_id = f"{call.store.next_number(call.tenant, f'salesorder:{order_type}', 1):06d}"
    today = datetime.now(UTC).strftime("%Y-%m-%dT00:00:00")
    customer = _customer_snapshot(call, body["customer"])
    status = body.get("status") or type_rec.data.get("defaultStatus", "Open")
    if customer["status"] == "CreditHold" and (status == "Open" or call.company.settings.get("creditCheckOnHold")):
        status = "CreditHold"
    data: dict[str, Any] = {
        "type": order_type, "orderId": order_id, "status": status,
        "date": _date_only(body.get("date")) or today, "requestOn": _date_only(body.get("requestOn")) or today,
        "cancelBy": _date_only(body.get("cancelBy")) or (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT00:00:00"),
        "customer": customer, "description": body.get("description"), "note": body.get("note"),
        "currencyId": body.get("currencyId") or "EUR", "branchId": body.get("branchId") or "1",
        "createdBy": call.client_id, "lines": [], "nextLineId": 1,
    }
    for name in ("taxZoneId", "projectId", "salesPersonId", "ownerId", "originalOrderType", "originalOrderId",
                 "billing", "shipping", "financialInformation", "paymentSettings", "freight", "print",
                 "useReplacementCostForMarginAndProfit"):
        if body.get(name) is not None:
            data[name] = body[name]
    for raw, item in zip(lines, items, strict=True):
        assert item is not None
        data["lines"].append(new_line(data, item, raw))
    call.store.put(call.tenant, "salesOrder", f"{order_type}/{order_id}", data)
    return Response(status_code=201,
                    headers={"Location": call.absolute(f"/api/v3/SalesOrders/{quote(order_type, safe='')}/"
                                                       f"{quote(order_id, safe='')}")})


def _accepted(rec: Record) -> Response:
    return Response(status_code=202, headers={"ETag": etag(rec.tag)})


async def patch_order(call: Call) -> Response:
    """PATCH /api/v3/SalesOrders/{type}/{orderId} (PatchSalesOrderCommand): 202."""
    rec = _order(call)
    _precondition(call, rec)
    _writable(call, rec)
    body = await call.json_object()
    check = Checker(call)
    allowed = {"billing", "branchId", "cancelBy", "currencyId", "customer", "date", "description",
               "financialInformation", "freight", "note", "originalOrderId", "originalOrderType", "ownerId",
               "paymentSettings", "print", "projectId", "requestOn", "salesPersonId", "shipping", "status",
               "taxZoneId", "useReplacementCostForMarginAndProfit"}
    for name in sorted(set(body) - allowed):
        check.issues.add(name[0].upper() + name[1:], INVALID, f"Unknown field '{name}'")
    check.header(body, create=False)
    if check.issues:
        raise check.issues.error(call.path)
    data = rec.data
    for name, value in body.items():
        if name == "customer":
            merged = {**{k: data["customer"].get(k) for k in ("id", "locationId", "contactId", "order", "refNo", "termsId")},
                      **value}
            data["customer"] = _customer_snapshot(call, merged)
        elif name in ("billing", "shipping", "financialInformation", "paymentSettings", "freight", "print"):
            section = dict(data.get(name) or {})
            for key, val in (value or {}).items():
                section[key] = ({**(section.get(key) or {}), **val} if isinstance(val, dict) else val)
            data[name] = section
        elif name in ("date", "requestOn", "cancelBy"):
            data[name] = _date_only(value)
        else:
            data[name] = value
    return _accepted(call.store.put(call.tenant, "salesOrder", rec.key, data))


async def delete_order(call: Call) -> Response:
    """DELETE /api/v3/SalesOrders/{type}/{orderId}: 202."""
    rec = _order(call)
    _precondition(call, rec)
    _writable(call, rec)
    call.store.delete(call.tenant, "salesOrder", rec.key)
    return Response(status_code=202)


async def list_lines(call: Call) -> Response:
    """GET /api/v3/SalesOrders/{type}/{orderId}/lines"""
    rec = _order(call)
    lines = sorted(rec.data["lines"], key=lambda ln: ln["sortOrder"])
    body = v3_page(call.request, lines, default_size=1000, max_size=1000)
    body["value"] = [render_line(call, rec.key, ln) for ln in body["value"]]
    return json_response(body)


async def get_line(call: Call) -> Response:
    """GET /api/v3/SalesOrders/{type}/{orderId}/lines/{lineId}"""
    rec = _order(call)
    raw = call.params["lineId"]
    line = next((ln for ln in rec.data["lines"] if str(ln["lineId"]) == raw), None)
    if line is None:
        raise problem(404, f"Line {raw} was not found on the order.", instance=call.path)
    return json_response(render_line(call, rec.key, line))


async def _lines_body(call: Call) -> list[Any]:
    body = await call.json_object()
    lines = body.get("lines")
    if not isinstance(lines, list) or not lines:
        issues = ValidationIssues()
        issues.add("Lines", NULL, "Lines is required")
        raise issues.error(call.path)
    return lines


async def add_lines(call: Call) -> Response:
    """POST /api/v3/SalesOrders/{type}/{orderId}/lines (AddSalesOrderLinesCommand): 202."""
    rec = _order(call)
    _precondition(call, rec)
    _writable(call, rec)
    lines = await _lines_body(call)
    check = Checker(call)
    items = [check.line(raw, f"Lines[{i}]", new=True) for i, raw in enumerate(lines)]
    if check.issues:
        raise check.issues.error(call.path)
    for raw, item in zip(lines, items, strict=True):
        assert item is not None
        rec.data["lines"].append(new_line(rec.data, item, raw))
    return _accepted(call.store.put(call.tenant, "salesOrder", rec.key, rec.data))


async def patch_lines(call: Call) -> Response:
    """PATCH /api/v3/SalesOrders/{type}/{orderId}/lines (PatchSalesOrderLinesCommand): 202."""
    rec = _order(call)
    _precondition(call, rec)
    _writable(call, rec)
    lines = await _lines_body(call)
    check = Checker(call)
    by_id = {ln["lineId"]: ln for ln in rec.data["lines"]}
    seen: set[Any] = set()
    for i, raw in enumerate(lines):
        prop = f"Lines[{i}]"
        check.line(raw, prop, new=False)
        if not isinstance(raw, dict):
            continue
        line_id = raw.get("lineId")
        if line_id is None:
            check.issues.add(f"{prop}.LineId", NULL, "LineId is required")
        elif line_id in seen:
            check.issues.add(f"{prop}.LineId", "1817-LineIdIsNotUnique", "The LineId provided is not unique in your request")
        elif line_id not in by_id:
            check.issues.add(f"{prop}.LineId", LINE_MISSING,
                             f"Line Id {line_id}. Line with provided Id does not exists in the order")
        elif by_id[line_id].get("completed"):
            check.issues.add(f"{prop}.LineId", LINE_COMPLETED, "Line is marked as completed.")
        seen.add(line_id)
    if check.issues:
        raise check.issues.error(call.path)
    for raw in lines:
        patch_line(call, by_id[raw["lineId"]], raw)
    rec.data["lines"].sort(key=lambda ln: ln["sortOrder"])
    return _accepted(call.store.put(call.tenant, "salesOrder", rec.key, rec.data))


async def delete_lines(call: Call) -> Response:
    """DELETE /api/v3/SalesOrders/{type}/{orderId}/lines?ids=1,2 (or ids=1&ids=2): 202."""
    rec = _order(call)
    _precondition(call, rec)
    _writable(call, rec)
    raw_ids = [p for v in call.request.query_params.getlist("ids") for p in v.split(",") if p.strip()]
    issues = ValidationIssues()
    if not raw_ids:
        issues.add("Ids", NULL, "At least one line id is required")
    if len(raw_ids) > 1000:
        issues.add("Ids", RANGE, "At most 1000 line ids can be deleted at once")
    existing = {ln["lineId"] for ln in rec.data["lines"]}
    ids: set[int] = set()
    for raw in raw_ids:
        if not raw.strip().isdigit():
            issues.add("Ids", INVALID, f"'{raw}' is not a line id")
        elif int(raw) not in existing:
            issues.add("Ids", LINE_MISSING, f"Line Id {raw}. Line with provided Id does not exists in the order")
        else:
            ids.add(int(raw))
    if issues:
        raise issues.error(call.path)
    rec.data["lines"] = [ln for ln in rec.data["lines"] if ln["lineId"] not in ids]
    for n, ln in enumerate(sorted(rec.data["lines"], key=lambda ln: ln["sortOrder"]), start=1):
        ln["sortOrder"] = n
    return _accepted(call.store.put(call.tenant, "salesOrder", rec.key, rec.data))
