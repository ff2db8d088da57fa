"""Visma.net webhooks: the public receiving endpoint, and the job that reads each hinted record
again through the client, with the pipeline's own mapping and store rules.

What Visma documents and what this code assumes: ``docs/reference/visma-webhooks.md``. The rules
(``docs/sync-rules.md``, "Webhooks"):

* **Receive** (:func:`receive`, ``POST /integraties/vismanet/webhook``, no login, no CSRF): the
  body (at most :data:`MAX_BODY` bytes) must carry ``x-vwd-signature-v1`` = base64(HMAC-SHA256(key,
  body)) for one of ``VISMANET_WEBHOOK_SECRETS``; its signed ``timestamp`` must be at most
  ``VISMANET_WEBHOOK_MAX_AGE_SECONDS`` old (and not more than :data:`FUTURE_SKEW` ahead). Anything
  else is refused with 401 and logged for support. The company (``TenantId`` in the body, else
  ``x-vwd-tenant-id``) picks the tenant(s) whose ACTIVE integration is connected to it; an unknown
  company is logged and answered 200 (nothing to retry). A notification is known by the SHA-256
  of its signed body (:func:`body_digest`), never by the unsigned ``x-vwd-notification-id`` header
  (kept for the log only): a body already received is a replay or a repeated delivery, logged,
  200, nothing done, however its headers changed. Otherwise one :class:`WebhookNotification` row per tenant,
  and the job is enqueued after commit: the answer never waits for Visma.net.
* **Apply** (:func:`process_notifications`, under the tenant's ``sync`` lease, so it never runs
  beside the poll): notifications of the same record are read once; the record is fetched again
  (customer, item, order or quote, invoice) and stored by the pipeline's table (``store``), so a
  late, repeated or reordered notification only ever writes the current state. A sales order or
  invoice that is an exported work order's document gets its status read back
  (``ExportRecord.store_remote_status``); a sales order deleted in Visma.net marks that export
  *deleted in Visma.net* (the office chooses; nothing is sent again by itself).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pydantic
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_noop
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from vismanet import NotFoundError, SalesOrderSummary, VismaNetClient, VismaNetError
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.log import log
from werkbon.integrations.models import (
    ExportRecord,
    ExportStatus,
    Integration,
    IntegrationKind,
    IntegrationStatus,
    LogLevel,
    LogTable,
    SyncState,
    SyncTable,
    WebhookNotification,
    WebhookOutcome,
)
from werkbon.integrations.vismanet.client import client_for, record_quota
from werkbon.integrations.vismanet.config import OrderImportOption, VismaNetSettings
from werkbon.integrations.vismanet.mapping import orders as order_mapping
from werkbon.integrations.vismanet.orders import QUOTE_TYPE, OrderImport
from werkbon.integrations.vismanet.sync import customers, items
from werkbon.integrations.vismanet.sync.errors import reported
from werkbon.integrations.vismanet.sync.pipeline import Changes, Run, sleep_keeping_lease, touch

logger = logging.getLogger(__name__)

JOB = "sync"  # the same lease as the poll: a notification's record is never stored beside it
MAX_BODY = 16 * 1024
FUTURE_SKEW = dt.timedelta(seconds=60)
MAX_KEY = 60
MAX_PER_RUN = 200  # notifications handled per job run; the rest by the next run
KEEP_NOTIFICATIONS = dt.timedelta(days=2)  # handled ones, for the freshness figures; far past the replay window
MAX_ATTEMPTS = 5  # a record that cannot be read after this many runs: failed (the poll still brings it)
HEADER_SIGNATURE = "x-vwd-signature-v1"
HEADER_NOTIFICATION = "x-vwd-notification-id"
HEADER_TENANT = "x-vwd-tenant-id"
HEADER_EVENT = "x-vwd-event-id"
ENTITIES = ("Customer", "InventoryItem", "SalesOrder", "ARInvoice")
SALES_ORDER_DOCUMENT = "sales_order"
CUSTOMER_INVOICE_DOCUMENT = "customer_invoice"

M_DELETED = gettext_noop(
    "Sales order %(document)s of work order %(number)s was deleted in Visma.net.")
A_DELETED = gettext_noop(
    "Choose in the work order's Visma.net panel: make a new document, or mark the work order as"
    " handled outside Werkbon. Nothing is sent again by itself.")
M_STATUS = gettext_noop("%(document)s of work order %(number)s is now %(state)s in Visma.net.")

# Visma.net status codes of an exported document → the word the office reads.
SALES_ORDER_STATES = {
    "Open": gettext_noop("open"), "Hold": gettext_noop("on hold"), "CreditHold": gettext_noop("credit hold"),
    "Completed": gettext_noop("completed"), "Invoiced": gettext_noop("invoiced"),
    "Cancelled": gettext_noop("cancelled"), "BackOrder": gettext_noop("back order"),
    "Shipping": gettext_noop("being shipped"),
}
INVOICE_STATES = {
    "Hold": gettext_noop("not released"), "Balanced": gettext_noop("not released"),
    "Open": gettext_noop("invoiced (released)"), "Closed": gettext_noop("paid"), "Voided": gettext_noop("voided"),
    "CreditHold": gettext_noop("credit hold"), "Scheduled": gettext_noop("scheduled"),
    "PendingPrint": gettext_noop("invoiced (released)"), "PendingEmail": gettext_noop("invoiced (released)"),
}
# The statuses that mean the work order was invoiced (the work-order list's filter).
INVOICED = {SALES_ORDER_DOCUMENT: ("Invoiced",), CUSTOMER_INVOICE_DOCUMENT: ("Open", "Closed", "PendingPrint",
                                                                            "PendingEmail")}
# Statuses after which the slow poll stops asking.
FINAL = {SALES_ORDER_DOCUMENT: ("Invoiced", "Cancelled"), CUSTOMER_INVOICE_DOCUMENT: ("Closed", "Voided")}


def state_word(document_type: str, status: str) -> str:
    """The msgid of the office's word for an exported document's status ("" when unread)."""
    if not status:
        return ""
    table = INVOICE_STATES if document_type == CUSTOMER_INVOICE_DOCUMENT else SALES_ORDER_STATES
    return table.get(status, gettext_noop("unknown"))


def is_invoiced(document_type: str, status: str) -> bool:
    """Whether the document's status says the work order was invoiced in Visma.net."""
    return status in INVOICED.get(document_type, ())


