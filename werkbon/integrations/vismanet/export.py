"""Archived work orders → sales orders or customer invoices in Visma.net, exactly once.

The rules are written down in ``docs/sync-rules.md`` ("## Export"); the content of a
document is decided in :mod:`werkbon.integrations.vismanet.mapping.outbound`. In short:

1. :func:`queue` (called by the ``work_order_archived`` receiver, inside the archive
   transaction) writes the outbox row (:class:`ExportRecord`), or a "kept out" row when the
   work description holds the filter word, and enqueues :func:`export` on commit.
2. :func:`export` (the Celery task, under the record's lease, in the tenant's context):
   records the attempt in its own committed transaction BEFORE any call; gathers the facts;
   checks the customer, every item and the warehouse against fresh Visma.net data; looks in
   Visma.net for a document it may already have made (by the marker) and adopts it, or
   creates it; stores the document number at once; uploads the PDFs not uploaded yet; marks
   the record sent. A work order made from a Visma.net sales order is written back to that
   order instead (quantities patched, added lines tagged so a re-read recognises them).
3. Transient failures (429, 5xx, timeouts, dropped connections, 412) reschedule the record
   with back-off, at most :data:`MAX_ATTEMPTS_PER_WINDOW` attempts in any
   :data:`RETRY_WINDOW` for one work order; permanent ones (no/unknown/inactive customer,
   unknown/inactive/stock item, unknown warehouse, a validation error, lost access) fail the
   record with ONE error log entry saying what to do. :func:`retry` queues it again.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_noop
from pydantic import ValidationError as PydanticValidationError

from vismanet import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    SalesOrderLinePatch,
    VismaNetClient,
    VismaNetError,
)
from vismanet import ValidationError as VismaValidationError
from werkbon.integrations.log import log
from werkbon.integrations.models import (
    ExportAttempt,
    ExportRecord,
    ExportStatus,
    ExternalLink,
    Integration,
    IntegrationKind,
    LogEntry,
    LogLevel,
    LogTable,
)
from werkbon.integrations.vismanet.client import client_for, record_quota
from werkbon.integrations.vismanet.config import TargetOption, VismaNetSettings
from werkbon.integrations.vismanet.hours import units_used
from werkbon.integrations.vismanet.mapping import outbound
from werkbon.workorders import history
from werkbon.workorders.models import Customer, TimeKind, WorkAddress, WorkOrder

logger = logging.getLogger(__name__)

KIND = IntegrationKind.VISMANET.value
SALES_ORDER = "sales_order"
CUSTOMER_INVOICE = "customer_invoice"
# A document we made is searched among documents changed since the record was written,
# minus this margin for clock differences between Werkbon and Visma.net.
SEARCH_MARGIN = dt.timedelta(minutes=10)
# How long after an attempt started the tick may try again if the worker died mid-call:
# after the record's lease (tasks.LEASE_SECONDS) has expired.
STALE_AFTER = dt.timedelta(seconds=330)
# Until the on-commit enqueue has run, the tick leaves a new record alone for this long.
SAFETY_NET_DELAY = dt.timedelta(seconds=30)
CLOSED_ORDER_STATUSES = {"completed", "cancelled", "invoiced", "voided", "closed"}
UNUSABLE_CUSTOMER_STATUSES = {"inactive", "onhold"}
RETRYABLE = (ExportStatus.QUEUED, ExportStatus.SENDING, ExportStatus.ATTACHMENTS_PENDING)


def _window() -> dt.timedelta:
    """At most MAX_ATTEMPTS_PER_WINDOW attempts in any window of this length (5 minutes)."""
    return dt.timedelta(seconds=django_settings.VISMANET_EXPORT_RETRY_WINDOW_SECONDS)


def _max_attempts() -> int:
    return int(django_settings.VISMANET_EXPORT_MAX_ATTEMPTS_PER_WINDOW)


def _backoff_base() -> float:
    return float(django_settings.VISMANET_EXPORT_BACKOFF_SECONDS)


# ---- messages (English msgids; Dutch in werkbon/locale/nl/LC_MESSAGES/django.po) -----------

MSG_KEPT_OUT = gettext_noop(
    'Work order %(number)s was kept out of Visma.net on purpose: its work description contains'
    ' the filter word "%(word)s".')
MSG_SENT = gettext_noop("Work order %(number)s was sent to Visma.net as %(document)s.")
MSG_SENT_HOURS = gettext_noop("Work order %(number)s was sent to Visma.net as %(document)s; work and "
                              "travel time in hours, unit per item: %(units)s.")
MSG_ADOPTED = gettext_noop(
    "Work order %(number)s was already in Visma.net as %(document)s (made by an earlier attempt"
    " whose answer was lost); it was linked and not sent again.")
MSG_WRITTEN_BACK = gettext_noop(
    "Work order %(number)s was written back to %(document)s in Visma.net: %(changed)s lines"
    " changed, %(added)s lines added.")
MSG_SHORTENED = gettext_noop(
    "The %(field)s of work order %(number)s has %(length)s characters and Visma.net takes"
    " %(limit)s: it was shortened on purpose.")
ACT_SHORTENED = gettext_noop("No action needed; check the text in Visma.net if its end matters.")
MSG_NO_CUSTOMER = gettext_noop(
    "Work order %(number)s has no customer, so no sales order or invoice can be made in Visma.net.")
ACT_NO_CUSTOMER = gettext_noop(
    "Choose the customer in the Visma.net panel of the work order, then press Retry.")
MSG_CUSTOMER_UNKNOWN = gettext_noop("Customer %(customer)s does not exist in Visma.net.")
ACT_CUSTOMER_UNKNOWN = gettext_noop(
    "Create it in Visma.net or choose another customer in the Visma.net panel of the work order,"
    " then press Retry.")
MSG_CUSTOMER_INACTIVE = gettext_noop("Customer %(customer)s is %(status)s in Visma.net.")
ACT_CUSTOMER_INACTIVE = gettext_noop(
    "Activate it in Visma.net or choose another customer in the Visma.net panel of the work"
    " order, then press Retry.")
MSG_ITEM_UNKNOWN = gettext_noop(
    "Item %(item)s on work order %(number)s does not exist in Visma.net.")
ACT_ITEM_UNKNOWN = gettext_noop(
    "Create the item in Visma.net again (or choose another item in the integration settings),"
    " then press Retry.")
MSG_ITEM_INACTIVE = gettext_noop(
    "Item %(item)s on work order %(number)s is %(status)s in Visma.net.")
ACT_ITEM_INACTIVE = gettext_noop("Activate the item in Visma.net, then press Retry.")
MSG_ITEM_STOCK = gettext_noop(
    "Item %(item)s on work order %(number)s is a stock item in Visma.net; Werkbon books"
    " non-stock items only.")
ACT_ITEM_STOCK = gettext_noop(
    "Make it a non-stock item in Visma.net or choose another item in the integration settings,"
    " then press Retry.")
MSG_UNIT_UNKNOWN = gettext_noop(
    "Item %(item)s is on work order %(number)s in the unit %(unit)s, which Visma.net no longer knows"
    " for this item (its units: %(known)s).")
ACT_UNIT_UNKNOWN = gettext_noop(
    "Add the unit %(unit)s to the item in Visma.net again (base, sales or purchase unit), then press Retry.")
MSG_NO_WAREHOUSE = gettext_noop(
    "Work order %(number)s has no warehouse: %(user)s has no default warehouse and the"
    " integration settings name none.")
ACT_NO_WAREHOUSE = gettext_noop(
    "Set a default warehouse for the user or in the integration settings, then press Retry.")
MSG_WAREHOUSE_UNKNOWN = gettext_noop("Warehouse %(warehouse)s does not exist in Visma.net.")
ACT_WAREHOUSE_UNKNOWN = gettext_noop(
    "Correct the user's default warehouse or the integration settings, then press Retry.")
MSG_REFUSED_ORDER = gettext_noop("Visma.net refused the sales order for work order %(number)s: %(errors)s")
MSG_REFUSED_INVOICE = gettext_noop(
    "Visma.net refused the customer invoice for work order %(number)s: %(errors)s")
ACT_REFUSED = gettext_noop("Correct what Visma.net names, then press Retry.")
MSG_ACCESS = gettext_noop("Visma.net refused access while sending work order %(number)s: %(errors)s")
ACT_ACCESS = gettext_noop(
    "Reconnect Visma.net (Integrations → Visma.net) with a user who may create sales orders and"
    " invoices, then press Retry.")
MSG_ORDER_CLOSED = gettext_noop(
    "Sales order %(document)s, which work order %(number)s came from, is %(status)s in Visma.net"
    " and can no longer be changed.")
ACT_ORDER_CLOSED = gettext_noop("Set the order back to Open or Hold in Visma.net, then press Retry.")
MSG_ORIGIN_GONE = gettext_noop(
    "Sales order %(document)s, which work order %(number)s came from, no longer exists in"
    " Visma.net: a new document is made instead.")
MSG_ATTACHMENT_REFUSED = gettext_noop(
    "Work order %(number)s is in Visma.net as %(document)s, but the PDF %(file)s could not be"
    " attached: %(errors)s")
ACT_ATTACHMENT_REFUSED = gettext_noop(
    "Press Retry to attach it again; the document itself is not sent again.")
MSG_WORK_ORDER_GONE = gettext_noop(
    "Work order %(number)s no longer exists in Werkbon, so it cannot be sent to Visma.net.")
ACT_WORK_ORDER_GONE = gettext_noop("No action possible: make the document in Visma.net by hand.")
MSG_SETTINGS_INVALID = gettext_noop(
    "The Visma.net settings are incomplete, so work order %(number)s cannot be sent: %(errors)s")
ACT_SETTINGS_INVALID = gettext_noop("Correct the integration settings, then press Retry.")
MSG_TRANSIENT = gettext_noop("Sending work order %(number)s to Visma.net failed for now: %(errors)s")
ACT_TRANSIENT = gettext_noop("No action needed: it is tried again automatically at %(when)s.")
ACT_NONE = gettext_noop("No action needed")


class PermanentFailure(Exception):
    """A problem the user must solve; becomes one error log entry and status failed."""

    def __init__(self, message: str, action: str, params: dict[str, Any] | None = None, *,
                 table: str = LogTable.WORK_ORDER, object_ref: str = "", detail: str = "") -> None:
        super().__init__(message % (params or {}))
        self.message, self.action, self.params = message, action, params or {}
        self.table, self.object_ref, self.detail = table, object_ref, detail


@dataclass
class Outcome:
    """What an attempt achieved (for the log and ExportAttempt.outcome)."""

    kind: str  # created, adopted, written_back, attachments
    document: str = ""
    params: dict[str, Any] = field(default_factory=dict)


# ---- the outbox ------------------------------------------------------------------------


def queue(work_order: WorkOrder) -> ExportRecord | None:
    """Write the export's outbox row for ``work_order`` in the current (archive) transaction.

    Returns the record (status queued, or kept_out when the work description contains the
    filter word, case-insensitive), the existing record when one exists (never twice), or None
    when the tenant's Visma.net integration is not ACTIVE (nothing is sent later by surprise).
    The export task is enqueued when the transaction commits; the tick is the safety net.
    """
    integration = Integration.all_tenants.filter(tenant_id=work_order.tenant_id, kind=KIND).first()
    if integration is None or not integration.is_active:
        return None
    existing = ExportRecord.all_tenants.filter(
        tenant_id=work_order.tenant_id, kind=KIND, work_order_number=work_order.number).first()
    if existing is not None:
        return existing
    try:
        word = VismaNetSettings.model_validate(integration.settings).filter_word.strip()
    except PydanticValidationError:
        word = ""  # the export itself reports the broken settings
    kept_out = bool(word) and word.casefold() in (work_order.description or "").casefold()
    now = timezone.now()
    record = ExportRecord.all_tenants.create(
        tenant_id=work_order.tenant_id, kind=KIND, work_order=work_order,
        work_order_number=work_order.number, marker=outbound.marker(work_order.number),
        status=ExportStatus.KEPT_OUT if kept_out else ExportStatus.QUEUED,
        next_attempt_at=None if kept_out else now + SAFETY_NET_DELAY,
    )
    if kept_out:
        log(integration, LogLevel.INFO, LogTable.WORK_ORDER, MSG_KEPT_OUT, action=ACT_NONE,
            params={"number": work_order.number, "word": word},
            object_ref=str(work_order.number), export=record)
    else:
        _enqueue_on_commit(record.pk)
    return record


def _enqueue_on_commit(record_id: int) -> None:
    from werkbon.integrations import tasks

    # robust: a broker that is down must not fail the committed archive; the tick retries.
    transaction.on_commit(lambda: tasks.export_work_order.delay(record_id), robust=True)


def retry(record: ExportRecord) -> bool:
    """Queue a failed or waiting export again at once (the Retry buttons call this).

    A record whose document was made goes back to attachments_pending, so only what is
    missing is sent. Returns False (and changes nothing) for a record that is sent, kept out
    or being sent right now.
    """
    if record.status not in (ExportStatus.FAILED, ExportStatus.QUEUED, ExportStatus.ATTACHMENTS_PENDING):
        return False
    status = ExportStatus.ATTACHMENTS_PENDING if record.document_number else ExportStatus.QUEUED
    changed = ExportRecord.all_tenants.filter(pk=record.pk, status=record.status).update(
        status=status, next_attempt_at=timezone.now() + SAFETY_NET_DELAY, last_error="",
        last_action="")
    if changed:
        record.refresh_from_db()
        _enqueue_on_commit(record.pk)
    return bool(changed)


def set_customer(record: ExportRecord, customer: Customer) -> WorkAddress | None:
    """Put ``customer`` on the work order of a failed export whose document was not made yet
    (the only change allowed on an archived work order: its export cannot go without one).

    The work address stays (the work was done there; it is never emptied silently): returns
    it when it belongs to another customer, so the caller can say so; else None.
    Raises ValueError when the customer can no longer be chosen."""
    if record.status != ExportStatus.FAILED or record.document_number or record.work_order_id is None:
        raise ValueError("the customer can only be chosen for a failed export without a document")
    # The archived work order keeps the new customer's number and name, and its PDFs name it.
    return history.change_archived_customer(WorkOrder.objects.get(pk=record.work_order_id), customer)


# ---- the job ---------------------------------------------------------------------------


def export(record: ExportRecord) -> None:
    """Send one outbox row to Visma.net (run by ``tasks.export_work_order`` under the
    record's lease, in its tenant's context). Raises nothing for problems the user must solve
    or that a later attempt solves: they end as the record's status and a log entry."""
    integration = Integration.objects.filter(kind=KIND).first()
    if integration is None or not integration.is_active or record.status not in RETRYABLE:
        return
    now = timezone.now()
    wait_until = _throttled_until(record, now)
    if wait_until is not None:
        ExportRecord.objects.filter(pk=record.pk).update(next_attempt_at=wait_until)
        return
    attempt = _begin(record, now)
    try:
        with client_for(integration) as client:
            try:
                outcome = _send(integration, record, client)
            finally:
                record_quota(integration, client)
    except PermanentFailure as failure:
        _fail(integration, record, attempt, failure)
    except VismaNetError as error:
        permanent = _permanent_from_error(record, error)
        if permanent is not None:
            _fail(integration, record, attempt, permanent)
        else:
            _postpone(integration, record, attempt, error)
    except Exception as error:  # a bug must not lose the export: it is retried later
        logger.exception("export of work order %s crashed", record.work_order_number)
        _postpone(integration, record, attempt, error)
    else:
        _finish(integration, record, attempt, outcome)


