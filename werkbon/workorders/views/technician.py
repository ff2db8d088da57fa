"""Technician screens (phone first): my work orders, register time and materials, complete.

The "add" and "complete" actions are shared with the office detail page: the office may
do them on any order of its tenant, a technician only on orders planned to them and only
until the order is completed (after that the office reviews and corrects).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from werkbon.accounts.models import User
from werkbon.accounts.permissions import tenant_member_required
from werkbon.workorders import services
from werkbon.workorders.forms import (
    CompleteForm,
    MaterialLineForm,
    OfficeTimeEntryForm,
    TimeEntryForm,
)
from werkbon.workorders.models import FormTemplate, WorkOrder, WorkOrderStatus
from werkbon.workorders.views.common import (
    OPEN_STATUSES,
    form_errors,
    order_for_member,
    order_page_url,
    refuse_if_archived,
)
from werkbon.workorders.views.workorders import time_totals


def _technician_may_change(request: HttpRequest, order: WorkOrder) -> bool:
    """False (with a message) when a technician tries to change a completed/archived order."""
    user: User = request.user  # type: ignore[assignment]
    if user.is_office or order.status in OPEN_STATUSES:
        return True
    if order.is_archived:
        messages.error(
            request,
            _("Work order %(number)s is archived and can no longer be changed.")
            % {"number": order.number},
        )
    else:
        messages.error(request, _("This work order is completed; the office reviews it now."))
    return False


def _refuse_change(request: HttpRequest, order: WorkOrder, target: str) -> HttpResponse | None:
    """The redirect that refuses adding time or material to ``order`` (with a message), or None.

    Checked before the form: a closed or archived order is the reason, not the input."""
    if not _technician_may_change(request, order):
        return redirect(target)
    return refuse_if_archived(request, order)


@tenant_member_required
@require_GET
def my_work(request: HttpRequest) -> HttpResponse:
    """The orders planned to the user that are not completed or archived, soonest first."""
    orders = (
        WorkOrder.objects.filter(technicians=request.user, status__in=OPEN_STATUSES)
        .select_related("customer", "work_address")
        .order_by("planned_start", "number")
    )
    return render(request, "workorders/my_work.html", {"orders": orders})


@tenant_member_required
@require_GET
def my_work_order(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_for_member(request, pk)
    can_change = order.status in OPEN_STATUSES
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
        "complete_form": CompleteForm(initial={
            "signed_by_name": "", "customer_email": order.customer.email if order.customer else ""})
        if order.status == WorkOrderStatus.PLANNED else None,
    })


@tenant_member_required
@require_POST
def add_time_entry(request: HttpRequest, pk: int) -> HttpResponse:
    """Register minutes of work or travel time (POST fields prefixed ``time-``)."""
    order = order_for_member(request, pk)
    user: User = request.user  # type: ignore[assignment]
    target = order_page_url(user, order)
    if refused := _refuse_change(request, order, target):
        return refused
    if user.is_office:
        form: TimeEntryForm = OfficeTimeEntryForm(request.POST, prefix="time", order=order)
    else:
        form = TimeEntryForm(request.POST, prefix="time")
    if not form.is_valid():
        messages.error(request, _("Time not registered: %(errors)s") % {"errors": form_errors(form)})
        return redirect(target)
    data = form.cleaned_data
    technician = data.get("technician") or user
    try:
        entry = services.add_time_entry(
            order, technician=technician, kind=data["kind"], minutes=data["minutes"],
            date=data["date"],
        )
    except services.LifecycleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(minutes)s minutes of %(kind)s registered.") % {
            "minutes": entry.minutes, "kind": entry.get_kind_display().lower(),
        })
    return redirect(target)


@tenant_member_required
@require_POST
def add_material_line(request: HttpRequest, pk: int) -> HttpResponse:
    """Register an item used (POST fields prefixed ``mat-``; quantity with comma or dot)."""
    order = order_for_member(request, pk)
    user: User = request.user  # type: ignore[assignment]
    target = order_page_url(user, order)
    if refused := _refuse_change(request, order, target):
        return refused
    form = MaterialLineForm(request.POST, prefix="mat")
    if not form.is_valid():
        messages.error(request, _("Material not registered: %(errors)s") % {
            "errors": form_errors(form)})
        return redirect(target)
    data = form.cleaned_data
    try:
        line = services.add_material_line(
            order, item=data["item"], quantity=data["quantity"], note=data["note"],
            technician=user if user.is_technician else None,
        )
    except services.LifecycleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(item)s registered.") % {"item": line.item.description})
    return redirect(target)


@tenant_member_required
@require_POST
def complete(request: HttpRequest, pk: int) -> HttpResponse:
    """Report the order completed ("gereed melden") with the name of who signed off."""
    order = order_for_member(request, pk)
    user: User = request.user  # type: ignore[assignment]
    form = CompleteForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect(order_page_url(user, order))
    try:
        services.complete(order, user=user, signed_by_name=form.cleaned_data["signed_by_name"],
                          customer_email=form.cleaned_data["customer_email"])
    except services.LifecycleError as error:
        messages.error(request, str(error))
        return redirect(order_page_url(user, order))
    messages.success(request, _("Work order %(number)s is completed.") % {"number": order.number})
    if user.is_office:
        return redirect("workorders:detail", pk=order.pk)
    return redirect("workorders:my_work")

