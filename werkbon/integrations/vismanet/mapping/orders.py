"""Visma.net sales orders and quotes → Werkbon work orders (manual 5.10): pure functions.

The rules are written down in ``docs/sync-rules.md`` ("Orders and quotes"). Nothing here
touches the database or the network: ``orders.py`` fetches and stores, this module decides
what a Visma.net order means for a work order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.utils import formats, translation
from django.utils.translation import gettext

from vismanet import SalesOrder, SalesOrderLine
from werkbon.integrations.vismanet.mapping.inbound import storable
from werkbon.workorders import limits

# Statuses of an order that is finished in Visma.net: it never becomes a new work order.
CLOSED_STATUSES = frozenset({"completed", "cancelled", "canceled", "invoiced", "voided", "closed"})
QUANTITY_QUANTUM = Decimal("0.001")  # MaterialLine.quantity has three decimal places
# The largest quantity a material line stores (its DecimalField: 12 digits, 3 decimals).
QUANTITY_MAX = Decimal(10) ** (limits.MAX_QUANTITY_DIGITS - limits.MAX_QUANTITY_DECIMAL_PLACES) - QUANTITY_QUANTUM
UNIT_MAX = 10  # MaterialLine.unit
HOURS_QUANTUM = Decimal("0.01")  # planned hours are shown with two decimals
# The work order's texts are in the company's language (like the documents it sends).
WORK_ORDER_LANGUAGE = "nl"
# The marker every document Werkbon makes carries in the sales order's customer-order field
# and the invoice's external reference (``mapping.outbound.marker``): "Werkbon 12", or with
# the tenant named as well, "Werkbon <tenant> 12". Any text starting with this prefix is
# taken as a Werkbon document (of this or another Werkbon account on the same company).
MARKER_PREFIX = "werkbon "
REFERENCE_MAX = limits.MAX_REFERENCE_LENGTH  # WorkOrder.customer_reference
NOTE_MAX = limits.MAX_NOTE_LENGTH  # MaterialLine.note
# The work description, also with the planned hours added (``with_planned_time``).
DESCRIPTION_MAX = limits.MAX_DESCRIPTION_LENGTH
_HOUSE_NUMBER = re.compile(r"^(?P<street>.*?\D)\s*(?P<number>\d+\s*[A-Za-z]?(?:\s*[-/]\s*\w+)?)$")


@dataclass(frozen=True)
class OrderAddress:
    """A postal address split the way a work address stores it."""

    street: str
    house_number: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""


@dataclass(frozen=True)
class OrderFields:
    """What a work order takes from a Visma.net order (the order's header)."""

    order_type: str
    order_id: str
    customer_number: str
    location_id: str
    address: OrderAddress | None  # the delivery (shipping) address typed on the order
    description: str
    customer_reference: str
    status: str
    last_modified: dt.datetime | None  # Visma's clock, aware UTC
    customer_order: str = ""  # the customer-order field, where Werkbon's marker goes

    @property
    def key(self) -> str:
        """The order's ``ExternalLink.external_id``: ``"SO/000101"``."""
        return order_key(self.order_type, self.order_id)

    @property
    def label(self) -> str:
        """The order as the log names it: ``"SO 000101"``."""
        return order_label(self.order_type, self.order_id)


@dataclass(frozen=True)
class OrderLineFields:
    """What a material line takes from an order line; ``quantity`` in the item's unit."""

    line_id: int
    item_number: str
    quantity: Decimal
    note: str = ""


@dataclass
class LineChanges:
    """Material lines to add, to update (same line id, other item/quantity/note) and to
    remove (their order line is gone). Lines a technician added are never in here."""

    add: list[OrderLineFields] = field(default_factory=list)
    update: list[OrderLineFields] = field(default_factory=list)
    remove: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.add or self.update or self.remove)


def order_key(order_type: str, order_id: str) -> str:
    """``ExternalLink.external_id`` of an order: ``"SO/000101"``."""
    return f"{order_type}/{order_id}"


def line_key(order_type: str, order_id: str, line_id: int) -> str:
    """``ExternalLink.external_id`` of an order line: ``"SO/000101/3"``."""
    return f"{order_type}/{order_id}/{line_id}"


def order_label(order_type: str, order_id: str) -> str:
    """How the log names an order: ``"SO 000101"`` (storable text, :func:`storable`)."""
    return storable(f"{order_type} {order_id}")


def shown(text: str, limit: int = limits.MAX_NUMBER_LENGTH) -> str:
    """A key from Visma.net as the log shows it: storable (a NUL as "?", :func:`storable`)
    and at most ``limit`` characters."""
    return storable(text.replace("\x00", "?"))[:limit]


def is_storable_key(text: str) -> bool:
    """Whether ``text`` (an order's, customer's or item's number) can be looked up and stored
    as it is: cleaned (:func:`storable`) it would name another record."""
    return storable(text) == text


