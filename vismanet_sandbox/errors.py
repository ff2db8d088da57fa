"""Error bodies shaped like the real services answer them.

ERP API (api.finance.visma.net): the application layer answers the ``Exception*`` envelope
(400/404/409/412/500), the framework and gateway layer ``{"Message": ...}`` (401/403/429, routing).
Sales Orders v3: RFC 7807 ``ProblemDetails`` and ``SalesOrderValidationProblemDetails`` (400).
Visma Connect: RFC 6749 ``{error, error_description}``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.responses import Response

# Fault codes are illustrative (reference §6.2 marks the real values unconfirmed); they are
# stable so tests and client logs can rely on them.
FAULT_VALIDATION = "10000"
FAULT_NOT_FOUND = "12046"
FAULT_CONFLICT = "12048"
FAULT_PRECONDITION = "12049"
FAULT_INTERNAL = "10500"

PROBLEM_TYPES = {
    400: "https://tools.ietf.org/html/rfc7231#section-6.5.1",
    404: "https://tools.ietf.org/html/rfc7231#section-6.5.4",
    405: "https://tools.ietf.org/html/rfc7231#section-6.5.5",
    409: "https://tools.ietf.org/html/rfc7231#section-6.5.8",
    412: "https://tools.ietf.org/html/rfc7232#section-4.2",
    428: "https://tools.ietf.org/html/rfc6585#section-3",
    501: "https://tools.ietf.org/html/rfc7231#section-6.6.2",
}
PROBLEM_TITLES = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    428: "Precondition Required",
    501: "Not Implemented",
}


class ApiError(Exception):
    """Raised by handlers; the dispatcher turns it into the response it carries."""

    def __init__(
        self,
        status: int,
        body: Any = None,
        *,
        media_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status}: {body!r}")
        self.status = status
        self.body = body
        self.media_type = media_type
        self.headers = headers or {}

    def response(self) -> Response:
        """The Starlette response carrying this error's status, body and headers."""
        content = b"" if self.body is None else json.dumps(self.body, ensure_ascii=False).encode()
        media_type = self.media_type if self.body is not None else None
        return Response(content, status_code=self.status, media_type=media_type, headers=self.headers)


def erp_exception(status: int, message: str, fault_code: str = FAULT_VALIDATION) -> ApiError:
    """The ERP application-layer envelope (reference §6.2)."""
    return ApiError(
        status,
        {
            "ExceptionType": "IPPException",
            "ExceptionMessage": message,
            "ExceptionFaultCode": fault_code,
            "ExceptionMessageID": f"{fault_code}_{uuid.uuid4()}",
            "ExceptionDetails": "",
        },
    )


def erp_validation(message: str) -> ApiError:
    """ERP validation error: 400 with the IPPException envelope (reference §6.2)."""
    return erp_exception(400, message, FAULT_VALIDATION)


def erp_not_found(message: str) -> ApiError:
    """ERP not-found error: 404 with the IPPException envelope (reference §6.2)."""
    return erp_exception(404, message, FAULT_NOT_FOUND)


def erp_message(status: int, message: str, headers: dict[str, str] | None = None) -> ApiError:
    """The framework/gateway ``{"Message": ...}`` body (401, 403, 429, routing)."""
    return ApiError(status, {"Message": message}, headers=headers)


def problem(
    status: int,
    detail: str | None = None,
    *,
    instance: str | None = None,
    title: str | None = None,
    **extensions: Any,
) -> ApiError:
    """An RFC 7807 ProblemDetails body (Sales Orders v3)."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPES.get(status, "about:blank"),
        "title": title or PROBLEM_TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    body.update(extensions)
    return ApiError(status, body, media_type="application/problem+json")


class ValidationIssues:
    """Collects v3 validation failures so one request reports all of them at once."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, str]] = []

    def add(self, prop: str, code: str, message: str) -> None:
        """Record one failure of ``prop`` (the v3 property path) with a validation code."""
        self.items.append((prop, code, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def error(self, instance: str) -> ApiError:
        """400 ProblemDetails with ``errors``: property path -> messages (Sales Orders v3)."""
        errors: dict[str, list[str]] = {}
        for prop, _code, message in self.items:
            errors.setdefault(prop, []).append(message)
        return problem(
            400,
            None,
            instance=instance,
            title="One or more validation errors occurred.",
            errors=errors,
            details=[
                {"code": code, "message": message, "parameters": {"property": prop}}
                for prop, code, message in self.items
            ],
        )


def token_error(error: str, description: str, status: int = 400) -> ApiError:
    """RFC 6749 §5.2 error from the token endpoint."""
    return ApiError(
        status,
        {"error": error, "error_description": description},
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )
