"""ERP customer invoices (reference §7.7): create (``POST /v2/customerinvoice`` and v1), get,
list with its filters, update, delete and release. Write bodies use the ``{"value": ...}``
wrapper on every scalar; an unwrapped scalar is rejected with 400 (reference §3.2).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

from ..core import Call, etag, if_match_values, json_response
from ..errors import erp_exception, erp_not_found, erp_validation
from ..paging import erp_date_filter, parse_erp_datetime
from ..store import Record, format_ts
from .attachments import attachments_of
from .common import address, bool_param, erp_list, ref
from .inventory import UNSELLABLE

# Column sizes of the ERP documents (sandbox choice: the contract gives no limits for invoices).
HEADER_LIMITS = {"customerRefNumber": 40, "externalReference": 40, "invoiceText": 256,
                 "locationId": 30, "branchNumber": 30, "currencyId": 5, "referenceNumber": 15,
                 "financialPeriod": 6, "postPeriod": 6, "creditTermsId": 10, "paymentMethodId": 10}
LINE_LIMITS = {"description": 256, "uom": 6, "accountNumber": 10, "vatCodeId": 10, "discountCode": 10}
HEADER_FIELDS = {"customerNumber", "documentDate", "hold", "customerRefNumber", "externalReference",
                 "invoiceText", "note", "locationId", "branchNumber", "currencyId", "creditTermsId",
                 "paymentMethodId", "documentDueDate", "cashDiscountDate", "financialPeriod", "postPeriod",
                 "salesperson", "salesPersonID", "project", "contact", "billingAddress", "invoiceContact",
                 "sendToAutoInvoice", "dontPrint", "dontEmail", "referenceNumber", "overrideNumberSeries",
                 "paymentReference"}
STATUSES = ("Hold", "Balanced", "Voided", "Scheduled", "Open", "Closed", "PendingPrint", "PendingEmail",
            "CreditHold", "CcHold", "Reserved")
VAT_RATES = {"H": 0.21, "L": 0.09, "0": 0.0}


def _unwrap(body: dict[str, Any], name: str, where: str = "") -> Any:
    """Value of a wrapped field; 400 when a scalar arrives without ``{"value": ...}``."""
    if name not in body:
        return None
    wrapped = body[name]
    if not isinstance(wrapped, dict) or "value" not in wrapped:
        raise erp_validation(f"{where}{name}: the value must be wrapped as {{\"value\": ...}}.")
    return wrapped["value"]


def _text(value: Any, name: str, limit: int | None, where: str = "") -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise erp_validation(f"{where}{name}: a string is expected.")
    if limit is not None and len(value) > limit:
        raise erp_validation(f"{where}{name}: the value is {len(value)} characters long; "
                             f"the maximum length is {limit}.")
    return value


def _number(value: Any, name: str, where: str = "") -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise erp_validation(f"{where}{name}: a number is expected.")
    return float(value)


def _date(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        text = value.replace("Z", "")
        text = text.split("+")[0] if "T" in text else text
        moment = parse_erp_datetime(text[:23]) or parse_erp_datetime(text[:19])
        if moment:
            return moment.strftime("%Y-%m-%dT00:00:00")
    raise erp_validation(f"{name}: '{value}' is not a valid date.")


def _customer(call: Call, number: str) -> Record:
    rec = call.store.get(call.tenant, "customer", number)
    if rec is None:
        raise erp_validation(f"Customer {number} not found.")
    status = rec.data.get("status", "Active")
    if status in ("Inactive", "OnHold"):
        raise erp_validation(f"Customer {number} has status '{status}'; no documents can be entered.")
    return rec


def _lines(call: Call, raw_lines: Any, existing: list[dict[str, Any]], create: bool) -> list[dict[str, Any]]:
    if raw_lines is None:
        return existing
    if not isinstance(raw_lines, list):
        raise erp_validation("invoiceLines must be an array (it is not wrapped).")
    lines = [dict(ln) for ln in existing]
    next_nr = max((ln["lineNumber"] for ln in lines), default=0) + 1
    for i, raw in enumerate(raw_lines, start=1):
        where = f"invoiceLines[{i}]: "
        if not isinstance(raw, dict):
            raise erp_validation(f"{where}a line object is expected.")
        op = raw.get("operation")
        if op not in ("Insert", "Update", "Delete"):
            raise erp_validation(f"{where}operation must be Insert, Update or Delete (not wrapped).")
        if create and op != "Insert":
            raise erp_validation(f"{where}only Insert is allowed when creating an invoice.")
        for field in LINE_LIMITS:
            _text(_unwrap(raw, field, where), field, LINE_LIMITS[field], where)
        if op in ("Update", "Delete"):
            number = _unwrap(raw, "lineNumber", where)
            target = next((ln for ln in lines if ln["lineNumber"] == number), None)
            if target is None:
                raise erp_validation(f"{where}line number {number} does not exist.")
            if op == "Delete":
                lines.remove(target)
                continue
        else:
            target = {"lineNumber": next_nr}
            next_nr += 1
            lines.append(target)
        item_nr = _unwrap(raw, "inventoryNumber", where)
        if item_nr is not None:
            item = call.store.get(call.tenant, "inventory", str(item_nr))
            if item is None:
                raise erp_validation(f"{where}Inventory item {item_nr} not found.")
            if item.data.get("status", "Active") in UNSELLABLE:
                raise erp_validation(f"{where}Inventory item {item_nr} has status "
                                     f"'{item.data.get('status')}' and cannot be sold.")
            target.update(inventoryNumber=item.data["inventoryNumber"],
                          description=target.get("description") or item.data.get("description"),
                          uom=item.data.get("salesUnit") or item.data.get("baseUnit"),
                          unitPrice=item.data.get("defaultPrice", 0.0),
                          vatCodeId=item.data.get("vatCodeId", "H"))
        elif op == "Insert" and _unwrap(raw, "accountNumber", where) is None:
            raise erp_validation(f"{where}inventoryNumber or accountNumber is required.")
        for field in ("description", "uom", "accountNumber", "vatCodeId", "discountCode", "note",
                      "salesperson", "branchNumber", "itemType", "taskId"):
            value = _unwrap(raw, field, where)
            if value is not None:
                target[field] = value
        for field, key in (("quantity", "quantity"), ("unitPriceInCurrency", "unitPrice"),
                           ("discountPercent", "discountPercent"),
                           ("discountAmountInCurrency", "discountAmount"),
                           ("manualAmountInCurrency", "manualAmount")):
            value = _number(_unwrap(raw, field, where), field, where)
            if value is not None:
                target[key] = value
        if target.get("quantity", 1.0) < 0:
            raise erp_validation(f"{where}quantity cannot be negative.")
        target.setdefault("quantity", 1.0)
        target.setdefault("unitPrice", 0.0)
        target.setdefault("vatCodeId", "H")
    if create and not lines:
        raise erp_validation("invoiceLines: at least one line is required.")
    return lines


def _apply_header(call: Call, body: dict[str, Any], data: dict[str, Any], create: bool) -> None:
    unknown = [k for k in body if k not in HEADER_FIELDS | {"invoiceLines", "taxDetailLines"}]
    if unknown:
        raise erp_validation(f"Unknown field(s) in CustomerInvoiceUpdateDto: {', '.join(unknown)}.")
    for name in HEADER_FIELDS - {"billingAddress", "invoiceContact"}:
        value = _unwrap(body, name)
        if name in HEADER_LIMITS:
            _text(value, name, HEADER_LIMITS[name])
    number = _unwrap(body, "customerNumber")
    if create and not number:
        raise erp_validation("Error: 'customerNumber' cannot be empty.")
    if number is not None:
        customer = _customer(call, str(number))
        data["customer"] = {"number": customer.data["number"], "name": customer.data.get("name"),
                            "status": customer.data.get("status", "Active")}
        data["invoiceAddress"] = customer.data.get("invoiceAddress") or customer.data.get("mainAddress")
        data["invoiceContact"] = customer.data.get("invoiceContact") or customer.data.get("mainContact")
        data["creditTermsId"] = customer.data.get("creditTermsId")
    location = _unwrap(body, "locationId")
    if location is not None:
        if call.store.get(call.tenant, "location", f"{data['customer']['number']}/{location}") is None:
            raise erp_validation(f"Location {location} not found for customer {data['customer']['number']}.")
        data["locationId"] = location
    for name in ("customerRefNumber", "externalReference", "invoiceText", "note", "branchNumber",
                 "currencyId", "creditTermsId", "paymentMethodId", "financialPeriod", "postPeriod",
                 "salesperson", "project", "paymentReference"):
        value = _unwrap(body, name)
        if value is not None:
            data[name] = value
    for name in ("documentDate", "documentDueDate", "cashDiscountDate"):
        value = _date(_unwrap(body, name), name)
        if value is not None:
            data[name] = value
    for name in ("hold", "sendToAutoInvoice", "dontPrint", "dontEmail"):
        value = _unwrap(body, name)
        if value is not None:
            if not isinstance(value, bool):
                raise erp_validation(f"{name}: true or false is expected.")
            data[name] = value
    for name in ("billingAddress", "invoiceContact"):
        inner = _unwrap(body, name)
        if inner is not None:
            if not isinstance(inner, dict):
                raise erp_validation(f"{name}: an object of wrapped fields is expected.")
            unwrapped = {k: _unwrap(inner, k, f"{name}.") for k in inner}
            if name == "billingAddress":
                data["invoiceAddress"] = unwrapped
            else:
                data["invoiceContact"] = unwrapped


def _totals(data: dict[str, Any]) -> None:
    detail = vat = 0.0
    for ln in data["lines"]:
        gross = ln.get("manualAmount")
        if gross is None:
            gross = ln["quantity"] * ln["unitPrice"]
            gross -= ln.get("discountAmount") or gross * (ln.get("discountPercent") or 0) / 100
        ln["amount"] = round(gross, 2)
        detail += ln["amount"]
        vat += ln["amount"] * VAT_RATES.get(ln.get("vatCodeId", "H"), 0.21)
    data["detailTotal"] = round(detail, 2)
    data["vatTotal"] = round(vat, 2)
    data["amount"] = round(detail + vat, 2)


def render(call: Call, rec: Record, with_attachments: bool) -> dict[str, Any]:
    """CustomerInvoiceDto."""
    d = rec.data
    lines = []
    for ln in d["lines"]:
        lines.append({
            "lineNumber": ln["lineNumber"], "inventoryNumber": ln.get("inventoryNumber"),
            "description": ln.get("description"), "quantity": ln["quantity"],
            "unitPrice": ln["unitPrice"], "unitPriceInCurrency": ln["unitPrice"],
            "manualAmount": ln.get("manualAmount") or 0.0, "manualAmountInCurrency": ln.get("manualAmount") or 0.0,
            "amount": ln["amount"], "amountInCurrency": ln["amount"], "cost": 0.0, "uom": ln.get("uom"),
            "discountPercent": ln.get("discountPercent") or 0.0, "discountAmount": ln.get("discountAmount") or 0.0,
            "discountAmountInCurrency": ln.get("discountAmount") or 0.0, "manualDiscount": False,
            "account": {"number": ln.get("accountNumber") or "8000", "description": "Omzet", "type": "Income"},
            "subaccount": None, "vatCode": ref(ln.get("vatCodeId", "H")), "branchNumber": None,
            "note": ln.get("note"), "soOrderType": None, "soOrderNbr": None, "soShipmentNbr": None,
            "itemType": ln.get("itemType"), "termStartDate": None, "termEndDate": None,
            "projectTask": None, "externalLink": None,
            "attachments": attachments_of(call, f"invoice:{rec.key}", ln["lineNumber"]) if with_attachments else [],
        })
    dto: dict[str, Any] = {
        "referenceNumber": d["referenceNumber"], "documentType": "Invoice", "status": d["status"],
        "hold": d["hold"],
        "customer": {"number": d["customer"]["number"], "name": d["customer"].get("name")},
        "documentDate": d["documentDate"], "origInvoiceDate": d["documentDate"],
        "documentDueDate": d.get("documentDueDate"), "postPeriod": d.get("postPeriod"),
        "financialPeriod": d.get("financialPeriod"), "currencyId": d.get("currencyId", "EUR"),
        "amount": d["amount"], "amountInCurrency": d["amount"],
        "balance": d["amount"], "balanceInCurrency": d["amount"],
        "vatTotal": d["vatTotal"], "vatTotalInCurrency": d["vatTotal"],
        "detailTotal": d["detailTotal"], "detailTotalInCurrency": d["detailTotal"],
        "customerRefNumber": d.get("customerRefNumber"), "externalReference": d.get("externalReference"),
        "paymentReference": d.get("paymentReference"), "invoiceText": d.get("invoiceText"),
        "note": d.get("note"),
        "location": {"countryId": (d.get("invoiceAddress") or {}).get("countryId"),
                     "id": d.get("locationId", "MAIN"), "name": None},
        "branchNumber": {"number": d.get("branchNumber", "1"), "name": None},
        "creditTerms": ref(d.get("creditTermsId")), "paymentMethod": ref(d.get("paymentMethodId")),
        "invoiceAddress": address(d.get("invoiceAddress")),
        "invoiceContact": d.get("invoiceContact"),
        "salesPerson": None, "project": ref(d.get("project")),
        "sendToAutoInvoice": d.get("sendToAutoInvoice", False),
        "invoiceLines": lines,
        "lastModifiedDateTime": rec.modified, "createdDateTime": rec.created,
        "timeStamp": rec.tag, "errorInfo": None,
    }
    if with_attachments:
        dto["attachments"] = attachments_of(call, f"invoice:{rec.key}")
    return dto


async def create_invoice(call: Call) -> Response:
    """POST /v2/customerinvoice and POST /v1/customerinvoice: 201 + Location (+ ETag)."""
    body = await call.json_object()
    today = datetime.now(UTC).strftime("%Y-%m-%dT00:00:00")
    data: dict[str, Any] = {"documentDate": today, "hold": True, "currencyId": "EUR", "locationId": "MAIN"}
    _apply_header(call, body, data, create=True)
    data["lines"] = _lines(call, body.get("invoiceLines"), [], create=True)
    manual = _unwrap(body, "referenceNumber")
    if manual:
        if call.store.get(call.tenant, "invoice", manual):
            raise erp_exception(409, f"Customer invoice {manual} already exists.", "12048")
        data["referenceNumber"] = str(manual)
    else:
        data["referenceNumber"] = str(call.store.next_number(call.tenant, "invoice", 100001))
    credit_hold = data["customer"]["status"] == "CreditHold"
    data["status"] = "Hold" if data["hold"] and not (credit_hold and call.company.settings.get("creditCheckOnHold")) else (
        "CreditHold" if credit_hold else "Balanced")
    data.setdefault("financialPeriod", data["documentDate"][:4] + data["documentDate"][5:7])
    _totals(data)
    rec = call.store.put(call.tenant, "invoice", data["referenceNumber"], data)
    headers = {"Location": call.absolute(f"/v1/customerinvoice/{rec.key}")}
    if call.path.lower().startswith("/v2/"):
        headers["ETag"] = etag(rec.tag)
    return Response(status_code=201, headers=headers)


def _get(call: Call) -> Record:
    rec = call.store.get(call.tenant, "invoice", call.params["invoiceNumber"])
    if rec is None:
        raise erp_not_found(f"Customer invoice {call.params['invoiceNumber']} not found.")
    return rec


def _check_if_match(call: Call, rec: Record) -> None:
    wanted = if_match_values(call.request)
    if wanted is not None and "*" not in wanted and rec.tag not in wanted:
        raise erp_exception(412, "The document was changed by someone else (If-Match mismatch).", "12049")


async def get_invoice(call: Call) -> Response:
    """GET /v1/customerinvoice/{invoiceNumber}"""
    rec = _get(call)
    return json_response(render(call, rec, True), headers={"ETag": etag(rec.tag)})


async def list_invoices(call: Call) -> Response:
    """GET /v1/customerinvoice"""
    q = call.request.query_params
    status = q.get("status")
    if status and status not in STATUSES:
        raise erp_validation(f"Invalid status '{status}'.")
    released = q.get("released")
    if released not in (None, "", "0", "1"):
        raise erp_validation("released must be 0 or 1.")
    doc_date = erp_date_filter(call.request, "documentDate")
    due_date = erp_date_filter(call.request, "documentDueDate")
    expand = bool_param(call, "expandAttachments") is True
    checks = {">": str.__gt__, "<": str.__lt__, ">=": str.__ge__, "<=": str.__le__}

    def keep(rec: Record) -> bool:
        d = rec.data
        exact = {"customer": d["customer"]["number"], "customerRefNumber": d.get("customerRefNumber"),
                 "externalReference": d.get("externalReference"), "paymentReference": d.get("paymentReference"),
                 "branch": d.get("branchNumber", "1"), "project": d.get("project"),
                 "financialPeriod": d.get("financialPeriod"), "documentType": "Invoice"}
        for param, value in exact.items():
            if q.get(param) and (value or "").lower() != q[param].lower():
                return False
        if status and d["status"] != status:
            return False
        if released and (d["status"] in ("Open", "Closed")) != (released == "1"):
            return False
        for cond, value in ((doc_date, d["documentDate"]), (due_date, d.get("documentDueDate"))):
            if cond and not (value and checks[cond[0]](format_ts(datetime.fromisoformat(value)), cond[1])):
                return False
        return True

    return erp_list(call, "invoice", lambda r: render(call, r, expand), predicate=keep)


async def update_invoice(call: Call) -> Response:
    """PUT /v1/customerinvoice/{invoiceNumber}: 204 + ETag; optional If-Match."""
    rec = _get(call)
    _check_if_match(call, rec)
    if rec.data["status"] in ("Open", "Closed", "Voided"):
        raise erp_validation(f"Customer invoice {rec.key} is released and cannot be changed.")
    body = await call.json_object()
    data = dict(rec.data)
    _apply_header(call, body, data, create=False)
    data["lines"] = _lines(call, body.get("invoiceLines"), data["lines"], create=False)
    if data["status"] in ("Hold", "Balanced"):
        data["status"] = "Hold" if data["hold"] else "Balanced"
    _totals(data)
    updated = call.store.put(call.tenant, "invoice", rec.key, data)
    return Response(status_code=204, headers={"ETag": etag(updated.tag)})


async def delete_invoice(call: Call) -> Response:
    """DELETE /v1/customerinvoice/{invoiceNumber}: only unreleased documents."""
    rec = _get(call)
    if rec.data["status"] in ("Open", "Closed"):
        raise erp_validation(f"Customer invoice {rec.key} is released and cannot be deleted.")
    call.store.delete(call.tenant, "invoice", rec.key)
    return Response(status_code=204)


async def release_invoice(call: Call) -> Response:
    """POST /v1/customerinvoice/{invoiceNumber}/action/release"""
    rec = _get(call)
    _check_if_match(call, rec)
    action_id = str(uuid.uuid4())
    if rec.data["status"] not in ("Balanced",):
        return json_response({"actionId": action_id, "actionResult": "Failed",
                              "errorInfo": f"Document status is '{rec.data['status']}'; only Balanced documents can be released."},
                             status=400)
    rec.data["status"] = "Open"
    call.store.put(call.tenant, "invoice", rec.key, rec.data)
    return json_response({"actionId": action_id, "actionResult": "Done", "errorInfo": None})