def is_final(document_type: str, status: str) -> bool:
    """Whether the document's status no longer changes in a way Werkbon shows (the slow poll stops)."""
    return status in FINAL.get(document_type, ())


# ---- receiving ----------------------------------------------------------------------------------


class Refused(Exception):
    """A notification that is not taken: ``status`` is the HTTP answer, ``reason`` for the log."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Hint:
    """What a verified notification says: which record of which company to read again.
    ``notification_id`` is :func:`body_digest` of the signed body (the replay key);
    ``header_id`` the dispatcher's unsigned ``x-vwd-notification-id``, for the log only."""

    notification_id: str
    company: str
    entity: str
    key: str
    event: str
    notified_at: dt.datetime
    header_id: str = ""


def body_digest(body: bytes) -> str:
    """The replay key of a notification: ``"sha256:"`` + the hex SHA-256 of the signed body
    (71 characters). The signature covers exactly these bytes, so a resent body is recognised
    whatever headers come with it."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


def signature_ok(body: bytes, signature: str | None, secrets: list[str]) -> bool:
    """Whether ``signature`` is base64(HMAC-SHA256(key, body)) for one of ``secrets``."""
    if not signature or not secrets:
        return False
    given = signature.strip().encode()
    for secret in secrets:
        expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
        if hmac.compare_digest(expected, given):
            return True
    return False


def _timestamp(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def parse(body: bytes, headers: Any, now: dt.datetime) -> Hint:
    """Verify and read one notification. Raises :class:`Refused` (401 unsigned, wrongly signed
    or too old; 400 not a notification Werkbon understands)."""
    signature = headers.get(HEADER_SIGNATURE)
    if not signature:
        raise Refused(401, "unsigned")
    if not signature_ok(body, signature, list(settings.VISMANET_WEBHOOK_SECRETS)):
        raise Refused(401, "wrong signature")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "body is not JSON") from None
    if not isinstance(data, dict):
        raise Refused(400, "body is not a JSON object")
    notified_at = _timestamp(data.get("timestamp"))
    if notified_at is None:
        raise Refused(400, "no timestamp")
    if now - notified_at > dt.timedelta(seconds=settings.VISMANET_WEBHOOK_MAX_AGE_SECONDS):
        raise Refused(401, f"too old ({notified_at.isoformat()})")
    if notified_at - now > FUTURE_SKEW:
        raise Refused(401, f"from the future ({notified_at.isoformat()})")
    header_id = str(headers.get(HEADER_NOTIFICATION) or data.get("notificationId") or "")[:100]
    company = str(data.get("TenantId") or headers.get(HEADER_TENANT) or "")[:100]
    entity, key = str(data.get("entity") or ""), data.get("id")
    if not company:
        raise Refused(400, "no company")
    if entity not in ENTITIES or not isinstance(key, str) or not key or len(key) > MAX_KEY:
        raise Refused(400, f"unknown entity {entity[:40]!r} or key")
    return Hint(body_digest(body), company, entity, key,
                str(headers.get(HEADER_EVENT) or data.get("event") or "")[:60], notified_at, header_id)


def _enqueue(integration_id: int) -> None:
    from werkbon.integrations.tasks import (
        process_notifications,  # tasks import the adapter registry
    )

    process_notifications.delay(integration_id)


@csrf_exempt
@login_not_required
@require_POST
def receive(request: HttpRequest) -> JsonResponse:
    """The Visma Webhook Dispatcher's endpoint: verify, store, enqueue, answer (see module doc).

    200 ``{"accepted": n, "duplicates": m}`` (also for an unknown company: ``accepted`` 0);
    401 unsigned / wrong signature / too old; 400 not understood; 413 body too large.
    """
    length = request.headers.get("Content-Length") or "0"
    if not length.isdigit() or int(length) > MAX_BODY:
        logger.warning("webhook refused: body too large or its length unreadable")
        return JsonResponse({"error": "too large"}, status=413)
    body = request.body
    if len(body) > MAX_BODY:
        return JsonResponse({"error": "too large"}, status=413)
    try:
        hint = parse(body, request.headers, timezone.now())
    except Refused as refused:
        logger.warning("webhook refused (%s) from %s", refused.reason, request.META.get("REMOTE_ADDR", "?"))
        return JsonResponse({"error": refused.reason}, status=refused.status)
    integrations = list(Integration.all_tenants.select_related("tenant").filter(
        kind=IntegrationKind.VISMANET, status=IntegrationStatus.ACTIVE, company_tenant_id__iexact=hint.company))
    if not integrations:
        logger.warning("webhook for unknown company %s ignored (%s %s)", hint.company, hint.entity, hint.key)
        return JsonResponse({"accepted": 0, "duplicates": 0, "unknown_company": True})
    accepted = duplicates = 0
    for integration in integrations:
        with tenant_context(integration.tenant):
            try:
                with transaction.atomic():
                    WebhookNotification.objects.create(
                        integration=integration, notification_id=hint.notification_id, event=hint.event,
                        entity=hint.entity, object_key=hint.key, notified_at=hint.notified_at)
                    Integration.all_tenants.filter(pk=integration.pk).update(last_notification_at=timezone.now())
                    transaction.on_commit(lambda pk=integration.pk: _enqueue(pk))
            except IntegrityError:
                duplicates += 1
                logger.info("webhook %s (dispatcher id %s) replayed or repeated for tenant %s: ignored",
                            hint.notification_id, hint.header_id or "-", integration.tenant_id)
                continue
            accepted += 1
    return JsonResponse({"accepted": accepted, "duplicates": duplicates})


# ---- applying --------------------------------------------------------------------------------


Apply = Callable[[VismaNetClient, Run, str], str]


def _store(run: Run, table: Any, records: list[Any], state_table: str) -> str:
    with transaction.atomic():
        changes: Changes = table.store(run, records)
        run.write_notes(changes)
        state, _created = SyncState.objects.get_or_create(integration=run.integration, table=state_table)
        touch(state, changes, timezone.now())
        state.save()
    return WebhookOutcome.APPLIED


def apply_customer(client: VismaNetClient, run: Run, key: str) -> str:
    """Read the customer again (``customer.get``) and store it as the customers table does.
    A customer gone from Visma.net is left to the cleanup (its rules decide)."""
    try:
        record = client.customers.get(key)
    except NotFoundError:
        return WebhookOutcome.IGNORED
    return _store(run, customers.TABLE, [record], SyncTable.CUSTOMERS)


def apply_item(client: VismaNetClient, run: Run, key: str) -> str:
    """Read the item again (``inventory.get``) and store it as the items table does."""
    try:
        record = client.inventory.get(key)
    except NotFoundError:
        return WebhookOutcome.IGNORED
    return _store(run, items.TABLE, [record], SyncTable.ITEMS)


def _export_of(document_type: str, number: str) -> ExportRecord | None:
    return ExportRecord.objects.filter(document_type=document_type, document_number=number).first()


def read_status(client: VismaNetClient, record: ExportRecord) -> str:
    """Read an exported document's status back and store it; a deleted sales order marks the
    export deleted in Visma.net (with the action to take). Returns the outcome."""
    try:
        if record.document_type == SALES_ORDER_DOCUMENT:
            order_type, _sep, order_id = record.document_number.partition(" ")
            order = client.sales_orders.get(order_type, order_id)
            status = (order.status.description if order.status else "") or ""
        else:
            status = client.customer_invoices.get(record.document_number).status or ""
    except NotFoundError as gone:
        if record.status == ExportStatus.SENT:
            with transaction.atomic():
                record.document_deleted(None, str(gone)[:500], A_DELETED)
                log(record_integration(record), LogLevel.ERROR, LogTable.WORK_ORDER, M_DELETED,
                    params={"document": record.document_number, "number": record.work_order_number},
                    action=A_DELETED, export=record, object_ref=str(record.work_order_number))
        return WebhookOutcome.APPLIED
    if record.store_remote_status(status):
        log(record_integration(record), LogLevel.INFO, LogTable.WORK_ORDER, M_STATUS,
            params={"document": record.document_number, "number": record.work_order_number,
                    "state": state_word(record.document_type, status)},
            translate=("state",), export=record, object_ref=str(record.work_order_number))
    return WebhookOutcome.APPLIED


def record_integration(record: ExportRecord) -> Integration | None:
    """The integration an export belongs to (tenant context)."""
    return Integration.objects.filter(kind=record.kind).first()


def apply_sales_order(client: VismaNetClient, run: Run, key: str) -> str:
    """An exported work order's sales order: read its status back. Otherwise, with the order
    import on for its type: route it through the order import (create or update the work
    order by its rules)."""
    order_type, _sep, order_id = key.partition("/")
    if not order_id:
        return WebhookOutcome.IGNORED
    record = _export_of(SALES_ORDER_DOCUMENT, order_mapping.order_label(order_type, order_id))
    if record is not None:
        return read_status(client, record)
    try:
        config = VismaNetSettings.model_validate(run.integration.settings or {})
    except pydantic.ValidationError:
        return WebhookOutcome.IGNORED
    if config.order_import == OrderImportOption.NOTHING:
        return WebhookOutcome.IGNORED
    wanted = config.sales_order_type if config.order_import == OrderImportOption.SALES_ORDERS else QUOTE_TYPE
    if order_type != wanted:
        return WebhookOutcome.IGNORED
    try:
        order = client.sales_orders.get(order_type, order_id)
    except NotFoundError:
        return WebhookOutcome.IGNORED
    summary = SalesOrderSummary.model_construct(
        order_id=order.order_id, type=order.type, status=order.status.description if order.status else None,
        last_modified=order.last_modified, customer_order=getattr(order, "customer_order", None),
        description=getattr(order, "description", None))
    OrderImport(run.integration, client, config, order_type).handle(summary)
    return WebhookOutcome.APPLIED


def apply_invoice(client: VismaNetClient, run: Run, key: str) -> str:
    """An exported work order's customer invoice: read its status back (released, paid)."""
    record = _export_of(CUSTOMER_INVOICE_DOCUMENT, key)
    if record is None:
        return WebhookOutcome.IGNORED
    return read_status(client, record)


