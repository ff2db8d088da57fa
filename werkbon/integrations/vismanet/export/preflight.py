"""Step 2, the pre-flight: before the first write, the settings are valid and the master data
the document uses is usable in Visma.net *now* (fresh GETs, not the last import): the
customer exists and is not inactive or on hold, every item exists, is active and non-stock,
the warehouse exists, all fetched at once (the GETs are independent). Anything else stops
the export with the action to take, so nothing is ever sent half (manual 2.3, 5.3–5.5; ``docs/sync-rules.md`` "The job, step by step").
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_noop
from pydantic import ValidationError as PydanticValidationError

from vismanet import NotFoundError, VismaNetClient
from werkbon.integrations.models import ExportRecord, Integration, LogTable
from werkbon.integrations.vismanet.client import OffThreadDatabaseAccess, flush_deferred
from werkbon.integrations.vismanet.config import VismaNetSettings
from werkbon.integrations.vismanet.export.outcome import PermanentFailure
from werkbon.workorders.models import WorkOrder

MSG_SETTINGS_INVALID = gettext_noop(
    "The Visma.net settings are incomplete, so work order %(number)s cannot be sent: %(errors)s")
ACT_SETTINGS_INVALID = gettext_noop("Correct the integration settings, then press Retry.")
MSG_NO_CUSTOMER = gettext_noop(
    "Work order %(number)s has no customer, so no sales order or invoice can be made in Visma.net.")
ACT_NO_CUSTOMER = gettext_noop(
    "Choose the customer in the Visma.net panel of the work order, then press Retry.")
MSG_CUSTOMER_UNKNOWN = gettext_noop(
    "Customer %(customer)s of work order %(number)s does not exist in Visma.net.")
ACT_CUSTOMER_UNKNOWN = gettext_noop(
    "Create it in Visma.net or choose another customer in the Visma.net panel of the work order,"
    " then press Retry.")
MSG_CUSTOMER_INACTIVE = gettext_noop(
    "Customer %(customer)s of work order %(number)s is %(state)s in Visma.net, so no document can"
    " be made for it.")
ACT_CUSTOMER_INACTIVE = gettext_noop(
    "Activate the customer in Visma.net (or release it) or choose another customer in the"
    " Visma.net panel of the work order, then press Retry.")
MSG_ITEM_UNKNOWN = gettext_noop(
    "Item %(item)s on work order %(number)s does not exist in Visma.net.")
ACT_ITEM_UNKNOWN = gettext_noop(
    "Create the item in Visma.net again (or choose another item in the integration settings),"
    " then press Retry.")
MSG_ITEM_INACTIVE = gettext_noop(
    "Item %(item)s on work order %(number)s is %(state)s in Visma.net, so it cannot be sold.")
ACT_ITEM_INACTIVE = gettext_noop("Activate the item in Visma.net, then press Retry.")
MSG_UNIT_UNKNOWN = gettext_noop(
    "Item %(item)s is on work order %(number)s in the unit %(unit)s, which Visma.net no longer knows"
    " for this item (its units: %(known)s).")
ACT_UNIT_UNKNOWN = gettext_noop(
    "Add the unit %(unit)s to the item in Visma.net again (base, sales or purchase unit), then press Retry.")
MSG_ITEM_STOCK = gettext_noop(
    "Item %(item)s on work order %(number)s is a stock item in Visma.net; Werkbon books"
    " non-stock items only.")
ACT_ITEM_STOCK = gettext_noop(
    "Make it a non-stock item in Visma.net or choose another item in the integration settings,"
    " then press Retry.")
MSG_NO_WAREHOUSE = gettext_noop(
    "Work order %(number)s has no warehouse: %(user)s has no default warehouse and the"
    " integration settings name none.")
ACT_NO_WAREHOUSE = gettext_noop(
    "Set a default warehouse for the user or in the integration settings, then press Retry.")
MSG_WAREHOUSE_UNKNOWN = gettext_noop(
    "Warehouse %(warehouse)s of work order %(number)s does not exist in Visma.net.")
ACT_WAREHOUSE_UNKNOWN = gettext_noop(
    "Correct the user's default warehouse or the integration settings, then press Retry.")

# Visma.net's status codes → the words the log uses for them (translated when shown).
CUSTOMER_STATES = {"inactive": gettext_noop("inactive"), "onhold": gettext_noop("on hold")}
ITEM_STATES = {"inactive": gettext_noop("inactive"), "nosales": gettext_noop("blocked for sales"),
               "markedfordeletion": gettext_noop("marked for deletion")}
NOT_ACTIVE = gettext_noop("not active")


def valid_settings(integration: Integration, record: ExportRecord) -> VismaNetSettings:
    """The integration's settings, validated; PermanentFailure when they are not."""
    try:
        return VismaNetSettings.model_validate(integration.settings)
    except PydanticValidationError as error:
        errors = "; ".join(e["msg"] for e in error.errors())
        raise PermanentFailure(MSG_SETTINGS_INVALID, ACT_SETTINGS_INVALID,
                               {"number": record.work_order_number, "errors": errors},
                               table=LogTable.SETTINGS, detail=str(error)) from error


