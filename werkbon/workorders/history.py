"""A work order's history never changes behind the office's back (issue 9).

Customers, work addresses and items may be managed in an accounting system that changes them
while work orders use them. The rules (``docs/sync-rules.md``, "Master data changes and work
orders"):

* **Archived is immutable.** At archiving (:func:`store_at_archive`, inside the archive
  transaction) the customer's number and name are kept on the work order and both PDFs are
  rendered and stored (:class:`~werkbon.workorders.models.ArchivedPdf`; the work-order PDF
  carries the customer's signature). Its signature and photos can no longer change
  (``attachments``). Its work address is
  the work order's own copy and its material lines carry their own item number, description
  and unit, so nothing of the accounting system reaches it afterwards. The download and the
  export use the stored PDF bytes (:func:`work_order_pdf`, :func:`forms_pdf`).
  :func:`archived_content` returns all of it, for tests and checks.
* **Open keeps what was agreed.** An open (not archived) work order keeps its copy of the
  address and its lines' descriptions and units; :func:`pending_changes` says what changed in
  the master data since, and :func:`take_new_address` / :func:`take_new_item_values` take the
  new values (one click of the office). Warnings are written by the integration that changed
  the master data, with :func:`orders_with_changed_address` / :func:`lines_with_changed_item`.
* **Units.** A material line's quantity is in the unit it was registered in
  (:func:`registered_lines`); nothing converts it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from werkbon.workorders.models import (
    ADDRESS_FIELDS,
    AddressCopy,
    ArchivedPdf,
    Customer,
    Item,
    MaterialLine,
    Signature,
    WorkAddress,
    WorkOrder,
    WorkOrderPhoto,
    WorkOrderStatus,
)
from werkbon.workorders.pdf import render_forms_pdf, render_work_order_pdf

WORK_ORDER_PDF = "work_order"
FORMS_PDF = "forms"
RENDERERS = {WORK_ORDER_PDF: render_work_order_pdf, FORMS_PDF: render_forms_pdf}
LINE_FIELDS = ("description", "unit")  # of a material line, taken from its item on request


# ---- archived: immutable ---------------------------------------------------------------------


@dataclass(frozen=True)
class LineContent:
    """One material line as registered: key ``m<id>``, item number, description, quantity in
    ``unit``, note."""

    key: str
    item_number: str
    description: str
    quantity: Decimal
    unit: str
    note: str


@dataclass(frozen=True)
class ArchivedContent:
    """What an archived work order says, and its stored PDFs (``kind`` → bytes)."""

    number: int
    customer_number: str
    customer_name: str
    work_address: str  # name and one line, "" without one
    description: str
    customer_reference: str
    time: tuple[tuple[str, int, dt.date], ...]  # (kind, minutes, date) per entry
    lines: tuple[LineContent, ...]
    signed_by_name: str
    pdfs: dict[str, bytes] = field(default_factory=dict)
    signature: str = ""  # SHA-256 (hex) of the customer's signature PNG, "" without one
    signer_name: str = ""
    photos: tuple[tuple[str, str], ...] = ()  # (caption, SHA-256 hex) per photo, in order


def store_at_archive(work_order: WorkOrder) -> None:
    """Keep the customer's number and name on ``work_order`` and store both PDFs, as they are
    now. Called by ``services.archive`` inside its transaction, after the status is set."""
    customer = work_order.customer
    work_order.archived_customer_number = customer.number if customer else ""
    work_order.archived_customer_name = customer.name if customer else ""
    WorkOrder.objects.filter(pk=work_order.pk).update(
        archived_customer_number=work_order.archived_customer_number,
        archived_customer_name=work_order.archived_customer_name)
    _store_pdfs(work_order)


def _store_pdfs(work_order: WorkOrder) -> dict[str, bytes]:
    stored = {}
    for kind, render in RENDERERS.items():
        content = render(work_order)
        ArchivedPdf.objects.update_or_create(
            work_order=work_order, kind=kind,
            defaults={"content": content, "sha256": hashlib.sha256(content).hexdigest()})
        stored[kind] = content
    return stored


def _pdf(work_order: WorkOrder, kind: str) -> bytes:
    """The stored PDF of an archived work order (stored now, once, for one archived before
    PDFs were stored); a new rendering for any other."""
    if not work_order.is_archived:
        return RENDERERS[kind](work_order)
    stored = ArchivedPdf.objects.filter(work_order=work_order, kind=kind).values_list("content", flat=True).first()
    if stored is None:
        with transaction.atomic():
            return _store_pdfs(work_order)[kind]
    return bytes(stored)


def work_order_pdf(work_order: WorkOrder) -> bytes:
    """The work-order PDF: the bytes stored at archiving for an archived work order, else
    rendered now (:func:`werkbon.workorders.pdf.render_work_order_pdf`)."""
    return _pdf(work_order, WORK_ORDER_PDF)


def forms_pdf(work_order: WorkOrder) -> bytes:
    """The custom-forms PDF: stored at archiving for an archived work order, else rendered now."""
    return _pdf(work_order, FORMS_PDF)


def registered_lines(work_order: WorkOrder) -> tuple[tuple[str, str, Decimal, str], ...]:
    """Every material line as registered: ``(key "m<id>", item number, quantity, unit)``, in
    line order. A document line made from it must carry exactly this quantity and unit."""
    return tuple((f"m{line.pk}", line.item_number, line.quantity, line.unit)
                 for line in work_order.material_lines.order_by("id"))


def archived_content(work_order: WorkOrder) -> ArchivedContent:
    """Everything an archived work order says, with its stored PDFs, its signature and photos
    (by SHA-256); two calls give equal results whatever changed in the master data in between
    (tenant context required)."""
    address = work_order.address
    signature = Signature.objects.filter(work_order=work_order).first()
    return ArchivedContent(
        number=work_order.number,
        customer_number=work_order.display_customer_number,
        customer_name=work_order.display_customer_name,
        work_address=address.with_name() if address else "",
        description=work_order.description,
        customer_reference=work_order.customer_reference,
        time=tuple((e.kind, e.minutes, e.date) for e in work_order.time_entries.order_by("id")),
        lines=tuple(LineContent(f"m{line.pk}", line.item_number, line.description, line.quantity, line.unit,
                                line.note) for line in work_order.material_lines.order_by("id")),
        signed_by_name=work_order.signed_by_name,
        pdfs={kind: _pdf(work_order, kind) for kind in RENDERERS},
        signature=signature.sha256 if signature else "",
        signer_name=signature.signer_name if signature else "",
        photos=tuple(WorkOrderPhoto.objects.filter(work_order=work_order).order_by("id")
                     .values_list("caption", "sha256")),
    )


def change_archived_customer(work_order: WorkOrder, customer: Customer) -> WorkAddress | None:
    """Put another customer on an archived work order whose export could not go out for its
    customer (the one change allowed after archiving): the customer, the kept customer number
    and name, and the stored PDFs rendered again with it. The work address stays (the work
    was done there; it is never emptied silently): returns it when it belongs to another
    customer, so the caller can say so; else None."""
    with transaction.atomic():
        order = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
        order.customer = customer
        order.save(update_fields=["customer", "updated_at"])
        store_at_archive(order)
    address = order.work_address
    return address if address is not None and address.customer_id != customer.pk else None


# ---- open: keeps what was agreed, says when the master data changed --------------------------


@dataclass
class PendingChanges:
    """What changed in the master data since an open work order agreed it: the new address
    (None when unchanged) and per material line the changed fields as (registered, new)."""

    address: AddressCopy | None = None
    lines: list[tuple[MaterialLine, dict[str, tuple[str, str]]]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.address is not None or bool(self.lines)


def new_address(work_order: WorkOrder) -> AddressCopy | None:
    """The work address as it is now when it differs from the work order's copy, else None
    (always None for an archived work order)."""
    if work_order.is_archived or work_order.work_address_id is None:
        return None
    current = AddressCopy.of(work_order.work_address)
    return current if current != work_order.address else None


def item_changes(line: MaterialLine) -> dict[str, tuple[str, str]]:
    """The line's fields whose item has another value now: ``{"unit": ("STK", "DOOS")}``."""
    return {name: (getattr(line, name), getattr(line.item, name)) for name in LINE_FIELDS
            if getattr(line, name) != getattr(line.item, name)}


