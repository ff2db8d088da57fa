"""The sandbox object (state, auth, faults, rate limits, request log) and its ASGI app.

Request flow: ``SandboxMiddleware`` (request log, fault injection, connection drops) →
``/_sandbox/...`` control plane | Visma Connect | the API dispatcher (route match → bearer and
scope check → rate limit → resource handler).
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections import deque
from importlib import resources as importlib_resources
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from .auth import AuthState, Connect, authenticate
from .core import Call, Route, json_response
from .errors import ApiError, erp_exception, erp_message, problem
from .faults import FaultRegistry
from .ratelimit import RateLimiter
from .store import Store
from .webhooks import Dispatcher

API_PREFIXES = ("/v1/", "/v2/", "/api/", "/resources/", "/API/")
# ASP.NET's default requestPathInvalidCharacters (the ERP API runs on ASP.NET/IIS).
ERP_INVALID_PATH_CHARACTERS = "<>*%&:\\?"
_ENCODED_SLASH = re.compile("%2F", re.IGNORECASE)


def routing_path(request: Request) -> tuple[str, bool]:
    """The path as Visma.net routes it, and whether an encoded slash (``%2F``) was in it.

    The ERP API (ASP.NET on IIS) decodes the whole path before routing, so ``%2F`` becomes a
    separator. The Sales Orders v3 API (ASP.NET Core, Kestrel) decodes every escape except
    ``%2F``, which stays encoded in the route value (so such an id is not found).
    """
    raw = request.scope.get("raw_path")
    decoded = str(request.scope["path"])
    if not raw:
        return decoded, False
    raw_path = raw.decode("latin-1").split("?", 1)[0]
    slash = bool(_ENCODED_SLASH.search(raw_path))
    if slash and decoded.lower().startswith("/api/v3/"):
        return "%2F".join(unquote(part) for part in _ENCODED_SLASH.split(raw_path)), True
    return decoded, slash


def control_path(scope: Scope) -> str:
    """The control plane's routing path: each segment decoded, but a "/" or "%" inside a
    segment kept escaped (``%2F``, ``%25``), so a key such as ``K/77`` stays one path
    parameter; the control handlers decode their parameters once."""
    raw = scope.get("raw_path")
    if not raw:
        return str(scope["path"]).replace("%", "%25")
    raw_path = raw.decode("latin-1").split("?", 1)[0]
    return "%2F".join(unquote(part).replace("%", "%25") for part in _ENCODED_SLASH.split(raw_path))

# How each kind's key is derived from its data, and which fields carry the store timestamps.
KEYS = {
    "customer": lambda d: d["number"],
    "customerClass": lambda d: d["id"],
    "location": lambda d: f"{d['baccount']['number']}/{d['locationId']}",
    "inventory": lambda d: d["inventoryNumber"],
    "itemClass": lambda d: d["id"],
    "postingClass": lambda d: d["id"],
    "warehouse": lambda d: d["warehouseID"],
    "salesOrderType": lambda d: d["orderType"],
    "salesOrder": lambda d: f"{d['type']}/{d['orderId']}",
    "invoice": lambda d: d["referenceNumber"],
    "branch": lambda d: d["number"],
    "organization": lambda d: d["organizationCd"],
}
ID_FIELDS = {"inventory": "inventoryId", "warehouse": None}
STAMP_FIELDS = {"salesOrder": ("lastModified", "created")}


def load_seed(name: str) -> dict[str, Any]:
    """A shipped seed document: ``demo`` or ``empty``."""
    if name == "empty":
        demo = load_seed("demo")
        return {"applications": demo["applications"], "users": demo["users"], "companies": [
            {**{k: c[k] for k in ("tenantId", "companyNumber", "name", "organization", "branches")},
             "records": {}} for c in demo["companies"]]}
    text = importlib_resources.files("vismanet_sandbox.data").joinpath(f"{name}.json").read_text("utf-8")
    return json.loads(text)


class Sandbox:
    """All emulator state. One instance serves one ASGI app."""

    def __init__(self, data_path: str | None = None, seed: str = "demo") -> None:
        self.store = Store(data_path)
        self.auth = AuthState()
        self.faults = FaultRegistry()
        self.limiter = RateLimiter()
        self.log: deque[dict[str, Any]] = deque(maxlen=20000)
        self.log_lock = threading.Lock()
        # Bumped by reset and by clearing the log: a request still held by a fault from
        # before (a timeout) is not logged into the new state when it finally ends.
        self.log_generation = 0
        self.connect = Connect(self)
        self.webhooks = Dispatcher()
        self.store.listeners.append(self.webhooks.on_change)
        from .routes import build_routes  # late: routes import resource modules that import core

        self.routes: list[Route] = build_routes()
        if data_path and not self.store.is_empty():
            # A persisted data file keeps its records; only the auth registry comes from the meta table.
            self.auth.load(self.store.get_meta("applications", []), self.store.get_meta("users", []))
        else:
            self.reset(load_seed(seed))

    # -- state -----------------------------------------------------------------------------

    def reset(self, document: dict[str, Any]) -> None:
        """Replace all state with a seed document (see README, "Seed documents")."""
        self.clear_log()
        self.webhooks.clear()  # before the seed: seeding notifies nobody
        self.store.clear()
        self.limiter.reset()
        self.faults.clear()
        self.auth.load(document.get("applications", []), document.get("users", []))
        self.store.set_meta("applications", document.get("applications", []))
        self.store.set_meta("users", document.get("users", []))
        for company in document.get("companies", []):
            tenant = company["tenantId"]
            self.store.add_company(tenant, int(company["companyNumber"]), company["name"],
                                   {"organization": company.get("organization"),
                                    "branches": company.get("branches", [])},
                                   company.get("settings"))
            for kind, items in company.get("records", {}).items():
                for item in items:
                    self.seed_record(tenant, kind, item)
            for name, value in company.get("counters", {}).items():
                self.store.set_counter(tenant, name, int(value))

    def seed_record(self, tenant: str, kind: str, item: dict[str, Any]) -> Any:
        """Store one seed record, taking its key, timestamps and internal id from the seed fields."""
        data = dict(item)
        modified_field, created_field = STAMP_FIELDS.get(kind, ("lastModifiedDateTime", "createdDateTime"))
        modified = data.pop(modified_field, None)
        created = data.pop(created_field, None)
        id_field = ID_FIELDS.get(kind, "internalId")
        internal_id = data.pop(id_field, None) if id_field else None
        return self.store.put(tenant, kind, KEYS[kind](data), data, modified=modified,
                              created=created, internal_id=internal_id)

    def record_log(self, entry: dict[str, Any], generation: int | None = None) -> None:
        """Append one entry to the in-memory request log, unless the log was cleared (or the
        state reset) since the request started (``generation``)."""
        with self.log_lock:
            if generation is None or generation == self.log_generation:
                self.log.append(entry)

    def clear_log(self) -> None:
        """Empty the request log; requests still under way are not logged."""
        with self.log_lock:
            self.log.clear()
            self.log_generation += 1

    # -- dispatch --------------------------------------------------------------------------

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """(route, params, path_known): path_known tells a wrong method from an unknown path."""
        path_known = False
        for route in self.routes:
            m = route.pattern.match(path)
            if m:
                path_known = True
                if route.method == method:
                    return route, m.groupdict(), True
        return None, {}, path_known

    async def dispatch(self, request: Request) -> Response:
        """Route, authenticate and rate-limit an API request, then run its handler.

        Answers 501 for unknown routes, 401/403 from authentication, 429 over the rate limit, and
        the response of any ApiError a handler raises.
        """
        path, encoded_slash = routing_path(request)
        method = request.method
        if method == "HEAD":
            method = "GET"
        is_v3 = path.lower().startswith("/api/v3/")
        if not is_v3:
            bad = next((c for c in path if c in ERP_INVALID_PATH_CHARACTERS), None)
            if bad is not None:
                return erp_message(400, "A potentially dangerous Request.Path value was detected from the"
                                        f" client ({bad}).").response()
            if "+" in path:
                return erp_message(404, "The request filtering module is configured to deny a request that"
                                        " contains a double escape sequence.").response()
        route, params, _known = self.match(method, path)
        if route is None and encoded_slash:
            # A number with a "/" in it reached no route at all: ASP.NET answers 404.
            if is_v3:
                return problem(404, f"No resource was found at {path}.", instance=path).response()
            return erp_message(404, "No HTTP resource was found that matches the request URI"
                                    f" '{request.url}'.").response()
        if route is None:
            return self.not_implemented(method, path).response()
        call = Call(request=request, params=params, sandbox=self, route=route)
        info = request.scope.setdefault("sandbox", {})
        try:
            if route.api in ("erp", "v3"):
                company, client_id, scopes = authenticate(self, request, route.api, route.access)
                call.company, call.client_id, call.scopes = company, client_id, scopes
                info["company"] = company.tenant_id
                allowed, headers = self.limiter.hit(company.tenant_id, client_id, company.settings["rateLimit"])
                retry_after = headers.pop("Retry-After", None)
                info.setdefault("headers", {}).update(headers)  # added to every response by the middleware
                if not allowed:
                    raise erp_message(429, f"Rate limit is exceeded. Try again in {retry_after} seconds.",
                                      headers={"Retry-After": str(retry_after)})
                if route.api == "erp" and request.headers.get("erp-api-background"):
                    raise erp_message(501, "vismanet_sandbox does not emulate the background API "
                                           "(erp-api-background header); send the request without it.")
            return await route.handler(call)
        except ApiError as exc:
            return exc.response()

    def not_implemented(self, method: str, path: str) -> ApiError:
        """501 for a request no route serves, naming the contract operation when there is one.

        ProblemDetails under ``/api/v3/``, the ERP ``{"Message"}`` body otherwise.
        """
        from .coverage import contract_operation_for

        op = contract_operation_for(method, path)
        named = f" (contract operation '{op}')" if op else ""
        if op and op.startswith(("salesorder_v1.", "salesorder_v2.")):
            named += "; the ERP sales-order endpoints reached end of life on 2026-03-31, use Sales Orders v3"
        message = f"Not implemented in vismanet_sandbox: {method} {path}{named}."
        if path.lower().startswith("/api/v3/"):
            return problem(501, message, instance=path)
        return erp_message(501, message)


def _fault_response(path: str, status: int, retry_after: int | None) -> Response:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    if status == 429:
        err = erp_message(429, f"Rate limit is exceeded. Try again in {retry_after or 1} seconds.", headers)
    elif path.lower().startswith("/api/v3/"):
        err = problem(status, "Injected fault (vismanet_sandbox).", instance=path)
        err.headers.update(headers)
    elif path.startswith("/connect/"):
        err = ApiError(status, {"error": "temporarily_unavailable",
                                "error_description": "Injected fault (vismanet_sandbox)."}, headers=headers)
    elif status == 500:
        err = erp_exception(500, "An error has occurred. (injected fault)", "10500")
        err.headers.update(headers)
    else:
        err = erp_message(status, "The service is temporarily unavailable. (injected fault)", headers)
    return err.response()


async def _drop_connection(send: Send) -> None:
    """Close the TCP connection without an answer (uvicorn h11: reach the transport)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None:
        transport.close()
        await asyncio.sleep(0.05)  # let uvicorn see the disconnect so it sends no 500 of its own
        return
    # Not under uvicorn: start a response and abort it; the client sees a broken reply.
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
    raise ConnectionAbortedError("vismanet_sandbox: response dropped on purpose")


