"""Units: minutes to hours, the one rounding rule (used on the PDF and by every
integration); and counted units, whose quantities are whole numbers.

Time is registered in whole minutes. Hours are shown and invoiced as a decimal with two
places, rounded half up, and the rule is applied once to a *sum* of minutes, never to
each entry: 120 min → 2.00 h, 135 min → 2.25 h, 15 min → 0.25 h, 20 min → 0.33 h.

An item whose unit is counted (pieces: ``st``, ``STK``, ``stuk``, ``PCS``, ``EA``, …; see
:data:`COUNTED_UNITS`) is used in whole numbers: 1,5 of it is refused, on the screens and in
the API alike (:func:`counted_quantity_problem`, called by ``services.add_material_line`` and
the material-line form). Other units (m, kg, uur, l, …) take fractions.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

HOUR_QUANTUM = Decimal("0.01")


def minutes_to_hours(minutes: int) -> Decimal:
    """Hours for a total of ``minutes`` (an int ≥ 0), as a Decimal with two places."""
    if minutes < 0:
        raise ValueError("minutes cannot be negative")
    return (Decimal(minutes) / Decimal(60)).quantize(HOUR_QUANTUM, rounding=ROUND_HALF_UP)


# Units counted in pieces (compared case-insensitively, without a trailing full stop):
# Dutch (st, stk, stuk, stuks), Visma.net's usual codes (STK, PCS) and English ones.
COUNTED_UNITS = frozenset({
    "ST", "STK", "STUK", "STUKS", "PC", "PCS", "PIECE", "PIECES", "EA", "EACH", "NOS",
})


def is_counted_unit(unit: str | None) -> bool:
    """True when ``unit`` (an item's unit as stored, e.g. ``"st"``) counts pieces."""
    return (unit or "").strip().rstrip(".").upper() in COUNTED_UNITS


def counted_quantity_problem(item_number: str, unit: str | None, quantity: Decimal | int) -> str | None:
    """The Dutch (active language) message refusing ``quantity`` (a Decimal or an int) of an
    item counted in ``unit`` when it is not a whole number; None when the quantity is fine."""
    quantity = Decimal(str(quantity))
    if not is_counted_unit(unit) or quantity == quantity.to_integral_value():
        return None
    from werkbon.workorders.numbers import local_number

    return _("Item %(number)s is counted in %(unit)s: enter a whole number, not %(quantity)s.") % {
        "number": item_number, "unit": (unit or "").strip(), "quantity": local_number(quantity)}