APPLY: dict[str, Apply] = {
    "Customer": apply_customer, "InventoryItem": apply_item, "SalesOrder": apply_sales_order,
    "ARInvoice": apply_invoice,
}


def process_notifications(integration: Integration) -> int:
    """Apply the tenant's waiting notifications (tenant context and ``sync`` lease held by the
    caller): each record once, oldest first; returns how many notifications were handled. A
    Visma.net error leaves them waiting (at most :data:`MAX_ATTEMPTS` runs, then failed; the
    poll is the safety net)."""
    pending = list(WebhookNotification.objects.filter(integration=integration, outcome=WebhookOutcome.PENDING)
                   .order_by("received_at", "id")[:MAX_PER_RUN])
    if not pending:
        return 0
    groups: dict[tuple[str, str], list[WebhookNotification]] = {}
    for note in pending:
        groups.setdefault((note.entity, note.object_key), []).append(note)
    run = Run(integration, first_import=False, job=JOB)
    handled = 0
    with reported(integration), client_for(integration, sleep=sleep_keeping_lease(integration, JOB)) as client:
        try:
            for (entity, key), notes in groups.items():
                run.keep_lease()
                ids = [n.pk for n in notes]
                try:
                    outcome = APPLY[entity](client, run, key)
                except NotFoundError:
                    outcome = WebhookOutcome.IGNORED
                except VismaNetError:
                    WebhookNotification.objects.filter(pk__in=ids).update(attempts=notes[0].attempts + 1)
                    WebhookNotification.objects.filter(pk__in=ids, attempts__gte=MAX_ATTEMPTS).update(
                        outcome=WebhookOutcome.FAILED, processed_at=timezone.now())
                    raise
                WebhookNotification.objects.filter(pk__in=ids).update(outcome=outcome, processed_at=timezone.now())
                handled += len(ids)
        finally:
            run.flush()
            record_quota(integration, client)
    return handled


