"""The control plane under ``/_sandbox/`` (no OAuth; tests and demos only).

See README.md "Control API" for the full list. Changes made here behave like an office user
editing Visma.net: every write bumps ``lastModifiedDateTime`` (or sets the given one).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router, request_response

from .core import json_response
from .paging import parse_erp_datetime
from .state import KEYS, load_seed
from .store import Record, format_ts
from .webhooks import control_routes as webhook_routes

if TYPE_CHECKING:
    from .state import Sandbox

KINDS = {"customers": "customer", "locations": "location", "inventory": "inventory"}
DEACTIVATE = {"customer": ("status", "Inactive"), "location": ("active", False), "inventory": ("status", "Inactive")}


def _error(status: int, message: str) -> Response:
    return json_response({"error": message}, status)


def _raw(rec: Record, kind: str) -> dict[str, Any]:
    return {**rec.data, "internalId": rec.internal_id, "createdDateTime": rec.created,
            "lastModifiedDateTime": rec.modified, "timeStamp": rec.tag}


def _decoded(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """Decode the path parameters once (``control_path`` keeps "/" and "%" in a key escaped)."""

    async def wrapper(request: Request) -> Response:
        request.scope["path_params"] = {k: unquote(v) for k, v in request.path_params.items()}
        return await handler(request)

    return wrapper


# -- handlers: each a small function of (sandbox, request) ------------------------------------


async def body_of(request: Request) -> dict[str, Any]:
    """The request's JSON object ({} for an empty body); ValueError for anything else."""
    raw = await request.body()
    if not raw:
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("a JSON object is expected")
    return data


def company_or_404(sandbox: Sandbox, request: Request) -> Any:
    """The company named by the ``tenant`` path parameter, or None."""
    return sandbox.store.company(request.path_params["tenant"])


def stamp(body: dict[str, Any]) -> str | None:
    """Pop ``lastModifiedDateTime`` from ``body`` as a store timestamp (None when absent); ValueError when malformed."""
    value = body.pop("lastModifiedDateTime", None)
    if value is None:
        return None
    moment = parse_erp_datetime(str(value).replace("Z", ""))
    if moment is None:
        raise ValueError(f"lastModifiedDateTime '{value}' is not yyyy-MM-ddTHH:mm:ss[.fff]")
    return format_ts(moment)


async def health(sandbox: Sandbox, request: Request) -> Response:
    """``GET /_sandbox/health``: up, and how many companies."""
    return json_response({"status": "ok", "companies": len(sandbox.store.companies())})


async def reset(sandbox: Sandbox, request: Request) -> Response:
    """``POST /_sandbox/reset``: replace all state with a seed (``demo``, ``empty`` or a document)."""
    try:
        body = await body_of(request)
        seed = body.get("seed", "demo")
        if "companies" not in body and seed not in ("demo", "empty"):
            raise ValueError(f"unknown seed {seed!r} (demo or empty)")
        document = body if "companies" in body else load_seed(seed)
        sandbox.reset(document)
    except (ValueError, KeyError, FileNotFoundError) as exc:
        return _error(400, f"reset failed: {exc}")
    return json_response({"companies": [{"tenantId": c.tenant_id, "number": c.number, "name": c.name}
                                        for c in sandbox.store.companies()]})


async def companies(sandbox: Sandbox, request: Request) -> Response:
    """``GET /_sandbox/companies``: every company with its settings."""
    return json_response([{"tenantId": c.tenant_id, "number": c.number, "name": c.name,
                           "settings": c.settings} for c in sandbox.store.companies()])


async def settings(sandbox: Sandbox, request: Request) -> Response:
    """``GET``/``PATCH /_sandbox/companies/{tenant}/settings``: a company's emulation settings."""
    company = company_or_404(sandbox, request)
    if company is None:
        return _error(404, "unknown tenant")
    if request.method == "GET":
        return json_response(company.settings)
    try:
        return json_response(sandbox.store.update_settings(company.tenant_id, await body_of(request)))
    except ValueError as exc:
        return _error(400, str(exc))


def kind_of(request: Request) -> str:
    """The store kind of the ``kinds``/``what`` path parameter."""
    p = request.path_params
    return KINDS[p.get("kinds") or p.get("what") or "locations"]


def key_from_path(kind: str, request: Request) -> str:
    """The record key from the path (``customer/location`` for a location)."""
    p = request.path_params
    return f"{p['customer']}/{p['key']}" if kind == "location" else p["key"]


