"""Visma.net record → Werkbon field values. Pure functions: no database, no HTTP.

Each ``*_fields`` function returns a plain ``dict`` of model field values, ready for an
upsert; the sync modules decide what to do with them. The rules are written down in
``docs/sync-rules.md`` ("Import").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from vismanet import (
    Customer,
    CustomerLocation,
    CustomerStatus,
    ErpAddress,
    ErpContact,
    InventoryItem,
    ItemClass,
    ItemStatus,
)
from werkbon.workorders.models import ActiveStatus, ItemType

# Field lengths of the Werkbon models (values are cut, never rejected).
NAME_MAX = 255
NUMBER_MAX = 30
UNIT_MAX = 10
HOUSE_NUMBER_MAX = 20
POSTAL_CODE_MAX = 20
CITY_MAX = 100
PHONE_MAX = 50

# Work-address keys of the addresses that come with a customer record.
MAIN = "main"
INVOICE = "invoice"
DELIVERY = "delivery"


def location_key(location_id: str) -> str:
    """``WorkAddress.external_key`` of a customer location, e.g. ``location:LOC01``."""
    return f"location:{location_id}"


def storable(text: str) -> str:
    """``text`` as every database stores it: NUL characters left out (PostgreSQL refuses them
    in text) and a lone surrogate (a "\\ud800" escape in Visma.net's JSON; no UTF-8 for it)
    as "?". Else unchanged (the same object)."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not text.isascii():
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _text(value: object, limit: int) -> str:
    """``value`` as one line of at most ``limit`` storable characters (:func:`storable`),
    runs of whitespace as one space."""
    if not value:
        return ""
    return " ".join(storable(value if type(value) is str else str(value)).split())[:limit]


# --- customers ------------------------------------------------------------------------


class StatusNote(StrEnum):
    """Why a customer's status deserves a warning although it is imported as active."""

    NONE = ""
    ON_HOLD = "on_hold"


def customer_status(status: str | None) -> tuple[str, StatusNote]:
    """Werkbon status of a Visma.net customer status, and whether to warn about it.

    ``Active``, ``OneTime`` and ``CreditHold`` → active (documents can still be made;
    Visma.net puts an order of a credit-hold customer on hold itself). ``OnHold`` → active
    with a warning: the work can go on, but the export is refused until the customer is
    released in Visma.net. ``Inactive`` → inactive. Anything unknown → active (a new
    status must not hide customers); the record stays in Visma.net's hands.
    """
    if status == CustomerStatus.INACTIVE:
        return ActiveStatus.INACTIVE.value, StatusNote.NONE
    if status == CustomerStatus.ON_HOLD:
        return ActiveStatus.ACTIVE.value, StatusNote.ON_HOLD
    return ActiveStatus.ACTIVE.value, StatusNote.NONE


def customer_fields(customer: Customer) -> dict[str, Any]:
    """``Customer`` model values: number, name, status (and ``on_hold``), main address, main
    contact data."""
    status, note = customer_status(customer.status)
    address = customer.main_address or ErpAddress()
    contact = customer.main_contact or ErpContact()
    return {
        "number": _text(customer.number, NUMBER_MAX),
        "name": _text(customer.name, NAME_MAX) or _text(customer.number, NAME_MAX),
        "status": status,
        "on_hold": note == StatusNote.ON_HOLD,
        "address_line1": _text(address.address_line1, NAME_MAX),
        "address_line2": _text(
            " ".join(part for part in (address.address_line2, address.address_line3) if part), NAME_MAX
        ),
        "postal_code": _text(address.postal_code, POSTAL_CODE_MAX),
        "city": _text(address.city, CITY_MAX),
        "country": _country(address),
        "email": email_or_blank(contact.email),
        "phone": _text(contact.phone1 or contact.phone2, PHONE_MAX),
    }


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def email_or_blank(value: str | None) -> str:
    """The e-mail address when it looks like one (the model validates), else ``""``."""
    value = (value or "").strip()
    return value[:254] if _EMAIL.match(value) else ""


@dataclass(frozen=True)
class ContactValues:
    """One contact person of a customer; ``role`` is main, invoice or delivery."""

    name: str
    email: str
    phone: str
    role: str  # main / invoice / delivery


def customer_contacts(customer: Customer) -> list[ContactValues]:
    """The people of the main, invoice and delivery contacts, without duplicates.

    Visma.net's contact ``name`` is usually the company name and ``attention`` the person,
    so the person is ``attention`` (or ``name`` when there is no attention). A contact with
    neither, or one identical to an earlier one (same person, e-mail and phone), is left out.
    """
    result: list[ContactValues] = []
    seen: set[tuple[str, str, str]] = set()
    for role, contact in ((MAIN, customer.main_contact), (INVOICE, customer.invoice_contact),
                          (DELIVERY, customer.delivery_contact)):
        if contact is None:
            continue
        name = _text(contact.attention or contact.name, NAME_MAX)
        if not name:
            continue
        values = ContactValues(name, email_or_blank(contact.email),
                               _text(contact.phone1 or contact.phone2, PHONE_MAX), role)
        key = (name.casefold(), values.email.casefold(), values.phone)
        if key not in seen:
            seen.add(key)
            result.append(values)
    return result


# --- addresses ------------------------------------------------------------------------

# Tokens that belong to the house number although they are not numbers: "5 bus 3" (BE).
_NUMBER_JOINERS = {"bus", "box"}
SUFFIX_MAX = 4  # "A", "bis", "hs", "III", "rood": longer words are not part of a number


def split_street(line: str) -> tuple[str, str]:
    """Split a Dutch/Belgian street line into (street, house number), keeping diacritics.

    The house number starts at the last word (not the first) that begins with a digit, and
    takes everything after it: ``"Beatrixstraat 202bis"`` → (``Beatrixstraat``, ``202bis``);
    ``"Dorpsstraat 10 A"`` → (``Dorpsstraat``, ``10 A``); ``"Laan 1940-1945 12"`` →
    (``Laan 1940-1945``, ``12``); ``"Kerkstraat 5 bus 3"`` → (``Kerkstraat``, ``5 bus 3``);
    ``"2e Jan Steenstraat 8"`` → (``2e Jan Steenstraat``, ``8``). Words after the number
    must be short additions (at most four letters, or "bus"/"box"). A line with no such
    number, a longer addition or a number too long for the field stays whole in the street.
    """
    words = line.split() if line else []  # runs of whitespace count as one space
    for index in range(len(words) - 1, 0, -1):
        if not words[index][0].isdigit():
            continue
        if index >= 2 and words[index - 1].casefold() in _NUMBER_JOINERS and words[index - 2][0].isdigit():
            continue  # "5 bus 3": the number starts at "5"
        street, number = " ".join(words[:index]), " ".join(words[index:])
        suffix_ok = all(len(word) <= SUFFIX_MAX or word.casefold() in _NUMBER_JOINERS for word in words[index + 1:])
        if suffix_ok and len(number) <= HOUSE_NUMBER_MAX:
            return street[:NAME_MAX], number
        break
    return " ".join(words)[:NAME_MAX], ""


def _country(address: ErpAddress) -> str:
    country = address.country.id if address.country and address.country.id else ""
    return country.upper()[:2] if len(country) >= 2 else "NL"


def is_filled(address: ErpAddress | None) -> bool:
    """An address counts when it has a street line, a postal code or a city."""
    if not address:
        return False
    return bool((address.address_line1 and address.address_line1.strip())
                or (address.postal_code and address.postal_code.strip())
                or (address.city and address.city.strip()))


def work_address_fields(address: ErpAddress, name: str = "") -> dict[str, Any]:
    """``WorkAddress`` values of an ERP address. Lines 2–3 (e.g. a building) go into the
    name after ``name`` because the work address has a single street line."""
    street, number = split_street(storable(address.address_line1 or ""))
    extra = ", ".join(storable(part).strip() for part in (address.address_line2, address.address_line3)
                      if part and storable(part).strip())
    if not street and extra:  # only the second line is filled
        street, number = split_street(extra)
        extra = ""
    label = ", ".join(part for part in (_text(name, NAME_MAX), extra) if part)
    return {
        "name": label[:NAME_MAX],
        "street": street or "-",
        "house_number": number,
        "postal_code": _text(address.postal_code, POSTAL_CODE_MAX),
        "city": _text(address.city, CITY_MAX),
        "country": _country(address),
    }


def _fold(text: str) -> str:
    text = " ".join(text.split())
    if text.isascii():  # NFC leaves ASCII as it is, and casefold is lower for ASCII
        return text.lower()
    return unicodedata.normalize("NFC", text).casefold()


def address_identity(fields: dict[str, Any]) -> tuple[str, str, str, str]:
    """What makes two work addresses "identical": street + number, postal code, city and
    country, compared without case, extra spaces or the space in a postal code. The name
    does not count (a location named "Hoofdkantoor" at the main address is the same place)."""
    get = fields.get
    parts = (f"{get('street', '')} {get('house_number', '')}", get("postal_code", ""), get("city", ""),
             get("country", "") or "NL")
    # The four parts folded in one go (they are joined by a NUL, which no fold changes):
    # the same as folding each part on its own, for a third of the work.
    text = "\x00".join([" ".join(part.split()) for part in parts])
    folded = text.lower() if text.isascii() else unicodedata.normalize("NFC", text).casefold()
    street, postal, city, country = folded.split("\x00") if folded.count("\x00") == 3 else (
        _fold(part) for part in parts)
    return street, postal.replace(" ", ""), city, country


def customer_work_addresses(customer: Customer) -> list[tuple[str, dict[str, Any]]]:
    """``(external_key, fields)`` of the main address and of a filled invoice and delivery
    address, skipping one identical to an address already in the list."""
    result: list[tuple[str, dict[str, Any]]] = []
    seen: set[tuple[str, str, str, str]] = set()
    for key, address in ((MAIN, customer.main_address), (INVOICE, customer.invoice_address),
                         (DELIVERY, customer.delivery_address)):
        if not is_filled(address):
            continue
        fields = work_address_fields(address)  # type: ignore[arg-type]
        identity = address_identity(fields)
        if identity not in seen:
            seen.add(identity)
            result.append((key, fields))
    return result


def location_work_address(location: CustomerLocation) -> dict[str, Any] | None:
    """``WorkAddress`` values of a customer location, or None when it has no address."""
    if not is_filled(location.address):
        return None
    return work_address_fields(location.address, location.location_name or "")  # type: ignore[arg-type]


# --- items ----------------------------------------------------------------------------

INACTIVE_ITEM_STATUSES = frozenset({ItemStatus.NO_SALES, ItemStatus.INACTIVE, ItemStatus.MARKED_FOR_DELETION})


def is_importable_item(item: InventoryItem) -> bool:
    """Only non-stock items are imported (manual 3.1): ``stockItem`` false, or a non-stock
    type when the flag is missing."""
    return bool(item.inventory_number) and item.is_non_stock


def item_status(status: str | None) -> str:
    """``Active`` (and NoPurchases/NoRequest: still sellable) → active; ``NoSales``,
    ``Inactive``, ``MarkedForDeletion`` → inactive."""
    return ActiveStatus.INACTIVE.value if status in INACTIVE_ITEM_STATUSES else ActiveStatus.ACTIVE.value


def price(value: float | None) -> Decimal:
    """Sales price in EUR with two decimals (half up); a missing or odd value is 0.00."""
    try:
        return Decimal(str(value if value is not None else 0)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return Decimal("0.00")


def item_fields(item: InventoryItem) -> dict[str, Any]:
    """``Item`` values (without the group): number, description, unit, price, status."""
    return {
        "number": _text(item.inventory_number, NUMBER_MAX),
        "description": _text(item.description, NAME_MAX) or _text(item.inventory_number, NAME_MAX),
        "unit": _text(item.sales_unit or item.base_unit, UNIT_MAX),
        "sales_price": price(item.default_price),
        "item_type": ItemType.NON_STOCK.value,
        "status": item_status(item.status),
    }


def item_group_code(item: InventoryItem) -> str:
    """The item group of an item: its item class id (``""`` when it has none)."""
    return _text(item.item_class.id, NUMBER_MAX) if item.item_class and item.item_class.id else ""


def item_group_fields(item_class: ItemClass) -> dict[str, Any]:
    """``ItemGroup`` values of an item class: code = class id, description."""
    return {"code": _text(item_class.id, NUMBER_MAX), "description": _text(item_class.description, NAME_MAX)}