def _throttled_until(record: ExportRecord, now: dt.datetime) -> dt.datetime | None:
    """When the next attempt may start, if MAX attempts already started within the window.
    Attempts that ended in a permanent failure don't count: the next one is a user's Retry."""
    window, limit = _window(), _max_attempts()
    recent = list(ExportAttempt.objects.filter(export=record, started_at__gt=now - window)
                  .exclude(outcome="failed").order_by("-started_at").values_list("started_at", flat=True))
    if len(recent) < limit:
        return None
    return recent[limit - 1] + window


def _begin(record: ExportRecord, now: dt.datetime) -> ExportAttempt:
    """Record the attempt and mark the record sending, committed before any call."""
    with transaction.atomic():
        attempt = ExportAttempt.objects.create(export=record)
        ExportRecord.objects.filter(pk=record.pk).update(
            status=ExportStatus.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + STALE_AFTER)
    record.refresh_from_db()
    return attempt


def _settings(integration: Integration, record: ExportRecord) -> VismaNetSettings:
    try:
        return VismaNetSettings.model_validate(integration.settings)
    except PydanticValidationError as error:
        errors = "; ".join(e["msg"] for e in error.errors())
        raise PermanentFailure(MSG_SETTINGS_INVALID, ACT_SETTINGS_INVALID,
                               {"number": record.work_order_number, "errors": errors},
                               table=LogTable.SETTINGS, detail=str(error)) from error