def require_customer(number: int, customer_number: str | None) -> str:
    """The customer number; PermanentFailure (choose one in the panel) when there is none."""
    if not customer_number:
        raise PermanentFailure(MSG_NO_CUSTOMER, ACT_NO_CUSTOMER, {"number": number})
    return customer_number


def choose_warehouse(work_order: WorkOrder, settings: VismaNetSettings) -> str:
    """The warehouse of a sales order's lines. With "warehouse per user": the default
    warehouse of the user who completed the work order, else of the first planned technician
    (by id) that has one, else the settings' default warehouse. Without it: the default one.
    Raises PermanentFailure when there is none."""
    if settings.warehouse_per_user:
        users = [work_order.completed_by, *work_order.technicians.order_by("id")]
        for user in users:
            if user is not None and user.default_warehouse:
                return user.default_warehouse
    if settings.default_warehouse:
        return settings.default_warehouse
    user = work_order.completed_by
    raise PermanentFailure(MSG_NO_WAREHOUSE, ACT_NO_WAREHOUSE,
                           {"number": work_order.number, "user": user.display_name if user else "—"})


# The pre-flight's GETs run at once on this many threads at most (one export has a customer,
# a few items and a warehouse; more items wait for a free thread).
PREFLIGHT_THREADS = 8


def fetch_all(client: VismaNetClient, calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the independent calls in ``calls`` (the pre-flight's GETs, the marker search; the
    attachment uploads with the status read) at once on helper threads and return each result
    or the exception it raised, in the order of ``calls``.

    Helper threads only send HTTP requests: the tokens are loaded on this thread first
    (``client.ensure_tokens``), and a call that would still need the database (a token
    that must be renewed) raises OffThreadDatabaseAccess
    there and is repeated on this thread, and a 429's pause is applied here afterwards
    (``client.flush_deferred``). A call that raised OffThreadDatabaseAccess sent nothing
    that took effect (the token is needed before a request, and a renewal follows a 401,
    which Visma.net did not apply), so repeating it is safe also for a POST. With one call
    there is nothing to overlap.
    """
    if len(calls) <= 1:
        return [_capture(call) for call in calls]
    # The tokens in the store's memory first (a database read, on this thread): otherwise
    # every helper thread of a first wave would need the database and be repeated here, one
    # after another.
    client.ensure_tokens()
    with ThreadPoolExecutor(max_workers=min(PREFLIGHT_THREADS, len(calls)),
                            thread_name_prefix="werkbon-preflight") as pool:
        results = list(pool.map(_capture, calls))
    flush_deferred(client)
    return [_capture(call) if isinstance(result, OffThreadDatabaseAccess) else result
            for call, result in zip(calls, results, strict=True)]


_fetch_all = fetch_all  # the earlier name


def start(client: VismaNetClient, call: Callable[[], Any]) -> Callable[[], Any]:
    """Start ``call`` (HTTP only) on a helper thread now; returns a function that waits for
    it and returns its result or the exception it raised (never raises itself). As in
    :func:`fetch_all`, a call that needed the database is repeated on the waiting thread and
    a 429's pause is applied there."""
    client.ensure_tokens()  # in the store's memory: the helper thread needs no database
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="werkbon-side-read")
    future = pool.submit(_capture, call)
    pool.shutdown(wait=False)

    def wait() -> Any:
        result = future.result()
        flush_deferred(client)
        return _capture(call) if isinstance(result, OffThreadDatabaseAccess) else result

    return wait


