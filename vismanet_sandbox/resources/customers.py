"""ERP customers: ``GET /v1/customer``, ``/v1/customer/{customerCd}``,
``/v1/customer/internal/{internalId}``, ``/v1/customer/customerClass`` (reference §7.1)."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from ..core import Call, etag, json_response
from ..errors import erp_not_found, erp_validation
from ..store import Record
from .common import address, contact, erp_list, ref

STATUSES = ("Active", "OnHold", "CreditHold", "Inactive", "OneTime")


def render(rec: Record) -> dict[str, Any]:
    """CustomerDto from the stored compact customer."""
    d = rec.data
    main = d.get("mainAddress")
    main_contact = d.get("mainContact")
    return {
        "internalId": rec.internal_id,
        "number": d["number"],
        "name": d.get("name"),
        "status": d.get("status", "Active"),
        "mainAddress": address(main),
        "mainContact": contact(main_contact),
        "accountReference": d.get("accountReference"),
        "parentRecord": d.get("parentRecord"),
        "customerClass": ref(d.get("customerClassId"), d.get("customerClassDescription")),
        "creditTerms": ref(d.get("creditTermsId"), d.get("creditTermsDescription")),
        "currencyId": d.get("currencyId", "EUR"),
        "creditVerification": d.get("creditVerification", "Disabled"),
        "creditLimit": d.get("creditLimit", 0.0),
        "creditDaysPastDue": d.get("creditDaysPastDue", 0),
        "invoiceAddress": address(d.get("invoiceAddress") or main),
        "invoiceContact": contact(d.get("invoiceContact") or main_contact),
        "invoiceToDefaultLocation": d.get("invoiceToDefaultLocation", True),
        "vatRegistrationId": d.get("vatRegistrationId"),
        "corporateId": d.get("corporateId"),
        "gln": d.get("gln"),
        "vatZone": ref(d.get("vatZoneId"), d.get("vatZoneDescription")),
        "location": {"countryId": (main or {}).get("countryId"), "id": "MAIN", "name": "Hoofdlocatie"},
        "deliveryAddress": address(d.get("deliveryAddress") or main),
        "deliveryContact": contact(d.get("deliveryContact") or main_contact),
        "priceClass": ref(d.get("priceClassId")),
        "statementType": d.get("statementType", "OpenItem"),
        "printInvoices": d.get("printInvoices", False),
        "acceptAutoInvoices": d.get("acceptAutoInvoices", False),
        "sendInvoicesByEmail": d.get("sendInvoicesByEmail", True),
        "printStatements": False,
        "sendStatementsByEmail": False,
        "printMultiCurrencyStatements": False,
        "printDunningLetters": False,
        "sendDunningLettersViaEMail": True,
        "attributes": d.get("attributes", []),
        "defaultPaymentMethodId": d.get("defaultPaymentMethodId"),
        "numberOfEmployees": d.get("numberOfEmployees"),
        "excludeDebtCollection": d.get("excludeDebtCollection", False),
        "lastModifiedDateTime": rec.modified,
        "createdDateTime": rec.created,
        "timeStamp": rec.tag,
        "errorInfo": None,
    }


async def list_customers(call: Call) -> Response:
    """GET /v1/customer"""
    q = call.request.query_params
    status = q.get("status")
    if status and status not in STATUSES:
        raise erp_validation(f"Invalid status '{status}'. Valid values: {', '.join(STATUSES)}.")
    attributes: dict[str, str] = {}
    if q.get("attributes"):
        try:
            attributes = json.loads(q["attributes"])
            assert isinstance(attributes, dict)
        except (ValueError, AssertionError):
            raise erp_validation("attributes must be a JSON object string like {\"ATTRID\":\"VALUE\"}.") from None

    def keep(rec: Record) -> bool:
        d = rec.data
        c = d.get("mainContact") or {}
        if status and d.get("status", "Active") != status:
            return False
        if q.get("name") and q["name"].lower() not in (d.get("name") or "").lower():
            return False
        for param, value in (("corporateId", d.get("corporateId")),
                             ("vatRegistrationId", d.get("vatRegistrationId")),
                             ("email", c.get("email")), ("phone", c.get("phone1"))):
            if q.get(param) and (value or "").lower() != q[param].lower():
                return False
        have = {a.get("id"): a.get("value") for a in d.get("attributes", [])}
        return all(have.get(k) == v for k, v in attributes.items())

    filtered = bool(status or attributes or any(
        q.get(name) for name in ("name", "corporateId", "vatRegistrationId", "email", "phone")))
    return erp_list(call, "customer", render, predicate=keep if filtered else None)


def _found(call: Call, rec: Record | None, what: str) -> Response:
    if rec is None:
        raise erp_not_found(f"Customer {what} not found.")
    return json_response(render(rec), headers={"ETag": etag(rec.tag)})


async def get_customer(call: Call) -> Response:
    """GET /v1/customer/{customerCd}"""
    number = call.params["customerCd"]
    return _found(call, call.store.get(call.tenant, "customer", number), number)


async def get_customer_internal(call: Call) -> Response:
    """GET /v1/customer/internal/{internalId}"""
    raw = call.params["internalId"]
    if not raw.isdigit():
        raise erp_validation(f"The value '{raw}' is not valid for internalId.")
    return _found(call, call.store.get_internal(call.tenant, "customer", int(raw)), raw)


async def list_customer_classes(call: Call) -> Response:
    """GET /v1/customer/customerClass"""
    def render_class(rec: Record) -> dict[str, Any]:
        d = rec.data
        return {"id": d["id"], "description": d.get("description"), "taxZoneId": d.get("taxZoneId"),
                "requiredTaxzoneId": d.get("requiredTaxzoneId", False),
                "paymentMethodId": d.get("paymentMethodId"), "attributes": d.get("attributes", [])}
    return erp_list(call, "customerClass", render_class, delta=False)
