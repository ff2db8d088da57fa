"""The JSON API at ``/api/v1/``: one NinjaAPI, its authentication and its error bodies.

Authentication, tried in this order:

* ``Authorization: Bearer <key>`` with an :class:`~werkbon.accounts.models.ApiToken` key;
  no CSRF token is needed. TenantMiddleware ran before the token was known (for an
  anonymous user), so the auth puts the token user's tenant in the tenant context, and
  :func:`urls` restores the previous context when the request ends.
* the Django session of a logged-in user of a tenant, with Django's CSRF check on unsafe
  methods (``X-CSRFToken`` header), as the browser screens use it.

Every action endpoint takes an optional ``Idempotency-Key`` header (a UUID): the action is
applied once for it, and sent again it answers as the first time
(:mod:`werkbon.workorders.actions`). ``POST /api/v1/actions`` applies a batch of actions.

Error bodies (all JSON):

* 400 ``{"detail": message}``: the body is not valid JSON;
* 401 ``{"detail": message}``: no or a bad credential;
* 403 ``{"detail": message}``: a technician asked for an office action, or a failed CSRF check;
* 404 ``{"detail": message}``: unknown, or another tenant's, or not planned to this technician;
* 409 ``{"detail": message}``: a work-order rule refused the change (e.g. archived);
* 412 ``{"detail": message}``: the work order changed since the version sent (``If-Match``);
* 429 ``{"detail": message}``: too many wrong API tokens from this address (login
  throttling, :mod:`werkbon.accounts.throttling`): wait for the cool-off;
* 422 ``{"detail": [{"loc", "msg", "type"}...], "errors": {field: [message, ...]}}``:
  invalid input, with the messages per field (``__all__`` for the body as a whole);
  for a batch (``POST /api/v1/actions``) refused as a whole ``detail`` is one text for the
  user instead, per action ("Actie 1: …"), and ``errors`` is keyed ``<index>.<field>``.
  Text with NUL or an unpaired surrogate (JSON ``"\ud800"``) is such a 422 in every field.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.conf import settings as django_settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from werkbon.accounts import throttling
from werkbon.accounts.models import ApiToken, User
from werkbon.accounts.tenancy import get_current_tenant, reset_current_tenant, set_current_tenant
from werkbon.workorders.services import AnswersError, LifecycleError, StaleWorkOrderError

# --- authentication ----------------------------------------------------------------------


def _enter_tenant(request: HttpRequest, user: User) -> User:
    # No reset token is kept here: the URL wrapper (_wrap_view) restores the context.
    set_current_tenant(user.tenant)
    request.tenant = user.tenant  # type: ignore[attr-defined]
    return user


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <key>``; a key that is wrong or revoked is a 401 (it does
    not fall through to the session)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        if throttling.token_auth_locked(request):
            raise HttpError(429, throttling.lockout_message())
        user = ApiToken.user_for_key(token)
        if user is None:
            throttling.token_auth_failed(request)
            raise AuthenticationError(message=_("Invalid or revoked API token."))
        return _enter_tenant(request, user)


class TenantSessionAuth(SessionAuth):
    """The logged-in user of a tenant (support staff without a tenant cannot use the API).

    Django's CSRF check (ninja's ``check_csrf``, the one its ``django_auth`` runs) guards
    unsafe methods: a 403 without a valid ``X-CSRFToken``. No session is a 401, not a
    CSRF error.
    """

    def __call__(self, request: HttpRequest) -> User | None:
        user = request.user
        if not user.is_authenticated or getattr(user, "tenant_id", None) is None:
            return None
        if check_csrf(request) is not None:
            raise HttpError(403, _("CSRF check failed: send the X-CSRFToken header with the session."))
        if not user.is_active:
            return None
        return _enter_tenant(request, user)  # type: ignore[arg-type]


def current_user(request: HttpRequest) -> User:
    """The authenticated API user (token or session)."""
    return request.auth  # type: ignore[attr-defined,no-any-return]


def require_office(request: HttpRequest) -> User:
    """The user, or a 403 for a technician."""
    user = current_user(request)
    if not user.is_office:
        raise HttpError(403, _("Only the office can do this."))
    return user


# --- errors ----------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str


class ValidationErrorOut(Schema):
    detail: list[dict[str, Any]]
    errors: dict[str, list[str]]


class FieldErrors(Exception):
    """Input that is well formed but wrong (an unknown customer number, …): a 422 with
    ``errors`` ``{field: [message]}`` like a schema validation error."""

    def __init__(self, errors: dict[str, list[str]], detail: str | None = None) -> None:
        super().__init__(errors)
        self.errors = errors
        self.detail = detail


class BatchValidationErrorOut(Schema):
    """A 422 on a batch as a whole (``POST /api/v1/actions``): ``detail`` one text for the
    user, per action (``Actie 1: …``, counted from 1); ``errors`` the same per field
    (``<index from 0>.<field>``) for programs."""

    detail: str
    errors: dict[str, list[str]]


# Fields of a batch's action whose own message would be unclear without the field's name.
def _batch_field_message(field: str, error: dict[str, Any]) -> str:
    if field == "work_order":
        return _("the work order must be a valid number (or the client id of a work order "
                 "made on site)")
    if field == "client_id":
        return _("the client id must be a UUID")
    if field == "action":
        return _("the action: %(message)s") % {"message": _message(error)}
    if field == "version":
        return _("the version: %(message)s") % {"message": _message(error)}
    if field == "payload":
        return _("the payload: %(message)s") % {"message": _message(error)}
    return _message(error)


def batch_errors(errors: Iterable[dict[str, Any]]) -> FieldErrors:
    """The validation errors of a batch of actions (loc ``(index, field, …)`` after the body
    and parameter name) as one Dutch text per action plus ``errors`` per field."""
    per_field: dict[str, list[str]] = {}
    per_action: dict[int | None, list[str]] = {}
    for error in errors:
        loc = list(error.get("loc", ()))
        loc = loc[1:] if loc[:1] == ["body"] else loc
        loc = loc[1:2 + 1] if loc[:1] == ["payload"] else loc[:2]
        index = loc[0] if loc and isinstance(loc[0], int) else None
        field = str(loc[1]) if index is not None and len(loc) > 1 else ""
        message = _batch_field_message(field, error) if index is not None else _message(error)
        key = f"{index}.{field}" if index is not None and field else (
            str(index) if index is not None else "__all__")
        if message not in per_field.setdefault(key, []):
            per_field[key].append(message)
        if message not in per_action.setdefault(index, []):
            per_action[index].append(message)
    parts = []
    for index, messages in per_action.items():
        text = "; ".join(messages)
        parts.append(text if index is None else _("Action %(number)s: %(problem)s")
                     % {"number": index + 1, "problem": text})
    return FieldErrors(per_field, detail=". ".join(parts))


# The responses every operation documents besides its own (the bodies are described above).
ERROR_RESPONSES: dict[int, type[Schema]] = {
    400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut, 429: ErrorOut,
}
CHANGE_ERROR_RESPONSES: dict[int, type[Schema]] = {**ERROR_RESPONSES, 409: ErrorOut}


def _field_name(loc: Iterable[Any]) -> str:
    # ninja's loc is ("body"|"query"|"path", <param name>, field, ...); the first two say
    # where the value came from, the rest is the field the API user sent.
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        parts = parts[1:]
        if parts and parts[0] in {"payload", "filters", "pagination"}:
            parts = parts[1:]
    return ".".join(parts) or "__all__"


def _choices(expected: Any) -> str:
    """Pydantic's "'a', 'b' or 'c'" as "'a', 'b', 'c'": its English "or" must not end up
    in a Dutch sentence."""
    found = re.findall(r"'[^']*'", str(expected))
    return ", ".join(found) if found else str(expected)


def _message(error: dict[str, Any]) -> str:
    """A user message for one pydantic error: translated for the common kinds."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    known: dict[str, Callable[[], str]] = {
        "missing": lambda: _("This field is required."),
        "int_parsing": lambda: _("Enter a whole number."),
        "int_type": lambda: _("Enter a whole number."),
        "int_from_float": lambda: _("Enter a whole number."),
        "decimal_parsing": lambda: _("Enter a number."),
        "decimal_type": lambda: _("Enter a number."),
        "greater_than_equal": lambda: _("Enter a value of at least %(limit)s.") % {"limit": ctx.get("ge")},
        "greater_than": lambda: _("Enter a value of more than %(limit)s.") % {"limit": ctx.get("gt")},
        "less_than_equal": lambda: _("Enter a value of at most %(limit)s.") % {"limit": ctx.get("le")},
        "date_parsing": lambda: _("Enter a date as YYYY-MM-DD."),
        "date_from_datetime_parsing": lambda: _("Enter a date as YYYY-MM-DD."),
        "date_type": lambda: _("Enter a date as YYYY-MM-DD."),
        "datetime_parsing": lambda: _("Enter a date and time in ISO 8601 with a UTC offset."),
        "datetime_from_date_parsing": lambda: _("Enter a date and time in ISO 8601 with a UTC offset."),
        "datetime_type": lambda: _("Enter a date and time in ISO 8601 with a UTC offset."),
        "timezone_aware": lambda: _("Give the time with a UTC offset, such as +01:00 or Z."),
        "string_too_long": lambda: _("Enter at most %(max)s characters.") % {"max": ctx.get("max_length")},
        "string_too_short": lambda: _("This field cannot be empty."),
        "string_type": lambda: _("Enter text."),
        "literal_error": lambda: _("Choose one of: %(choices)s.") % {
            "choices": _choices(ctx.get("expected", ""))},
        "enum": lambda: _("Choose one of: %(choices)s.") % {"choices": _choices(ctx.get("expected", ""))},
        "finite_number": lambda: _("Enter a number."),
        "float_parsing": lambda: _("Enter a number."),
        "float_type": lambda: _("Enter a number."),
        "decimal_max_digits": lambda: _("Enter at most %(max)s digits in total.") % {
            "max": ctx.get("max_digits")},
        "decimal_max_places": lambda: _("Enter at most %(max)s decimal places.") % {
            "max": ctx.get("decimal_places")},
        "decimal_whole_digits": lambda: _("Enter at most %(max)s digits before the decimal sign.")
        % {"max": ctx.get("whole_digits")},
        "string_nul": lambda: _("NUL characters are not allowed."),
        # a lone surrogate ("\ud800" in the JSON): no character, cannot be stored
        "string_unicode": lambda: _("The text contains an invalid character; type it again."),
        "string_surrogate": lambda: _("The text contains an invalid character; type it again."),
        "answer_type": lambda: _("Enter text, a number, or true or false."),
        "date_window": lambda: _("Enter a date from %(min)s to %(max)s.") % {
            "min": ctx.get("min"), "max": ctx.get("max")},
        "too_long": lambda: _("Enter at most %(max)s values.") % {"max": ctx.get("max_length")},
        "bool_parsing": lambda: _("Enter true or false."),
        "bool_type": lambda: _("Enter true or false."),
        "json_invalid": lambda: _("The body is not valid JSON."),
        "list_type": lambda: _("Enter a list."),
        "model_attributes_type": lambda: _("Send a JSON object."),
        "dict_type": lambda: _("Send a JSON object."),
        "uuid_parsing": lambda: _("Enter a UUID."),
        "uuid_type": lambda: _("Enter a UUID."),
        "union_tag_invalid": lambda: _("Invalid value."),
    }
    make = known.get(kind)
    return make() if make else str(error.get("msg", _("Invalid value.")))


