"""Visma.net sales orders and quotes coming in as work orders (manual 5.10).

Runs after each incremental sync (``adapter.incremental_sync``), inside the tenant's
context and lease. A pipeline like the other tables: fetch (v3 list sorted by
``lastModified``, then the order and its lines), map (:mod:`.mapping.orders`), store (one
transaction per order that also moves the watermark). The rules are in
``docs/sync-rules.md``, "Orders and quotes".

Links (``ExternalLink``, kind ``vismanet``) the export relies on for the write-back:

* work order ← order: ``local_type="work_order"``, ``external_type`` ``"sales_order"`` or
  ``"quote"``, ``external_id="SO/000101"``, data ``{order_type, order_id, last_modified}``;
* material line ← order line: ``local_type="material_line"``, ``external_type="order_line"``,
  ``external_id="SO/000101/3"``, data ``{line_id}``. A sales order's lines on the work-time
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
from werkbon.integrations.log import log
from werkbon.integrations.models import (
    ExternalLink,
    Integration,
    IntegrationKind,
    LogEntry,
    LogLevel,
    LogTable,
    SyncState,
    SyncTable,
)
from werkbon.integrations.vismanet.client import client_for, record_quota
from werkbon.integrations.vismanet.config import OrderImportOption, VismaNetSettings
from werkbon.integrations.vismanet.mapping import orders as mapping
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
# Re-read this much before the watermark each run: a change committed in Visma.net with a
# timestamp just below one we already saw is still picked up.
OVERLAP = dt.timedelta(minutes=5)
PAGE_SIZE = 1000  # v3 maximum without expand
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
M_CLOSED = gettext_noop("Order %(order)s is %(status)s in Visma.net: check work order %(work_order)s.")
A_CLOSED = gettext_noop("Check whether work order %(work_order)s is still needed.")
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
A_LINE = gettext_noop("Add the material to work order %(work_order)s by hand if it is needed.")
M_UNADDRESSABLE = gettext_noop(
    "Order %(order)s cannot be read through the Visma.net API: its number holds a character the API "
    "cannot take in an address (such as \"/\"). The order is not imported as a work order.")
A_UNADDRESSABLE = gettext_noop(
    "Make the work order for this order by hand, or give the order type a numbering without \"/\" in "
    "Visma.net.")
M_MALFORMED = gettext_noop("Order %(order)s could not be imported: Visma.net sent it without a customer.")
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


def import_orders(integration: Integration) -> None:
    """Import the Visma.net orders (or quotes) the settings ask for, as work orders.

    Call inside ``tenant_context(integration.tenant)``. Never raises for Visma.net errors:
    ``ReconnectRequired`` → one error entry; ``RateLimitedError`` → stop quietly (the client
    already paused the company); any other ``VismaNetError`` → an error entry with detail.
    The watermark is left where the last fully stored order put it.
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
        with client_for(integration) as client:
            try:
                OrderImport(integration, client, settings, order_type).run()
            finally:
                record_quota(integration, client)
    except RateLimitedError:
        logger.info("order import of tenant %s stopped by the rate limit", integration.tenant_id)
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
    """One run for one integration: retry orders waiting for their customer, then read
    what changed since the watermark."""

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
        self.state, _ = SyncState.objects.get_or_create(integration=integration, table=SyncTable.ORDERS)

    # -- the run ------------------------------------------------------------------------------

    def run(self) -> None:
        """Retry waiting orders, then list orders of the type modified since the watermark minus
        5 minutes (v3 sales-order list, ``lastModified asc``) and handle each.

        Raises ``vismanet`` errors from the listing; the watermark moves per handled order.
        """
        self.retry_pending()
        since = self.state.watermark - OVERLAP if self.state.watermark else None
        listing = self.client.sales_orders.list(
            order_type=self.order_type, modified_since=since, order_by="lastModified asc", page_size=PAGE_SIZE
        )
        for summary in listing:
            self.handle(summary)
        SyncState.objects.filter(pk=self.state.pk).update(last_run_at=timezone.now())

    def retry_pending(self) -> None:
        """Orders skipped because their customer was missing: try again once it is here
        (a database check first, so waiting costs no API call)."""
        pending = ExternalLink.objects.filter(kind=KIND, external_type=PENDING_TYPE)
        for link in pending:
            data = link.data or {}
            if data.get("order_type") != self.order_type:
                continue
            if Customer.objects.filter(number=data.get("customer", ""), status=ActiveStatus.ACTIVE).exists():
                self.create(str(data.get("order_id", "")), None)

    def handle(self, summary: SalesOrderSummary) -> None:
        """Route one listed order: update its work order when it changed, skip closed and
        filtered-out orders (moving the watermark), else create a work order.
        """
        order_id = summary.order_id or ""
        if not order_id:
            return
        modified = summary.last_modified
        link = self._link(order_id)
        if link is not None:
            known = _parse((link.data or {}).get("last_modified"))
            if known is not None and modified is not None and modified <= known:
                return  # seen before (the overlap re-reads it): nothing changed
            self.change(link, modified)
        elif mapping.is_closed(summary.status):
            self._advance_only(modified)  # finished in Visma.net: history, not work
        elif not mapping.matches_filter(summary.description, self.settings.order_import_filter_word):
            self._skip_filtered(order_id, modified)
        else:
            self.create(order_id, modified)

    # -- new orders ---------------------------------------------------------------------------

    def create(self, order_id: str, modified: dt.datetime | None) -> None:
        """Make the work order of a new order. ``modified`` is the listing's lastModified;
        None for a retry of a waiting order, which must not move the watermark: orders
        between it and the retried one's newer timestamp have not been listed yet."""
        label = mapping.order_label(self.order_type, order_id)
        fetched = self._fetch(order_id)
        if fetched is None:
            with transaction.atomic():
                self._drop_pending(order_id)
                self._advance(modified)
            return
        fields = fetched.fields
        with transaction.atomic():
            if self._link(order_id) is not None:
                self._advance(modified)
                return
            if mapping.is_closed(fields.status) or not mapping.matches_filter(
                fields.description, self.settings.order_import_filter_word
            ):
                self._drop_pending(order_id)
                self._advance(modified)
                return
            customer = self._customer(fields.customer_number)
            if customer is None:
                self._wait_for_customer(fields)
                self._advance(modified)
                return
            work_order = services.create_work_order(
                customer=customer,
                work_address=self._work_address(customer, fields),
                description=self._description(fields, fetched.lines),
                customer_reference=fields.customer_reference,
            )
            ExternalLink.objects.create(
                kind=KIND, local_type="work_order", local_id=work_order.pk,
                external_type=self.external_type, external_id=fields.key,
                data={"order_type": fields.order_type, "order_id": fields.order_id,
                      "last_modified": _iso(fields.last_modified)},
            )
            if self.settings.order_import_lines:
                self._apply_lines(work_order, fields, fetched.lines)
            self._drop_pending(order_id)
            self._log(LogLevel.INFO, LogTable.WORK_ORDER, M_CREATED,
                      {"order": label, "work_order": work_order.number}, object_ref=str(work_order.number))
            self._advance(modified, changed=True)

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
        # Logged once per change: the overlap re-reads orders at or below the watermark.
        is_new = modified is None or self.state.watermark is None or modified > self.state.watermark
        with transaction.atomic():
            if is_new:
                label = mapping.order_label(self.order_type, order_id)
                self._log(LogLevel.INFO, LogTable.ORDER, M_FILTERED,
                          {"order": label, "word": self.settings.order_import_filter_word},
                          action=A_FILTERED, object_ref=label)
            self._advance(modified)

    # -- changed orders -----------------------------------------------------------------------

    def change(self, link: ExternalLink, modified: dt.datetime | None) -> None:
        """Apply a changed order to its linked work order while that is OPEN (header, and lines
        when the settings import them); otherwise log that the work order did not follow.

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
                self._log(LogLevel.WARNING, LogTable.WORK_ORDER, M_CLOSED, {**params, "status": fields.status},
                          action=A_CLOSED, object_ref=str(work_order.number))
                self._advance(modified)
                return
            customer = self._customer(fields.customer_number)
            if customer is None:
                self._log(LogLevel.WARNING, LogTable.WORK_ORDER, M_NO_CUSTOMER_CHANGE,
                          {**params, "customer": fields.customer_number}, action=A_NO_CUSTOMER,
                          object_ref=str(work_order.number))
                self._advance(modified)
                return
            changed = self._update_header(work_order, customer, fields, fetched.lines)
            if self.settings.order_import_lines:
                changed = self._apply_lines(work_order, fields, fetched.lines) or changed
            if changed:
                self._log(LogLevel.INFO, LogTable.WORK_ORDER, M_UPDATED, params,
                          object_ref=str(work_order.number))
            self._advance(modified, changed=changed)

    def _note_change_without_update(self, link: ExternalLink, work_order: WorkOrder | None, label: str,
                                    modified: dt.datetime | None) -> None:
        """The order changed but its work order may not follow: planned or completed →
        a warning; archived (e.g. our own write-back) or deleted here → nothing."""
        self._remember(link, modified)
        if work_order is not None and work_order.status in (WorkOrderStatus.PLANNED, WorkOrderStatus.COMPLETED):
            params = {"order": label, "work_order": work_order.number}
            self._log(LogLevel.WARNING, LogTable.WORK_ORDER, M_PLANNED, params, action=A_PLANNED,
                      object_ref=str(work_order.number))
        self._advance(modified)

    def _remember(self, link: ExternalLink, modified: dt.datetime | None) -> None:
        if modified is None:
            return
        link.data = {**(link.data or {}), "last_modified": _iso(modified)}
        link.save(update_fields=["data", "updated_at"])

    def _update_header(self, work_order: WorkOrder, customer: Customer, fields: mapping.OrderFields,
                       lines: list[SalesOrderLine]) -> bool:
        wanted = {
            "customer_id": customer.pk,
            "work_address_id": getattr(self._work_address(customer, fields), "pk", None),
            "description": self._description(fields, lines),
            "customer_reference": fields.customer_reference,
        }
        changed = [name for name, value in wanted.items() if getattr(work_order, name) != value]
        for name in changed:
            setattr(work_order, name, wanted[name])
        if changed:
            work_order.save(update_fields=[*changed, "updated_at"])
        return bool(changed)

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
        """Make the material lines that came from order lines match the order; lines a
        technician or the office added are left alone. Returns whether anything changed.
        A sales order's lines on the work-time or travel-time item are planned hours, never
        material lines (one made by an earlier version is removed like a deleted order line)."""
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
        for wanted in changes.add:
            created = MaterialLine.objects.create(work_order=work_order, item=items[wanted.item_number],
                                                  quantity=wanted.quantity, note=wanted.note)
            ExternalLink.objects.update_or_create(
                kind=KIND, external_type="order_line",
                external_id=mapping.line_key(fields.order_type, fields.order_id, wanted.line_id),
                defaults={"local_type": "material_line", "local_id": created.pk,
                          "data": {"line_id": wanted.line_id}},
            )
        for wanted in changes.update:
            line = material[links[wanted.line_id].local_id]
            line.item = items[wanted.item_number]
            line.quantity = wanted.quantity
            line.note = wanted.note
            line.save(update_fields=["item", "quantity", "note"])
        for line_id in changes.remove:
            MaterialLine.objects.filter(pk=links[line_id].local_id, work_order=work_order).delete()
            links[line_id].delete()
        # The order line is gone and so is its material line: forget the link.
        gone = {line.line_id for line in (mapping.line_fields(raw) for raw in lines) if line}
        for line_id in removed_here - gone:
            links[line_id].delete()
        return bool(changes)

    def _usable_item(self, work_order: WorkOrder, fields: mapping.OrderFields, line: SalesOrderLine,
                     wanted: mapping.OrderLineFields) -> Item | None:
        params = {"order": fields.label, "line": wanted.line_id, "item": wanted.item_number,
                  "work_order": work_order.number}
        item = Item.objects.filter(number=wanted.item_number).first()
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
        except ValueError:
            label = mapping.order_label(self.order_type, order_id)
            self._log(LogLevel.WARNING, LogTable.ORDER, M_MALFORMED, {"order": label}, object_ref=label)
            return None
        lines = list(self.client.sales_orders.lines(self.order_type, order_id)) if self.settings.order_import_lines else []
        return _Fetched(fields, lines)

    def _link(self, order_id: str) -> ExternalLink | None:
        return ExternalLink.objects.filter(
            kind=KIND, external_type=self.external_type, external_id=mapping.order_key(self.order_type, order_id)
        ).first()

    @staticmethod
    def _customer(number: str) -> Customer | None:
        return Customer.objects.filter(number=number, status=ActiveStatus.ACTIVE).first()

    @staticmethod
    def _work_address(customer: Customer, fields: mapping.OrderFields) -> WorkAddress | None:
        """The delivery location as work address: the location's own work address, else an
        identical one of the customer, else a new one; without a typed address the
        location's (or the main) work address."""
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
        return WorkAddress.objects.create(
            customer=customer, name=customer.name[:255], street=fields.address.street,
            house_number=fields.address.house_number, postal_code=fields.address.postal_code,
            city=fields.address.city, country=fields.address.country or customer.country or "NL",
        )

    def _advance(self, modified: dt.datetime | None, *, changed: bool = False) -> None:
        """Move the watermark to ``modified`` (Visma's clock) in the caller's transaction."""
        updates: dict[str, object] = {}
        if modified is not None and (self.state.watermark is None or modified > self.state.watermark):
            updates["watermark"] = modified
        if changed:
            updates["last_change_at"] = timezone.now()
        if updates:
            SyncState.objects.filter(pk=self.state.pk).update(**updates)
            for name, value in updates.items():
                setattr(self.state, name, value)

    def _advance_only(self, modified: dt.datetime | None) -> None:
        if modified is not None and (self.state.watermark is None or modified > self.state.watermark):
            with transaction.atomic():
                self._advance(modified)

    def _log(self, level: str, table: str, message: str, params: dict[str, object], *, action: str = "",
             object_ref: str = "") -> None:
        log(self.integration, level, table, message, action=action, params=params, object_ref=object_ref)


def _as_order_address(address: WorkAddress) -> mapping.OrderAddress:
    return mapping.OrderAddress(street=address.street, house_number=address.house_number,
                                postal_code=address.postal_code, city=address.city, country=address.country)
