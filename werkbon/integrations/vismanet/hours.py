"""Time goes to Visma.net in hours: which units count hours, and which were used.

Work and travel time are sent as hours with two decimals (``minutes_to_hours``) on the
work-time and travel-time items; an item whose unit counts something else would bill the
wrong amount. The settings check uses ``looks_like_hours``; the export names the units
it booked the time in (``units_used``).
"""

from __future__ import annotations

from werkbon.integrations.vismanet.config import VismaNetSettings
from werkbon.workorders.models import Item

# Units that count hours, compared case-insensitively without a trailing dot or spaces:
# Dutch, English, German, French and the Nordic languages Visma.net is used in (sv "tim",
# "timmar"; no/da "timer"; fi "tunti").
HOUR_UNITS = frozenset({
    "u", "uur", "uren", "h", "hr", "hrs", "hour", "hours", "std", "stunde", "stunden",
    "time", "timer", "tim", "timme", "timmar", "tunti", "tuntia", "heure", "heures",
})


def looks_like_hours(unit: str | None) -> bool:
    """Whether a unit of measure (e.g. ``UUR``, ``h``, ``Hours``, ``TIMER``) counts hours."""
    return (unit or "").strip().rstrip(".").strip().casefold() in HOUR_UNITS


def units_used(settings: VismaNetSettings, work_minutes: int, travel_minutes: int) -> str:
    """``"ARBEID: UUR, REISTIJD: UUR"``: each time item that got a line, with the unit Werkbon
    knows for it (the imported sales unit, else base unit; ``?`` when the item is not
    imported). Empty when no time was sent. Tenant context required."""
    used = [number for number, minutes in ((settings.work_time_item, work_minutes),
                                           (settings.travel_time_item, travel_minutes))
            if number and minutes > 0]
    units = dict(Item.objects.filter(number__in=used).values_list("number", "unit"))
    return ", ".join(f"{number}: {units.get(number) or '?'}" for number in dict.fromkeys(used))
