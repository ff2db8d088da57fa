"""Step 3 for a work order made from a Visma.net sales order: write it back to THAT order
instead of making a new document (manual 5.10; ``docs/sync-rules.md`` "Work orders made from
Visma.net orders and quotes").

Guards: the write-back only ever touches an order Werkbon imported from Visma.net as such,
never a document Werkbon made itself (one that carries this tenant's marker or is recorded as
an export's document): that is refused with the action to take. An order that answers 404
was deleted in Visma.net: nothing is made instead until a person chooses (``DocumentDeleted``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_noop

from vismanet import NotFoundError, SalesOrderLinePatch, VismaNetClient
from werkbon.integrations.models import (
    AttemptOutcome,
    ExportDocumentType,
    ExportRecord,
    ExternalLink,
    Integration,
    LogTable,
)
from werkbon.integrations.vismanet.config import VismaNetSettings
from werkbon.integrations.vismanet.export import preflight
from werkbon.integrations.vismanet.export.document import gather_facts, state_word
from werkbon.integrations.vismanet.export.outbox import KIND
from werkbon.integrations.vismanet.export.outcome import DocumentDeleted, Outcome, PermanentFailure
from werkbon.integrations.vismanet.mapping import outbound
from werkbon.workorders.models import WorkOrder

SALES_ORDER = "sales_order"
QUOTE = "quote"
CLOSED_ORDER_STATUSES = {"completed", "cancelled", "invoiced", "voided", "closed"}

MSG_ORDER_CLOSED = gettext_noop(
    "Sales order %(document)s, which work order %(number)s came from, is %(state)s in Visma.net"
    " and can no longer be changed.")
ACT_ORDER_CLOSED = gettext_noop("Set the order back to open or on hold in Visma.net, then press Retry.")
MSG_OWN_DOCUMENT = gettext_noop(
    "Sales order %(document)s, which work order %(number)s came from, was made by Werkbon itself"
    " (%(reason)s): Werkbon never writes back to its own documents, so nothing was changed.")
ACT_OWN_DOCUMENT = gettext_noop(
    "Check work order %(number)s and %(document)s in Visma.net: add what is missing to the order"
    " by hand if needed, then mark the work order as handled outside Werkbon in its Visma.net"
    " panel.")
REASON_MARKER = gettext_noop("it carries the marker of a Werkbon export")
REASON_RECORDED = gettext_noop("it is the document of another work order's export")


def origin_of(work_order: WorkOrder) -> ExternalLink | None:
    """The link to the Visma.net sales order or quote the work order was imported from."""
    return (ExternalLink.objects.filter(kind=KIND, local_type="work_order", local_id=work_order.pk,
                                        external_type__in=[SALES_ORDER, QUOTE])
            .order_by("id").first())


def order_key(link: ExternalLink) -> tuple[str, str]:
    """``(order type, order id)`` of a link (its data, else its ``SO/000101`` id)."""
    data = link.data or {}
    if data.get("order_type") and data.get("order_id"):
        return str(data["order_type"]), str(data["order_id"])
    order_type, _sep, order_id = link.external_id.partition("/")
    return order_type, order_id


def load_origin(client: VismaNetClient, origin: ExternalLink) -> Any:
    """The originating order (``GET /api/v3/SalesOrders/{type}/{id}?expand=Customer``);
    DocumentDeleted when Visma.net answers 404."""
    order_type, order_id = order_key(origin)
    try:
        return client.sales_orders.get(order_type, order_id, expand=["Customer"])
    except NotFoundError as error:
        raise DocumentDeleted(f"{order_type} {order_id}", str(error)) from error


def guard_not_ours(record: ExportRecord, integration: Integration, document: str, order: Any) -> None:
    """Refuse (PermanentFailure) to write back to a document Werkbon made: one whose customer
    order field carries this tenant's marker token, or any export's marker, or that is an
    export's document."""
    customer_order = ((order.customer.order if order.customer else None) or "").strip()
    token = integration.document_token
    reason = None
    if customer_order and ((token and f"({token}-" in customer_order)
                           or ExportRecord.objects.filter(kind=KIND, marker=customer_order).exists()):
        reason = REASON_MARKER
    elif ExportRecord.objects.filter(kind=KIND, document_number=document).exclude(pk=record.pk).exists():
        reason = REASON_RECORDED
    if reason is not None:
        raise PermanentFailure(MSG_OWN_DOCUMENT, ACT_OWN_DOCUMENT,
                               {"document": document, "number": record.work_order_number, "reason": reason},
                               table=LogTable.ORDER, object_ref=document, translate=("reason",))