# ---- the slow poll of exported documents' status -----------------------------------------------


def poll_document_status(integration: Integration, *, limit: int = 50) -> int:
    """Read back the status of exported documents not final yet and not read within the poll
    interval (those a notification covered were read then); returns how many were read. Also
    deletes handled notifications older than :data:`KEEP_NOTIFICATIONS`."""
    # Housekeeping at the same pace: handled notifications older than KEEP_NOTIFICATIONS go.
    WebhookNotification.objects.filter(integration=integration, received_at__lt=timezone.now() - KEEP_NOTIFICATIONS
                                       ).exclude(outcome=WebhookOutcome.PENDING).delete()
    since = timezone.now() - dt.timedelta(seconds=settings.VISMANET_STATUS_POLL_SECONDS)
    records = [r for r in ExportRecord.objects.filter(kind=integration.kind, status=ExportStatus.SENT)
               .exclude(document_number="").order_by("remote_status_at", "id")[: limit * 4]
               if not is_final(r.document_type, r.remote_status)
               and (r.remote_status_at is None or r.remote_status_at < since)][:limit]
    if not records:
        return 0
    with reported(integration), client_for(integration) as client:
        for record in records:
            read_status(client, record)
        record_quota(integration, client)
    return len(records)


# ---- the work-order list's billing column and filter (external.register_billing) --------------