def _send(integration: Integration, record: ExportRecord, client: VismaNetClient) -> Outcome:
    settings = _settings(integration, record)
    work_order = (WorkOrder.objects.select_related("customer", "work_address", "completed_by")
                  .filter(pk=record.work_order_id).first())
    if work_order is None:
        raise PermanentFailure(MSG_WORK_ORDER_GONE, ACT_WORK_ORDER_GONE,
                               {"number": record.work_order_number})
    outcome = Outcome("attachments", record.document_number)
    if not record.document_number:
        outcome = _make_document(integration, record, work_order, settings, client)
    _upload_missing(integration, record, work_order, settings, client)
    return outcome


def _make_document(integration: Integration, record: ExportRecord, work_order: WorkOrder,
                   settings: VismaNetSettings, client: VismaNetClient) -> Outcome:
    origin = _origin(work_order)
    quote = None
    if origin is not None and origin.external_type == SALES_ORDER:
        order_type, order_id = _order_key(origin)
        try:
            order = client.sales_orders.get(order_type, order_id)
        except NotFoundError:
            log(integration, LogLevel.WARNING, LogTable.WORK_ORDER, MSG_ORIGIN_GONE, action=ACT_NONE,
                params={"number": record.work_order_number, "document": f"{order_type} {order_id}"},
                object_ref=str(record.work_order_number), export=record)
        else:
            return _write_back(integration, record, work_order, settings, client, origin, order)
    elif origin is not None:
        quote = _order_key(origin)
    facts = gather_facts(work_order, quote=f"{quote[0]} {quote[1]}" if quote else None)
    plan = outbound.plan_document(facts, settings)
    if not plan.customer_number:
        raise PermanentFailure(MSG_NO_CUSTOMER, ACT_NO_CUSTOMER, {"number": facts.number})
    # The document type is pinned at the first attempt: a target changed in the settings
    # between an ambiguous attempt and the next must not make a second document elsewhere.
    # The sales order's type is pinned with it, for the same reason (the search for an
    # earlier attempt's order looks in that type).
    if not record.document_type:
        target = SALES_ORDER if settings.target == TargetOption.SALES_ORDER else CUSTOMER_INVOICE
        order_type = settings.sales_order_type if target == SALES_ORDER else ""
        ExportRecord.objects.filter(pk=record.pk).update(document_type=target, order_type=order_type)
        record.document_type, record.order_type = target, order_type
    is_order = record.document_type == SALES_ORDER
    if is_order:
        order_type = record.order_type or settings.sales_order_type
        warehouse = choose_warehouse(work_order, settings)
        # Search first: a document an earlier attempt made is adopted even if the check
        # below would fail now.
        found = find_sales_order(client, record, order_type, plan)
        if found:
            number, kind = f"{order_type} {found}", "adopted"
        else:
            preflight(client, record, plan.customer_number, plan.item_numbers, warehouse, plan.item_units)
            body = outbound.to_sales_order(plan, order_type=order_type, warehouse=warehouse, original=quote)
            created = client.sales_orders.create(body)
            number, kind = f"{order_type} {created.id}", "created"
        _store_document(record, SALES_ORDER, number)
    else:
        found = find_invoice(client, record, plan)
        if found:
            number, kind = found, "adopted"
        else:
            preflight(client, record, plan.customer_number, plan.item_numbers, None, plan.item_units)
            number, kind = str(client.customer_invoices.create(outbound.to_customer_invoice(plan)).id), "created"
        _store_document(record, CUSTOMER_INVOICE, number)
    for cut in plan.shortened:  # logged once: the document exists now
        log(integration, LogLevel.WARNING, LogTable.WORK_ORDER, MSG_SHORTENED, action=ACT_SHORTENED,
            params={"number": facts.number, "field": cut.field, "length": cut.length, "limit": cut.limit},
            object_ref=str(facts.number), export=record)
    units = units_used(settings, facts.work_minutes, facts.travel_minutes) if kind == "created" else ""
    return Outcome(kind, number, {"units": units} if units else {})