def complete(store: Any, tenant: str, kind: str, data: dict[str, Any]) -> None:
    """Fill what Visma fills in itself (customer reference on locations)."""
    if kind == "location":
        number = (data.get("baccount") or {}).get("number") or data.pop("customer", None)
        customer = store.get(tenant, "customer", str(number)) if number else None
        if customer is None:
            raise ValueError(f"customer {number!r} does not exist")
        data["baccount"] = {"internalId": customer.internal_id, "number": customer.data["number"],
                            "name": customer.data.get("name")}
        data.setdefault("active", True)


def add_one(store: Any, tenant: str, kind: str, body: dict[str, Any]) -> Record:
    """Store one record as Visma.net would (a new customer gets its MAIN location)."""
    modified = stamp(body)
    complete(store, tenant, kind, body)
    key = KEYS[kind](body)
    rec = store.put(tenant, kind, key, body, modified=modified)
    if kind == "customer" and store.get(tenant, "location", f"{key}/MAIN") is None:
        # Visma creates the default location with every customer.
        store.put(tenant, "location", f"{key}/MAIN", {
            "baccount": {"internalId": rec.internal_id, "number": key, "name": body.get("name")},
            "locationId": "MAIN", "locationName": "Hoofdlocatie", "active": True,
            "address": body.get("mainAddress"), "contact": body.get("mainContact")}, modified=modified)
    return rec


async def add_record(sandbox: Sandbox, request: Request) -> Response:
    """POST one record (object) or many (array, for bulk loads such as paging benchmarks)."""
    if request.path_params["kinds"] not in KINDS:
        return _error(404, "unknown record kind (customers, locations, inventory)")
    kind = kind_of(request)
    company = company_or_404(sandbox, request)
    if company is None:
        return _error(404, "unknown tenant")
    try:
        raw = await request.body()
        payload = json.loads(raw or b"{}")
        many = isinstance(payload, list)
        added = [add_one(sandbox.store, company.tenant_id, kind, dict(item)) for item in (payload if many else [payload])]
    except (ValueError, KeyError, TypeError) as exc:
        return _error(400, f"invalid {kind}: {exc}")
    if many:
        return json_response({"added": len(added)}, 201)
    return json_response(_raw(added[0], kind), 201)


def _record_of(sandbox: Sandbox, request: Request) -> tuple[Any, str, Any] | Response:
    """The company, record kind and record the path names, or the 404 that says which is
    unknown (the kind, the tenant or the record)."""
    if (request.path_params.get("kinds") or request.path_params.get("what") or "locations") not in KINDS:
        return _error(404, "unknown record kind (customers, locations, inventory)")
    kind = kind_of(request)
    company = company_or_404(sandbox, request)
    if company is None:
        return _error(404, "unknown tenant")
    key = key_from_path(kind, request)
    rec = sandbox.store.get(company.tenant_id, kind, key)
    if rec is None:
        return _error(404, f"{kind} {key} not found")
    return company, kind, rec


async def one_record(sandbox: Sandbox, request: Request) -> Response:
    """``GET``/``PATCH``/``DELETE`` one customer, location or item (as an office user in Visma.net)."""
    found = _record_of(sandbox, request)
    if isinstance(found, Response):
        return found
    company, kind, rec = found
    if request.method == "GET":
        return json_response(_raw(rec, kind))
    if request.method == "DELETE":
        sandbox.store.delete(company.tenant_id, kind, rec.key)
        return Response(status_code=204)
    try:
        body = await body_of(request)
        modified = stamp(body)
    except ValueError as exc:
        return _error(400, str(exc))
    data = {**rec.data, **body}
    if kind == "location":
        data["baccount"] = rec.data["baccount"]
    data.update({k: rec.data[k] for k in ("number", "inventoryNumber", "locationId") if k in rec.data})
    updated = sandbox.store.put(company.tenant_id, kind, rec.key, data, modified=modified)
    return json_response(_raw(updated, kind))


async def deactivate(sandbox: Sandbox, request: Request) -> Response:
    """``POST .../{key}/deactivate``: set a customer, location or item inactive."""
    found = _record_of(sandbox, request)
    if isinstance(found, Response):
        return found
    company, kind, rec = found
    try:
        modified = stamp(await body_of(request))
    except ValueError as exc:
        return _error(400, str(exc))
    field, value = DEACTIVATE[kind]
    updated = sandbox.store.put(company.tenant_id, kind, rec.key, {**rec.data, field: value}, modified=modified)
    return json_response(_raw(updated, kind))


