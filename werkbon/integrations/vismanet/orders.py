"""Visma.net sales orders and quotes coming in as work orders (manual 5.10).

Runs after each incremental sync (``adapter.incremental_sync``), inside the tenant's
context and the ``sync`` job's lease, on the shared pipeline of the other tables
(:mod:`.sync.pipeline`): the v3 list sorted by ``lastModified`` is read page by page with
:func:`~.sync.pipeline.read_pages_by_time` under a :class:`~.sync.pipeline.Run`, which renews the
lease (checking its holder) and checks that the integration is still active before every
page and every order; the order and its lines are fetched, mapped (:mod:`.mapping.orders`)
and stored in one transaction per order. Each order type has its own watermark
(``SyncState`` table ``orders:SO``, ``orders:QT``), capped by the run's signpost and moved
with the last page; a type without one starts with a first pass over all its documents
(the closed ones are skipped). The rules are in ``docs/sync-rules.md``, "Orders and quotes".

Never imported: a document Werkbon itself made (the export's marker "Werkbon …" in the
customer-order field, or a document number the export recorded).

Links (``ExternalLink``, kind ``vismanet``) the export relies on for the write-back:

* work order ← order: ``local_type="work_order"``, ``external_type`` ``"sales_order"`` or
  ``"quote"``, ``external_id="SO/000101"``, data ``{order_type, order_id, last_modified}``;
* material line ← order line: ``local_type="material_line"``, ``external_type="order_line"``,
  ``external_id="SO/000101/3"``, data ``{line_id, imported}`` (``imported``: the order
  line's item, quantity and note as last imported). A sales order's lines on the work-time
  or travel-time item get no material line and no link: they are the order's planned hours
  (shown in the work description), and the export finds them again by re-reading the order's
  lines and puts the registered hours on them;
* an order waiting for its customer: ``local_type="pending"``, ``local_id=0``,
  ``external_type="pending_order"``, data ``{order_type, order_id, customer, last_modified}``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import pydantic
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from vismanet import (
    NotFoundError,
    RateLimitedError,
    ReconnectRequired,
    SalesOrderLine,
    SalesOrderSummary,
    UnaddressableError,
    VismaNetClient,
    VismaNetError,
)
from werkbon.integrations.leases import LeaseLost
from werkbon.integrations.log import log
from werkbon.integrations.models import (
    ExportRecord,
    ExternalLink,
    Integration,
    IntegrationKind,
    LogEntry,
    LogLevel,
    LogTable,
    SyncState,
)
from werkbon.integrations.vismanet.client import client_for, record_quota
from werkbon.integrations.vismanet.config import OrderImportOption, VismaNetSettings
from werkbon.integrations.vismanet.mapping import orders as mapping
from werkbon.integrations.vismanet.mapping.orders import Merge
from werkbon.integrations.vismanet.sync.incremental import JOB
from werkbon.integrations.vismanet.sync.pipeline import (
    OVERLAP,
    Deactivated,
    ListSource,
    Run,
    capped,
    largest,
    read_pages_by_time,
    sleep_keeping_lease,
)
from werkbon.workorders import services
from werkbon.workorders.models import (
    ActiveStatus,
    Customer,
    Item,
    ItemType,
    MaterialLine,
    WorkAddress,
    WorkOrder,
    WorkOrderStatus,
)

logger = logging.getLogger(__name__)

KIND = IntegrationKind.VISMANET
QUOTE_TYPE = "QT"
# OVERLAP, PAGE_SIZE (1000, the v3 maximum without expand too) and the watermark rules
# are the pipeline's; the job (lease) is the incremental sync's, in which this runs.
LEGACY_TABLE = "orders"  # one watermark for every type, before issue 8: dropped
SALES_ORDER_DOCUMENT = "sales_order"  # ExportRecord.document_type of a sales order
DETAIL_EXPAND = ("Customer", "Note", "Shipping")
PENDING_TYPE = "pending_order"
STOCK_LINE_TYPES = frozenset({"goodsforinventory"})

# Log texts: English msgids, translated when shown (werkbon/locale/nl).
M_CREATED = gettext_noop("Order %(order)s from Visma.net became work order %(work_order)s.")
M_UPDATED = gettext_noop("Work order %(work_order)s was updated: order %(order)s changed in Visma.net.")
M_PLANNED = gettext_noop(
    "Order %(order)s changed in Visma.net after the work order was planned: check work order %(work_order)s."
)
A_PLANNED = gettext_noop(
    "Compare order %(order)s in Visma.net with work order %(work_order)s and change the work order by hand "
    "where needed."
)
# One text per status: the log never shows Visma.net's English status word.
M_CLOSED = {
    "completed": gettext_noop("Order %(order)s was completed in Visma.net: check work order %(work_order)s."),
    "cancelled": gettext_noop("Order %(order)s was cancelled in Visma.net: check work order %(work_order)s."),
    "invoiced": gettext_noop("Order %(order)s was invoiced in Visma.net: check work order %(work_order)s."),
    "voided": gettext_noop("Order %(order)s was voided in Visma.net: check work order %(work_order)s."),
    "closed": gettext_noop("Order %(order)s was closed in Visma.net: check work order %(work_order)s."),
}
M_CLOSED["canceled"] = M_CLOSED["cancelled"]
A_CLOSED = gettext_noop("Check whether work order %(work_order)s is still needed.")
M_KEPT = {
    "customer": gettext_noop(
        "The customer of order %(order)s was changed in Visma.net to customer %(customer)s, but work order "
        "%(work_order)s was given another customer at the office: that one was kept."),
    "work_address": gettext_noop(
        "The delivery address of order %(order)s was changed in Visma.net, but work order %(work_order)s was "
        "given another work address at the office: that one was kept."),
    "description": gettext_noop(
        "The description of order %(order)s was changed in Visma.net, but work order %(work_order)s was given "
        "its own description at the office: that one was kept."),
    "customer_reference": gettext_noop(
        "The reference of order %(order)s was changed in Visma.net, but work order %(work_order)s was given "
        "its own reference at the office: that one was kept."),
}
M_LINE_KEPT = gettext_noop(
    "Line %(line)s of order %(order)s (item %(item)s) was changed in Visma.net, but that material line was "
    "changed on work order %(work_order)s as well: the line on the work order was kept."
)
M_FILTERED = gettext_noop(
    "Order %(order)s was not imported: its description does not contain the filter word \"%(word)s\"."
)
A_FILTERED = gettext_noop(
    "Add the filter word to the order's description in Visma.net if it should become a work order."
)
M_NO_CUSTOMER = gettext_noop(
    "Order %(order)s is for customer %(customer)s, which is not (or not active) in Werkbon: the work order "
    "is made as soon as the customer has been imported."
)
M_NO_CUSTOMER_CHANGE = gettext_noop(
    "Order %(order)s changed in Visma.net to customer %(customer)s, which is not (or not active) in "
    "Werkbon: work order %(work_order)s was not updated."
)
A_NO_CUSTOMER = gettext_noop("Check that customer %(customer)s is active in Visma.net.")
M_LINE_UNKNOWN = gettext_noop("Line %(line)s of order %(order)s was skipped: item %(item)s is not in Werkbon.")
M_LINE_STOCK = gettext_noop(
    "Line %(line)s of order %(order)s was skipped: item %(item)s is a stock item, and Werkbon only uses "
    "non-stock items."
)
M_LINE_INACTIVE = gettext_noop("Line %(line)s of order %(order)s was skipped: item %(item)s is inactive.")
M_LINE_QUANTITY = gettext_noop("Line %(line)s of order %(order)s was skipped: its quantity is not more than 0.")
M_LINE_QUANTITY_MAX = gettext_noop(
    "Line %(line)s of order %(order)s was skipped: its quantity %(quantity)s is more than a work order can hold.")
A_LINE = gettext_noop("Add the material to work order %(work_order)s by hand if it is needed.")
M_UNADDRESSABLE = gettext_noop(
    "Order %(order)s cannot be read through the Visma.net API: its number holds a character the API "
    "cannot take in an address (such as \"/\"). The order is not imported as a work order.")
A_UNADDRESSABLE = gettext_noop(
    "Make the work order for this order by hand, or give the order type a numbering without \"/\" in "
    "Visma.net.")
M_MALFORMED = gettext_noop("Order %(order)s could not be imported: Visma.net sent it without a customer.")
M_UNSTORABLE_KEY = gettext_noop(
    "Order %(order)s could not be imported: its number or customer number holds a character that cannot be stored."
)
A_UNSTORABLE_KEY = gettext_noop("Give the order a new number in Visma.net, or enter the work order by hand.")
M_RECONNECT = gettext_noop(
    "Visma.net asks for a new sign-in: orders are not imported until Visma.net is connected again."
)
A_RECONNECT = gettext_noop("Connect Visma.net again under Integrations → Visma.net.")
M_FAILED = gettext_noop("Importing orders from Visma.net failed: %(error)s")
A_FAILED = gettext_noop(
    "No action needed: the import tries again at the next sync. If this keeps happening, contact support "
    "with the details of this entry."
)
M_SETTINGS = gettext_noop("Orders were not imported: the settings of the integration could not be read.")
A_SETTINGS = gettext_noop("Open the settings of the integration, check them and save them again.")


def order_table(order_type: str) -> str:
    """The ``SyncState.table`` of an order type's watermark: ``"orders:SO"``, ``"orders:QT"``."""
    return f"orders:{order_type}"