def gather_facts(work_order: WorkOrder, *, quote: str | None = None) -> outbound.WorkOrderFacts:
    """The work order's values the mapping needs (tenant context required): its customer
    number as archived, its own copy of the work address, each material line's item number,
    quantity and the unit it was registered in."""
    entries = list(work_order.time_entries.all())
    address = work_order.address
    archived = work_order.archived_at or timezone.now()
    return outbound.WorkOrderFacts(
        number=work_order.number,
        customer_number=work_order.display_customer_number or None,
        description=work_order.description or "",
        customer_reference=work_order.customer_reference or "",
        work_address=address.with_name() if address else "",
        work_minutes=sum(e.minutes for e in entries if e.kind == TimeKind.WORK),
        travel_minutes=sum(e.minutes for e in entries if e.kind == TimeKind.TRAVEL),
        materials=tuple(
            outbound.MaterialFact(f"m{line.pk}", line.item_number or line.item.number, line.quantity, line.note,
                                  line.unit)
            for line in work_order.material_lines.select_related("item").order_by("id")
        ),
        date=timezone.localdate(archived),
        quote=quote,
    )


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


def preflight(client: VismaNetClient, record: ExportRecord, customer_number: str | None,
              item_numbers: list[str], warehouse: str | None,
              units: dict[str, list[str]] | None = None) -> None:
    """Check fresh Visma.net data before the first write, so nothing is sent half: the
    customer exists and is usable (not Inactive/OnHold), every item exists, is Active and
    non-stock, Visma.net knows each unit in ``units`` (item → the lines' registered units)
    as the item's base, sales or purchase unit (never a quantity sent in another unit), the
    warehouse exists. Raises PermanentFailure naming the first problem."""
    number = record.work_order_number
    if customer_number:
        try:
            customer = client.customers.get(customer_number)
        except NotFoundError as error:
            raise PermanentFailure(MSG_CUSTOMER_UNKNOWN, ACT_CUSTOMER_UNKNOWN, {"customer": customer_number},
                                   table=LogTable.CUSTOMER, object_ref=customer_number,
                                   detail=str(error)) from error
        if (customer.status or "").lower() in UNUSABLE_CUSTOMER_STATUSES:
            raise PermanentFailure(MSG_CUSTOMER_INACTIVE, ACT_CUSTOMER_INACTIVE,
                                   {"customer": customer_number, "status": customer.status},
                                   table=LogTable.CUSTOMER, object_ref=customer_number)
    for item_number in item_numbers:
        params = {"item": item_number, "number": number}
        try:
            item = client.inventory.get(item_number)
        except NotFoundError as error:
            raise PermanentFailure(MSG_ITEM_UNKNOWN, ACT_ITEM_UNKNOWN, params, table=LogTable.ITEM,
                                   object_ref=item_number, detail=str(error)) from error
        if item.status != "Active":
            raise PermanentFailure(MSG_ITEM_INACTIVE, ACT_ITEM_INACTIVE, {**params, "status": item.status},
                                   table=LogTable.ITEM, object_ref=item_number)
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
            client.warehouses.get(warehouse)
        except NotFoundError as error:
            raise PermanentFailure(MSG_WAREHOUSE_UNKNOWN, ACT_WAREHOUSE_UNKNOWN, {"warehouse": warehouse},
                                   object_ref=warehouse, detail=str(error)) from error


