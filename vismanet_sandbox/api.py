"""The emulated APIs' HTTP layer: route an ERP or v3 request, authenticate it, apply the rate
limit and run its resource handler (``routes.py`` is the table, ``resources/`` the handlers)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response

from .auth import authenticate
from .core import Call, Route
from .errors import ApiError, erp_message, problem

if TYPE_CHECKING:
    from .state import Sandbox

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



def match(sandbox: Sandbox, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """(route, params, path_known): path_known tells a wrong method from an unknown path."""
    path_known = False
    for route in sandbox.routes:
        m = route.pattern.match(path)
        if m:
            path_known = True
            if route.method == method:
                return route, m.groupdict(), True
    return None, {}, path_known

async def dispatch(sandbox: Sandbox, request: Request) -> Response:
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
    route, params, _known = match(sandbox, method, path)
    if route is None and encoded_slash:
        # A number with a "/" in it reached no route at all: ASP.NET answers 404.
        if is_v3:
            return problem(404, f"No resource was found at {path}.", instance=path).response()
        return erp_message(404, "No HTTP resource was found that matches the request URI"
                                f" '{request.url}'.").response()
    if route is None:
        return not_implemented(method, path).response()
    call = Call(request=request, params=params, sandbox=sandbox, route=route)
    info = request.scope.setdefault("sandbox", {})
    try:
        if route.api in ("erp", "v3"):
            company, client_id, scopes = authenticate(sandbox, request, route.api, route.access)
            call.company, call.client_id, call.scopes = company, client_id, scopes
            info["company"] = company.tenant_id
            allowed, headers = sandbox.limiter.hit(company.tenant_id, client_id, company.settings["rateLimit"])
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

def not_implemented(method: str, path: str) -> ApiError:
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
