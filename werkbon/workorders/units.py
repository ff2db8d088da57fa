"""Minutes to hours: the one rounding rule (used on the PDF and by every integration).

Time is registered in whole minutes. Hours are shown and invoiced as a decimal with two
places, rounded half up, and the rule is applied once to a *sum* of minutes, never to
each entry: 120 min → 2.00 h, 135 min → 2.25 h, 15 min → 0.25 h, 20 min → 0.33 h.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

HOUR_QUANTUM = Decimal("0.01")


def minutes_to_hours(minutes: int) -> Decimal:
    """Hours for a total of ``minutes`` (an int ≥ 0), as a Decimal with two places."""
    if minutes < 0:
        raise ValueError("minutes cannot be negative")
    return (Decimal(minutes) / Decimal(60)).quantize(HOUR_QUANTUM, rounding=ROUND_HALF_UP)
