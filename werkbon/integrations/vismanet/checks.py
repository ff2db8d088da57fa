"""One check per setting against Visma.net (manual 5.2–5.11, 6.2): the "Controleer" button.

Every check returns a :class:`CheckResult`: ``ok`` and an English message id with
parameters, translated when shown (``.message``) and logged as is. Checks never raise for
Visma.net problems: an unreachable Visma.net or a lost connection is a failed check with
a message saying so. The wizard cannot finish while a check fails, and saving runs every
check again (:func:`run_all`).

Rules (the check says which one failed):

* company: the token reaches the company (``GET /v1/organization``);
* work-time / travel-time item: optional; when set it exists, is active and non-stock, and
  its unit (sales unit, else base unit) looks like hours (``looks_like_hours``): time is
  sent as hours, so another unit fails the check until the office ticks the confirmation
  ``hour_unit_confirmed`` ("the unit counts hours");
* default item: required when "add a default item" is on; then the same three rules (a
  typed item is checked also while it is off, and the message says it is not added);
* filter words: at most 100 characters, no leading or trailing spaces;
* sales order type: exists, is active and behaves as a sales order (only for target
  "sales order");
* order import: the order type it reads (SO, or QT for quotes) exists and is active;
* default warehouse: required for sales orders without "warehouse per user"; exists and
  is active;
* warehouse per user: every technician has a default warehouse that exists and is active;
* sync interval: 2–3600 seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext, gettext_noop

from vismanet import (
    APIConnectionError,
    AuthenticationError,
    ItemStatus,
    NotFoundError,
    ReconnectRequired,
    VismaNetClient,
    VismaNetError,
)
from werkbon.accounts.models import Role, User
from werkbon.integrations.models import one_full_stop
from werkbon.integrations.vismanet.hours import looks_like_hours

MAX_FILTER_WORD = 100
MIN_INTERVAL, MAX_INTERVAL = 2, 3600
SALES_ORDER_BEHAVIOURS = {"SalesOrder", "SO"}  # Visma.net's "behavior" of an order type


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one settings check: ``ok`` and an English message id with parameters."""

    ok: bool
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)
    note: str = ""  # a second sentence (message id, no parameters), shown after the first

    @property
    def message(self) -> str:
        """The message in the active language."""
        text = gettext(self.msgid)
        text = one_full_stop(text % self.params if self.params else text)
        return f"{text} {gettext(self.note)}" if self.note else text


def _ok(msgid: str, **params: Any) -> CheckResult:
    return CheckResult(True, msgid, params)


def _fail(msgid: str, **params: Any) -> CheckResult:
    return CheckResult(False, msgid, params)


def _unreachable(error: Exception) -> CheckResult:
    if isinstance(error, ReconnectRequired):
        return _fail(gettext_noop("The connection with Visma.net has expired: connect again."))
    if isinstance(error, AuthenticationError):
        return _fail(gettext_noop("Visma.net refused the connection: connect again."))
    if isinstance(error, APIConnectionError):
        return _fail(gettext_noop("Visma.net cannot be reached right now; try again in a moment."))
    return _fail(gettext_noop("Visma.net answered with an error: %(error)s"),
                 error=getattr(error, "message", "") or type(error).__name__)


def _guarded(check: Callable[..., CheckResult]) -> Callable[..., CheckResult]:
    def wrapped(*args: Any, **kwargs: Any) -> CheckResult:
        try:
            return check(*args, **kwargs)
        except VismaNetError as error:
            return _unreachable(error)

    wrapped.__name__ = check.__name__
    wrapped.__doc__ = check.__doc__
    return wrapped


# --- one function per setting ------------------------------------------------------------


@_guarded
def check_company(client: VismaNetClient) -> CheckResult:
    """The token reaches a company."""
    organizations = client.companies.organizations()
    if not organizations:
        return _fail(gettext_noop("Visma.net returned no company for this connection: connect again."))
    name = organizations[0].name or organizations[0].organization_cd or "?"
    return _ok(gettext_noop("Connected to company %(company)s."), company=name)


def _check_item(client: VismaNetClient, number: str, *, hours_confirmed: bool | None = None) -> CheckResult:
    """Exists, active, non-stock; for a time item (``hours_confirmed`` not None) also a unit
    that looks like hours, or the office's confirmation that it counts hours."""
    try:
        item = client.inventory.get(number)
    except NotFoundError:
        return _fail(gettext_noop("Item %(item)s does not exist in Visma.net."), item=number)
    if item.status != ItemStatus.ACTIVE:
        return _fail(gettext_noop("Item %(item)s is inactive in Visma.net (status %(status)s)."),
                     item=number, status=item.status or "?")
    if not item.is_non_stock:
        return _fail(gettext_noop("Item %(item)s is a stock item; choose a non-stock item."), item=number)
    unit = item.sales_unit or item.base_unit or ""
    if hours_confirmed is not None and not looks_like_hours(unit):
        if hours_confirmed:
            return _ok(gettext_noop("Item %(item)s is an active non-stock item; its unit %(unit)s counts "
                                    "hours, as confirmed."), item=number, unit=unit or "-")
        return _fail(gettext_noop("Item %(item)s has unit %(unit)s; that does not look like an hour unit, "
                                  "while Werkbon sends time in hours (2 h 15 min as 2.25). Choose an item "
                                  "in hours, or tick \"The unit of the work-time and travel-time items "
                                  "counts hours\"."), item=number, unit=unit or "-")
    return _ok(gettext_noop("Item %(item)s (%(description)s) is an active non-stock item."),
               item=number, description=item.description or "")