def find_sales_order(client: VismaNetClient, record: ExportRecord, order_type: str,
                     plan: outbound.DocumentPlan) -> str | None:
    """The id of an order of ``order_type`` that carries our marker in its customer-order
    field, changed since the record was written (minus a margin), or None. Not filtered on
    the customer: the customer may have been chosen again after a failure."""
    since = record.created_at - SEARCH_MARGIN
    for summary in client.sales_orders.list(order_type=order_type, modified_since=since):
        if (summary.customer_order or "") == plan.marker and summary.order_id:
            return summary.order_id
    return None


def find_invoice(client: VismaNetClient, record: ExportRecord, plan: outbound.DocumentPlan) -> str | None:
    """The number of an invoice with our marker as external reference, changed since the
    record was written (minus a margin), or None."""
    since = record.created_at - SEARCH_MARGIN
    for invoice in client.customer_invoices.list(external_reference=plan.marker, last_modified=since):
        if (invoice.external_reference or "").casefold() == plan.marker.casefold() and invoice.reference_number:
            return invoice.reference_number
    return None


def _store_document(record: ExportRecord, document_type: str, number: str) -> None:
    """Write the document number back at once (its own commit): from now on no attempt
    makes another document for this work order."""
    ExportRecord.objects.filter(pk=record.pk).update(document_type=document_type, document_number=number)
    record.document_type, record.document_number = document_type, number


