"""The exception tree, and the one function that turns a failed response into an exception.

Response bodies come in five shapes: the ERP ``Exception*`` envelope, the ERP ``{"Message"}``
body (optionally with ``ModelState``), v3 ProblemDetails / SalesOrderValidationProblemDetails,
OAuth ``{"error", "error_description"}``, plain text, or nothing at all. All are read by
``_parse_body``; the status code is read only in ``error_from_response``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from vismanet._redact import redact
from vismanet._retry import retry_after_seconds

REQUEST_ID_HEADERS = ("Ipp-Request-Id", "X-Request-Id", "Request-Id", "Request-Context")
_APPLIED_NOTE = (
    "The request may have been applied by Visma.net; look the document up before sending it again."
)
_MAX_BODY = 2000


class VismaNetError(Exception):
    """Root of every error the client raises.

    Attributes:
        message: Visma's message (or ours when there was no response), secrets redacted.
        operation: Contract key of the API operation, e.g. ``"customer.get"``.
        method: HTTP method.
        status_code: HTTP status, ``None`` when no response arrived.
        error_code: First error code (ERP ``ExceptionFaultCode``, v3 ``details[].code``,
            OAuth ``error``), or ``None``.
        error_codes: All error codes found in the body.
        field_errors: Field name -> messages, from ``ModelState``, v3 ``errors`` and
            ``details[].parameters.property``.
        request_id: The first correlation id found (``Ipp-Request-Id``, ``X-Request-Id``,
            ``Request-Id``, ``Request-Context``, ProblemDetails ``traceId``).
        request_ids: Every correlation id found, by header or body field name.
        body: The response body (truncated, secrets redacted), for logs.
        may_have_been_applied: True when a write failed in a way that does not tell whether
            Visma.net applied it (timeout or connection loss after sending, 5xx on a POST).
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        method: str | None = None,
        status_code: int | None = None,
        error_codes: Iterable[str] = (),
        field_errors: Mapping[str, list[str]] | None = None,
        request_ids: Mapping[str, str] | None = None,
        body: str | None = None,
        may_have_been_applied: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.method = method
        self.status_code = status_code
        self.error_codes = list(error_codes)
        self.field_errors = dict(field_errors or {})
        self.request_ids = dict(request_ids or {})
        self.body = body
        self.may_have_been_applied = may_have_been_applied

    @property
    def error_code(self) -> str | None:
        return self.error_codes[0] if self.error_codes else None

    @property
    def request_id(self) -> str | None:
        return next(iter(self.request_ids.values()), None)

    def __str__(self) -> str:
        parts = [f"[request id {self.request_id or 'unknown'}]"]
        if self.operation:
            parts.append(f"{self.operation} ({self.method or '?'})")
        if self.status_code is not None:
            parts.append(f"HTTP {self.status_code}:")
        parts.append(self.message)
        if self.error_codes:
            parts.append(f"(codes: {', '.join(self.error_codes)})")
        if self.field_errors:
            fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in self.field_errors.items())
            parts.append(f"[fields: {fields}]")
        if self.may_have_been_applied:
            parts.append(_APPLIED_NOTE)
        return " ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(operation={self.operation!r}, status_code={self.status_code!r},"
            f" request_id={self.request_id!r}, message={self.message!r})"
        )


class AuthenticationError(VismaNetError):
    """401, or the token endpoint rejected the client (``invalid_client``)."""


class ReconnectRequired(AuthenticationError):
    """The stored consent is gone (no token, or ``invalid_grant`` on refresh).

    Nothing the client can do will fix it: a user must sign in to Visma.net again.
    """


class PermissionDeniedError(VismaNetError):
    """403: the token lacks the scope, or the user lacks the rights."""


class NotFoundError(VismaNetError):
    """404: unknown number or id in the path."""


class ValidationError(VismaNetError):
    """400/413/422: Visma rejected the request; see ``field_errors`` and ``error_codes``."""


