"""Technician screens (phone first): my work orders (today, upcoming, the last 30 days'
completed ones, search), the work order, time and materials, complete, and work orders made on
site.

The "add" and "complete" actions are shared with the office detail page. Who may do what is
decided once, by the action layer (werkbon/workorders/actions.py): the office on any order of
its tenant, a technician only on orders planned to them and only until the order is completed.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from werkbon.accounts.models import User
from werkbon.accounts.permissions import tenant_member_required
from werkbon.workorders import actions
from werkbon.workorders.forms import (
    CompleteForm,
    MaterialLineForm,
    OfficeTimeEntryForm,
    OnSiteWorkOrderForm,
    TimeEntryForm,
    WorkOrderSearchForm,
)
from werkbon.workorders.models import FormTemplate, WorkOrder, WorkOrderStatus
from werkbon.workorders.search import work_order_match
from werkbon.workorders.views.common import (
    OPEN_STATUSES,
    address_options,
    apply_action,
    complete_form,
    form_errors,
    keep_complete_draft,
    order_for_member,
    order_page_url,
)
from werkbon.workorders.views.workorders import time_totals

# How far back "my history" reaches: completed (and archived) work orders of the last 30 days.
HISTORY_DAYS = 30
SEARCH_RESULTS = 50


def _refuse_change(request: HttpRequest, order: WorkOrder, name: str) -> HttpResponse | None:
    """The redirect that refuses action ``name`` on ``order`` (with the reason), or None.

    Checked before the form: a closed or archived order is the reason, not the input."""
    refused = actions.refusal(request.user, order, name)  # type: ignore[arg-type]
    if refused is None:
        return None
    messages.error(request, str(refused))
    return redirect(order_page_url(request.user, order))  # type: ignore[arg-type]


@tenant_member_required
@require_GET
def my_work(request: HttpRequest) -> HttpResponse:
    """The orders planned to the user that are not completed or archived (today's and
    upcoming, soonest first), their completed orders of the last :data:`HISTORY_DAYS` days
    (read-only), and a search in all their own work orders (``?q=``)."""
    user: User = request.user  # type: ignore[assignment]
    mine = WorkOrder.objects.filter(technicians=user).select_related("customer", "work_address")
    orders = mine.filter(status__in=OPEN_STATUSES).order_by("planned_start", "number")
    since = timezone.now() - dt.timedelta(days=HISTORY_DAYS)
    history = mine.filter(status__in=[WorkOrderStatus.COMPLETED, WorkOrderStatus.ARCHIVED],
                          completed_at__gte=since).order_by("-completed_at", "-number")
    search = WorkOrderSearchForm(request.GET or None)
    found = None
    if search.is_valid() and search.cleaned_data["q"].strip():
        found = mine.filter(work_order_match(search.cleaned_data["q"])).distinct() \
            .order_by("-number")[:SEARCH_RESULTS]
    elif search.is_bound and not search.is_valid():
        messages.error(request, form_errors(search))
    tenant = user.tenant
    return render(request, "workorders/my_work.html", {
        "orders": orders, "history": history, "history_days": HISTORY_DAYS,
        "search": search, "found": found,
        "may_create": user.is_technician and tenant is not None
        and tenant.technicians_create_work_orders,
    })


@tenant_member_required
@require_GET
def my_work_order(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_for_member(request, pk)
    can_change = actions.may(request.user, order, "time.add")  # type: ignore[arg-type]
    return render(request, "workorders/my_work_order.html", {
        "order": order,
        "can_change": can_change,
        "entries": order.time_entries.select_related("technician"),
        "lines": order.material_lines.select_related("item"),
        "filled_forms": order.forms.select_related("template"),
        "templates": FormTemplate.objects.filter(is_active=True),
        "totals": time_totals(order),
        "time_form": TimeEntryForm(prefix="time") if can_change else None,
        "material_form": MaterialLineForm(prefix="mat") if can_change else None,
        "complete_form": complete_form(request, order)
        if order.status == WorkOrderStatus.PLANNED else None,
    })


@tenant_member_required
@require_POST
def add_time_entry(request: HttpRequest, pk: int) -> HttpResponse:
    """Register minutes of work or travel time (POST fields prefixed ``time-``; action
    ``time.add``)."""
    order = order_for_member(request, pk)
    user: User = request.user  # type: ignore[assignment]
    target = order_page_url(user, order)
    if refused := _refuse_change(request, order, "time.add"):
        return refused
    if user.is_office:
        form: TimeEntryForm = OfficeTimeEntryForm(request.POST, prefix="time", order=order)
    else:
        form = TimeEntryForm(request.POST, prefix="time")
    if not form.is_valid():
        messages.error(request, _("Time not registered: %(errors)s") % {"errors": form_errors(form)})
        return redirect(target)
    data = form.cleaned_data
    outcome = apply_action(request, "time.add", order, technician=data.get("technician"),
                           kind=data["kind"], minutes=data["minutes"], date=data["date"])
    if outcome and not outcome.already_applied:
        entry = outcome.value
        messages.success(request, _("%(minutes)s minutes of %(kind)s registered.") % {
            "minutes": entry.minutes, "kind": entry.get_kind_display().lower(),
        })
    return redirect(target)


@tenant_member_required
@require_POST
def add_material_line(request: HttpRequest, pk: int) -> HttpResponse:
    """Register an item used (POST fields prefixed ``mat-``; quantity with comma or dot;
    action ``material.add``)."""
    order = order_for_member(request, pk)
    user: User = request.user  # type: ignore[assignment]
    target = order_page_url(user, order)
    if refused := _refuse_change(request, order, "material.add"):
        return refused
    form = MaterialLineForm(request.POST, prefix="mat")
    if not form.is_valid():
        messages.error(request, _("Material not registered: %(errors)s") % {
            "errors": form_errors(form)})
        return redirect(target)
    data = form.cleaned_data
    outcome = apply_action(request, "material.add", order, item=data["item"],
                           quantity=data["quantity"], note=data["note"])
    if outcome and not outcome.already_applied:
        messages.success(request, _("%(item)s registered.") % {"item": outcome.value.description})
    return redirect(target)


@tenant_member_required
@require_POST
def complete(request: HttpRequest, pk: int) -> HttpResponse:
    """Report the order completed ("gereed melden") with the name of who signed off and where
    the work order is e-mailed (action ``workorder.complete``).

    Refused (invalid input, or the action layer's refusal): back to the order's page with the
    message, and what was typed shown again with each error at its field (kept in the session
    for that one render, :func:`~werkbon.workorders.views.common.keep_complete_draft`); the
    page has a new client id, since nothing was applied. Completed: a confirmation that says
    where the work order is e-mailed when the company e-mails work orders."""
    order = order_for_member(request, pk)
    user: User = request.user  # type: ignore[assignment]
    form = CompleteForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        keep_complete_draft(request, order)
        return redirect(order_page_url(user, order))
    outcome = apply_action(request, "workorder.complete", order,
                           signed_by_name=form.cleaned_data["signed_by_name"],
                           customer_email=form.cleaned_data["customer_email"])
    if outcome is None:
        keep_complete_draft(request, order)
        return redirect(order_page_url(user, order))
    if not outcome.already_applied:
        messages.success(request, completed_message(
            user, order, form.cleaned_data["customer_email"]))
    if user.is_office:
        return redirect("workorders:detail", pk=order.pk)
    return redirect("workorders:my_work")


def completed_message(user: User, order: WorkOrder, typed_email: str) -> str:
    """"Work order 12 is completed", and where it is e-mailed when the company e-mails work
    orders (``Tenant.customer_mail_enabled``): the address typed, else the customer's own (the
    rule of the customer e-mail's outbox); without one, that it is not e-mailed."""
    number = {"number": order.number}
    tenant = user.tenant
    if tenant is None or not tenant.customer_mail_enabled:
        return _("Work order %(number)s is completed.") % number
    address = (typed_email or (order.customer.email if order.customer else "") or "").strip()
    if not address:
        return _("Work order %(number)s is completed; it is not e-mailed, because there is no "
                 "e-mail address for the customer (the office can enter one and send it).") % number
    return _("Work order %(number)s is completed; the work order is e-mailed to %(address)s.") % {
        **number, "address": address}


@tenant_member_required
def create_on_site(request: HttpRequest) -> HttpResponse:
    """A technician makes a work order on site (action ``workorder.create_on_site``): an
    active customer of the company and one of its work addresses, or a new work address;
    planned on themselves for today. Refused (403) when the company does not allow it."""
    user: User = request.user  # type: ignore[assignment]
    tenant = user.tenant
    if not user.is_technician or tenant is None or not tenant.technicians_create_work_orders:
        raise PermissionDenied(_("Your company does not let technicians make work orders on "
                                 "site. Ask the office."))
    form = OnSiteWorkOrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outcome = apply_action(
            request, "workorder.create_on_site", None, customer=data["customer"],
            work_address=data["work_address"], new_address=form.new_address(),
            description=data["description"], customer_reference=data["customer_reference"],
        )
        if outcome is not None:
            if not outcome.already_applied:
                messages.success(request, _("Work order %(number)s made and planned on you for "
                                            "today.") % {"number": outcome.result["number"]})
            return redirect("workorders:my_work_order", pk=outcome.result["id"])
    return render(request, "workorders/on_site_form.html", {"form": form})


@tenant_member_required
@require_GET
def on_site_address_options(request: HttpRequest) -> HttpResponse:
    """The ``<option>``s of an active customer's active work addresses (htmx)."""
    return address_options(request, actions.on_site_customers())
