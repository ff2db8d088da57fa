"""The planning board's arithmetic: where a card sits on a day's time axis, which work orders
double-book a technician, and each technician's planned hours against the available hours.

Times are stored in UTC and shown in local time (Europe/Amsterdam); a day is a local day, so
the Sunday that daylight saving time ends has 25 hours and the one it starts 23. A work
order occupies ``[planned_start, planned_start + planned_minutes)``: two orders that only
touch (one ends at 10:00, the next starts at 10:00) do not overlap.

Available hours per technician per day are the tenant's working day
(``Tenant.planning_day_start`` to ``planning_day_end``, local hours) on Monday to Friday, and
none on Saturday and Sunday (the manual is silent; planning on a weekend shows as over capacity).

Planned hours: an order no longer than the working day counts all its time on each day it
spans, also outside the working hours (an evening call 20:30–21:30 is an hour of work); a
longer order counts only its time inside each day's working hours (a job over several days is
not worked around the clock). A card outside the working hours is drawn at the edge of the
axis it lies beyond (``Card.outside``), at least :data:`OUTSIDE_CARD_MINUTES` tall, with its
real times.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.utils import dateformat, timezone

from werkbon.accounts.models import Tenant, User
from werkbon.workorders.forms import local_datetime
from werkbon.workorders.limits import MAX_PLANNED_MINUTES
from werkbon.workorders.models import WorkOrder, WorkOrderStatus

# Drag and drop snaps a card's start to this many minutes (planning.js reads it from the board).
SNAP_MINUTES = 15
# The statuses that occupy a technician's time on the board: archived orders stay (the work
# done in past weeks), but only planned ones can be moved.
BOARD_STATUSES = (WorkOrderStatus.PLANNED, WorkOrderStatus.COMPLETED, WorkOrderStatus.ARCHIVED)
WEEKEND = (5, 6)  # Saturday, Sunday (date.weekday())
# A card wholly before or after the day's axis is drawn this tall at the axis's edge: readable
# (time and number), where its own length could be a sliver of a few pixels.
OUTSIDE_CARD_MINUTES = 60


def interval(order: WorkOrder) -> tuple[dt.datetime, dt.datetime]:
    """The start and end of a planned order in UTC (``planned_start`` must be set): durations
    are real minutes, also across a change of daylight saving time."""
    assert order.planned_start is not None
    start = order.planned_start.astimezone(dt.UTC)
    return start, start + dt.timedelta(minutes=order.planned_minutes)


def overlaps(a: tuple[dt.datetime, dt.datetime], b: tuple[dt.datetime, dt.datetime]) -> bool:
    """Whether two half-open intervals ``[start, end)`` share time (touching ones do not)."""
    return a[0] < b[1] and b[0] < a[1]


def technicians_of(order: WorkOrder) -> Sequence[User]:
    """The order's technicians: the list prefetched into ``board_technicians`` (the board:
    a plain list, without a related manager's queryset per order), else ``technicians``."""
    prefetched = getattr(order, "board_technicians", None)
    return prefetched if prefetched is not None else order.technicians.all()


def double_booked(orders: Iterable[WorkOrder]) -> dict[int, set[int]]:
    """Per technician pk, the pks of their orders that overlap another order of theirs.

    ``orders`` must have ``planned_start`` set and their technicians prefetched (as
    ``technicians`` or ``board_technicians``, :func:`technicians_of`); an order
    with several technicians counts for each of them."""
    per_technician: dict[int, list[WorkOrder]] = defaultdict(list)
    for order in orders:
        for technician in technicians_of(order):
            per_technician[technician.pk].append(order)
    result: dict[int, set[int]] = {}
    for technician_pk, own in per_technician.items():
        own.sort(key=lambda o: (o.planned_start, o.pk))
        clashing: set[int] = set()
        for i, order in enumerate(own):
            span = interval(order)
            for other in own[i + 1:]:
                other_span = interval(other)
                if other_span[0] >= span[1]:
                    break  # sorted by start: nothing later overlaps this one
                if overlaps(span, other_span):
                    clashing.update((order.pk, other.pk))
        if clashing:
            result[technician_pk] = clashing
    return result