def unit(value: str | None) -> str:
    """An order line's unit of measure as a material line stores it (storable, bounded)."""
    return _text(value)[:UNIT_MAX]


class UnstorableKey(ValueError):
    """An order whose type, id or customer number holds a character no database stores."""


def external_type(order_type: str, quote_type: str = "QT") -> str:
    """``ExternalLink.external_type`` of a work order made from this order type."""
    return "quote" if order_type == quote_type else "sales_order"


def matches_filter(description: str | None, word: str) -> bool:
    """True when no filter word is set, or ``description`` contains it (any case)."""
    word = (word or "").strip()
    if not word:
        return True
    return word.casefold() in (description or "").casefold()


def is_closed(status: str | None) -> bool:
    """True for orders that are finished in Visma.net (completed, cancelled, invoiced…)."""
    return (status or "").strip().casefold() in CLOSED_STATUSES


def is_werkbon_marker(customer_order: str | None) -> bool:
    """True when an order's customer-order field carries a Werkbon marker ("Werkbon 12",
    "Werkbon T2 12", any case): a document a Werkbon export made, never one to import."""
    text = " ".join((customer_order or "").split()).casefold()
    return text.startswith(MARKER_PREFIX) and len(text) > len(MARKER_PREFIX)


class Merge(StrEnum):
    """What to do with one field (or line) of a changed order whose work order is open."""

    UNCHANGED = "unchanged"  # Visma.net did not change it since the last import: keep ours
    APPLY = "apply"  # Visma.net changed it, Werkbon did not: take Visma.net's value
    SAME = "same"  # both changed it to the same value: nothing to do
    CONFLICT = "conflict"  # both changed it differently: keep Werkbon's value, warn


def merge(*, visma_changed: bool, local_changed: bool, agrees: bool) -> Merge:
    """The three-way rule for a field of an imported order (issue 8, finding 3):
    ``visma_changed`` — the order's value differs from the one last imported;
    ``local_changed`` — the work order's value differs from the one last applied (or it is
    unknown: a link made by an earlier version); ``agrees`` — the work order already has
    the value Visma.net now has."""
    if not visma_changed:
        return Merge.UNCHANGED
    if agrees:
        return Merge.SAME
    return Merge.CONFLICT if local_changed else Merge.APPLY


def address_key(location_id: str, address: OrderAddress | None) -> list[str]:
    """The order's delivery location and typed address as stored with the last imported
    values (JSON): tells whether Visma.net changed where the work is."""
    if address is None:
        return [location_id]
    return [location_id, address.street, address.house_number, address.postal_code, address.city,
            address.country]


def line_values(line: OrderLineFields) -> dict[str, str]:
    """An order line's item, quantity and note as stored with the last imported values (JSON)."""
    return {"item": line.item_number, "quantity": str(line.quantity), "note": line.note}


def work_order_description(description: str | None, note: str | None) -> str:
    """The work description: the order's description, then its note on a new paragraph, as
    storable text (:func:`storable`) of at most ``DESCRIPTION_MAX`` characters (the bound the
    screens and the API keep too: an order's note of a megabyte is cut, not stored)."""
    parts = [storable(part).strip() for part in (description or "", note or "") if part and part.strip()]
    return "\n\n".join(part for part in parts if part)[:DESCRIPTION_MAX]


def split_street(line: str) -> tuple[str, str]:
    """``"Kerkstraat 12a"`` → ``("Kerkstraat", "12a")``; no number → ``(line, "")``."""
    line = " ".join((line or "").split())
    match = _HOUSE_NUMBER.match(line)
    if not match or not match.group("street").strip():
        return line, ""
    return match.group("street").strip(), match.group("number").replace(" ", "")


def _text(value: Any) -> str:
    """``value`` as storable text (:func:`storable`), stripped; "" for None."""
    return storable(str(value)).strip() if value is not None else ""


def address_from_v3(raw: Mapping[str, Any] | None) -> OrderAddress | None:
    """An order's shipping address (the v3 ``shipping.address`` object, camelCase keys)
    as an :class:`OrderAddress`; None when it has no street line."""
    if not raw:
        return None
    line1 = _text(raw.get("line1"))
    if not line1:
        return None
    street, number = split_street(line1)
    country = raw.get("country")
    country_id = _text(country.get("id") if isinstance(country, Mapping) else raw.get("countryId"))
    return OrderAddress(
        street=street[:255],
        house_number=number[:20],
        postal_code=_text(raw.get("postalCode"))[:20],
        city=_text(raw.get("city"))[:100],
        country=country_id[:2].upper(),
    )


def _normal_street(street: str, number: str) -> str:
    return re.sub(r"[\s,.]+", "", f"{street}{number}").casefold()