# ---- write-back to the originating sales order -----------------------------------------


def _origin(work_order: WorkOrder) -> ExternalLink | None:
    return (ExternalLink.objects.filter(kind=KIND, local_type="work_order", local_id=work_order.pk,
                                        external_type__in=[SALES_ORDER, "quote"])
            .order_by("id").first())


def _order_key(link: ExternalLink) -> tuple[str, str]:
    data = link.data or {}
    if data.get("order_type") and data.get("order_id"):
        return str(data["order_type"]), str(data["order_id"])
    order_type, _sep, order_id = link.external_id.partition("/")
    return order_type, order_id


def _write_back(integration: Integration, record: ExportRecord, work_order: WorkOrder,
                settings: VismaNetSettings, client: VismaNetClient, origin: ExternalLink,
                order: Any) -> Outcome:
    """Write the work order back to the sales order it came from: the order's work-time and
    travel-time lines get the registered hours (:func:`outbound.time_line_quantities`: the
    first line on the item the sum, further ones 0), lines that came from the order as
    material lines get the quantity actually used (0 when the material line was deleted),
    what the work order adds becomes new lines tagged ``Werkbon N [key]`` in their note;
    lines already tagged (an earlier attempt) are not added again. Everything is decided on
    the order's lines as re-read now, so a retry after a lost answer changes nothing twice."""
    order_type, order_id = _order_key(origin)
    document = f"{order_type} {order_id}"
    number = work_order.number
    if (order.status_code or "").lower() in CLOSED_ORDER_STATUSES:
        raise PermanentFailure(MSG_ORDER_CLOSED, ACT_ORDER_CLOSED,
                               {"document": document, "number": number, "status": order.status_code},
                               table=LogTable.ORDER, object_ref=document)
    facts = gather_facts(work_order)
    plan = outbound.plan_document(facts, settings)
    lines = list(client.sales_orders.lines(order_type, order_id))
    by_id = {line.line_id: line for line in lines}
    # Time first: the order's own time lines take the hours (no time billed twice).
    hours, covered = outbound.time_line_quantities(
        [outbound.OrderLine(line.line_id, (line.inventory.id if line.inventory else None) or "",
                            Decimal(str(line.quantity or 0)), line.note or "")
         for line in lines if line.line_id is not None],
        facts, settings, plan.marker)
    patches = [SalesOrderLinePatch(line_id=line_id, quantity=float(quantity))
               for line_id, quantity in hours.items()
               if Decimal(str(by_id[line_id].quantity or 0)) != quantity]
    materials = {m.key: m for m in facts.materials}
    linked: dict[str, int] = {}  # material key → order line id
    relabelled: list[outbound.DocumentLine] = []  # linked lines that get their registered unit
    prefix = f"{order_type}/{order_id}/"
    for link in ExternalLink.objects.filter(kind=KIND, local_type="material_line", external_type="order_line",
                                            external_id__startswith=prefix):
        line_id = int((link.data or {}).get("line_id") or link.external_id.rsplit("/", 1)[-1])
        key = f"m{link.local_id}"
        if line_id not in by_id:
            continue  # deleted in Visma.net: a material line still used is added as new
        linked[key] = line_id
        if line_id in hours:
            # A time line an earlier version imported as a material line: the registered
            # hours replace it; the material line itself is not written.
            continue
        used = materials[key].quantity if key in materials else Decimal(0)
        # The quantity is in the unit the material line was registered in: the order line
        # takes that unit too when it has another one (never a quantity in another unit).
        unit = materials[key].unit if key in materials else ""
        other_unit = bool(unit) and unit.casefold() != (by_id[line_id].unit_of_measure or "").casefold()
        if Decimal(str(by_id[line_id].quantity or 0)) != used or other_unit:
            patches.append(SalesOrderLinePatch(line_id=line_id, quantity=float(used),
                                               unit_of_measure=unit if other_unit else None))
            if other_unit:
                relabelled.append(outbound.DocumentLine(key, materials[key].item_number, used, unit=unit))
    tags = [line.note or "" for line in lines]
    added = [line for line in plan.lines if line.key not in linked and line.key not in covered
             and not any(outbound.line_tag(plan.marker, line.key) in note for note in tags)]
    warehouse = choose_warehouse(work_order, settings) if added else None
    preflight(client, record, None, list(dict.fromkeys(line.item_number for line in [*added, *relabelled])),
              warehouse, outbound.units_of([*added, *relabelled]))
    etag = order.etag
    if patches:
        accepted = client.sales_orders.patch_lines(order_type, order_id, patches, if_match=etag)
        etag = accepted.etag or client.sales_orders.get(order_type, order_id).etag
    if added:
        client.sales_orders.add_lines(
            order_type, order_id,
            [outbound.sales_order_line(line, warehouse, outbound.line_tag(plan.marker, line.key))
             for line in added],
            if_match=etag)
    _store_document(record, SALES_ORDER, document)
    return Outcome("written_back", document, {"changed": len(patches), "added": len(added)})