def write_back(integration: Integration, record: ExportRecord, work_order: WorkOrder,
               settings: VismaNetSettings, client: VismaNetClient, origin: ExternalLink,
               order: Any) -> Outcome:
    """Write the work order back to the sales order it came from: the order's work-time and
    travel-time lines get the registered hours (:func:`outbound.time_line_quantities`: the
    first line on the item the sum, further ones 0), lines that came from the order as
    material lines get the quantity actually used (0 when the material line was deleted),
    what the work order adds becomes new lines tagged ``Werkbon N [key]`` in their note;
    lines already tagged (an earlier attempt) are not added again. Everything is decided on
    the order's lines as re-read now, so a retry after a lost answer changes nothing twice.
    Calls ``GET …/lines``, ``PATCH …/lines`` and ``POST …/lines`` with If-Match. Raises
    PermanentFailure (closed order, our own document), DocumentDeleted (404)."""
    order_type, order_id = order_key(origin)
    document = f"{order_type} {order_id}"
    number = work_order.number
    guard_not_ours(record, integration, document, order)
    status = order.status_code or ""
    if status.lower() in CLOSED_ORDER_STATUSES:
        raise PermanentFailure(MSG_ORDER_CLOSED, ACT_ORDER_CLOSED,
                               {"document": document, "number": number, "status": status,
                                "state": state_word(status)},
                               table=LogTable.ORDER, object_ref=document, translate=("state",))
    facts = gather_facts(work_order)
    plan = outbound.plan_document(facts, settings)
    tag_base = outbound.marker(number)  # line tags inside the order we imported
    try:
        lines = list(client.sales_orders.lines(order_type, order_id))
    except NotFoundError as error:
        raise DocumentDeleted(document, str(error)) from error
    by_id = {line.line_id: line for line in lines}
    # Time first: the order's own time lines take the hours (no time billed twice).
    hours, covered = outbound.time_line_quantities(
        [outbound.OrderLine(line.line_id, (line.inventory.id if line.inventory else None) or "",
                            Decimal(str(line.quantity or 0)), line.note or "")
         for line in lines if line.line_id is not None],
        facts, settings, tag_base)
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
             and not any(outbound.line_tag(tag_base, line.key) in note for note in tags)]
    warehouse = preflight.choose_warehouse(work_order, settings) if added else None
    preflight.check_master_data(client, record, None,
                                list(dict.fromkeys(line.item_number for line in [*added, *relabelled])),
                                warehouse, outbound.units_of([*added, *relabelled]))
    etag = order.etag
    try:
        if patches:
            accepted = client.sales_orders.patch_lines(order_type, order_id, patches, if_match=etag)
            etag = accepted.etag or client.sales_orders.get(order_type, order_id).etag
        if added:
            client.sales_orders.add_lines(
                order_type, order_id,
                [outbound.sales_order_line(line, warehouse, outbound.line_tag(tag_base, line.key))
                 for line in added],
                if_match=etag)
    except NotFoundError as error:
        if error.may_have_been_applied:
            raise
        raise DocumentDeleted(document, str(error)) from error
    record.store_document(ExportDocumentType.SALES_ORDER, document)
    return Outcome(AttemptOutcome.WRITTEN_BACK, document,
                   {"changed": len(patches), "added": len(added), "count": len(patches) + len(added)})
