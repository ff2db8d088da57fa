"""Step 3, the document: find the one this export already made (by its marker, and only when
it is provably ours) or create it; store its number at once; read its status back.

A found document is **adopted** only when it carries this record's marker exactly (the
tenant's token and the record's own token: :mod:`.outbox`), has this work order's customer,
and is not recorded as another work order's document or as an order imported from Visma.net.
A document that carries the marker but fails one of those checks is never adopted: the export
fails with the action to take (``docs/sync-rules.md`` "The marker").
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_noop

from vismanet import NotFoundError, UnexpectedResponseError, VismaNetClient, VismaNetError
from werkbon.integrations.log import log
from werkbon.integrations.models import (
    AttemptOutcome,
    ExportDocumentType,
    ExportRecord,
    ExternalLink,
    Integration,
    LogLevel,
    LogTable,
)
from werkbon.integrations.vismanet.config import TargetOption, VismaNetSettings
from werkbon.integrations.vismanet.export import preflight
from werkbon.integrations.vismanet.export.outbox import KIND
from werkbon.integrations.vismanet.export.outcome import (
    DocumentDeleted,
    Outcome,
    PermanentFailure,
    SideRead,
)
from werkbon.integrations.vismanet.hours import units_used
from werkbon.integrations.vismanet.mapping import outbound
from werkbon.workorders.models import TimeKind, WorkOrder

logger = logging.getLogger(__name__)

# A document we made is searched among documents changed since the record was written,
# minus this margin for clock differences between Werkbon and Visma.net.
SEARCH_MARGIN = timezone.timedelta(minutes=10)
# The status every document is created with (the office checks it in Visma.net, manual 1.2).
SENT_STATUS = "Hold"

MSG_SHORTENED = gettext_noop(
    "The %(field)s of work order %(number)s has %(length)s characters and Visma.net takes"
    " %(limit)s: it was shortened on purpose.")
ACT_SHORTENED = gettext_noop("No action needed; check the text in Visma.net if its end matters.")
MSG_NOT_OURS = gettext_noop(
    "%(document)s in Visma.net carries the marker of work order %(number)s (%(marker)s), but"
    " Werkbon cannot confirm that it made it for this work order: %(reason)s. It was not taken"
    " over and no new document was made.")
ACT_NOT_OURS = gettext_noop(
    "Check %(document)s in Visma.net. If it is not the document of work order %(number)s, remove"
    " the marker from it, then press Retry; if it is, mark the work order as handled outside"
    " Werkbon in its Visma.net panel.")
REASON_CUSTOMER = gettext_noop("it is for another customer")
REASON_RECORDED = gettext_noop("it is already the document of another work order")
REASON_IMPORTED = gettext_noop("it is an order imported from Visma.net")
REASON_NO_TOKEN = gettext_noop("the marker does not name this Werkbon account")
MSG_STATUS_CHANGED = gettext_noop(
    "Visma.net gave %(document)s of work order %(number)s (customer %(customer)s) the status"
    " %(state)s instead of on hold.")
ACT_STATUS_CHANGED = gettext_noop(
    "Check %(document)s and customer %(customer)s in Visma.net (a credit hold: the customer's"
    " credit limit or overdue invoices) and release the document there before invoicing.")

# Visma.net's document status codes → the words the log and the panel use.
DOCUMENT_STATES = {
    "Open": gettext_noop("open"), "Hold": gettext_noop("on hold"), "CreditHold": gettext_noop("credit hold"),
    "CcHold": gettext_noop("card payment hold"), "Balanced": gettext_noop("balanced"),
    "Completed": gettext_noop("completed"), "Cancelled": gettext_noop("cancelled"),
    "Invoiced": gettext_noop("invoiced"), "Voided": gettext_noop("voided"), "Closed": gettext_noop("closed"),
    "BackOrder": gettext_noop("back order"), "Shipping": gettext_noop("being shipped"),
    "PendingApproval": gettext_noop("awaiting approval"), "Scheduled": gettext_noop("scheduled"),
    "PendingPrint": gettext_noop("waiting to be printed"), "PendingEmail": gettext_noop("waiting to be e-mailed"),
    "Reserved": gettext_noop("reserved"), "Expired": gettext_noop("expired"),
}
UNKNOWN_STATE = gettext_noop("unknown")


def state_word(status: str) -> str:
    """The msgid of the word for a Visma.net document status (translate it when shown)."""
    return DOCUMENT_STATES.get(status, UNKNOWN_STATE)


def gather_facts(work_order: WorkOrder, *, quote: str | None = None,
                 document_marker: str = "") -> outbound.WorkOrderFacts:
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
        document_marker=document_marker,
    )


# ---- is a found document ours? -------------------------------------------------------------

def _recorded_elsewhere(record: ExportRecord, number: str) -> bool:
    return ExportRecord.objects.filter(kind=KIND, document_number=number).exclude(pk=record.pk).exists()


def _imported(order_type: str, order_id: str) -> bool:
    return ExternalLink.objects.filter(kind=KIND, external_type__in=["sales_order", "quote"],
                                       external_id=f"{order_type}/{order_id}").exists()


def _tenant_token(record: ExportRecord) -> str:
    integration = Integration.objects.filter(kind=KIND).first()
    return integration.document_token if integration else ""


def _check_ours(record: ExportRecord, plan: outbound.DocumentPlan, document: str, customer: str | None,
                imported: bool) -> None:
    """Raise PermanentFailure unless the document with our exact marker is provably ours."""
    token = _tenant_token(record)
    reason = None
    if not token or f"({token}-" not in plan.marker:
        reason = REASON_NO_TOKEN  # a record from before markers named the tenant
    elif imported:
        reason = REASON_IMPORTED
    elif _recorded_elsewhere(record, document):
        reason = REASON_RECORDED
    elif (customer or "") != (plan.customer_number or ""):
        reason = REASON_CUSTOMER
    if reason is not None:
        raise PermanentFailure(MSG_NOT_OURS, ACT_NOT_OURS,
                               {"document": document, "number": record.work_order_number,
                                "marker": plan.marker, "reason": reason},
                               object_ref=str(record.work_order_number), translate=("reason",))


def _sales_orders_since(client: VismaNetClient, record: ExportRecord, order_type: str) -> list[Any]:
    """The summaries of the orders of ``order_type`` changed since the record was written,
    minus a margin (``GET /api/v3/SalesOrders/{type}?modifiedSince=…``, every page): HTTP
    only, so it may run on a pre-flight helper thread."""
    return list(client.sales_orders.list(order_type=order_type, modified_since=record.created_at - SEARCH_MARGIN))


def _our_sales_order(record: ExportRecord, order_type: str, plan: outbound.DocumentPlan,
                     summaries: list[Any]) -> str | None:
    """The id of the order among ``summaries`` with exactly our marker in its customer-order
    field, or None; PermanentFailure when it is not provably ours (reads the database)."""
    for summary in summaries:
        if (summary.customer_order or "") != plan.marker or not summary.order_id:
            continue
        document = f"{order_type} {summary.order_id}"
        if document in (record.ignored_documents or []):
            continue
        _check_ours(record, plan, document, summary.customer_id, _imported(order_type, summary.order_id))
        return summary.order_id
    return None


def find_sales_order(client: VismaNetClient, record: ExportRecord, order_type: str,
                     plan: outbound.DocumentPlan) -> str | None:
    """The id of an order of ``order_type`` with exactly our marker in its customer-order
    field, changed since the record was written (minus a margin), or None (``GET
    /api/v3/SalesOrders/{type}?modifiedSince=…``). Raises PermanentFailure when such an order
    is not provably ours."""
    return _our_sales_order(record, order_type, plan, _sales_orders_since(client, record, order_type))


def _invoices_since(client: VismaNetClient, record: ExportRecord, plan: outbound.DocumentPlan) -> list[Any]:
    """The invoices with our marker as external reference changed since the record was
    written, minus a margin (``GET /v1/customerinvoice``, every page): HTTP only."""
    return list(client.customer_invoices.list(external_reference=plan.marker,
                                              last_modified=record.created_at - SEARCH_MARGIN))


def _our_invoice(record: ExportRecord, plan: outbound.DocumentPlan, invoices: list[Any]) -> str | None:
    """The number of the invoice among ``invoices`` with exactly our marker, or None;
    PermanentFailure when it is not provably ours (reads the database)."""
    for invoice in invoices:
        if (invoice.external_reference or "") != plan.marker or not invoice.reference_number:
            continue
        if invoice.reference_number in (record.ignored_documents or []):
            continue
        customer = invoice.customer.number if invoice.customer else None
        _check_ours(record, plan, invoice.reference_number, customer, False)
        return invoice.reference_number
    return None


def find_invoice(client: VismaNetClient, record: ExportRecord, plan: outbound.DocumentPlan) -> str | None:
    """The number of an invoice with exactly our marker as external reference, changed since
    the record was written (minus a margin), or None (``GET /v1/customerinvoice``). Raises
    PermanentFailure when such an invoice is not provably ours."""
    return _our_invoice(record, plan, _invoices_since(client, record, plan))


# ---- make it -------------------------------------------------------------------------------

def pin_document_type(record: ExportRecord, settings: VismaNetSettings) -> None:
    """Pin the target (and the sales order's type) at the first attempt: a target changed in
    the settings between an ambiguous attempt and the next never makes a second document of
    another kind, and the search for an earlier attempt's order looks in the pinned type."""
    if record.document_type:
        return
    target = (ExportDocumentType.SALES_ORDER if settings.target == TargetOption.SALES_ORDER
              else ExportDocumentType.CUSTOMER_INVOICE)
    record.pin_document_type(target, settings.sales_order_type if target == ExportDocumentType.SALES_ORDER else "")


def _create_sales_order(client: VismaNetClient, record: ExportRecord, plan: outbound.DocumentPlan,
                        order_type: str, warehouse: str, quote: tuple[str, str] | None) -> str:
    body = outbound.to_sales_order(plan, order_type=order_type, warehouse=warehouse, original=quote)
    try:
        return client.sales_orders.create(body).id
    except UnexpectedResponseError:
        # 201 without a usable Location: the order exists; find it by its marker.
        found = find_sales_order(client, record, order_type, plan)
        if found is None:
            raise
        return found


def _create_invoice(client: VismaNetClient, record: ExportRecord, plan: outbound.DocumentPlan) -> str:
    try:
        return str(client.customer_invoices.create(outbound.to_customer_invoice(plan)).id)
    except UnexpectedResponseError:
        found = find_invoice(client, record, plan)
        if found is None:
            raise
        return found


def make_document(integration: Integration, record: ExportRecord, work_order: WorkOrder,
                  settings: VismaNetSettings, client: VismaNetClient,
                  quote: tuple[str, str] | None) -> Outcome:
    """Adopt the document an earlier attempt made, or check the master data and create it;
    store its number at once (no later attempt makes another) and read its status back.
    Raises PermanentFailure, DocumentDeleted or a VismaNetError."""
    facts = gather_facts(work_order, quote=f"{quote[0]} {quote[1]}" if quote else None,
                         document_marker=record.marker)
    plan = outbound.plan_document(facts, settings)
    preflight.require_customer(facts.number, plan.customer_number)
    pin_document_type(record, settings)
    # The marker search (a document an earlier attempt made, or one that carries our marker
    # but is not provably ours) is sent in the pre-flight's wave, at once with the GETs, and
    # judged first: a document it finds is adopted even if the check would fail now. It is
    # made on every attempt, also the first: a document with our marker made by hand must
    # never be followed by a second one (docs/sync-rules.md "The marker").
    if record.document_type == ExportDocumentType.SALES_ORDER:
        order_type = record.order_type or settings.sales_order_type
        warehouse = preflight.choose_warehouse(work_order, settings)
        search = preflight.Search(
            fetch=lambda: _sales_orders_since(client, record, order_type),
            adopt=lambda summaries: _our_sales_order(record, order_type, plan, summaries))
        found = preflight.check_master_data(client, record, plan.customer_number, plan.item_numbers, warehouse,
                                            plan.item_units, search=search)
        if found:
            order_id, kind = found, AttemptOutcome.ADOPTED
        else:
            order_id, kind = _create_sales_order(client, record, plan, order_type, warehouse, quote), \
                AttemptOutcome.CREATED
        number = f"{order_type} {order_id}"
        record.store_document(ExportDocumentType.SALES_ORDER, number)
    else:
        search = preflight.Search(
            fetch=lambda: _invoices_since(client, record, plan),
            adopt=lambda invoices: _our_invoice(record, plan, invoices))
        found = preflight.check_master_data(client, record, plan.customer_number, plan.item_numbers, None,
                                            plan.item_units, search=search)
        if found:
            number, kind = found, AttemptOutcome.ADOPTED
        else:
            number, kind = _create_invoice(client, record, plan), AttemptOutcome.CREATED
        record.store_document(ExportDocumentType.CUSTOMER_INVOICE, number)
    for cut in plan.shortened:  # logged once: the document exists now
        log(integration, LogLevel.WARNING, LogTable.WORK_ORDER, MSG_SHORTENED, action=ACT_SHORTENED,
            params={"number": facts.number, "field": cut.field, "length": cut.length, "limit": cut.limit},
            object_ref=str(facts.number), export=record)
    units = units_used(settings, facts.work_minutes, facts.travel_minutes) \
        if kind == AttemptOutcome.CREATED else ""
    # The status is read back while the attachments go up (attachments.upload_missing).
    customer = plan.customer_number or ""
    return Outcome(kind, number, {"units": units} if units else {},
                   status_read=SideRead(fetch=lambda: fetch_status(client, record),
                                        judge=lambda answer: judge_status(integration, record, customer, answer)))


def fetch_status(client: VismaNetClient, record: ExportRecord) -> str:
    """The stored document's status code in Visma.net (``GET /api/v3/SalesOrders/{type}/{id}``
    or ``GET /v1/customerinvoice/{nr}``), "" when it has none; HTTP only (may run on a
    helper thread). Raises the ``vismanet`` error of the call."""
    if record.document_type == ExportDocumentType.SALES_ORDER:
        order_type, _sep, order_id = record.document_number.partition(" ")
        return client.sales_orders.get(order_type, order_id).status_code or ""
    return client.customer_invoices.get(record.document_number).status or ""


def judge_status(integration: Integration, record: ExportRecord, customer: str, answer: str | BaseException) -> None:
    """Judge :func:`fetch_status`'s ``answer`` (the status, or the exception it raised): a 404
    raises DocumentDeleted; another Visma.net error leaves the status unread (information
    only); a status other than on hold (e.g. a credit hold) is stored on the record, shown on
    the work order and logged as a warning with the action. Any other exception is raised."""
    if isinstance(answer, NotFoundError):
        raise DocumentDeleted(record.document_number, str(answer)) from answer
    if isinstance(answer, VismaNetError):
        logger.warning("status of %s not read back", record.document_number, exc_info=answer)
        return
    if isinstance(answer, BaseException):
        raise answer
    status = answer
    if not status or status == SENT_STATUS or status == record.document_status:
        return
    record.store_document_status(status)
    log(integration, LogLevel.WARNING, LogTable.WORK_ORDER, MSG_STATUS_CHANGED, action=ACT_STATUS_CHANGED,
        params={"number": record.work_order_number, "document": record.document_number, "customer": customer,
                "status": status, "state": state_word(status)},
        translate=("state",), object_ref=str(record.work_order_number), export=record)


def read_status_back(integration: Integration, record: ExportRecord, client: VismaNetClient,
                     customer: str) -> None:
    """Read the new document's status (:func:`fetch_status`) and judge it (:func:`judge_status`)
    on this thread. Raises DocumentDeleted on a 404."""
    try:
        answer: str | BaseException = fetch_status(client, record)
    except Exception as error:  # judged like an answer
        answer = error
    judge_status(integration, record, customer, answer)