def pending_changes(work_order: WorkOrder, lines: list[MaterialLine] | None = None) -> PendingChanges:
    """What the office may take over on ``work_order`` (nothing when it is archived).
    ``lines``: its material lines with their items, when the caller has read them already."""
    if work_order.is_archived:
        return PendingChanges()
    if lines is None:
        lines = list(work_order.material_lines.select_related("item").order_by("id"))
    changed = [(line, changes) for line in lines if (changes := item_changes(line))]
    return PendingChanges(new_address(work_order), changed)


def orders_with_changed_address(address: WorkAddress, fields: dict[str, str]) -> list[WorkOrder]:
    """The open (not archived) work orders on ``address`` whose copy differs from ``fields``
    (the address's new values, by WorkAddress field name), by number."""
    if address.pk is None:
        return []
    new = AddressCopy(**{name: fields.get(name, getattr(address, name)) or "" for name in ADDRESS_FIELDS})
    orders = (WorkOrder.objects.filter(work_address=address).exclude(status=WorkOrderStatus.ARCHIVED)
              .select_related("work_address").order_by("number"))
    return [order for order in orders if order.address != new]


def lines_with_changed_item(item: Item, fields: dict[str, str]) -> list[MaterialLine]:
    """The material lines on open (not archived) work orders of ``item`` whose description
    or unit differs from ``fields`` (the item's new values), by work-order number."""
    if item.pk is None:
        return []
    lines = (MaterialLine.objects.filter(item=item).exclude(work_order__status=WorkOrderStatus.ARCHIVED)
             .select_related("work_order").order_by("work_order__number", "id"))
    return [line for line in lines
            if any(name in fields and getattr(line, name) != fields[name] for name in LINE_FIELDS)]


def take_new_address(work_order: WorkOrder) -> WorkOrder:
    """Copy the work address as it is now onto the open work order (the office's click).

    Raises ``services.LifecycleError`` when the work order is archived."""
    from werkbon.workorders import services

    with transaction.atomic():
        order = services.lock(work_order)
        services.ensure_editable(order)
        current = AddressCopy.of(order.work_address) or AddressCopy()
        for name in ADDRESS_FIELDS:
            setattr(order, f"address_{name}", getattr(current, name))
        order.save(update_fields=[f"address_{name}" for name in ADDRESS_FIELDS] + ["updated_at"])
    return order


def take_new_item_values(work_order: WorkOrder, line: MaterialLine) -> MaterialLine:
    """Give the material line its item's description and unit as they are now (the office's
    click); the quantity stays as registered (the office checks it).

    Raises ``services.LifecycleError`` when the work order is archived."""
    from werkbon.workorders import services

    with transaction.atomic():
        order = services.lock(work_order)
        services.ensure_editable(order)
        line = MaterialLine.objects.select_related("item").get(pk=line.pk, work_order=order)
        line.description, line.unit = line.item.description, line.item.unit
        line.save(update_fields=["description", "unit"])
    return line