def import_orders(integration: Integration) -> None:
    """Import the Visma.net orders (or quotes) the settings ask for, as work orders.

    Call inside ``tenant_context(integration.tenant)`` (and, from a job, the ``sync``
    lease). Never raises for Visma.net errors: ``ReconnectRequired`` → one error entry;
    ``RateLimitedError`` → stop quietly (the client already paused the company); any other
    ``VismaNetError`` → an error entry with detail. ``Deactivated`` and ``LeaseLost`` stop
    the run quietly before the next order. The watermark moves only with the last page.
    """
    try:
        settings = VismaNetSettings.model_validate(integration.settings or {})
    except pydantic.ValidationError as error:
        log(integration, LogLevel.ERROR, LogTable.ORDER, M_SETTINGS, action=A_SETTINGS, detail=str(error))
        return
    if settings.order_import == OrderImportOption.NOTHING:
        return
    order_type = settings.sales_order_type if settings.order_import == OrderImportOption.SALES_ORDERS else QUOTE_TYPE
    try:
        with client_for(integration, sleep=sleep_keeping_lease(integration, JOB)) as client:
            try:
                OrderImport(integration, client, settings, order_type).run()
            finally:
                record_quota(integration, client)
    except RateLimitedError:
        logger.info("order import of tenant %s stopped by the rate limit", integration.tenant_id)
    except Deactivated:
        logger.info("order import of tenant %s stopped: deactivated", integration.tenant_id)
    except LeaseLost:
        logger.warning("order import of tenant %s stopped: its lease was taken over", integration.tenant_id)
    except ReconnectRequired as error:
        _log_once(integration, LogLevel.ERROR, M_RECONNECT, A_RECONNECT, str(error))
    except VismaNetError as error:
        log(integration, LogLevel.ERROR, LogTable.ORDER, M_FAILED, action=A_FAILED,
            params={"error": error.message or type(error).__name__}, detail=_detail(error))