async def list_records(sandbox: Sandbox, request: Request) -> Response:
    """``GET /_sandbox/companies/{tenant}/{what}``: every record of a collection."""
    kind = {"sales-orders": "salesOrder", "invoices": "invoice", "attachments": "attachment",
            **KINDS}.get(request.path_params["what"], "")
    if not kind:
        return _error(404, "unknown collection")
    company = company_or_404(sandbox, request)
    if company is None:
        return _error(404, "unknown tenant")
    recs = sandbox.store.list(company.tenant_id, kind)
    return json_response([_raw(r, kind) for r in recs])


async def one_document(sandbox: Sandbox, request: Request) -> Response:
    """One sales order, invoice or attachment: read it; change or delete a document."""
    company = company_or_404(sandbox, request)
    if company is None:
        return _error(404, "unknown tenant")
    what = request.path_params.get("what", "sales-orders")
    key = request.path_params.get("key") or f"{request.path_params['type']}/{request.path_params['order']}"
    if what in KINDS:
        return await one_record(sandbox, request)
    if what not in ("sales-orders", "invoices", "attachments"):
        return _error(405, "read-only")
    kind = {"sales-orders": "salesOrder", "invoices": "invoice", "attachments": "attachment"}[what]
    rec = sandbox.store.get(company.tenant_id, kind, key)
    if rec is None:
        return _error(404, f"{kind} {key} not found")
    if request.method == "GET":
        return json_response(_raw(rec, kind))
    if kind == "attachment":
        return _error(405, "read-only")
    return await change_document(sandbox, request, company.tenant_id, kind, rec)


async def change_document(sandbox: Sandbox, request: Request, tenant: str, kind: str, rec: Record) -> Response:
    """An office user in Visma.net: DELETE a sales order or invoice, or PATCH its
    ``status`` (e.g. a sales order Completed/Invoiced, an invoice Open = released,
    Closed = paid) and other header fields."""
    if request.method == "DELETE":
        sandbox.store.delete(tenant, kind, rec.key)
        return Response(status_code=204)
    try:
        body = await body_of(request)
    except ValueError as exc:
        return _error(400, str(exc))
    keep = ("type", "orderId") if kind == "salesOrder" else ("referenceNumber",)
    data = {**rec.data, **body, **{k: rec.data[k] for k in keep if k in rec.data}}
    return json_response(_raw(sandbox.store.put(tenant, kind, rec.key, data), kind))


async def attachment_content(sandbox: Sandbox, request: Request) -> Response:
    """``GET .../attachments/{key}/content[?revision=n]``: an attachment's bytes."""
    company = company_or_404(sandbox, request)
    rec = sandbox.store.get(company.tenant_id, "attachment", request.path_params["key"]) if company else None
    if rec is None:
        return _error(404, "attachment not found")
    revision = int(request.query_params.get("revision", len(rec.data["revisions"])))
    if not 1 <= revision <= len(rec.data["revisions"]):
        return _error(404, "no such revision")
    meta = rec.data["revisions"][revision - 1]
    return Response(sandbox.store.get_blob(meta["blob"]) or b"", media_type=meta["contentType"])


def filtered_log(sandbox: Sandbox, request: Request) -> list[dict[str, Any]]:
    """The request log filtered by the query's ``method``, ``path`` (regex), ``company``, ``status``."""
    q = request.query_params
    path_re = re.compile(q["path"]) if q.get("path") else None
    with sandbox.log_lock:
        entries = list(sandbox.log)
    return [e for e in entries
            if (not q.get("method") or e["method"] == q["method"].upper())
            and (path_re is None or path_re.search(e["path"]))
            and (not q.get("company") or (e["company"] or "").lower() == q["company"].lower())
            and (not q.get("status") or str(e["status"]) == q["status"])]


async def requests_log(sandbox: Sandbox, request: Request) -> Response:
    """``GET``/``DELETE /_sandbox/requests``: the request log (filtered), or empty it."""
    if request.method == "DELETE":
        sandbox.clear_log()
        return Response(status_code=204)
    return json_response(filtered_log(sandbox, request))


async def requests_count(sandbox: Sandbox, request: Request) -> Response:
    """``GET /_sandbox/requests/count``: how many logged requests match."""
    return json_response({"count": len(filtered_log(sandbox, request))})