def error_message(error: dict[str, Any]) -> str:
    """The user message for one pydantic error (also for payloads validated by hand)."""
    return _message(error)


def _validation_body(detail: list[dict[str, Any]], errors: dict[str, list[str]]) -> dict[str, Any]:
    return {"detail": detail, "errors": errors}


api = NinjaAPI(
    title="Werkbon API",
    version="1.0.0",
    description=__doc__ or "",
    urls_namespace="api",
    auth=[TokenAuth(), TenantSessionAuth()],
)


# URL names of operations whose body is a list of actions (their 422 is batch_errors').
BATCH_URL_NAMES = {"apply_actions"}


@api.exception_handler(ValidationError)
def _on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if getattr(request.resolver_match, "url_name", None) in BATCH_URL_NAMES:
        return _on_field_errors(request, batch_errors(exc.errors))
    detail: list[dict[str, Any]] = []
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        field = _field_name(error.get("loc", ()))
        message = _message(error)
        detail.append({"loc": list(error.get("loc", ())), "msg": message, "type": error.get("type")})
        errors.setdefault(field, []).append(message)
    return api.create_response(request, _validation_body(detail, errors), status=422)


@api.exception_handler(FieldErrors)
def _on_field_errors(request: HttpRequest, exc: FieldErrors) -> HttpResponse:
    detail = [
        {"loc": ["body", field], "msg": message, "type": "value_error"}
        for field, messages in exc.errors.items()
        for message in messages
    ]
    if exc.detail is not None:  # a batch: one text for the user
        return api.create_response(request, {"detail": exc.detail, "errors": exc.errors},
                                   status=422)
    return api.create_response(request, _validation_body(detail, exc.errors), status=422)