def invoiced_numbers(tenant: Any) -> list[int]:
    """Numbers of ``tenant``'s work orders whose exported document Visma.net reports as invoiced."""
    from django.db.models import Q

    wanted = Q()
    for document_type, statuses in INVOICED.items():
        wanted |= Q(document_type=document_type, remote_status__in=statuses)
    with tenant_context(tenant):
        return list(ExportRecord.objects.filter(wanted, kind=IntegrationKind.VISMANET)
                    .values_list("work_order_number", flat=True))


def billing_statuses(tenant: Any, numbers: list[int]) -> dict[int, Any]:
    """Per work-order number with an export: the word for its document's state and whether it
    was invoiced (a deleted document says so; an unread one shows the export's status)."""
    from django.utils.translation import gettext as _

    from werkbon.workorders.external import BillingStatus

    found: dict[int, Any] = {}
    with tenant_context(tenant):
        for record in ExportRecord.objects.filter(kind=IntegrationKind.VISMANET, work_order_number__in=numbers):
            if record.status == ExportStatus.DELETED_IN_VISMA:
                found[record.work_order_number] = BillingStatus(_("deleted in Visma.net"), False)
            elif record.remote_status and record.status == ExportStatus.SENT:
                found[record.work_order_number] = BillingStatus(
                    _(state_word(record.document_type, record.remote_status)),
                    is_invoiced(record.document_type, record.remote_status))
            else:
                found[record.work_order_number] = BillingStatus(str(record.get_status_display()).lower(), False)
    return found