@_guarded
def check_travel_time_item(client: VismaNetClient, number: str | None, *,
                           hours_confirmed: bool = False) -> CheckResult:
    """Optional; when set: exists, active, non-stock (manual 5.3), unit in hours or confirmed."""
    if not number:
        return _ok(gettext_noop("No item: travel time is not sent to Visma.net."))
    return _check_item(client, number, hours_confirmed=hours_confirmed)


@_guarded
def check_work_time_item(client: VismaNetClient, number: str | None, *,
                         hours_confirmed: bool = False) -> CheckResult:
    """Optional; when set: exists, active, non-stock (manual 5.4), unit in hours or confirmed."""
    if not number:
        return _ok(gettext_noop("No item: work time is not sent to Visma.net."))
    return _check_item(client, number, hours_confirmed=hours_confirmed)


@_guarded
def check_default_item(client: VismaNetClient, enabled: bool, number: str | None) -> CheckResult:
    """Required when enabled; then exists, active, non-stock (manual 5.5)."""
    if not enabled:
        if not number:
            return _ok(gettext_noop("No default item is added."))
        # An item is typed while the switch says No: check it anyway (the user asked) and
        # say both things, so a typed item is never silently ignored.
        result = _check_item(client, number)
        return CheckResult(result.ok, result.msgid, result.params, note=gettext_noop(
            "It is not added: \"Automatically add a default item?\" is set to No."))
    if not number:
        return _fail(gettext_noop("Choose the default item, or switch the default item off."))
    return _check_item(client, number)


def check_filter_word(value: str | None) -> CheckResult:
    """At most 100 characters, no surrounding spaces (manual 5.6, 5.10)."""
    value = value or ""
    if value != value.strip():
        return _fail(gettext_noop("Remove the spaces before or after the filter word."))
    if len(value) > MAX_FILTER_WORD:
        return _fail(gettext_noop("The filter word is longer than %(max)s characters."), max=MAX_FILTER_WORD)
    if not value:
        return _ok(gettext_noop("No filter word."))
    return _ok(gettext_noop("Filter word \"%(word)s\"."), word=value)


def _order_type(client: VismaNetClient, order_type: str) -> Any | None:
    return next((t for t in client.sales_order_types.list() if (t.order_type or "") == order_type), None)


@_guarded
def check_sales_order_type(client: VismaNetClient, target: str, order_type: str | None) -> CheckResult:
    """For target "sales order": the type exists, is active and behaves as a sales order."""
    if target != "sales_order":
        return _ok(gettext_noop("Not needed: archived work orders become customer invoices."))
    if not order_type:
        return _fail(gettext_noop("Enter the order type of the sales orders (usually SO)."))
    found = _order_type(client, order_type)
    if found is None:
        return _fail(gettext_noop("Order type %(type)s does not exist in Visma.net."), type=order_type)
    if found.active is False:
        return _fail(gettext_noop("Order type %(type)s is inactive in Visma.net."), type=order_type)
    if found.behavior and found.behavior not in SALES_ORDER_BEHAVIOURS:
        return _fail(gettext_noop("Order type %(type)s is not a sales order type in Visma.net (it behaves as %(behavior)s)."),
                     type=order_type, behavior=found.behavior)
    return _ok(gettext_noop("Order type %(type)s is an active sales order type."), type=order_type)


@_guarded
def check_order_import(client: VismaNetClient, order_import: str, sales_order_type: str | None = None) -> CheckResult:
    """The order type read for the import exists and is active: the sales order type (the
    import reads ``sales_order_type``, usually SO), or QT for quotes."""
    if order_import == "nothing":
        return _ok(gettext_noop("No orders are imported from Visma.net."))
    order_type = "QT" if order_import == "quotes" else (sales_order_type or "SO")
    found = _order_type(client, order_type)
    if found is None:
        return _fail(gettext_noop("Order type %(type)s does not exist in Visma.net."), type=order_type)
    if found.active is False:
        return _fail(gettext_noop("Order type %(type)s is inactive in Visma.net."), type=order_type)
    return _ok(gettext_noop("Order type %(type)s exists; its orders are imported as work orders."),
               type=order_type)


def _warehouses(client: VismaNetClient) -> dict[str, Any]:
    return {w.warehouse_id: w for w in client.warehouses.list() if w.warehouse_id}