@api.exception_handler(LifecycleError)
def _on_lifecycle_error(request: HttpRequest, exc: LifecycleError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=409)


@api.exception_handler(StaleWorkOrderError)
def _on_stale(request: HttpRequest, exc: StaleWorkOrderError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=412)


@api.exception_handler(AnswersError)
def _on_answers(request: HttpRequest, exc: AnswersError) -> HttpResponse:
    return _on_field_errors(request, FieldErrors(exc.errors))


def _on_action_refused(request: HttpRequest, exc: Exception) -> HttpResponse:
    # An action of werkbon/workorders/actions.py refused: its status, or a 422 naming the field.
    field = getattr(exc, "field", None)
    if field:
        return _on_field_errors(request, FieldErrors({field: [str(exc)]}))
    return api.create_response(request, {"detail": str(exc)}, status=getattr(exc, "status", 409))


@api.exception_handler(HttpError)
def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    message = str(exc)
    if exc.status_code == 400 and message.startswith("Cannot parse request body"):
        message = _("The body is not valid JSON.")
    response = api.create_response(request, {"detail": message}, status=exc.status_code)
    if exc.status_code == 429:  # locked out: the longest wait, in seconds
        response["Retry-After"] = str(int(django_settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


@api.exception_handler(RequestDataTooBig)
def _on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # A body over DATA_UPLOAD_MAX_MEMORY_SIZE: refused before it is read, never a 500.
    return api.create_response(request, {"detail": _(
        "The request is too large. Send less text at once (see the field limits in this API's "
        "documentation).")}, status=413)


@api.exception_handler(Http404)
def _on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # One message for "does not exist" and "not yours", so existence never leaks.
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(AuthenticationError)
def _on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = exc.message if exc.message != "Unauthorized" else _(
        "Authentication required: send Authorization: Bearer <API token>, or log in."
    )
    return api.create_response(request, {"detail": message}, status=401)




# --- URLs -------------------------------------------------------------------------------


def _wrap_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)  # keeps csrf_exempt: ninja's cookie auth does the CSRF check itself
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Token auth changes the tenant context mid-request: put back what was there.
        context = set_current_tenant(get_current_tenant())
        try:
            return view(request, *args, **kwargs)
        finally:
            reset_current_tenant(context)

    # The API answers an anonymous caller with a JSON 401, not a redirect to the login page.
    return login_not_required(wrapped)


def _wrap_patterns(patterns: Iterable[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _wrap_patterns(pattern.url_patterns)
        else:
            pattern.callback = _wrap_view(pattern.callback)
    return list(patterns)


def _mount_routers() -> None:
    # Mounted when the URLs are first asked for, not at import: the routers import this
    # module for its auth and error helpers.
    if not getattr(api, "_werkbon_mounted", False):
        from werkbon.workorders.actions import ActionRefused
        from werkbon.workorders.api import router as work_order_router
        from werkbon.workorders.api_installations import router as installation_router

        api.add_exception_handler(ActionRefused, _on_action_refused)

        api.add_router("/", work_order_router)
        api.add_router("/", installation_router)
        api._werkbon_mounted = True  # type: ignore[attr-defined]


@functools.cache
def urls() -> tuple[list[URLPattern | URLResolver], str, str]:
    """The API's URL patterns, namespace ``api``."""
    _mount_routers()
    patterns, _app_name, _namespace = api.urls
    return _wrap_patterns(patterns), "api", "api"


# ``include("werkbon.api")`` reads these; the patterns are made on first use (PEP 562).
app_name = "api"


def __getattr__(name: str) -> Any:
    if name == "urlpatterns":
        return urls()[0]
    raise AttributeError(name)
