"""Sales Orders v3 customer helpers: ``GET /api/v3/Customers`` and
``GET /api/v3/Customers/{customerId}/locations`` (reference §8.6)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..core import Call, json_response
from ..errors import problem
from ..paging import v3_page
from ..store import Record


def _render(rec: Record) -> dict[str, Any]:
    d = rec.data
    main = d.get("mainAddress") or {}
    return {"id": d["number"], "internalId": rec.internal_id, "name": d.get("name"),
            "status": d.get("status", "Active"), "addressLine1": main.get("addressLine1"),
            "addressLine2": main.get("addressLine2"), "postalCode": main.get("postalCode"),
            "country": main.get("countryId"), "currencyId": d.get("currencyId", "EUR"),
            "customerClassId": d.get("customerClassId"), "salutation": None,
            "defaultLocation": {"id": "MAIN", "internalId": None, "name": "Hoofdlocatie",
                                "countryId": main.get("countryId"), "corporateId": d.get("corporateId"),
                                "gln": d.get("gln"), "taxRegistrationId": d.get("vatRegistrationId"),
                                "warehouseId": None}}


async def list_customers(call: Call) -> Response:
    """GET /api/v3/Customers?filter=&pageSize=&pageIndex="""
    text = (call.request.query_params.get("filter") or "").lower()
    records = [r for r in call.store.list(call.tenant, "customer")
               if not text or any(text in (v or "").lower() for v in
                                  (r.data["number"], r.data.get("name"), r.data.get("gln"),
                                   r.data.get("vatRegistrationId")))]
    body = v3_page(call.request, records, default_size=100, max_size=1000)
    body["value"] = [_render(r) for r in body["value"]]
    return json_response(body)


async def list_locations(call: Call) -> Response:
    """GET /api/v3/Customers/{customerId}/locations (not paged)."""
    number = call.params["customerId"]
    if call.store.get(call.tenant, "customer", number) is None:
        raise problem(404, f"Customer {number} was not found.", instance=call.path)
    out = []
    for rec in call.store.list(call.tenant, "location", key_prefix=f"{number}/"):
        d, a, c = rec.data, rec.data.get("address") or {}, rec.data.get("contact") or {}
        out.append({
            "id": d["locationId"], "internalId": rec.internal_id, "name": d.get("locationName"),
            "address": {"id": a.get("addressId"), "line1": a.get("addressLine1"), "line2": a.get("addressLine2"),
                        "line3": a.get("addressLine3"), "postalCode": a.get("postalCode"), "city": a.get("city"),
                        "country": {"id": a.get("countryId"), "name": None}, "county": None,
                        "overridesDefault": False},
            "contact": {"id": c.get("contactId"), "name": c.get("name"), "attention": c.get("attention"),
                        "email": c.get("email"), "phone1": c.get("phone1"), "phone2": None, "fax": None,
                        "overridesDefault": False},
            "countryId": a.get("countryId"), "corporateId": d.get("corporateId"), "gln": d.get("gln"),
            "taxRegistrationId": d.get("vatRegistrationId"), "taxZoneId": None, "warehouseId": None,
            "preferredWarehouseId": None, "priceClassId": None, "shipViaId": None, "shipZoneId": None,
            "shipTermsId": None, "fobPointId": None, "shippingRule": "CancelRemainder", "priority": 0,
            "leadTime": 0, "insurance": False, "residentialDelivery": False, "saturdayDelivery": False,
        })
    return json_response(out)