# ---- attachments -----------------------------------------------------------------------

MSG_NO_FORMS = gettext_noop("Work order %(number)s has no filled-in forms; no forms PDF is attached.")


def _upload_missing(integration: Integration, record: ExportRecord, work_order: WorkOrder,
                    settings: VismaNetSettings, client: VismaNetClient) -> None:
    """Upload the chosen PDFs not uploaded yet (``attachments_done``), each remembered at
    once; the same file name on the same document would only be a new revision."""
    done = list(record.attachments_done or [])
    files = outbound.pdf_files(settings.pdfs, work_order.number)
    if any(kind == outbound.FORMS_PDF for kind, _name in files) and not work_order.forms.exists():
        # No form filled in: a PDF saying "no forms" is noise on the document in Visma.net.
        files = [(kind, name) for kind, name in files if kind != outbound.FORMS_PDF]
        if not LogEntry.objects.filter(export=record, message=MSG_NO_FORMS).exists():  # once, not per retry
            log(integration, LogLevel.INFO, LogTable.WORK_ORDER, MSG_NO_FORMS, action=ACT_NONE,
                params={"number": record.work_order_number}, object_ref=str(record.work_order_number),
                export=record)
    for kind, filename in files:
        if filename in done:
            continue
        # The PDFs stored when the work order was archived, never a new rendering.
        content = (history.work_order_pdf(work_order) if kind == outbound.WORK_ORDER_PDF
                   else history.forms_pdf(work_order))
        try:
            if record.document_type == SALES_ORDER:
                order_type, _sep, order_id = record.document_number.partition(" ")
                client.attachments.upload_to_sales_order(order_type, order_id, filename=filename,
                                                         content=content)
            else:
                client.attachments.upload_to_customer_invoice(record.document_number, filename=filename,
                                                              content=content)
        except VismaValidationError as error:
            raise PermanentFailure(
                MSG_ATTACHMENT_REFUSED, ACT_ATTACHMENT_REFUSED,
                {"number": record.work_order_number, "document": record.document_number,
                 "file": filename, "errors": _error_text(error)}, detail=str(error)) from error
        done.append(filename)
        ExportRecord.objects.filter(pk=record.pk).update(attachments_done=done)
        record.attachments_done = list(done)


# ---- outcomes --------------------------------------------------------------------------


