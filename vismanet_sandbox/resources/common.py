"""Helpers shared by the ERP resource modules: list responses, addresses, booleans."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson
from starlette.responses import Response

from ..core import Call, json_response
from ..errors import erp_validation
from ..paging import erp_date_filter, erp_page, erp_window
from ..store import Record

COUNTRIES = {
    "NL": "Netherlands", "BE": "Belgium", "DE": "Germany", "SE": "Sweden", "NO": "Norway",
    "DK": "Denmark", "FI": "Finland", "FR": "France", "LU": "Luxembourg",
}


def erp_list(
    call: Call,
    kind: str,
    render: Callable[[Record], dict[str, Any]],
    *,
    predicate: Callable[[Record], bool] | None = None,
    records: Iterable[Record] | None = None,
    inventory: bool = False,
    delta: bool = True,
) -> Response:
    """An ERP list: delta filters, predicate, stable internal-id order, page, metadata.

    Without a predicate (no filter beyond the dates) only the page's rows are read and
    rendered, so a page costs the same on page 1 and page 50 of a big company.
    """
    max_size = int(call.setting("maxPageSizeInventory" if inventory else "maxPageSize"))
    if records is None:
        modified = erp_date_filter(call.request, "lastModifiedDateTime") if delta else None
        created = erp_date_filter(call.request, "createdDateTime") if delta else None
        if predicate is None:
            window = erp_window(call.request, max_size)
            page = call.store.list(call.tenant, kind, modified=modified, created=created, window=window)
            meta = {"totalCount": call.store.count(call.tenant, kind, modified=modified, created=created),
                    "maxPageSize": max_size}
            # orjson: a 1,000-record page is mostly serialisation (json.dumps took about as
            # long as everything else together).
            return Response(orjson.dumps([{**render(item), "metadata": meta} for item in page]),
                            media_type="application/json; charset=utf-8")
        records = call.store.list(call.tenant, kind, modified=modified, created=created)
    matching = [r for r in records if predicate is None or predicate(r)]
    page, meta = erp_page(call.request, matching, max_size)
    return json_response([{**render(item), "metadata": dict(meta)} for item in page])


def bool_param(call: Call, name: str) -> bool | None:
    """Boolean query parameter ``name``: ``true``/``1``, ``false``/``0``, None when absent or empty.

    Raises ApiError (ERP 400 validation) for any other value.
    """
    raw = call.request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise erp_validation(f"The value '{raw}' is not valid for {name}.")


def address(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """ERP read Address from the stored compact form."""
    if not data:
        return None
    country = data.get("countryId")
    return {
        "addressId": data.get("addressId"),
        "addressLine1": data.get("addressLine1"),
        "addressLine2": data.get("addressLine2"),
        "addressLine3": data.get("addressLine3"),
        "postalCode": data.get("postalCode"),
        "city": data.get("city"),
        "country": {"id": country, "name": COUNTRIES.get(country or "", country), "errorInfo": None}
        if country else None,
        "county": {"id": data["county"], "name": data["county"]} if data.get("county") else None,
    }


def contact(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """ERP read Contact from the stored compact form (None when absent)."""
    if not data:
        return None
    return {key: data.get(key) for key in
            ("contactId", "name", "attention", "email", "web", "phone1", "phone2", "fax")}


def ref(obj_id: str | None, description: str | None = None) -> dict[str, Any] | None:
    """An ERP ``{id, description}`` reference, None without an id."""
    return {"id": obj_id, "description": description} if obj_id else None
