"""An archived work order → the document Visma.net gets (manual 3.4, 5.3–5.11): the rules.

Everything the export decides about a document's *content* is here, as pure functions over
plain values (:class:`WorkOrderFacts` in, :class:`DocumentPlan` and request models out), so
each rule is tested without a database or a network. The ``export`` package gathers the facts,
checks them against Visma.net and sends the result. The rules are written down in
``docs/sync-rules.md`` ("## Export").

* Hours: :func:`werkbon.workorders.units.minutes_to_hours` applied once to each SUM of minutes
  (work and travel apart), the same function the work-order PDF prints: 135 min → 2.25.
* Lines, in this order: work time on the work-time item, travel time on the travel-time item
  (each only when the item is set and the sum is not zero), every material line on its item
  with its quantity in the unit it was registered in (sent as the line's unit), then the default item × 1 when enabled. No prices: Visma.net's price
  rules apply, and the office can still change them.
* Text that does not fit a Visma.net field is shortened on purpose (ending in "…") and
  reported in :attr:`DocumentPlan.shortened`, so the export logs a warning; it is never
  refused.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext

from vismanet import (
    NewCustomerInvoice,
    NewCustomerInvoiceLine,
    NewSalesOrder,
    NewSalesOrderCustomer,
    NewSalesOrderLine,
)
from werkbon.integrations.vismanet.config import (
    ImageOption,
    NotesOption,
    PdfOption,
    ReferenceOption,
    TargetOption,
    VismaNetSettings,
)
from werkbon.workorders.units import minutes_to_hours

# The document's texts are in the company's language (the PDFs are Dutch too).
DOCUMENT_LANGUAGE = "nl"
ELLIPSIS = "…"

# Field lengths of Visma.net (Sales Orders v3 contract; invoice sizes as the ERP columns and
# the sandbox use them; the invoice note has no documented limit, 2048 like the order note).
SALES_ORDER_LIMITS = {"description": 255, "note": 2048, "customer.order": 40, "customer.refNo": 40,
                      "line.note": 2048}
INVOICE_LIMITS = {"invoiceText": 256, "note": 2048, "customerRefNumber": 40, "externalReference": 40,
                  "line.note": 2048}

# Keys of the lines the work order adds (material lines are "m<pk>"); the write-back to an
# originating sales order tags its added lines with them to recognise them on a re-read.
WORK_KEY = "work"
TRAVEL_KEY = "travel"
DEFAULT_KEY = "default"


@dataclass(frozen=True)
class MaterialFact:
    """One material line to send: key ``m<line id>``, item number, quantity in ``unit``, the
    unit it was registered in ("" for a line without one: Visma.net's sales unit)."""

    key: str  # "m<material line id>"
    item_number: str
    quantity: Decimal
    note: str = ""
    unit: str = ""


@dataclass(frozen=True)
class WorkOrderFacts:
    """What the mapping needs of a work order (gathered by ``export.gather_facts``)."""

    number: int
    customer_number: str | None
    description: str = ""
    customer_reference: str = ""
    work_address: str = ""  # one line: name, street and number, postal code and city
    work_minutes: int = 0  # sum of the work-time entries
    travel_minutes: int = 0  # sum of the travel-time entries
    materials: tuple[MaterialFact, ...] = ()
    date: dt.date | None = None  # document date: the local day of archiving
    quote: str | None = None  # "QT 000201" when made from a Visma.net quote
    document_marker: str = ""  # the record's marker (:func:`document_marker`); "" → :func:`marker`


@dataclass(frozen=True)
class DocumentLine:
    """One line of the document to send; ``quantity`` in hours (2 places) for time lines."""

    key: str
    item_number: str
    quantity: Decimal  # hours for time lines (2 places), else in ``unit``
    note: str = ""
    unit: str = ""  # a material line's registered unit, sent with it; "" → the item's sales unit


@dataclass(frozen=True)
class Shortened:
    """A text cut to fit a field: which field, its limit and the original length."""

    field: str
    limit: int
    length: int


@dataclass(frozen=True)
class DocumentPlan:
    """The content of one document, whatever its type (sales order or customer invoice)."""

    marker: str
    customer_number: str | None
    description: str  # sales order description / invoice text
    note: str | None
    reference: str | None  # customer reference (customer.refNo / customerRefNumber)
    lines: tuple[DocumentLine, ...]
    date: dt.date | None = None
    shortened: tuple[Shortened, ...] = field(default=())

    @property
    def item_numbers(self) -> list[str]:
        """Each item of the lines once, in line order."""
        return list(dict.fromkeys(line.item_number for line in self.lines))

    @property
    def item_units(self) -> dict[str, list[str]]:
        """The units the lines send per item (only lines with a unit): Visma.net must know each."""
        return units_of(self.lines)


def units_of(lines: Sequence[DocumentLine]) -> dict[str, list[str]]:
    """``{item number: [unit, …]}`` of the lines that carry a unit, each once, in line order."""
    units: dict[str, list[str]] = {}
    for line in lines:
        if line.unit and line.unit not in units.setdefault(line.item_number, []):
            units[line.item_number].append(line.unit)
    return {item: found for item, found in units.items() if found}


def marker(work_order_number: int) -> str:
    """The stable text set on every document made for a work order (≤ 40 characters):
    the sales order's customer order field, the invoice's external reference. The export
    finds a document it may already have made by it."""
    return f"Werkbon {work_order_number}"


MARKER_LIMIT = 40  # v3 customer.order and the invoice's externalReference


def document_marker(work_order_number: int, token: str) -> str:
    """The marker of one export: the work order's number and a token that names the tenant
    and the export (``Werkbon 12 (K7Q2M9-4QXA)``), at most :data:`MARKER_LIMIT` characters.
    Raises ValueError when it would not fit."""
    text = f"{marker(work_order_number)} ({token})"
    if len(text) > MARKER_LIMIT:
        raise ValueError(f"marker {text!r} is longer than {MARKER_LIMIT} characters")
    return text


def line_tag(marker_text: str, key: str) -> str:
    """The note tag of a line added to an existing sales order, e.g. ``Werkbon 12 [work]``."""
    return f"{marker_text} [{key}]"


def tagged_key(note: str | None, marker_text: str) -> str | None:
    """The key of our tag in a line's note (``Werkbon 12 [work]`` → ``"work"``), or None."""
    match = re.search(re.escape(marker_text) + r" \[([^\]\s]+)\]", note or "")
    return match.group(1) if match else None


@dataclass(frozen=True)
class OrderLine:
    """A line of an existing sales order, as the write-back re-reads it."""

    line_id: int
    item_number: str
    quantity: Decimal
    note: str = ""


def time_line_quantities(order_lines: Sequence[OrderLine], facts: WorkOrderFacts, settings: VismaNetSettings,
                         marker_text: str) -> tuple[dict[int, Decimal], set[str]]:
    """Write-back to an originating sales order: the order's own work-time and travel-time
    lines take the registered hours, so time is never billed twice.

    Per time item that is set (work first, then travel): the order's lines on that item, in
    the order's line order, leaving out lines already given to the other key and lines our
    tag gives to another key (a material line or the default item an earlier attempt
    added). The first gets the hours (:func:`minutes_to_hours` of the sum, 0 when nothing
    was registered), any further line on the item 0. Returns ``{line_id: hours}`` and the
    keys (``work``/``travel``) whose hours went onto an existing line; a key not in it needs
    a new line, as for a work order that did not come from an order. A line an earlier
    attempt added with the ``[work]`` tag is such an existing line: never a second one."""
    quantities: dict[int, Decimal] = {}
    covered: set[str] = set()
    for key, item, minutes in ((WORK_KEY, settings.work_time_item, facts.work_minutes),
                               (TRAVEL_KEY, settings.travel_time_item, facts.travel_minutes)):
        if not item:
            continue
        candidates = [
            line for line in order_lines
            if line.line_id not in quantities
            and line.item_number.strip().casefold() == item.strip().casefold()
            and tagged_key(line.note, marker_text) in (None, key)
        ]
        for index, line in enumerate(candidates):
            quantities[line.line_id] = minutes_to_hours(minutes) if index == 0 else Decimal(0)
        if candidates:
            covered.add(key)
    return quantities, covered


def fit(text: str | None, limit: int, field_name: str) -> tuple[str | None, Shortened | None]:
    """``text`` cut to ``limit`` characters (ending in "…") and what was cut, or as it was."""
    if text is None or len(text) <= limit:
        return text, None
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS, Shortened(field_name, limit, len(text))


def time_lines(work_minutes: int, travel_minutes: int, settings: VismaNetSettings) -> list[DocumentLine]:
    """The work-time and travel-time lines: each sum of minutes as hours on its item; no line
    when the item is not set or the sum is zero (120 → 2, 135 → 2.25, 15 → 0.25)."""
    lines = []
    for key, item, minutes in ((WORK_KEY, settings.work_time_item, work_minutes),
                               (TRAVEL_KEY, settings.travel_time_item, travel_minutes)):
        if item and minutes > 0:
            lines.append(DocumentLine(key, item, minutes_to_hours(minutes)))
    return lines


def material_lines(materials: Sequence[MaterialFact]) -> list[DocumentLine]:
    """Every material line on its item with its quantity in its registered unit (and its note)."""
    return [DocumentLine(m.key, m.item_number, m.quantity, m.note, m.unit) for m in materials]


def default_item_line(settings: VismaNetSettings) -> list[DocumentLine]:
    """The fixed default item × 1 (e.g. a call-out fee), when enabled."""
    if settings.default_item_enabled and settings.default_item:
        return [DocumentLine(DEFAULT_KEY, settings.default_item, Decimal(1))]
    return []


def document_lines(facts: WorkOrderFacts, settings: VismaNetSettings) -> list[DocumentLine]:
    """All lines of the document, in order: work, travel, materials, default item."""
    return [*time_lines(facts.work_minutes, facts.travel_minutes, settings),
            *material_lines(facts.materials), *default_item_line(settings)]


def note_text(facts: WorkOrderFacts, option: NotesOption) -> str | None:
    """The document note per the "notes" setting (manual 5.7), or None for nothing."""
    with translation.override(DOCUMENT_LANGUAGE):
        address = f"{gettext('Work address')}: {facts.work_address}" if facts.work_address else ""
        description = (f"{gettext('Work description')}:\n{facts.description.strip()}"
                       if facts.description.strip() else "")
    parts = {
        NotesOption.WORK_ADDRESS: [address],
        NotesOption.DESCRIPTION: [description],
        NotesOption.WORK_ADDRESS_AND_DESCRIPTION: [address, description],
        NotesOption.NOTHING: [],
    }[option]
    return "\n\n".join(part for part in parts if part) or None


def reference_text(facts: WorkOrderFacts, option: ReferenceOption) -> str | None:
    """The customer reference per the setting (manual 5.8), or None for nothing:
    ``Werkbon 12``, the work order's customer reference, or both as ``Werkbon 12 / PO-88``."""
    number = marker(facts.number)
    own = facts.customer_reference.strip()
    if option == ReferenceOption.WORK_ORDER_NUMBER:
        return number
    if option == ReferenceOption.CUSTOMER_REFERENCE:
        return own or None
    if option == ReferenceOption.BOTH:
        return f"{number} / {own}" if own else number
    return None


def description_text(facts: WorkOrderFacts) -> str:
    """The one-line summary: ``Werkbon 12 - <first line of the work description>``, plus the
    quote it came from."""
    first_line = next((line.strip() for line in facts.description.splitlines() if line.strip()), "")
    text = marker(facts.number) + (f" - {first_line}" if first_line else "")
    if facts.quote:
        with translation.override(DOCUMENT_LANGUAGE):
            text = f"{text} ({gettext('quote')} {facts.quote})"
    return text


def plan_document(facts: WorkOrderFacts, settings: VismaNetSettings) -> DocumentPlan:
    """The document's content for the settings' target, every text fitted to its field."""
    limits = SALES_ORDER_LIMITS if settings.target == TargetOption.SALES_ORDER else INVOICE_LIMITS
    names = (("description", "note", "customer.refNo") if settings.target == TargetOption.SALES_ORDER
             else ("invoiceText", "note", "customerRefNumber"))
    shortened: list[Shortened] = []
    fitted: list[str | None] = []
    for name, text in zip(names, (description_text(facts), note_text(facts, settings.notes),
                                  reference_text(facts, settings.customer_reference)), strict=True):
        value, cut = fit(text, limits[name], name)
        fitted.append(value)
        if cut:
            shortened.append(cut)
    lines = []
    for line in document_lines(facts, settings):
        note, cut = fit(line.note, limits["line.note"], "line.note")
        if cut:
            shortened.append(cut)
        lines.append(DocumentLine(line.key, line.item_number, line.quantity, note or "", line.unit))
    return DocumentPlan(
        marker=facts.document_marker or marker(facts.number), customer_number=facts.customer_number,
        description=fitted[0] or "", note=fitted[1], reference=fitted[2], lines=tuple(lines),
        date=facts.date, shortened=tuple(shortened),
    )


def sales_order_line(line: DocumentLine, warehouse: str | None, tag: str | None = None) -> NewSalesOrderLine:
    """A v3 order line, its quantity in the line's unit (``unitOfMeasure``; without one
    Visma.net takes the item's sales unit); ``tag`` (write-back) goes in front of the note."""
    note = "\n".join(part for part in (tag, line.note) if part) or None
    fitted, _cut = fit(note, SALES_ORDER_LIMITS["line.note"], "line.note")
    return NewSalesOrderLine(inventory_id=line.item_number, quantity=float(line.quantity),
                             unit_of_measure=line.unit or None, warehouse_id=warehouse or None, note=fitted)


def to_sales_order(plan: DocumentPlan, *, order_type: str, warehouse: str | None,
                   original: tuple[str, str] | None = None) -> NewSalesOrder:
    """The v3 ``NewSalesOrderCommand``: status Hold (the office checks and confirms it in
    Visma.net, manual 1.2), the marker in ``customer.order``, every line on ``warehouse``;
    ``original`` = (type, id) of the quote it came from."""
    return NewSalesOrder(
        type=order_type,
        customer=NewSalesOrderCustomer(id=plan.customer_number, order=plan.marker, ref_no=plan.reference),
        description=plan.description or None,
        note=plan.note,
        status="Hold",
        date=plan.date,
        original_order_type=original[0] if original else None,
        original_order_id=original[1] if original else None,
        order_lines=[sales_order_line(line, warehouse) for line in plan.lines],
    )


def to_customer_invoice(plan: DocumentPlan) -> NewCustomerInvoice:
    """The ERP customer invoice, on hold (the office checks it), the marker in
    ``externalReference``."""
    assert plan.customer_number  # checked before: no document without a customer
    return NewCustomerInvoice(
        customer_number=plan.customer_number,
        document_date=plan.date,
        hold=True,
        customer_ref_number=plan.reference,
        external_reference=plan.marker,
        invoice_text=plan.description or None,
        note=plan.note,
        invoice_lines=[
            NewCustomerInvoiceLine(inventory_number=line.item_number, quantity=float(line.quantity),
                                   uom=line.unit or None, note=line.note or None)
            for line in plan.lines
        ],
    )


# Which PDFs go along (manual 5.9): (kind, file name pattern).
WORK_ORDER_PDF = "work_order"
FORMS_PDF = "forms"


def pdf_files(option: PdfOption, work_order_number: int) -> list[tuple[str, str]]:
    """``[(kind, file name)]`` of the PDFs to attach: ``werkbon-12.pdf``, ``formulieren-12.pdf``."""
    kinds = {
        PdfOption.WORK_ORDER: [WORK_ORDER_PDF],
        PdfOption.WORK_ORDER_AND_FORMS: [WORK_ORDER_PDF, FORMS_PDF],
        PdfOption.FORMS: [FORMS_PDF],
        PdfOption.NOTHING: [],
    }[option]
    names = {WORK_ORDER_PDF: f"werkbon-{work_order_number}.pdf",
             FORMS_PDF: f"formulieren-{work_order_number}.pdf"}
    return [(kind, names[kind]) for kind in kinds]


# The images that go along (issue 11): the customer's signature and the work-order photos.
SIGNATURE = "signature"
PHOTO = "photo"
# Content type per file extension of what is attached (Visma.net takes these, manual 5.9).
CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "gif": "image/gif"}


def image_files(option: ImageOption, work_order_number: int, *, has_signature: bool,
                photos: Sequence[tuple[int, str]]) -> list[tuple[str, str]]:
    """``[(key, file name)]`` of the images to attach: ``("signature", "handtekening-12.png")``
    when the work order has a signature, then per photo ``("photo:<id>", "foto-12-<n>.<ext>")``
    (``n`` = 1, 2, … in the order they were added) when ``option`` includes the photos.
    ``photos``: ``(photo id, file extension)`` in order. An archived work order's signature
    and photos never change, so the names are the same on every attempt."""
    if option == ImageOption.NOTHING:
        return []
    files = [(SIGNATURE, f"handtekening-{work_order_number}.png")] if has_signature else []
    if option == ImageOption.SIGNATURE_AND_PHOTOS:
        files += [(f"{PHOTO}:{photo_id}", f"foto-{work_order_number}-{position}.{extension}")
                  for position, (photo_id, extension) in enumerate(photos, start=1)]
    return files


def content_type(filename: str) -> str:
    """The content type of an attachment by its extension (``application/octet-stream``
    for another)."""
    return CONTENT_TYPES.get(filename.rsplit(".", 1)[-1].lower(), "application/octet-stream")