def _error_text(error: VismaNetError) -> str:
    """Visma.net's own words: the field messages when there are any, else its message."""
    if error.field_errors:
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.field_errors.items())
    return error.message or str(error)


def _permanent_from_error(record: ExportRecord, error: VismaNetError) -> PermanentFailure | None:
    """A Visma.net error the user must solve, or None when a later attempt may succeed."""
    params = {"number": record.work_order_number, "errors": _error_text(error)}
    if isinstance(error, AuthenticationError | PermissionDeniedError):
        return PermanentFailure(MSG_ACCESS, ACT_ACCESS, params, table=LogTable.INTEGRATION,
                                detail=str(error))
    if isinstance(error, VismaValidationError | NotFoundError) and not error.may_have_been_applied:
        invoice = (record.document_type == CUSTOMER_INVOICE
                   or "customerinvoice" in (error.operation or ""))
        return PermanentFailure(MSG_REFUSED_INVOICE if invoice else MSG_REFUSED_ORDER, ACT_REFUSED,
                                params, detail=str(error))
    return None


def _finish(integration: Integration, record: ExportRecord, attempt: ExportAttempt, outcome: Outcome) -> None:
    now = timezone.now()
    ExportRecord.objects.filter(pk=record.pk).update(
        status=ExportStatus.SENT, sent_at=now, next_attempt_at=None, last_error="", last_action="")
    ExportAttempt.objects.filter(pk=attempt.pk).update(finished_at=now, outcome=outcome.kind,
                                                       detail=outcome.document)
    params = {"number": record.work_order_number, "document": record.document_number, **outcome.params}
    message = {"adopted": MSG_ADOPTED, "written_back": MSG_WRITTEN_BACK}.get(
        outcome.kind, MSG_SENT_HOURS if "units" in outcome.params else MSG_SENT)
    log(integration, LogLevel.INFO, LogTable.WORK_ORDER, message, action=ACT_NONE, params=params,
        object_ref=str(record.work_order_number), export=record)
    record.refresh_from_db()


def _fail(integration: Integration, record: ExportRecord, attempt: ExportAttempt,
          failure: PermanentFailure) -> None:
    """Stop the export: status failed and ONE error log entry with the action to take."""
    now = timezone.now()
    ExportRecord.objects.filter(pk=record.pk).update(
        status=ExportStatus.FAILED, next_attempt_at=None, last_error=str(failure),
        last_action=failure.action)
    ExportAttempt.objects.filter(pk=attempt.pk).update(finished_at=now, outcome="failed",
                                                       detail=str(failure)[:2000])
    log(integration, LogLevel.ERROR, failure.table, failure.message, action=failure.action,
        params=failure.params, detail=failure.detail or str(failure),
        object_ref=failure.object_ref or str(record.work_order_number), export=record)
    record.refresh_from_db()


def _next_attempt(record: ExportRecord, now: dt.datetime, error: BaseException) -> dt.datetime:
    """Back-off (base × 2^(n−1), at most an hour) that also keeps to MAX attempts per window
    and to a Retry-After Visma.net asked for."""
    failures = ExportAttempt.objects.filter(export=record, outcome="retry").count() + 1
    wait = min(3600.0, _backoff_base() * 2 ** (failures - 1))
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        wait = max(wait, float(retry_after))
    at = now + dt.timedelta(seconds=wait)
    throttled = _throttled_until(record, now)
    return max(at, throttled) if throttled else at


def _postpone(integration: Integration, record: ExportRecord, attempt: ExportAttempt,
              error: BaseException) -> None:
    """A transient failure: back to queued (or attachments_pending when the document exists)
    with the next attempt scheduled; a warning in the log the first time only."""
    now = timezone.now()
    at = _next_attempt(record, now, error)
    text = _error_text(error) if isinstance(error, VismaNetError) else repr(error)
    status = ExportStatus.ATTACHMENTS_PENDING if record.document_number else ExportStatus.QUEUED
    ExportRecord.objects.filter(pk=record.pk).update(
        status=status, next_attempt_at=at, last_error=text[:2000], last_action="")
    ExportAttempt.objects.filter(pk=attempt.pk).update(finished_at=now, outcome="retry",
                                                       detail=str(error)[:2000])
    if not LogEntry.objects.filter(export=record, level=LogLevel.WARNING, message=MSG_TRANSIENT).exists():
        log(integration, LogLevel.WARNING, LogTable.WORK_ORDER, MSG_TRANSIENT, action=ACT_TRANSIENT,
            params={"number": record.work_order_number, "errors": text[:500],
                    "when": timezone.localtime(at).strftime("%d-%m-%Y %H:%M:%S")},
            detail=str(error), object_ref=str(record.work_order_number), export=record)
    record.refresh_from_db()