def clashes(order: WorkOrder) -> list[tuple[User, WorkOrder]]:
    """The (technician, other order) pairs that ``order``, as planned now, double-books
    (tenant context required; two queries). Used for the warning after a move."""
    if order.planned_start is None:
        return []
    span = interval(order)
    technicians = list(order.technicians.all())
    others = (
        WorkOrder.objects.filter(
            technicians__in=technicians, status__in=BOARD_STATUSES,
            planned_start__lt=span[1],
            planned_start__gt=span[0] - dt.timedelta(minutes=MAX_PLANNED_MINUTES),
        )
        .exclude(pk=order.pk).prefetch_related("technicians").distinct().order_by("planned_start", "number")
    )
    pairs = []
    for other in others:
        if not overlaps(span, interval(other)):
            continue
        shared = {t.pk for t in other.technicians.all()}
        pairs.extend((t, other) for t in technicians if t.pk in shared)
    return pairs


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The start and end of a local day (23, 24 or 25 hours long), in UTC: aware datetimes of
    one time zone subtract as wall-clock times, which would make every day 24 hours."""
    return (local_datetime(day, dt.time.min).astimezone(dt.UTC),
            local_datetime(day + dt.timedelta(days=1), dt.time.min).astimezone(dt.UTC))


def minutes_within(span: tuple[dt.datetime, dt.datetime], day: dt.date) -> int:
    """How many minutes of ``span`` fall on the local ``day``."""
    start, end = day_bounds(day)
    shared = min(span[1], end) - max(span[0], start)
    return max(0, int(shared.total_seconds() // 60))


def working_bounds(tenant: Tenant, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The tenant's working day on the local ``day`` (``planning_day_start`` to
    ``planning_day_end`` local hours; 24 is the next midnight), in UTC."""
    start = local_datetime(day, dt.time(tenant.planning_day_start))
    end = (local_datetime(day + dt.timedelta(days=1), dt.time.min) if tenant.planning_day_end >= 24
           else local_datetime(day, dt.time(tenant.planning_day_end)))
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def working_minutes_within(tenant: Tenant, span: tuple[dt.datetime, dt.datetime], day: dt.date) -> int:
    """How many minutes of ``span`` fall inside the working day of the local ``day``: an order
    running overnight counts its working hours only (the planned hours of the board)."""
    start, end = working_bounds(tenant, day)
    shared = min(span[1], end) - max(span[0], start)
    return max(0, int(shared.total_seconds() // 60))


def available_minutes(tenant: Tenant, day: dt.date) -> int:
    """A technician's available minutes on ``day``: the working day, none at the weekend."""
    return 0 if day.weekday() in WEEKEND else tenant.available_minutes_per_day


@dataclass
class Card:
    """One work order in one technician's day: local start and end of the order, and where
    its part of this day (``segment``, UTC) sits on the day's axis in minutes from the axis
    start (clamped to the axis). An order over several days has a card on each day it spans;
    ``first`` is the card of the day it starts (the one that is moved)."""

    order: WorkOrder
    start: dt.datetime
    end: dt.datetime
    offset: int
    length: int
    double_booked: bool = False
    lane: int = 0  # side by side with the cards it overlaps: column ``lane`` of ``lanes``
    lanes: int = 1
    segment: tuple[dt.datetime, dt.datetime] | None = None
    first: bool = True
    # "before" or "after": the segment lies wholly before or after the axis (the working
    # hours) and is drawn at that edge; ``placed`` is then where it is drawn (UTC), for lanes
    outside: str = ""
    placed: tuple[dt.datetime, dt.datetime] | None = None

    @property
    def start_time(self) -> str:
        """The local start time, "08:00"."""
        return f"{self.start:%H:%M}"

    @property
    def end_time(self) -> str:
        """The local end time, "10:00"."""
        return f"{self.end:%H:%M}"

    @property
    def start_date(self) -> str:
        """The local start date, "2025-03-10"."""
        return self.start.date().isoformat()

    @property
    def multi_day(self) -> bool:
        """Whether the order ends on another local day than it starts (the label then names
        the days)."""
        end = self.end - dt.timedelta(microseconds=1) if self.end > self.start else self.end
        return end.date() != self.start.date()

    @property
    def label(self) -> str:
        """The order's local times: "08:00–10:00" within a day, with the days when it ends on
        another day ("di 10-03 16:00 – wo 11-03 10:00")."""
        if self.multi_day:
            return f"{dateformat.format(self.start, 'D d-m H:i')} – {dateformat.format(self.end, 'D d-m H:i')}"
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


@dataclass
class Cell:
    """One technician's day: the cards in time order and the planned against available minutes."""

    day: dt.date
    cards: list[Card] = field(default_factory=list)
    planned_minutes: int = 0
    available_minutes: int = 0

    @property
    def iso(self) -> str:
        """The day as "2025-03-10" (the board's test ids and data attributes)."""
        return self.day.isoformat()

    @property
    def over_capacity(self) -> bool:
        return self.planned_minutes > self.available_minutes

    @property
    def planned_hours(self) -> Decimal:
        return hours(self.planned_minutes)

    @property
    def available_hours(self) -> Decimal:
        return hours(self.available_minutes)


def hours(minutes: int) -> Decimal:
    """Minutes as hours with at most two decimals and no trailing zeros (150 → 2.5, 540 → 9,
    20 → 0.33), for the board's capacity figures."""
    value = (Decimal(minutes) / 60).quantize(Decimal("0.01"))
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def axis_minutes(tenant: Tenant) -> int:
    """The length of a day's time axis in minutes (at least an hour)."""
    return max(60, (tenant.planning_day_end - tenant.planning_day_start) * 60)


def card(order: WorkOrder, tenant: Tenant, clashing: bool, day: dt.date | None = None, *,
         bounds: tuple[dt.datetime, dt.datetime] | None = None, zone: dt.tzinfo | None = None) -> Card:
    """The card of ``order`` on local ``day`` (default: the day it starts): its part of that
    day placed on the day's axis (``bounds``: that day's :func:`day_bounds`, when known;
    ``zone``: the current time zone, when known: ``timezone.localtime`` looks it up per call)."""
    zone = zone or timezone.get_current_timezone()
    span = interval(order)
    start, end = (t.astimezone(zone) for t in span)
    first_day = start.date()
    day = day or first_day
    bounds = bounds or day_bounds(day)
    segment = (max(span[0], bounds[0]), min(span[1], bounds[1]))
    axis = axis_minutes(tenant)
    seg_start = segment[0].astimezone(zone)
    from_axis = (0 if day != seg_start.date() else seg_start.hour * 60 + seg_start.minute) \
        - tenant.planning_day_start * 60
    minutes = max(0, int((segment[1] - segment[0]).total_seconds() // 60))
    outside = "after" if from_axis >= axis else "before" if from_axis + minutes <= 0 else ""
    placed = None
    if outside:
        length = min(axis, OUTSIDE_CARD_MINUTES)
        offset = axis - length if outside == "after" else 0
        axis_start = local_datetime(day, dt.time(tenant.planning_day_start)).astimezone(dt.UTC)
        placed = (axis_start + dt.timedelta(minutes=offset),
                  axis_start + dt.timedelta(minutes=offset + length))
    else:
        offset = min(max(0, from_axis), axis - SNAP_MINUTES)
        length = max(SNAP_MINUTES, min(minutes + min(0, from_axis), axis - offset))
    return Card(order, start, end, offset, length, clashing, segment=segment,
                first=day == first_day, outside=outside, placed=placed)


def week_cells(tenant: Tenant, technicians: Sequence[User], days: Sequence[dt.date],
               orders: Iterable[WorkOrder]) -> tuple[dict[int, list[Cell]], dict[int, set[int]]]:
    """The board's cells (per technician pk, one per day) and the double-booked orders.

    ``orders``: the board's orders with technicians prefetched, including those that started
    up to :data:`MAX_PLANNED_MINUTES` before the first day (they may run into the week). An
    order no longer than the working day counts towards a day's planned hours with all its
    time on that day, a longer one with its time inside that day's working day only (see the
    module text); it has a card (its segment) on every day it spans."""
    orders = list(orders)
    clashing = double_booked(orders)
    cells = {t.pk: [Cell(day, available_minutes=available_minutes(tenant, day)) for day in days]
             for t in technicians}
    # Each day's bounds and working day once (not per order and day: ~200 orders a week).
    bounds = [day_bounds(day) for day in days]
    working = [working_bounds(tenant, day) for day in days]
    axis = axis_minutes(tenant)
    zone = timezone.get_current_timezone()
    for order in orders:
        span = interval(order)
        spanned = [i for i, (day, (start, end)) in enumerate(zip(days, bounds, strict=True))
                   if min(span[1], end) - max(span[0], start) >= MINUTE
                   or (span[0] == span[1] and timezone.localdate(span[0]) == day)]
        if not spanned:
            continue  # an earlier order that ends before the week
        technicians_of_order = [t for t in technicians_of(order) if t.pk in cells]
        if not technicians_of_order:
            continue
        counted = bounds if order.planned_minutes <= axis else working
        parts = {index: (_shared_minutes(span, counted[index]),
                         card(order, tenant, False, days[index], bounds=bounds[index], zone=zone))
                 for index in spanned}
        for technician in technicians_of_order:
            row = cells[technician.pk]
            clash = order.pk in clashing.get(technician.pk, ())
            for index in spanned:
                cell = row[index]
                minutes, shared_card = parts[index]
                cell.planned_minutes += minutes
                cell.cards.append(replace(shared_card, double_booked=clash))
    for row in cells.values():
        for cell in row:
            cell.cards.sort(key=lambda c: (c.placed or c.segment or interval(c.order))[0])
            assign_lanes(cell.cards)
    return cells, clashing


MINUTE = dt.timedelta(minutes=1)


def _shared_minutes(span: tuple[dt.datetime, dt.datetime], bounds: tuple[dt.datetime, dt.datetime]) -> int:
    """Whole minutes of ``span`` inside ``bounds`` (0 when apart)."""
    shared = min(span[1], bounds[1]) - max(span[0], bounds[0])
    return max(0, int(shared.total_seconds() // 60))


def assign_lanes(cards: list[Card]) -> None:
    """Give overlapping cards (in start order) their own column: each card takes the first
    lane free at its start; every card of a group of overlapping cards gets the group's
    number of lanes. A card outside the working hours overlaps where it is drawn."""
    group: list[Card] = []
    lane_ends: list[dt.datetime] = []
    group_end: dt.datetime | None = None

    def close() -> None:
        for member in group:
            member.lanes = max(1, len(lane_ends))

    for item in cards:
        start, end = item.placed or item.segment or interval(item.order)  # UTC: local times compare as wall-clock times
        if group_end is not None and start >= group_end:
            close()
            group, lane_ends, group_end = [], [], None
        free = next((i for i, lane_end in enumerate(lane_ends) if lane_end <= start), None)
        if free is None:
            lane_ends.append(end)
            item.lane = len(lane_ends) - 1
        else:
            lane_ends[free] = end
            item.lane = free
        group.append(item)
        group_end = end if group_end is None else max(group_end, end)
    close()