async def faults(sandbox: Sandbox, request: Request) -> Response:
    """``GET``/``POST``/``DELETE /_sandbox/faults``: the injected API faults."""
    if request.method == "DELETE":
        sandbox.faults.clear()
        return Response(status_code=204)
    if request.method == "GET":
        return json_response(sandbox.faults.rules())
    try:
        rule = sandbox.faults.add(await body_of(request))
    except (ValueError, re.error, TypeError) as exc:
        return _error(400, str(exc))
    return json_response(rule.public(), 201)


async def expire_tokens(sandbox: Sandbox, request: Request) -> Response:
    """``POST /_sandbox/tokens/expire``: expire every access token (and refresh tokens if asked)."""
    body = await body_of(request)
    count = sandbox.auth.expire_all(bool(body.get("revokeRefreshTokens")))
    return json_response({"expired": count})


async def attachment_b64(sandbox: Sandbox, request: Request) -> Response:
    """``GET .../attachments/{key}/base64``: an attachment with its last revision in base64."""
    company = company_or_404(sandbox, request)
    rec = sandbox.store.get(company.tenant_id, "attachment", request.path_params["key"]) if company else None
    if rec is None:
        return _error(404, "attachment not found")
    blob = sandbox.store.get_blob(rec.data["revisions"][-1]["blob"]) or b""
    return json_response({**_raw(rec, "attachment"), "contentBase64": base64.b64encode(blob).decode()})


def _bound(sandbox: Sandbox, handler: Callable[[Sandbox, Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """A route endpoint that calls ``handler(sandbox, request)``."""

    async def endpoint(request: Request) -> Response:
        return await handler(sandbox, request)

    endpoint.__name__ = handler.__name__
    return endpoint


def control_app(sandbox: Sandbox) -> Router:
    """Router for the ``/_sandbox`` control plane: seed and inspect company data, settings, faults and the request log.

    Errors answer ``{"error": message}`` with 400, 404 or 405; not part of the emulated Visma.net API.
    """
    router = Router(routes=[
        Route("/_sandbox/health", _bound(sandbox, health)),
        Route("/_sandbox/reset", _bound(sandbox, reset), methods=["POST"]),
        Route("/_sandbox/companies", _bound(sandbox, companies)),
        Route("/_sandbox/companies/{tenant}/settings", _bound(sandbox, settings), methods=["GET", "PATCH"]),
        Route("/_sandbox/companies/{tenant}/{kinds}", _bound(sandbox, add_record), methods=["POST"]),
        Route("/_sandbox/companies/{tenant}/{what}", _bound(sandbox, list_records), methods=["GET"]),
        Route("/_sandbox/companies/{tenant}/locations/{customer}/{key}/deactivate", _bound(sandbox, deactivate), methods=["POST"]),
        Route("/_sandbox/companies/{tenant}/locations/{customer}/{key}", _bound(sandbox, one_record),
              methods=["GET", "PATCH", "DELETE"]),
        Route("/_sandbox/companies/{tenant}/attachments/{key}/content", _bound(sandbox, attachment_content)),
        Route("/_sandbox/companies/{tenant}/attachments/{key}/base64", _bound(sandbox, attachment_b64)),
        Route("/_sandbox/companies/{tenant}/sales-orders/{type}/{order}", _bound(sandbox, one_document),
              methods=["GET", "PATCH", "DELETE"]),
        Route("/_sandbox/companies/{tenant}/{kinds}/{key}/deactivate", _bound(sandbox, deactivate), methods=["POST"]),
        Route("/_sandbox/companies/{tenant}/{what}/{key}", _bound(sandbox, one_document), methods=["GET", "PATCH", "DELETE"]),
        Route("/_sandbox/requests", _bound(sandbox, requests_log), methods=["GET", "DELETE"]),
        Route("/_sandbox/requests/count", _bound(sandbox, requests_count)),
        Route("/_sandbox/faults", _bound(sandbox, faults), methods=["GET", "POST", "DELETE"]),
        Route("/_sandbox/tokens/expire", _bound(sandbox, expire_tokens), methods=["POST"]),
        *webhook_routes(sandbox.webhooks),
    ])
    for route in router.routes:  # every handler gets its path parameters decoded once
        assert isinstance(route, Route)
        route.app = request_response(_decoded(route.endpoint))
    return router