@_guarded
def check_default_warehouse(client: VismaNetClient, target: str, warehouse_per_user: bool,
                            warehouse: str | None) -> CheckResult:
    """Required for sales orders without "warehouse per user"; exists and is active."""
    if not warehouse:
        if target == "sales_order" and not warehouse_per_user:
            return _fail(gettext_noop("Choose the default warehouse to book items from."))
        return _ok(gettext_noop("No default warehouse needed."))
    found = _warehouses(client).get(warehouse)
    if found is None:
        return _fail(gettext_noop("Warehouse %(warehouse)s does not exist in Visma.net."), warehouse=warehouse)
    if found.active is False:
        return _fail(gettext_noop("Warehouse %(warehouse)s is inactive in Visma.net."), warehouse=warehouse)
    return _ok(gettext_noop("Warehouse %(warehouse)s exists."), warehouse=warehouse)


@_guarded
def check_warehouse_per_user(client: VismaNetClient, target: str, warehouse_per_user: bool,
                             users: list[User]) -> CheckResult:
    """Every technician has a default warehouse that exists and is active in Visma.net."""
    if not warehouse_per_user or target != "sales_order":
        return _ok(gettext_noop("Items are booked from the default warehouse."))
    warehouses = _warehouses(client)
    failing = []
    for user in users:
        code = user.default_warehouse
        found = warehouses.get(code) if code else None
        if found is None or found.active is False:
            name = user.get_full_name() or user.username
            failing.append(f"{name} ({code or '-'})")
    if not users:
        return _fail(gettext_noop("There are no technicians with a default warehouse yet."))
    if failing:
        return _fail(gettext_noop("These users have no existing, active warehouse in Visma.net: %(users)s. "
                                  "Set their default warehouse."), users=", ".join(failing))
    return _ok(gettext_noop("All %(count)s technicians have an existing warehouse."), count=len(users))


def check_sync_interval(seconds: Any) -> CheckResult:
    """Between 2 and 3600 seconds."""
    try:
        value = int(seconds)
    except (TypeError, ValueError):
        return _fail(gettext_noop("Enter the interval as a whole number of seconds."))
    if not MIN_INTERVAL <= value <= MAX_INTERVAL:
        return _fail(gettext_noop("The interval must be between %(min)s and %(max)s seconds."),
                     min=MIN_INTERVAL, max=MAX_INTERVAL)
    return _ok(gettext_noop("Changes are fetched every %(seconds)s seconds."), seconds=value)


# --- by form field ------------------------------------------------------------------------

# The form fields with a "Controleer" button, in the form's order.
CHECKED_FIELDS = (
    "company", "work_time_item", "travel_time_item", "default_item", "filter_word",
    "order_import", "order_import_filter_word", "sales_order_type", "default_warehouse",
    "warehouse_per_user", "sync_interval_seconds",
)


def technicians() -> list[User]:
    """The current tenant's active technicians (warehouse per user)."""
    from werkbon.accounts.tenancy import require_current_tenant

    return list(User.objects.filter(tenant=require_current_tenant(), role=Role.TECHNICIAN, is_active=True)
                .order_by("username"))


def _flag(value: Any) -> bool:
    return value in (True, "true", "True", "1", "on", "yes")


def check_field(client: VismaNetClient, name: str, values: Mapping[str, Any]) -> CheckResult:
    """Run the check of form field ``name`` on the (raw or cleaned) form ``values``.

    Raises KeyError for a field without a check.
    """
    get = values.get
    target = get("target") or "sales_order"
    per_user = _flag(get("warehouse_per_user"))
    hours = _flag(get("hour_unit_confirmed"))
    checks: dict[str, Callable[[], CheckResult]] = {
        "company": lambda: check_company(client),
        "travel_time_item": lambda: check_travel_time_item(client, (get("travel_time_item") or "").strip(),
                                                           hours_confirmed=hours),
        "work_time_item": lambda: check_work_time_item(client, (get("work_time_item") or "").strip(),
                                                       hours_confirmed=hours),
        "default_item": lambda: check_default_item(client, _flag(get("default_item_enabled")),
                                                   (get("default_item") or "").strip()),
        "filter_word": lambda: check_filter_word(get("filter_word")),
        "order_import": lambda: check_order_import(client, get("order_import") or "nothing",
                                                   (get("sales_order_type") or "").strip().upper() or "SO"),
        "order_import_filter_word": lambda: check_filter_word(get("order_import_filter_word")),
        "sales_order_type": lambda: check_sales_order_type(client, target, (get("sales_order_type") or "").strip()),
        "default_warehouse": lambda: check_default_warehouse(client, target, per_user,
                                                             (get("default_warehouse") or "").strip()),
        "warehouse_per_user": lambda: check_warehouse_per_user(client, target, per_user, technicians()),
        "sync_interval_seconds": lambda: check_sync_interval(get("sync_interval_seconds")),
    }
    return checks[name]()


def run_all(client: VismaNetClient, values: Mapping[str, Any]) -> dict[str, CheckResult]:
    """Every check, by field name (in :data:`CHECKED_FIELDS` order)."""
    return {name: check_field(client, name, values) for name in CHECKED_FIELDS}
