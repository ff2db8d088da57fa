"""The sandbox's ASGI app: ``create_app()`` composes the state (``state.py``), the emulated
APIs (``api.py``), Visma Connect (``auth.py``), the control plane (``control.py``) and the
request log and fault middleware (``middleware.py``).

Request flow: ``SandboxMiddleware`` (request log, fault injection, connection drops) →
``/_sandbox/...`` control plane | Visma Connect | the API dispatcher (route match → bearer and
scope check → rate limit → resource handler).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from . import api
from .api import API_PREFIXES, routing_path
from .control import control_app
from .core import json_response
from .errors import erp_message
from .middleware import SandboxMiddleware
from .state import KEYS, Sandbox, load_seed

__all__ = ["KEYS", "Sandbox", "SandboxMiddleware", "control_path", "create_app", "load_seed", "routing_path"]
_ENCODED_SLASH = re.compile("%2F", re.IGNORECASE)


def control_path(scope: Scope) -> str:
    """The control plane's routing path: each segment decoded, but a "/" or "%" inside a
    segment kept escaped (``%2F``, ``%25``), so a key such as ``K/77`` stays one path
    parameter; the control handlers decode their parameters once."""
    raw = scope.get("raw_path")
    if not raw:
        return str(scope["path"]).replace("%", "%25")
    raw_path = raw.decode("latin-1").split("?", 1)[0]
    return "%2F".join(unquote(part).replace("%", "%25") for part in _ENCODED_SLASH.split(raw_path))


def create_app(data_path: str | None = None, seed: str = "demo") -> Any:
    """Build the ASGI app: ``create_app()`` for memory state seeded with the demo data."""
    sandbox = Sandbox(data_path, seed)
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
            response = await api.dispatch(sandbox, request)
        else:
            response = json_response({"Message": f"No resource at {path} (vismanet_sandbox)."}, 404)
        await response(scope, receive, send)

    wrapped = SandboxMiddleware(app, sandbox)
    wrapped.sandbox = sandbox  # type: ignore[attr-defined]
    return wrapped
