"""The request context handed to resource handlers and the route table machinery.

Routing is done here rather than with Starlette's router so that path literals match
case-insensitively (ASP.NET does; Visma's samples use ``/salesorders/SO/...``), every route
carries its contract operation id (for COVERAGE.md) and its auth requirement, and anything
unrouted answers "not implemented" naming the contract operation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from .errors import ApiError, erp_message, erp_validation, problem
from .store import Company, Store

if TYPE_CHECKING:
    from .state import Sandbox

Handler = Callable[["Call"], Awaitable[Response]]

ERP_SCOPES = {
    access: {f"vismanet_erp_interactive_api:{access}", f"vismanet_erp_service_api:{access}"}
    for access in ("read", "create", "update", "delete")
}
V3_SCOPES = {
    "read": {"visma.net.erp.salesorder:read"},
    "write": {"visma.net.erp.salesorder:write"},
}


@dataclass
class Route:
    """One emulated operation. ``api`` picks the error dialect and scope family."""

    op: str
    method: str
    path: str
    handler: Handler
    api: str  # "erp" | "v3" | "public"
    access: str = "read"
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.path)
        self.pattern = re.compile(f"^{regex}/?$", re.IGNORECASE)


@dataclass
class Call:
    """Everything a handler needs: the request, path parameters and the caller's company."""

    request: Request
    params: dict[str, str]
    sandbox: Sandbox
    route: Route
    company: Company | None = None
    client_id: str | None = None
    scopes: frozenset[str] = frozenset()

    @property
    def store(self) -> Store:
        """The sandbox's record store."""
        return self.sandbox.store

    @property
    def tenant(self) -> str:
        """Tenant id of the caller's company; only valid after authentication."""
        assert self.company is not None
        return self.company.tenant_id

    @property
    def path(self) -> str:
        """The request URL path (used as the problem ``instance``)."""
        return self.request.url.path

    def setting(self, name: str) -> Any:
        """One of the company's sandbox settings (e.g. ``maxPageSize``); KeyError when unknown."""
        assert self.company is not None
        return self.company.settings[name]

    def absolute(self, path: str) -> str:
        """``path`` as an absolute URL on the sandbox's base URL (for ``Location`` headers)."""
        return f"{str(self.request.base_url).rstrip('/')}{path}"

    async def json(self) -> Any:
        """Parse a JSON body; malformed JSON answers like the framework layer does."""
        raw = await self.request.body()
        try:
            return json.loads(raw or b"null")
        except ValueError:
            if self.route.api == "v3":
                raise problem(400, "The request body is not valid JSON.", instance=self.path) from None
            raise erp_message(400, "The request is invalid.") from None

    async def json_object(self) -> dict[str, Any]:
        """The JSON body as a dict.

        Raises ApiError: 400 ProblemDetails on v3, the ERP validation envelope (400) otherwise,
        when the body is not valid JSON or not an object.
        """
        body = await self.json()
        if not isinstance(body, dict):
            if self.route.api == "v3":
                raise problem(400, "A JSON object is required.", instance=self.path)
            raise erp_validation("A JSON object is required in the request body.")
        return body


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A UTF-8 JSON response with ``status`` and optional extra headers."""
    return Response(
        json.dumps(body, ensure_ascii=False).encode(),
        status_code=status,
        media_type="application/json; charset=utf-8",
        headers=headers,
    )


def etag(tag: str) -> str:
    """A strong ETag header value: ``tag`` in double quotes."""
    return f'"{tag}"'


def if_match_values(request: Request) -> list[str] | None:
    """Values of If-Match with quotes and weak prefixes removed (None when absent)."""
    raw = request.headers.get("if-match")
    if raw is None:
        return None
    values = []
    for part in raw.split(","):
        part = part.strip()
        if part.startswith("W/"):
            part = part[2:]
        values.append(part.strip('"'))
    return values


def raise_api(error: ApiError) -> None:
    """Raise ``error`` (usable where an expression is needed, e.g. in a lambda)."""
    raise error
