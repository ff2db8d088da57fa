"""ERP customer locations: ``GET /v1/location``, ``/v1/location/{bAccountId}``,
``/v1/location/{bAccountId}/{locationId}`` (reference §7.2)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..core import Call, json_response
from ..errors import erp_not_found
from ..paging import erp_date_filter
from ..store import Record
from .common import address, contact, erp_list, ref


def render(rec: Record) -> dict[str, Any]:
    """LocationDto."""
    d = rec.data
    return {
        "baccount": {"internalId": d["baccount"].get("internalId"), "number": d["baccount"]["number"],
                     "name": d["baccount"].get("name")},
        "locationId": d["locationId"],
        "locationName": d.get("locationName"),
        "active": d.get("active", True),
        "address": address(d.get("address")),
        "contact": contact(d.get("contact")),
        "vatRegistrationId": d.get("vatRegistrationId"),
        "vatZone": ref(d.get("vatZoneId")),
        "ediCode": d.get("ediCode"),
        "gln": d.get("gln"),
        "corporateId": d.get("corporateId"),
        "peppolScheme": None,
        "lastModifiedDateTime": rec.modified,
        "internalId": rec.internal_id,
        "errorInfo": None,
    }


def _query_filter(call: Call) -> Any:
    """The locationId/gln predicate, or None without those filters (then only the page is read)."""
    q = call.request.query_params
    if not (q.get("locationId") or q.get("gln")):
        return None

    def keep(rec: Record) -> bool:
        if q.get("locationId") and rec.data["locationId"].lower() != q["locationId"].lower():
            return False
        return not (q.get("gln") and rec.data.get("gln") != q["gln"])
    return keep


async def list_all(call: Call) -> Response:
    """GET /v1/location"""
    return erp_list(call, "location", render, predicate=_query_filter(call))


async def list_for_customer(call: Call) -> Response:
    """GET /v1/location/{bAccountId}"""
    number = call.params["bAccountId"]
    if call.store.get(call.tenant, "customer", number) is None:
        raise erp_not_found(f"Business account {number} not found.")
    records = call.store.list(
        call.tenant, "location", key_prefix=f"{number}/",
        modified=erp_date_filter(call.request, "lastModifiedDateTime"),
        created=erp_date_filter(call.request, "createdDateTime"))
    return erp_list(call, "location", render, records=records, predicate=_query_filter(call))


async def get_location(call: Call) -> Response:
    """GET /v1/location/{bAccountId}/{locationId}"""
    key = f"{call.params['bAccountId']}/{call.params['locationId']}"
    rec = call.store.get(call.tenant, "location", key)
    if rec is None:
        raise erp_not_found(f"Location {call.params['locationId']} of business account "
                            f"{call.params['bAccountId']} not found.")
    return json_response(render(rec))