class SandboxMiddleware:
    """Request log, fault injection and rate-limit headers around the whole app."""

    def __init__(self, app: Any, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry: apply injected faults, log the request and add rate-limit headers.

        ``/_sandbox`` and non-HTTP scopes pass through untouched.
        """
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox"):
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        info: dict[str, Any] = {"headers": {}, "company": None}
        scope["sandbox"] = info
        started, status_box = time.time(), {"status": 0}
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        info["company"] = self.sandbox.auth.peek_tenant(headers.get("authorization"))

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_box["status"] = message["status"]
                extra = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in info["headers"].items()]
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        recorded = False
        generation = self.sandbox.log_generation

        def record() -> None:
            # Called before a connection is dropped on purpose, too: what runs after the
            # drop is up to the server, and a test may read the log right away.
            nonlocal recorded
            if recorded:
                return
            recorded = True
            self.sandbox.record_log({
                "method": method, "path": path,
                "query": scope.get("query_string", b"").decode("latin-1"),
                "status": status_box["status"], "company": info.get("company"),
                "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(started)),
                "durationMs": round((time.time() - started) * 1000, 1),
            }, generation)

        try:
            latency, rule = self.sandbox.faults.take(method, path)
            if latency:
                await asyncio.sleep(latency / 1000)
            if rule is None:
                await self.app(scope, receive, send_wrapped)
            elif rule.kind == "status":
                status_box["status"] = rule.status
                await _fault_response(path, rule.status, rule.retry_after)(scope, receive, send)
            elif rule.kind == "timeout":
                await asyncio.sleep(rule.ms / 1000)
                status_box["status"] = -1
                record()
                await _drop_connection(send)
            else:
                buffered: list[Message] = []

                async def capture(message: Message) -> None:
                    buffered.append(message)

                await self.app(scope, receive, capture)
                applied = buffered and buffered[0].get("status", 500) < 400
                if rule.kind == "drop_after_write":
                    status_box["status"] = -1
                    record()
                    await _drop_connection(send)
                elif rule.kind == "no_location":
                    # A success whose Location header is missing (the specs leave it open).
                    for message in buffered:
                        if message["type"] == "http.response.start":
                            message = {**message, "headers": [(k, v) for k, v in message.get("headers", [])
                                                              if k.lower() != b"location"]}
                        await send_wrapped(message)
                elif applied:
                    status_box["status"] = 500
                    await _fault_response(path, 500, None)(scope, receive, send)
                else:
                    for message in buffered:
                        await send_wrapped(message)
        finally:
            record()


def create_app(data_path: str | None = None, seed: str = "demo") -> Any:
    """Build the ASGI app: ``create_app()`` for memory state seeded with the demo data."""
    sandbox = Sandbox(data_path, seed)
    from .control import control_app

    control = control_app(sandbox)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        path = scope["path"]
        if path.startswith("/_sandbox"):
            await control({**scope, "path": control_path(scope)}, receive, send)
            return
        request = Request(scope, receive)
        if path == "/.well-known/openid-configuration":
            response = await sandbox.connect.discovery(request)
        elif path == "/connect/authorize" and request.method in ("GET", "POST"):
            response = await sandbox.connect.authorize(request)
        elif path == "/connect/token" and request.method == "POST":
            response = await sandbox.connect.token(request)
        elif path.startswith("/connect/"):
            response = erp_message(501, f"Not implemented in vismanet_sandbox: {request.method} {path}.").response()
        elif path.startswith(API_PREFIXES):
            response = await sandbox.dispatch(request)
        else:
            response = json_response({"Message": f"No resource at {path} (vismanet_sandbox)."}, 404)
        await response(scope, receive, send)

    wrapped = SandboxMiddleware(app, sandbox)
    wrapped.sandbox = sandbox  # type: ignore[attr-defined]
    return wrapped