class UnaddressableError(ValidationError):
    """A number or id that no URL path segment of this operation can carry; nothing was sent.

    Raised before any request, so a call never reaches a different route than meant. The
    ERP API (ASP.NET on IIS) decodes the path before routing: an encoded ``/`` (``%2F``)
    splits the segment, and ``& % ? : * < > \\ +`` in the decoded path are refused; the Sales
    Orders v3 API (ASP.NET Core) keeps ``%2F`` encoded, so such an id is not found. The
    look-ups with another way in (``customers.get``, ``inventory.get``, ``warehouses.get``,
    ``item_classes.get``) use it instead; this error is left for operations that have none.

    Attributes:
        parameter: The path parameter (contract name, e.g. ``orderId``).
        value: The value that cannot be carried.
    """

    def __init__(self, message: str, *, parameter: str, value: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.parameter = parameter
        self.value = value


class ConflictError(VismaNetError):
    """409: the request conflicts with the document's current state."""


class PreconditionError(VismaNetError):
    """412 (the ETag in If-Match is stale: fetch again) or 428 (If-Match missing)."""


class RateLimitedError(VismaNetError):
    """429 after the retry budget was spent, or a Retry-After longer than the policy allows.

    Attributes:
        retry_after: Seconds to wait, from ``Retry-After`` or ``X-RateLimit-Reset``.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(VismaNetError):
    """5xx from Visma.net."""


class APIConnectionError(VismaNetError):
    """No HTTP response: connection refused, reset or dropped."""


class APITimeoutError(APIConnectionError):
    """No HTTP response within the timeout."""


class UnexpectedResponseError(VismaNetError):
    """A success status with a body or headers the client cannot use (e.g. no Location)."""


class PaginationError(VismaNetError):
    """The server returned the same page twice in a row; paging would never end."""


@dataclass
class _ErrorBody:
    message: str | None = None
    codes: list[str] = field(default_factory=list)
    field_errors: dict[str, list[str]] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)


def _add_field_error(errors: dict[str, list[str]], name: str, message: str) -> None:
    messages = errors.setdefault(name, [])
    if message not in messages:
        messages.append(message)


def _parse_body(text: str) -> _ErrorBody:
    result = _ErrorBody()
    if not text.strip():
        return result
    try:
        data = json.loads(text)
    except ValueError:
        result.message = text.strip()[:500]
        return result
    if not isinstance(data, dict):
        result.message = text.strip()[:500]
        return result
    # Keys are matched case-insensitively: the ERP uses PascalCase, v3 and OAuth camelCase.
    low = {k.lower(): v for k, v in data.items()}
    if "exceptionmessage" in low:  # ERP application error
        result.message = str(low["exceptionmessage"])
        if low.get("exceptionfaultcode"):
            result.codes.append(str(low["exceptionfaultcode"]))
        if low.get("exceptionmessageid"):
            result.ids["ExceptionMessageID"] = str(low["exceptionmessageid"])
    elif "error" in low and isinstance(low["error"], str):  # OAuth token endpoint
        result.codes.append(low["error"])
        result.message = str(low.get("error_description") or low["error"])
    else:  # {"Message"} or ProblemDetails
        result.message = (
            low.get("message") or low.get("detail") or low.get("title") or text.strip()[:500]
        )
        if low.get("detail") and low.get("title") and result.message == low["detail"]:
            result.message = f"{low['title']} {low['detail']}"
    for source in ("modelstate", "errors"):
        errors = low.get(source)
        if isinstance(errors, dict):
            for name, messages in errors.items():
                for message in messages if isinstance(messages, list) else [messages]:
                    _add_field_error(result.field_errors, str(name), str(message))
    details = low.get("details")
    if isinstance(details, list):
        for detail in details:
            if not isinstance(detail, dict):
                continue
            if detail.get("code"):
                result.codes.append(str(detail["code"]))
            params = detail.get("parameters")
            prop = params.get("property") if isinstance(params, dict) else None
            if prop and detail.get("message"):
                _add_field_error(result.field_errors, str(prop), str(detail["message"]))
    if low.get("traceid"):
        result.ids["traceId"] = str(low["traceid"])
    return result


def request_ids_from(headers: httpx.Headers) -> dict[str, str]:
    """Correlation ids present on a response, in the order support desks ask for them."""
    return {name: headers[name] for name in REQUEST_ID_HEADERS if name in headers}


def _class_for(status: int, codes: list[str]) -> type[VismaNetError]:
    if "invalid_grant" in codes:
        return ReconnectRequired
    if status == 401 or {"invalid_client", "unauthorized_client", "invalid_scope"} & set(codes):
        return AuthenticationError
    table: dict[int, type[VismaNetError]] = {
        400: ValidationError,
        403: PermissionDeniedError,
        404: NotFoundError,
        409: ConflictError,
        412: PreconditionError,
        413: ValidationError,
        422: ValidationError,
        428: PreconditionError,
        429: RateLimitedError,
    }
    if status in table:
        return table[status]
    return ServerError if status >= 500 else VismaNetError


def error_from_response(
    response: httpx.Response,
    *,
    operation: str,
    secrets: Iterable[str | None] = (),
    may_have_been_applied: bool = False,
) -> VismaNetError:
    """Build the exception for a failed response. The only place that maps status codes."""
    secrets = list(secrets)
    text = redact(response.text, secrets)
    parsed = _parse_body(text)
    cls = _class_for(response.status_code, parsed.codes)
    message = parsed.message or response.reason_phrase or "no message"
    if cls is ReconnectRequired:
        message = (
            "Visma.net no longer accepts the stored consent"
            f" ({message}); a user must reconnect Visma.net (sign in again)."
        )
    kwargs: dict[str, Any] = {
        "operation": operation,
        "method": response.request.method,
        "status_code": response.status_code,
        "error_codes": parsed.codes,
        "field_errors": parsed.field_errors,
        "request_ids": {**request_ids_from(response.headers), **parsed.ids},
        "body": text[:_MAX_BODY],
        "may_have_been_applied": may_have_been_applied,
    }
    if cls is RateLimitedError:
        kwargs["retry_after"] = retry_after_seconds(response.headers)
    return cls(redact(message, secrets), **kwargs)


def error_from_exception(
    exc: httpx.TransportError, *, operation: str, method: str, may_have_been_applied: bool
) -> APIConnectionError:
    """Build the exception for a request that got no response at all."""
    cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
    kind = "timed out" if cls is APITimeoutError else "failed"
    detail = str(exc) or type(exc).__name__
    return cls(
        f"The connection to Visma.net {kind} ({type(exc).__name__}: {redact(detail)}).",
        operation=operation,
        method=method,
        may_have_been_applied=may_have_been_applied,
    )