def _capture(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception as error:  # handed back to the job's thread, raised there in order
        return error


def _result(value: Any) -> Any:
    if isinstance(value, BaseException):
        raise value
    return value


@dataclass(frozen=True)
class Search:
    """The marker search of an attempt that may follow an earlier create (:mod:`.document`),
    sent in the pre-flight's wave: ``fetch`` makes the HTTP calls only (it runs on a helper
    thread) and returns what they found; ``adopt`` judges that on the job's thread (it may
    read the database) and returns the document to adopt, or None, or raises
    PermanentFailure (a document with our marker that is not provably ours)."""

    fetch: Callable[[], Any]
    adopt: Callable[[Any], str | None]


def check_master_data(client: VismaNetClient, record: ExportRecord, customer_number: str | None,
                      item_numbers: list[str], warehouse: str | None,
                      units: dict[str, list[str]] | None = None, *, search: Search | None = None) -> str | None:
    """Check fresh Visma.net data before the first write (``GET /v1/customer/{nr}``,
    ``GET /v1/inventory/{nr}``, ``GET /v1/warehouse/{id}``): the customer exists and is not
    Inactive/OnHold, every item exists, is Active and non-stock, Visma.net knows each unit in
    ``units`` (item number → the lines' registered units) as the item's base, sales or
    purchase unit (never a quantity sent in another unit), the warehouse exists.

    The GETs are independent reads, so they are sent at once (:func:`fetch_all`): one
    round trip instead of one per record. The answers are judged in the order they were
    always judged, so the problem reported is the same as when they were fetched one by one.
    With ``search`` (:class:`Search`), the marker search is sent in the same wave and judged
    first: the document it finds is returned (an earlier attempt made it; the master data is
    then not judged, as it does not matter any more), else None after the checks passed.

    Raises PermanentFailure naming the first problem and the work order, or the first
    ``vismanet`` error a fetch raised (the search's first).
    """
    number = record.work_order_number
    calls: list[Callable[[], Any]] = [search.fetch] if search is not None else []
    if customer_number:
        calls.append(lambda: client.customers.get(customer_number))
    calls.extend((lambda n=item_number: client.inventory.get(n)) for item_number in item_numbers)
    if warehouse:
        calls.append(lambda: client.warehouses.get(warehouse))
    answers = iter(fetch_all(client, calls))
    if search is not None:
        found = search.adopt(_result(next(answers)))
        if found:
            return found
    if customer_number:
        params = {"customer": customer_number, "number": number}
        try:
            customer = _result(next(answers))
        except NotFoundError as error:
            raise PermanentFailure(MSG_CUSTOMER_UNKNOWN, ACT_CUSTOMER_UNKNOWN, params, table=LogTable.CUSTOMER,
                                   object_ref=customer_number, detail=str(error)) from error
        code = (customer.status or "").lower()
        if code in CUSTOMER_STATES:
            raise PermanentFailure(MSG_CUSTOMER_INACTIVE, ACT_CUSTOMER_INACTIVE,
                                   {**params, "status": customer.status, "state": CUSTOMER_STATES[code]},
                                   table=LogTable.CUSTOMER, object_ref=customer_number, translate=("state",))
    for item_number in item_numbers:
        params = {"item": item_number, "number": number}
        try:
            item = _result(next(answers))
        except NotFoundError as error:
            raise PermanentFailure(MSG_ITEM_UNKNOWN, ACT_ITEM_UNKNOWN, params, table=LogTable.ITEM,
                                   object_ref=item_number, detail=str(error)) from error
        if item.status != "Active":
            state = ITEM_STATES.get((item.status or "").lower(), NOT_ACTIVE)
            raise PermanentFailure(MSG_ITEM_INACTIVE, ACT_ITEM_INACTIVE,
                                   {**params, "status": item.status, "state": state},
                                   table=LogTable.ITEM, object_ref=item_number, translate=("state",))
        if not item.is_non_stock:
            raise PermanentFailure(MSG_ITEM_STOCK, ACT_ITEM_STOCK, params, table=LogTable.ITEM,
                                   object_ref=item_number)
        known = [unit for unit in (item.base_unit, item.sales_unit, item.purchase_unit) if unit]
        for unit in (units or {}).get(item_number, []):
            if unit.casefold() not in {k.casefold() for k in known}:
                raise PermanentFailure(MSG_UNIT_UNKNOWN, ACT_UNIT_UNKNOWN,
                                       {**params, "unit": unit, "known": ", ".join(dict.fromkeys(known)) or "—"},
                                       table=LogTable.ITEM, object_ref=item_number)
    if warehouse:
        try:
            _result(next(answers))
        except NotFoundError as error:
            raise PermanentFailure(MSG_WAREHOUSE_UNKNOWN, ACT_WAREHOUSE_UNKNOWN,
                                   {"warehouse": warehouse, "number": number},
                                   object_ref=warehouse, detail=str(error)) from error
    return None