def _detail(error: VismaNetError) -> str:
    return f"{type(error).__name__}: {error}\n{getattr(error, 'body', '') or ''}".strip()


def _log_once(integration: Integration, level: str, message: str, action: str, detail: str) -> None:
    """Log unless the newest entry of the integration already says the same (a user must
    act once, not read the same error every interval)."""
    newest = LogEntry.objects.filter(integration=integration).order_by("-created_at", "-id").first()
    if newest and newest.message == message and newest.level == level:
        return
    log(integration, level, LogTable.ORDER, message, action=action, detail=detail)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


@dataclass
class _Fetched:
    """An order read in full from Visma.net (outside any transaction)."""

    fields: mapping.OrderFields
    lines: list[SalesOrderLine]


class OrderImport:
    """One run for one integration and order type: retry orders waiting for their customer,
    then read what changed since the type's watermark (or, the first time, every document of
    the type) on the sync pipeline."""

    def __init__(self, integration: Integration, client: VismaNetClient, settings: VismaNetSettings,
                 order_type: str) -> None:
        self.integration = integration
        self.client = client
        self.settings = settings
        self.order_type = order_type
        self.external_type = mapping.external_type(order_type, QUOTE_TYPE)
        # Time lines of an order or quote are planned hours, not material: the hours the
        # technicians register are what is billed (on the order's own time lines for a sales
        # order, on new lines of the new document for a quote), so never both.
        self.time_items: tuple[str, ...] = tuple(
            item for item in (settings.work_time_item, settings.travel_time_item) if item
        )
        self.run_ = Run(integration, first_import=False, job=JOB)
        # Before issue 8 one row held the watermark of whichever type was imported last: it
        # cannot tell which, so every type starts with its first pass (re-reading is harmless).
        SyncState.objects.filter(integration=integration, table=LEGACY_TABLE).delete()
        self.table = order_table(order_type)
        self.state = self.run_.state(self.table)

    # -- the run ------------------------------------------------------------------------------

    def source(self) -> ListSource:
        """The v3 list of the type (``GET /api/v3/SalesOrders/{type}``), oldest change first."""
        return ListSource(attrgetter("sales_orders.list"),
                          options=(("order_type", self.order_type), ("order_by", "lastModified asc")),
                          since_option="modified_since")

    def run(self) -> None:
        """Retry waiting orders, then list the type's orders modified since the watermark minus
        the overlap (every one on the first pass) and handle each; the watermark (the largest
        ``lastModified`` read, capped by the signpost) is written after the last page.

        Raises ``vismanet`` errors from the listing, ``Deactivated``, ``LeaseLost``.
        """
        self.run_.keep_lease()
        self.retry_pending()
        watermark = self.state.watermark
        newest = watermark
        since = watermark - OVERLAP if watermark else None
        for page in read_pages_by_time(self.client, self.source(), since, run=self.run_):
            for summary in page.records:
                self.run_.keep_lease()
                self.handle(summary)
            newest = largest(newest, page.records)
            if not page.records or page.is_last:
                self._finish(newest)

    def _finish(self, newest: dt.datetime | None) -> None:
        with transaction.atomic():
            state = SyncState.objects.select_for_update().get(pk=self.state.pk)
            mark = capped(newest, self.run_.signpost, self.table)
            if mark is not None:
                state.watermark = mark
            state.last_run_at = timezone.now()
            state.save(update_fields=["watermark", "last_run_at"])
            self.state = state

    def retry_pending(self) -> None:
        """Orders skipped because their customer was missing: try again once it is here
        (a database check first, so waiting costs no API call)."""
        pending = ExternalLink.objects.filter(kind=KIND, external_type=PENDING_TYPE)
        for link in pending:
            data = link.data or {}
            if data.get("order_type") != self.order_type:
                continue
            if Customer.objects.filter(number=data.get("customer", ""), status=ActiveStatus.ACTIVE).exists():
                self.run_.keep_lease()
                self.create(str(data.get("order_id", "")))

    def handle(self, summary: SalesOrderSummary) -> None:
        """Route one listed order: update its work order when it changed; skip documents
        Werkbon made, closed and filtered-out orders; else create a work order."""
        order_id = summary.order_id or ""
        if not order_id:
            return
        if not mapping.is_storable_key(order_id):
            self._refuse_unstorable(order_id)  # no query may name it (a NUL, a lone surrogate)
            return
        modified = summary.last_modified
        link = self._link(order_id)
        if link is not None:
            known = _parse((link.data or {}).get("last_modified"))
            if known is not None and modified is not None and modified <= known:
                return  # seen before (the overlap re-reads it): nothing changed
            self.change(link, modified)
        elif self._is_werkbons(order_id, summary.customer_order):
            return  # made by a Werkbon export: never a work order
        elif mapping.is_closed(summary.status):
            return  # finished in Visma.net: history, not work
        elif not mapping.matches_filter(summary.description, self.settings.order_import_filter_word):
            self._skip_filtered(order_id, modified)
        else:
            self.create(order_id)

    def _is_werkbons(self, order_id: str, customer_order: str | None) -> bool:
        """A document a Werkbon export made: its marker in the customer-order field (this or
        another Werkbon account on the company), or a number this tenant's export recorded."""
        if mapping.is_werkbon_marker(customer_order):
            return True
        return ExportRecord.objects.filter(
            kind=KIND, document_type=SALES_ORDER_DOCUMENT,
            document_number=mapping.order_label(self.order_type, order_id),
        ).exists()

    # -- new orders ---------------------------------------------------------------------------

    def create(self, order_id: str) -> None:
        """Make the work order of a new order (or of a waiting one whose customer arrived)."""
        label = mapping.order_label(self.order_type, order_id)
        fetched = self._fetch(order_id)
        if fetched is None:
            with transaction.atomic():
                self._drop_pending(order_id)
            return
        fields = fetched.fields
        with transaction.atomic():
            if self._link(order_id) is not None:
                return
            if (self._is_werkbons(order_id, fields.customer_order) or mapping.is_closed(fields.status)
                    or not mapping.matches_filter(fields.description, self.settings.order_import_filter_word)):
                self._drop_pending(order_id)
                return
            customer = self._customer(fields.customer_number)
            if customer is None:
                self._wait_for_customer(fields)
                return
            description = self._description(fields, fetched.lines)
            work_order = services.create_work_order(
                customer=customer,
                work_address=self._work_address(customer, fields),
                description=description,
                customer_reference=fields.customer_reference,
            )
            ExternalLink.objects.create(
                kind=KIND, local_type="work_order", local_id=work_order.pk,
                external_type=self.external_type, external_id=fields.key,
                data={"order_type": fields.order_type, "order_id": fields.order_id,
                      "last_modified": _iso(fields.last_modified),
                      "imported": self._order_values(fields, description),
                      "applied": _applied(work_order)},
            )
            if self.settings.order_import_lines:
                self._apply_lines(work_order, fields, fetched.lines)
            self._drop_pending(order_id)
            self._log(LogLevel.INFO, LogTable.WORK_ORDER, M_CREATED,
                      {"order": label, "work_order": work_order.number}, object_ref=str(work_order.number))
            self._changed()

    def _wait_for_customer(self, fields: mapping.OrderFields) -> None:
        data = {"order_type": fields.order_type, "order_id": fields.order_id,
                "customer": fields.customer_number, "last_modified": _iso(fields.last_modified)}
        link = ExternalLink.objects.filter(kind=KIND, external_type=PENDING_TYPE, external_id=fields.key).first()
        if link is not None and link.data.get("customer") == fields.customer_number:
            return  # already said so
        if link is None:
            ExternalLink.objects.create(kind=KIND, local_type="pending", local_id=0,
                                        external_type=PENDING_TYPE, external_id=fields.key, data=data)
        else:
            link.data = data
            link.save(update_fields=["data", "updated_at"])
        self._log(LogLevel.WARNING, LogTable.ORDER, M_NO_CUSTOMER,
                  {"order": fields.label, "customer": fields.customer_number},
                  action=A_NO_CUSTOMER, object_ref=fields.label)

    def _drop_pending(self, order_id: str) -> None:
        ExternalLink.objects.filter(
            kind=KIND, external_type=PENDING_TYPE, external_id=mapping.order_key(self.order_type, order_id)
        ).delete()

    def _skip_filtered(self, order_id: str, modified: dt.datetime | None) -> None:
        """Log once per change of the order that it was kept out by the filter word: the
        overlap, and a run after one that stopped halfway, read it again."""
        label = mapping.order_label(self.order_type, order_id)
        params = {"order": label, "word": self.settings.order_import_filter_word, "modified": _iso(modified)}
        if LogEntry.objects.filter(integration=self.integration, message=M_FILTERED, object_ref=label,
                                   params__modified=params["modified"]).exists():
            return
        self._log(LogLevel.INFO, LogTable.ORDER, M_FILTERED, params, action=A_FILTERED, object_ref=label)

    # -- changed orders -----------------------------------------------------------------------

    def change(self, link: ExternalLink, modified: dt.datetime | None) -> None:
        """Apply a changed order to its linked work order while that is OPEN: only what
        Visma.net changed since the last import, never over a change made in Werkbon
        (:meth:`_merge_header`, :meth:`_apply_lines`); otherwise log that it did not follow.

        ``modified`` is the listing's lastModified (aware UTC).
        """
        order_id = str((link.data or {}).get("order_id") or link.external_id.split("/", 1)[-1])
        label = mapping.order_label(self.order_type, order_id)
        work_order = WorkOrder.objects.filter(pk=link.local_id).first()
        if work_order is None or work_order.status != WorkOrderStatus.OPEN:
            with transaction.atomic():
                self._note_change_without_update(link, work_order, label, modified)
            return
        fetched = self._fetch(order_id)
        with transaction.atomic():
            work_order = WorkOrder.objects.select_for_update().filter(pk=link.local_id).first()
            if fetched is None or work_order is None or work_order.status != WorkOrderStatus.OPEN:
                self._note_change_without_update(link, work_order, label, modified)
                return
            fields = fetched.fields
            self._remember(link, fields.last_modified or modified)
            params = {"order": label, "work_order": work_order.number}
            if mapping.is_closed(fields.status):
                status = fields.status.strip().casefold()
                self._log(LogLevel.WARNING, LogTable.WORK_ORDER, M_CLOSED.get(status, M_CLOSED["closed"]), params,
                          action=A_CLOSED, object_ref=str(work_order.number))
                return
            changed = self._merge_header(link, work_order, fields, fetched.lines, params)
            if changed is None:
                return
            if self.settings.order_import_lines:
                changed = self._apply_lines(work_order, fields, fetched.lines) or changed
            if changed:
                self._log(LogLevel.INFO, LogTable.WORK_ORDER, M_UPDATED, params,
                          object_ref=str(work_order.number))
                self._changed()

    def _note_change_without_update(self, link: ExternalLink, work_order: WorkOrder | None, label: str,
                                    modified: dt.datetime | None) -> None:
        """The order changed but its work order may not follow: planned or completed →
        a warning; archived (e.g. our own write-back) or deleted here → nothing."""
        self._remember(link, modified)
        if work_order is not None and work_order.status in (WorkOrderStatus.PLANNED, WorkOrderStatus.COMPLETED):
            params = {"order": label, "work_order": work_order.number}
            self._log(LogLevel.WARNING, LogTable.WORK_ORDER, M_PLANNED, params, action=A_PLANNED,
                      object_ref=str(work_order.number))

    def _remember(self, link: ExternalLink, modified: dt.datetime | None) -> None:
        if modified is None:
            return
        link.data = {**(link.data or {}), "last_modified": _iso(modified)}
        link.save(update_fields=["data", "updated_at"])

    def _order_values(self, fields: mapping.OrderFields, description: str) -> dict[str, Any]:
        """The order's values as the link remembers them (``imported``)."""
        return {"customer": fields.customer_number,
                "work_address": mapping.address_key(fields.location_id, fields.address),
                "description": description, "customer_reference": fields.customer_reference}

    def _merge_header(self, link: ExternalLink, work_order: WorkOrder, fields: mapping.OrderFields,
                      lines: list[SalesOrderLine], params: dict[str, object]) -> bool | None:
        """Apply the header fields Visma.net changed since the last import (``imported``)
        where the work order still has the value Werkbon set (``applied``); where both
        changed it, keep the work order's value and warn once. The work address follows a
        customer change. Returns whether the work order changed; None when the order's
        customer is not (or not active) in Werkbon (warned, nothing applied)."""
        data = link.data or {}
        imported: dict[str, Any] | None = data.get("imported")
        applied: dict[str, Any] | None = data.get("applied")
        incoming = self._order_values(fields, self._description(fields, lines))
        current = _applied(work_order)
        now_applied = dict(applied or current)
        updates: dict[str, Any] = {}
        kept: list[str] = []

        def decide(name: str, local_name: str, wanted: Any) -> Merge:
            # A value Werkbon did not set (a link of an earlier version, or a field the office
            # changed before) counts as changed here.
            return mapping.merge(
                visma_changed=imported is None or imported.get(name) != incoming[name],
                local_changed=applied is None or local_name not in applied
                or applied[local_name] != current[local_name],
                agrees=current[local_name] == wanted,
            )

        customer = work_order.customer
        if imported is None or imported.get("customer") != incoming["customer"]:
            found = self._customer(fields.customer_number)
            if found is None:
                self._log(LogLevel.WARNING, LogTable.WORK_ORDER, M_NO_CUSTOMER_CHANGE,
                          {**params, "customer": fields.customer_number}, action=A_NO_CUSTOMER,
                          object_ref=str(work_order.number))
                return None
            verdict = decide("customer", "customer_id", found.pk)
            if verdict == Merge.APPLY:
                customer = found
                updates["customer_id"] = found.pk
                address = self._work_address(found, fields)
                updates["work_address_id"] = getattr(address, "pk", None)
            elif verdict == Merge.CONFLICT:
                kept.append("customer")
                now_applied.pop("customer_id", None)
            if verdict != Merge.CONFLICT:
                now_applied["customer_id"] = found.pk
        if "work_address_id" not in updates and "customer" not in kept and customer is not None:
            wanted = self._work_address(customer, fields, create=False)
            verdict = decide("work_address", "work_address_id", getattr(wanted, "pk", None))
            if verdict == Merge.APPLY:
                wanted = wanted or self._work_address(customer, fields)
                updates["work_address_id"] = getattr(wanted, "pk", None)
            elif verdict == Merge.CONFLICT:
                now_applied.pop("work_address_id", None)
                if imported is not None:
                    kept.append("work_address")
            if verdict in (Merge.APPLY, Merge.SAME):
                now_applied["work_address_id"] = updates.get("work_address_id", current["work_address_id"])
        for name in ("description", "customer_reference"):
            verdict = decide(name, name, incoming[name])
            if verdict == Merge.APPLY:
                updates[name] = incoming[name]
            elif verdict == Merge.CONFLICT:
                kept.append(name)
                now_applied.pop(name, None)
            if verdict in (Merge.APPLY, Merge.SAME):
                now_applied[name] = incoming[name]
        now_applied.update(updates)
        for name in kept:
            self._log(LogLevel.WARNING, LogTable.WORK_ORDER, M_KEPT[name],
                      {**params, "customer": fields.customer_number}, action=A_PLANNED,
                      object_ref=str(work_order.number))
        for name, value in updates.items():
            setattr(work_order, name, value)
        if updates:
            work_order.save(update_fields=[*updates, "updated_at"])
        link.data = {**data, "imported": incoming, "applied": now_applied}
        link.save(update_fields=["data", "updated_at"])
        return bool(updates)

    def _description(self, fields: mapping.OrderFields, lines: list[SalesOrderLine]) -> str:
        """The order's description and note, plus its planned hours ("Gepland in Visma.net:
        2,00 uur ARBEID") when its lines are read and it has time lines."""
        if not self.time_items or not lines:
            return fields.description
        read = [wanted for wanted in (mapping.line_fields(line) for line in lines) if wanted is not None]
        planned = mapping.planned_hours(read, self.time_items)
        return mapping.with_planned_time(fields.description, mapping.planned_time_text(planned))

    # -- lines --------------------------------------------------------------------------------

    def _apply_lines(self, work_order: WorkOrder, fields: mapping.OrderFields,
                     lines: list[SalesOrderLine]) -> bool:
        """Make the material lines that came from order lines follow the order: new order
        lines are added; a changed order line is applied only where the material line still
        has the values last imported (else it is kept, with one warning); a material line whose
        order line is gone is removed, unless it was changed in Werkbon (then it stays, as the
        work order's own line). Lines a technician or the office added are left alone.
        Returns whether anything changed. A sales order's lines on the work-time or travel-time
        item are planned hours, never material lines (one made by an earlier version is
        removed like a deleted order line)."""
        items: dict[str, Item] = {}
        incoming: list[mapping.OrderLineFields] = []
        for line in lines:
            wanted = mapping.line_fields(line)
            if wanted is None or mapping.is_time_line(wanted, self.time_items):
                continue
            item = self._usable_item(work_order, fields, line, wanted)
            if item is not None:
                items[wanted.item_number] = item
                incoming.append(wanted)
        prefix = f"{fields.key}/"
        links = {
            int((link.data or {}).get("line_id", link.external_id.rsplit("/", 1)[-1])): link
            for link in ExternalLink.objects.filter(
                kind=KIND, external_type="order_line", external_id__startswith=prefix
            )
        }
        material = {m.pk: m for m in MaterialLine.objects.filter(
            work_order=work_order, pk__in=[link.local_id for link in links.values()]
        ).select_related("item")}
        existing: dict[int, mapping.OrderLineFields] = {}
        removed_here: set[int] = set()
        for line_id, link in links.items():
            line = material.get(link.local_id)
            if line is None:
                removed_here.add(line_id)  # deleted in Werkbon: not brought back
                continue
            existing[line_id] = mapping.OrderLineFields(line_id, line.item.number, line.quantity, line.note)
        incoming = [line for line in incoming if line.line_id not in removed_here]
        changes = mapping.line_changes(existing, incoming)
        changed = False
        # The quantity is in the order line's unit: the material line is registered in it.
        units = {line.line_id: mapping.unit(line.unit_of_measure) for line in lines}
        for wanted in changes.add:
            created = MaterialLine.objects.create(work_order=work_order, item=items[wanted.item_number],
                                                  quantity=wanted.quantity, note=wanted.note,
                                                  unit=units.get(wanted.line_id, ""))
            ExternalLink.objects.update_or_create(
                kind=KIND, external_type="order_line",
                external_id=mapping.line_key(fields.order_type, fields.order_id, wanted.line_id),
                defaults={"local_type": "material_line", "local_id": created.pk,
                          "data": {"line_id": wanted.line_id, "imported": mapping.line_values(wanted)}},
            )
            changed = True
        by_id = {line.line_id: line for line in incoming}
        for line_id, local in existing.items():
            link = links[line_id]
            base = (link.data or {}).get("imported")
            wanted = by_id.get(line_id)
            if wanted is None:
                continue  # gone from the order: below
            values = mapping.line_values(wanted)
            verdict = mapping.merge(visma_changed=base != values,
                                    local_changed=base is None or base != mapping.line_values(local),
                                    agrees=local == wanted)
            if verdict == Merge.APPLY:
                line = material[link.local_id]
                line.item = items[wanted.item_number]
                line.quantity = wanted.quantity
                line.note = wanted.note
                line.save(update_fields=["item", "quantity", "note"])
                changed = True
            elif verdict == Merge.CONFLICT:
                self._log(LogLevel.WARNING, LogTable.WORK_ORDER, M_LINE_KEPT,
                          {"order": fields.label, "line": line_id, "item": wanted.item_number,
                           "work_order": work_order.number},
                          action=A_PLANNED, object_ref=str(work_order.number))
            if verdict != Merge.UNCHANGED:
                link.data = {**(link.data or {}), "imported": values}
                link.save(update_fields=["data", "updated_at"])
        for line_id in changes.remove:
            link = links[line_id]
            base = (link.data or {}).get("imported")
            if base is None or base == mapping.line_values(existing[line_id]):
                MaterialLine.objects.filter(pk=link.local_id, work_order=work_order).delete()
            # else: changed in Werkbon (material used): it stays, as the work order's own line
            link.delete()
            changed = True
        # The order line is gone and so is its material line: forget the link.
        gone = {line.line_id for line in (mapping.line_fields(raw) for raw in lines) if line}
        for line_id in removed_here - gone:
            links[line_id].delete()
        return changed

    def _usable_item(self, work_order: WorkOrder, fields: mapping.OrderFields, line: SalesOrderLine,
                     wanted: mapping.OrderLineFields) -> Item | None:
        params = {"order": fields.label, "line": wanted.line_id, "item": mapping.shown(wanted.item_number),
                  "work_order": work_order.number}
        # An item number no database stores (a NUL, a lone surrogate) names no item of ours.
        item = (Item.objects.filter(number=wanted.item_number).first()
                if mapping.is_storable_key(wanted.item_number) else None)
        is_stock = (line.line_type or "").casefold() in STOCK_LINE_TYPES or (
            item is not None and item.item_type == ItemType.STOCK
        )
        message = None
        if is_stock:
            message = M_LINE_STOCK
        elif item is None:
            message = M_LINE_UNKNOWN
        elif not item.is_active:
            message = M_LINE_INACTIVE
        elif wanted.quantity <= 0:
            message = M_LINE_QUANTITY
        elif wanted.quantity > mapping.QUANTITY_MAX:
            message, params["quantity"] = M_LINE_QUANTITY_MAX, mapping.shown(str(wanted.quantity))
        if message:
            self._log(LogLevel.WARNING, LogTable.ORDER, message, params, action=A_LINE, object_ref=fields.label)
            return None
        return item

    # -- helpers ------------------------------------------------------------------------------

    def _fetch(self, order_id: str) -> _Fetched | None:
        """The order with customer, note and shipping, and its lines; None when it is gone
        or unusable (logged)."""
        try:
            order = self.client.sales_orders.get(self.order_type, order_id, expand=DETAIL_EXPAND)
        except NotFoundError:
            return None  # deleted between the listing and now
        except UnaddressableError:
            # Skipped once (the watermark moves past it), never an error at every sync.
            label = mapping.order_label(self.order_type, order_id)
            if not LogEntry.objects.filter(message=M_UNADDRESSABLE, object_ref=label).exists():
                self._log(LogLevel.WARNING, LogTable.ORDER, M_UNADDRESSABLE, {"order": label},
                          action=A_UNADDRESSABLE, object_ref=label)
            return None
        try:
            fields = mapping.order_fields(order)
        except mapping.UnstorableKey:
            self._refuse_unstorable(order_id)
            return None
        except ValueError:
            label = mapping.order_label(self.order_type, order_id)
            self._log(LogLevel.WARNING, LogTable.ORDER, M_MALFORMED, {"order": label}, object_ref=label)
            return None
        lines = list(self.client.sales_orders.lines(self.order_type, order_id)) if self.settings.order_import_lines else []
        return _Fetched(fields, lines)

    def _refuse_unstorable(self, order_id: str) -> None:
        """Warn once (as for an unaddressable one) that the order's number or customer number
        holds a character no database stores: it is not imported."""
        label = mapping.order_label(self.order_type, order_id)
        if not LogEntry.objects.filter(message=M_UNSTORABLE_KEY, object_ref=label).exists():
            self._log(LogLevel.WARNING, LogTable.ORDER, M_UNSTORABLE_KEY, {"order": label},
                      action=A_UNSTORABLE_KEY, object_ref=label)

    def _link(self, order_id: str) -> ExternalLink | None:
        return ExternalLink.objects.filter(
            kind=KIND, external_type=self.external_type, external_id=mapping.order_key(self.order_type, order_id)
        ).first()

    @staticmethod
    def _customer(number: str) -> Customer | None:
        return Customer.objects.filter(number=number, status=ActiveStatus.ACTIVE).first()

    @staticmethod
    def _work_address(customer: Customer, fields: mapping.OrderFields, *, create: bool = True) -> WorkAddress | None:
        """The delivery location as work address: the location's own work address, else an
        identical one of the customer, else a new one (None with ``create=False``); without a
        typed address the location's (or the main) work address."""
        addresses = list(WorkAddress.objects.filter(customer=customer, is_active=True))
        keys = [f"location:{fields.location_id}"] if fields.location_id else []
        if fields.location_id.upper() == "MAIN" or not fields.location_id:
            keys.append("main")
        by_key = {address.external_key: address for address in addresses if address.external_key}
        located = next((by_key[key] for key in keys if key in by_key), None)
        if fields.address is None:
            return located or next(iter(addresses), None)
        if located is not None and mapping.same_address(_as_order_address(located), fields.address):
            return located
        for address in addresses:
            if mapping.same_address(_as_order_address(address), fields.address):
                return address
        if not create:
            return None
        return WorkAddress.objects.create(
            customer=customer, name=customer.name[:255], street=fields.address.street,
            house_number=fields.address.house_number, postal_code=fields.address.postal_code,
            city=fields.address.city, country=fields.address.country or customer.country or "NL",
        )

    def _changed(self) -> None:
        """Note on the type's SyncState that the import changed something (the status page's
        "Integratie update"), in the caller's transaction."""
        now = timezone.now()
        SyncState.objects.filter(pk=self.state.pk).update(last_change_at=now)
        self.state.last_change_at = now

    def _log(self, level: str, table: str, message: str, params: dict[str, object], *, action: str = "",
             object_ref: str = "") -> None:
        log(self.integration, level, table, message, action=action, params=params, object_ref=object_ref)


def _applied(work_order: WorkOrder) -> dict[str, Any]:
    """The work order's values an order sets, as the link remembers them (``applied``)."""
    return {"customer_id": work_order.customer_id, "work_address_id": work_order.work_address_id,
            "description": work_order.description, "customer_reference": work_order.customer_reference}


def _as_order_address(address: WorkAddress) -> mapping.OrderAddress:
    return mapping.OrderAddress(street=address.street, house_number=address.house_number,
                                postal_code=address.postal_code, city=address.city, country=address.country)
