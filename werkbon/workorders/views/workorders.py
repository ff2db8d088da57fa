"""Office screens for work orders: list, create, detail, correct, reopen, archive, PDFs."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from werkbon.accounts.models import User
from werkbon.accounts.permissions import office_required, tenant_member_required
from werkbon.workorders import actions, external, history, services
from werkbon.workorders.forms import (
    MaterialLineForm,
    OfficeTimeEntryForm,
    PlanForm,
    TimeEntryForm,
    WorkOrderEditForm,
    WorkOrderFilterForm,
    WorkOrderForm,
)
from werkbon.workorders.models import (
    Customer,
    FormTemplate,
    MaterialLine,
    TimeEntry,
    TimeKind,
    WorkOrder,
    WorkOrderStatus,
)
from werkbon.workorders.pdf import render_work_order_pdf
from werkbon.workorders.search import work_order_match
from werkbon.workorders.units import minutes_to_hours
from werkbon.workorders.views.common import (
    address_options,
    apply_action,
    complete_form,
    order_for_member,
    order_page_url,
    paginate,
    query_without_page,
    refuse_if_archived,
)
from werkbon.workorders.views.planning import warn_if_in_the_past


def time_totals(order: WorkOrder, entries: list[TimeEntry] | None = None) -> dict[str, object]:
    """Minutes and hours (the rounding rule applied once per sum) per kind of time, of
    ``entries`` (the order's time entries, read when not given)."""
    entries = list(order.time_entries.all()) if entries is None else entries
    work = sum(e.minutes for e in entries if e.kind == TimeKind.WORK)
    travel = sum(e.minutes for e in entries if e.kind == TimeKind.TRAVEL)
    return {
        "work_minutes": work,
        "work_hours": minutes_to_hours(work),
        "travel_minutes": travel,
        "travel_hours": minutes_to_hours(travel),
        "total_minutes": work + travel,
        "total_hours": minutes_to_hours(work + travel),
    }


@office_required
@require_GET
def work_order_list(request: HttpRequest) -> HttpResponse:
    form = WorkOrderFilterForm(request.GET or None)
    orders = (
        WorkOrder.objects.select_related("customer", "work_address", "created_by")
        .prefetch_related("technicians")
        .order_by("-number")
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["q"] and data["q"].strip():
            # A subquery (a semi-join): the search joins material lines, and a DISTINCT over
            # the page's columns made every page (and its count) sort the whole tenant.
            orders = orders.filter(pk__in=WorkOrder.objects.filter(work_order_match(data["q"])).values("pk"))
        if data["status"]:
            orders = orders.filter(status=data["status"])
        if data["technician"]:
            orders = orders.filter(technicians=data["technician"])
        if data["customer"]:
            orders = orders.filter(customer=data["customer"])
        if data["date_from"]:
            orders = orders.filter(planned_start__date__gte=data["date_from"])
        if data["date_to"]:
            orders = orders.filter(planned_start__date__lte=data["date_to"])
        if data["billing"]:
            invoiced = external.invoiced_numbers(getattr(request, "tenant", None))
            orders = (orders.filter(number__in=invoiced) if data["billing"] == "invoiced"
                      else orders.exclude(number__in=invoiced))
    elif form.is_bound:
        # A filter out of range is shown with its message; never the whole list as if filtered.
        orders = orders.none()
    # One row per order without DISTINCT: a technician filter joins one (order, technician)
    # pair; counted up to COUNT_LIMIT (views/common.py).
    page = paginate(request, orders)
    billing = external.billing_statuses(getattr(request, "tenant", None), [o.number for o in page])
    for order in page:
        order.billing = billing.get(order.number)
    return render(request, "workorders/list.html", {
        "form": form, "page": page, "query": query_without_page(request),
    })


@office_required
def work_order_create(request: HttpRequest) -> HttpResponse:
    form = WorkOrderForm(request.POST or None, initial={"planned_minutes": 60})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.create_work_order(
                customer=data["customer"],
                work_address=data["work_address"],
                description=data["description"],
                customer_reference=data["customer_reference"],
                technicians=list(data["technicians"]),
                planned_start=form.planned_start,
                planned_minutes=data["planned_minutes"],
                created_by=request.user,  # type: ignore[arg-type]
            )
        except services.LifecycleError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Work order %(number)s created.") % {"number": order.number})
            warn_if_in_the_past(request, order.planned_start)
            return redirect("workorders:detail", pk=order.pk)
    return render(request, "workorders/form.html", {"form": form})


@office_required
@require_GET
def work_address_options(request: HttpRequest) -> HttpResponse:
    """The ``<option>``s of a customer's work addresses (htmx, when the customer changes)."""
    return address_options(request, Customer.objects.all())


@office_required
@require_GET
def work_order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(
        WorkOrder.objects.select_related("customer", "work_address", "completed_by",
                                         "archived_by", "created_by").prefetch_related("technicians"),
        pk=pk,
    )
    editable = not order.is_archived
    plan_initial = {"minutes": order.planned_minutes, "version": order.version,
                    "date": timezone.localdate()}  # an unplanned order: today
    if order.planned_start:
        local = timezone.localtime(order.planned_start)
        plan_initial.update(date=local.date(), time=local.time().replace(second=0, microsecond=0))
    # Each read once (issue 14: no repeated queries): the lines, the time entries (the
    # table and the totals) and the technicians (the plan form, the time form, the page).
    lines = list(order.material_lines.select_related("item").order_by("id"))
    entries = list(order.time_entries.select_related("technician"))
    first_tech = next(iter(order.technicians.all()), None)
    if first_tech:
        plan_initial["technician"] = first_tech.pk
    return render(request, "workorders/detail.html", {
        "order": order,
        "editable": editable,
        "entries": entries,
        "lines": lines,
        "filled_forms": order.forms.select_related("template", "filled_by").prefetch_related(
            "answers__question"),
        "templates": FormTemplate.objects.filter(is_active=True),
        "totals": time_totals(order, entries),
        "time_form": OfficeTimeEntryForm(prefix="time", order=order) if editable else None,
        "material_form": MaterialLineForm(prefix="mat") if editable else None,
        "plan_form": PlanForm(initial=plan_initial, prefix="plan")
        if order.status in (WorkOrderStatus.OPEN, WorkOrderStatus.PLANNED) else None,
        # Only a planned order can be completed (open → planned → completed).
        "complete_form": complete_form(request, order)
        if order.status == WorkOrderStatus.PLANNED else None,
        # What changed in the master data since it was agreed (taken with one click).
        "master_changes": history.pending_changes(order, lines),
    })


@office_required
def work_order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct customer, work address, description and reference (not when archived).

    The form carries the version it was opened on; when the order changed since (another
    user, the planning board, the order import), nothing is saved and the form is shown
    again (409) with a message saying so and what to do."""
    order = get_object_or_404(WorkOrder, pk=pk)
    if refused := refuse_if_archived(request, order):
        return refused
    initial = {
        "customer": order.customer_id, "work_address": order.work_address_id,
        "description": order.description, "customer_reference": order.customer_reference,
        "planned_minutes": order.planned_minutes, "version": order.version,
    }
    form = WorkOrderEditForm(request.POST or None, initial=initial, order=order)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            locked = services.lock(order)
            try:
                services.ensure_editable(locked)
            except services.LifecycleError as error:
                messages.error(request, str(error))
                return redirect("workorders:detail", pk=order.pk)
            data = form.cleaned_data
            try:
                services.ensure_current(locked, data["version"])
            except services.StaleWorkOrderError as error:
                form.add_error(None, str(error))
                return render(request, "workorders/form.html", {"form": form, "order": order},
                              status=409)
            locked.customer = data["customer"]
            locked.work_address = data["work_address"]
            locked.description = data["description"]
            locked.customer_reference = data["customer_reference"]
            locked.planned_minutes = data["planned_minutes"]
            locked.save()
        messages.success(request, _("Work order %(number)s saved.") % {"number": order.number})
        return redirect("workorders:detail", pk=order.pk)
    return render(request, "workorders/form.html", {"form": form, "order": order})


def _correctable(request: HttpRequest, pk: int, model: type, record_pk: int, name: str):  # type: ignore[no-untyped-def]
    """The order and its time entry or material line that the user may correct with action
    ``name``; the rule is the action layer's (werkbon/workorders/actions.py): the office
    corrects any record until the order is archived, a technician only their own records on
    an order planned to them, until it is completed. A technician refused gets a 403 with the
    reason."""
    order = order_for_member(request, pk)
    record = get_object_or_404(model, pk=record_pk, work_order=order)
    user: User = request.user  # type: ignore[assignment]
    if not user.is_office:
        refused = actions.refusal(user, order, name)
        if refused is None and record.technician_id != user.pk:
            refused = actions.ActionRefused(_("You can only change what you registered yourself."))
        if refused is not None and not order.is_archived:
            raise PermissionDenied(str(refused))
    return order, record


@tenant_member_required
def time_entry_edit(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    """Correct a time entry (action ``time.correct``)."""
    order, entry = _correctable(request, pk, TimeEntry, entry_pk, "time.correct")
    if refused := refuse_if_archived(request, order):
        return refused
    user: User = request.user  # type: ignore[assignment]
    initial = {"kind": entry.kind, "minutes": entry.minutes, "date": entry.date,
               "technician": entry.technician_id}
    if user.is_office:
        form: TimeEntryForm = OfficeTimeEntryForm(
            request.POST or None, initial=initial, order=order, current=entry.technician,
            unchanged_date=entry.date)
    else:
        form = TimeEntryForm(request.POST or None, initial=initial, unchanged_date=entry.date)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outcome = apply_action(request, "time.correct", order, entry=entry.pk, kind=data["kind"],
                               minutes=data["minutes"], date=data["date"],
                               technician=data.get("technician"))
        if outcome and not outcome.already_applied:
            messages.success(request, _("Time entry saved."))
        return redirect(order_page_url(user, order))
    return render(request, "workorders/correct.html", {
        "order": order, "form": form, "title": _("Correct time entry"),
        "back": order_page_url(user, order),
    })


@tenant_member_required
@require_POST
def time_entry_delete(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    """Delete a time entry (action ``time.delete``)."""
    order, entry = _correctable(request, pk, TimeEntry, entry_pk, "time.delete")
    outcome = apply_action(request, "time.delete", order, entry=entry.pk)
    if outcome and not outcome.already_applied:
        messages.success(request, _("Time entry deleted."))
    return redirect(order_page_url(request.user, order))  # type: ignore[arg-type]


@tenant_member_required
def material_line_edit(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    """Correct a material line (action ``material.correct``)."""
    order, line = _correctable(request, pk, MaterialLine, line_pk, "material.correct")
    if refused := refuse_if_archived(request, order):
        return refused
    form = MaterialLineForm(
        request.POST or None,
        initial={"item": line.item_id, "quantity": line.quantity, "note": line.note},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outcome = apply_action(request, "material.correct", order, line=line.pk,
                               item=data["item"], quantity=data["quantity"], note=data["note"])
        if outcome and not outcome.already_applied:
            messages.success(request, _("Material line saved."))
        return redirect(order_page_url(request.user, order))  # type: ignore[arg-type]
    # The select holds only the chosen item; the search fills it (no list of every item).
    chosen = form.cleaned_data.get("item") if form.is_bound and hasattr(form, "cleaned_data") else None
    return render(request, "workorders/correct_material.html", {
        "order": order, "form": form, "title": _("Correct material line"),
        "current_item": chosen or (line.item if not form.is_bound else None),
        "back": order_page_url(request.user, order),  # type: ignore[arg-type]
    })


@tenant_member_required
@require_POST
def material_line_delete(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    """Delete a material line (action ``material.delete``)."""
    order, line = _correctable(request, pk, MaterialLine, line_pk, "material.delete")
    outcome = apply_action(request, "material.delete", order, line=line.pk)
    if outcome and not outcome.already_applied:
        messages.success(request, _("Material line deleted."))
    return redirect(order_page_url(request.user, order))  # type: ignore[arg-type]


@office_required
@require_POST
def work_order_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """Action ``workorder.reopen``."""
    order = get_object_or_404(WorkOrder, pk=pk)
    outcome = apply_action(request, "workorder.reopen", order)
    if outcome and not outcome.already_applied:
        messages.success(request, _("Work order %(number)s reopened.") % {"number": order.number})
    return redirect("workorders:detail", pk=order.pk)


def own_lines(order: WorkOrder) -> list[external.PreviewLine]:
    """The work order's own lines (no integration exports it): work and travel time in hours
    (the rounding rule once per sum, as on the PDF) and every material line in its unit."""
    totals = time_totals(order)
    lines = [external.PreviewLine("", str(label), hours, _("hours"))
             for label, minutes, hours in (
                 (TimeKind.WORK.label, totals["work_minutes"], totals["work_hours"]),
                 (TimeKind.TRAVEL.label, totals["travel_minutes"], totals["travel_hours"]))
             if minutes]
    lines.extend(external.PreviewLine(line.item_number, line.description, line.quantity, line.unit, line.note)
                 for line in order.material_lines.all())
    return lines


@office_required
def work_order_archive(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation (archiving is irreversible and sends the work order on): what
    will be sent, from the integration's own export code when one is active
    (``external.document_preview``), else the work order's own lines. POST: archive."""
    order = get_object_or_404(
        WorkOrder.objects.select_related("customer", "work_address", "completed_by"), pk=pk)
    if request.method == "GET":
        if not order.can_archive:
            messages.error(request, _("Only a completed work order can be archived. Work order %(number)s is "
                                      "%(status)s.") % {"number": order.number,
                                                        "status": order.get_status_display().lower()})
            return redirect("workorders:detail", pk=order.pk)
        preview = external.document_preview(order)
        return render(request, "workorders/archive_confirm.html", {
            "order": order,
            "preview": preview,
            "lines": preview.lines if preview is not None else own_lines(order),
            "totals": time_totals(order),
        })
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    outcome = apply_action(request, "workorder.archive", order)
    if outcome and not outcome.already_applied:
        messages.success(request, _("Work order %(number)s archived.") % {"number": order.number})
    return redirect("workorders:detail", pk=order.pk)


@tenant_member_required
@require_GET
def work_order_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_for_member(request, pk)
    if request.user.sees_prices:  # type: ignore[union-attr]
        # An archived work order's PDF is the one stored when it was archived.
        return _pdf_response(history.work_order_pdf(order), f"werkbon-{order.number}.pdf")
    # A technician's copy without sales prices (Tenant.technicians_see_prices off): rendered
    # from the work order's own copies, which archiving freezes.
    return _pdf_response(render_work_order_pdf(order, show_prices=False), f"werkbon-{order.number}.pdf")


@tenant_member_required
@require_GET
def forms_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_for_member(request, pk)
    return _pdf_response(history.forms_pdf(order), f"formulieren-{order.number}.pdf")


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
