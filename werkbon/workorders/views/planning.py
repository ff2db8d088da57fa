"""The planning board: technicians as rows, the days of a week (Mon–Sun) as columns, each
day a time axis over the tenant's working hours with a card per work order sized by its
planned duration (the arithmetic: :mod:`werkbon.workorders.planning`).

Weeks are local weeks (Europe/Amsterdam): an order planned at 00:30 local time on Monday
falls on Monday even though it is stored as Sunday 22:30 UTC. Cards are moved by drag and
drop (werkbon/static/werkbon/planning.js) or by the move form on each card; both post to
:func:`plan`, which applies the ``workorder.plan`` action (werkbon/workorders/actions.py) with
the card's version and client id, moving only the assignment of the card's technician.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import urlsplit

from django.contrib import messages
from django.db import connection
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, Prefetch, Q, Value
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from werkbon.accounts.models import User
from werkbon.accounts.permissions import office_required
from werkbon.accounts.tenancy import require_current_tenant
from werkbon.workorders import planning as board
from werkbon.workorders.forms import PlanForm, local_datetime, technicians_of_current_tenant
from werkbon.workorders.limits import MAX_PLANNED_MINUTES, date_window_error
from werkbon.workorders.models import WorkOrder, WorkOrderStatus
from werkbon.workorders.views.common import apply_action, back_to, form_errors


def warn_if_in_the_past(request: HttpRequest, start: dt.datetime | None) -> None:
    """Planning in the past is allowed (recording work already done), but is usually a
    typo in the date or time: say so. Earlier today: a start at least a quarter of an hour
    (the board's snap) ago, so that a job planned for "now" is not warned about."""
    if start is None:
        return
    if timezone.localdate(start) < timezone.localdate():
        messages.warning(request, _(
            "Note: %(date)s is in the past. Check the date if this was not intended."
        ) % {"date": timezone.localtime(start).strftime("%d-%m-%Y")})
    elif start + dt.timedelta(minutes=board.SNAP_MINUTES) <= timezone.now():
        messages.warning(request, _(
            "Note: %(time)s today has already passed. Check the time if this was not intended."
        ) % {"time": timezone.localtime(start).strftime("%H:%M")})


UNPLANNED_SHOWN = 50  # work orders in the "Not planned" column of the planning board
# What the board's cards show of an order (about 200 a busy week: not every column).
BOARD_FIELDS = ("tenant_id", "number", "status", "version", "planned_start", "planned_minutes",
                "customer__name", "customer__tenant_id")


def warn_if_double_booked(request: HttpRequest, order: WorkOrder) -> None:
    """A warning per other work order that ``order`` now overlaps for the same technician
    (the move is made: the office decides)."""
    for technician, other in board.clashes(order):
        start, end = (timezone.localtime(t) for t in board.interval(other))
        messages.warning(request, _(
            "%(name)s is double-booked: work order %(number)s overlaps work order %(other)s "
            "(%(date)s %(start)s–%(end)s)."
        ) % {"name": technician.display_name, "number": order.number, "other": other.number,
             "date": start.strftime("%d-%m-%Y"), "start": start.strftime("%H:%M"),
             "end": end.strftime("%H:%M")})


def url_for_pk(name: str) -> Callable[[int], str]:
    """``reverse(name, args=[pk])`` for many pks at the cost of one ``reverse`` (the board
    links every card twice)."""
    sentinel = "2147483647"
    head, tail = reverse(name, args=[int(sentinel)]).split(sentinel)
    return lambda pk: f"{head}{int(pk)}{tail}"


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def _requested_monday(request: HttpRequest) -> dt.date:
    try:
        day = dt.date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        day = timezone.localdate()
    if date_window_error(day):  # year 1 or 9999: this week rather than an overflow
        day = timezone.localdate()
    return week_start(day)


@office_required
@require_GET
def planning(request: HttpRequest) -> HttpResponse:
    """The week's board (``?week=YYYY-MM-DD``, any day of the week; default this week).

    A fixed number of queries whatever the number of orders: technicians, the week's orders
    with their customers and technicians, the unplanned orders."""
    tenant = require_current_tenant()
    monday = _requested_monday(request)
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    start = local_datetime(monday, dt.time.min)
    end = local_datetime(monday + dt.timedelta(days=7), dt.time.min)
    technicians = list(technicians_of_current_tenant())
    orders = (
        WorkOrder.objects.filter(
            # orders of the week, and earlier ones that may still run into it
            planned_start__gte=start - dt.timedelta(minutes=MAX_PLANNED_MINUTES), planned_start__lt=end,
            status__in=board.BOARD_STATUSES,
        )
        .select_related("customer")
        .only(*BOARD_FIELDS)
        # Only their ids: the board places cards by technician pk (the rows are `technicians`).
        .prefetch_related(Prefetch("technicians", queryset=User.objects.only("id"), to_attr="board_technicians"))
        .order_by("planned_start", "number")
    )
    if connection.vendor == "postgresql":
        # Not the earlier orders that end before the week (most of the week before: they
        # have no card); week_cells skips them on any database, PostgreSQL does not send them.
        orders = orders.alias(planned_end=ExpressionWrapper(
            F("planned_start") + F("planned_minutes") * Value(dt.timedelta(minutes=1), DurationField()),
            output_field=DateTimeField())).filter(Q(planned_start__gte=start) | Q(planned_end__gt=start))
    orders = list(orders)
    detail_url, plan_url = url_for_pk("workorders:detail"), url_for_pk("workorders:plan")
    for order in orders:
        order.detail_url, order.plan_url = detail_url(order.pk), plan_url(order.pk)
    cells, _clashing = board.week_cells(tenant, technicians, days, orders)
    # The technician <option>s of the move and plan forms, made once (not per card).
    options = [(t.pk, format_html('<option value="{}">{}</option>', t.pk, t.display_name)) for t in technicians]
    rows = [{"technician": t, "cells": cells[t.pk],
             "options": mark_safe("".join(  # noqa: S308 (each part escaped by format_html)
                 format_html('<option value="{}" selected>{}</option>', pk, t.display_name) if pk == t.pk
                 else html for pk, html in options))}
            for t in technicians]
    double_bookings = [
        {"technician": row["technician"], "day": cell.day,
         "cards": [c for c in cell.cards if c.double_booked]}
        for row in rows for cell in row["cells"] if any(c.double_booked for c in cell.cards)
    ]
    open_orders = WorkOrder.objects.filter(status=WorkOrderStatus.OPEN)
    # At most UNPLANNED_SHOWN (the oldest), each with its plan form: the page stays as fast
    # with 5,000 open orders as with 5; the rest are counted, with a link to the list.
    unplanned = list(open_orders.select_related("customer").only(*BOARD_FIELDS).order_by("number")[:UNPLANNED_SHOWN])
    for order in unplanned:
        order.detail_url, order.plan_url = detail_url(order.pk), plan_url(order.pk)
    unplanned_more = open_orders.count() - len(unplanned) if len(unplanned) == UNPLANNED_SHOWN else 0
    axis = board.axis_minutes(tenant)
    today = timezone.localdate()
    return render(request, "workorders/planning.html", {
        "monday": monday,
        "days": days,
        "rows": rows,
        "double_bookings": double_bookings,
        "unplanned": unplanned,
        "unplanned_more": unplanned_more,
        "today": today,
        "previous_week": monday - dt.timedelta(days=7),
        "next_week": monday + dt.timedelta(days=7),
        "technicians": technicians,
        "technician_options": mark_safe("".join(html for _pk, html in options)),  # noqa: S308
        "next_path": request.get_full_path(),
        "today_iso": today.isoformat(),
        "hour_lines": mark_safe("<span></span>" * (tenant.planning_day_end - tenant.planning_day_start)),  # noqa: S308
        "day_start": tenant.planning_day_start,
        "axis_minutes": axis,
        "hours": [f"{h:02d}:00" for h in range(tenant.planning_day_start, tenant.planning_day_end)],
        "snap_minutes": board.SNAP_MINUTES,
        "plan_form": PlanForm(prefix="plan", initial={"date": today}),
    })


def _after_plan(request: HttpRequest, date: dt.date | None) -> HttpResponse:
    """Back to the board in the week the order was planned in (the board's hidden ``next`` is
    the week the card was on), or to another local ``next`` (the detail page)."""
    board_url = reverse("workorders:planning")
    target = request.POST.get("next") or ""
    if date is not None and (not target or urlsplit(target).path == board_url):
        return redirect(f"{board_url}?week={date.isoformat()}")
    return back_to(request, board_url)


@office_required
@require_POST
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    """Plan or move a work order through the ``workorder.plan`` action (with the form's
    ``client_id``): POST ``plan-technician``, ``plan-date`` (YYYY-MM-DD), ``plan-time`` (HH:MM,
    local; a time that does not exist that night is refused, one that occurs twice is its
    first, summer-time occurrence), optionally ``plan-minutes``, ``plan-version`` (the version
    the card showed: a stale move is refused) and ``plan-source`` (the technician whose card
    was moved: only that assignment moves). A move that double-books a technician is made,
    with a warning naming the other work order. Redirects to the board's week of the new date."""
    order = get_object_or_404(WorkOrder, pk=pk)
    form = PlanForm(request.POST, prefix="plan")
    if not form.is_valid():
        messages.error(request, _("Not planned: %(errors)s") % {"errors": form_errors(form)})
        return _after_plan(request, None)
    data = form.cleaned_data
    move_from = None
    if data.get("source") is not None:
        move_from = User.objects.filter(tenant=require_current_tenant(), pk=data["source"]).first()
        if move_from is None:
            messages.error(request, _("Not planned: the planning changed since the page was "
                                      "loaded; reload it and try again."))
            return _after_plan(request, None)
    outcome = apply_action(
        request, "workorder.plan", order, technicians=[data["technician"]],
        planned_start=form.planned_start, planned_minutes=data["minutes"],
        version=data["version"], move_from=move_from,
    )
    if outcome is None:
        return _after_plan(request, None)
    if not outcome.already_applied:
        order = outcome.value
        local = timezone.localtime(form.planned_start)
        messages.success(request, _("Work order %(number)s planned for %(name)s on %(when)s.") % {
            "number": order.number, "name": data["technician"].display_name,
            "when": local.strftime("%d-%m-%Y %H:%M"),
        })
        if form.ambiguous:
            messages.info(request, _(
                "%(time)s occurs twice that night (summer time ends); the first %(time)s "
                "(summer time) is used.") % {"time": data["time"].strftime("%H:%M")})
        warn_if_in_the_past(request, form.planned_start)
        warn_if_double_booked(request, order)
    return _after_plan(request, data["date"])