def same_address(a: OrderAddress, b: OrderAddress) -> bool:
    """Identical addresses, ignoring case, spaces and punctuation (and an empty country)."""
    return (
        _normal_street(a.street, a.house_number) == _normal_street(b.street, b.house_number)
        and a.postal_code.replace(" ", "").upper() == b.postal_code.replace(" ", "").upper()
        and a.city.strip().casefold() == b.city.strip().casefold()
        and (not a.country or not b.country or a.country.upper() == b.country.upper())
    )


def order_fields(order: SalesOrder) -> OrderFields:
    """The header fields of a v3 order read with ``expand=Customer,Note,Shipping``.

    Raises ValueError when the order has no type, id or customer (a malformed record);
    UnstorableKey (a ValueError) when one of them holds a NUL or a lone surrogate: cleaned,
    it would name another record in Visma.net.
    """
    customer = order.customer
    if not order.type or not order.order_id or customer is None or not customer.id:
        raise ValueError("order without type, id or customer")
    if any(storable(key) != key for key in (order.type, order.order_id, customer.id)):
        # a key cleaned would name another record in Visma.net: refused as malformed
        raise UnstorableKey("order whose type, id or customer holds a character no database stores")
    location = customer.location or {}
    shipping = order.shipping or {}
    return OrderFields(
        order_type=order.type,
        order_id=order.order_id,
        customer_number=customer.id,
        location_id=_text(location.get("id")),
        address=address_from_v3(shipping.get("address")),
        description=work_order_description(order.description, order.note),
        customer_reference=_text(customer.ref_no)[:REFERENCE_MAX],
        status=order.status_code or "",
        last_modified=order.last_modified,
        customer_order=_text(customer.order),
    )


def line_fields(line: SalesOrderLine) -> OrderLineFields | None:
    """A v3 order line as material-line fields; None for a line without an item (text
    lines) or without a usable quantity."""
    item = line.inventory.id if line.inventory else None
    if line.line_id is None or not item:
        return None
    try:
        quantity = Decimal(str(line.quantity if line.quantity is not None else 0))
        quantity = quantity.quantize(QUANTITY_QUANTUM)
    except InvalidOperation:
        return None
    description = _text(line.description)
    item_description = _text(line.inventory.description if line.inventory else "")
    note = description if description and description != item_description else ""
    return OrderLineFields(line_id=line.line_id, item_number=item.strip(), quantity=quantity,
                           note=note[:NOTE_MAX])


def line_changes(
    existing: Mapping[int, OrderLineFields], incoming: Sequence[OrderLineFields]
) -> LineChanges:
    """Compare the material lines made from order lines (by order line id) with the
    order's lines now: what to add, update and remove."""
    changes = LineChanges()
    seen: set[int] = set()
    for line in incoming:
        seen.add(line.line_id)
        current = existing.get(line.line_id)
        if current is None:
            changes.add.append(line)
        elif current != line:
            changes.update.append(line)
    changes.remove = sorted(line_id for line_id in existing if line_id not in seen)
    return changes


def is_time_line(line: OrderLineFields, time_items: Iterable[str | None]) -> bool:
    """True for an order line on the work-time or travel-time item: planned hours, which
    never become a material line (a technician registers time as time entries, and the
    export writes the hours back onto this very line)."""
    wanted = {item.strip().casefold() for item in time_items if item and item.strip()}
    return line.item_number.strip().casefold() in wanted


def planned_hours(lines: Iterable[OrderLineFields], time_items: Iterable[str | None]) -> list[tuple[str, Decimal]]:
    """The planned hours per time item (summed over its lines, in the order the items first
    appear); items planned at zero hours are left out."""
    items = [item for item in time_items if item and item.strip()]
    totals: dict[str, Decimal] = {}
    for line in lines:
        if is_time_line(line, items):
            totals[line.item_number] = totals.get(line.item_number, Decimal(0)) + line.quantity
    return [(item, hours.quantize(HOURS_QUANTUM)) for item, hours in totals.items() if hours > 0]


def planned_time_text(planned: Sequence[tuple[str, Decimal]]) -> str:
    """One line per time item for the work description, in the company's language:
    ``Gepland in Visma.net: 2,00 uur ARBEID``."""
    with translation.override(WORK_ORDER_LANGUAGE):
        return "\n".join(
            gettext("Planned in Visma.net: %(hours)s hours %(item)s")
            % {"hours": formats.number_format(hours, 2, use_l10n=True), "item": item}
            for item, hours in planned
        )


def with_planned_time(description: str, planned_text: str) -> str:
    """The work description with the planned hours as its last paragraph, within
    ``DESCRIPTION_MAX`` characters: the description is cut to make room, the hours stay."""
    planned_text = planned_text[:DESCRIPTION_MAX]
    room = DESCRIPTION_MAX - len(planned_text) - (2 if planned_text else 0)
    return "\n\n".join(part for part in (description[:max(0, room)], planned_text) if part)
