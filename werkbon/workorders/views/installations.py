"""Installations ("objecten") of a work address and their service history (office), and
naming installations on a work order (office and the order's technicians).

The rules are in :mod:`werkbon.workorders.installations` and
:func:`werkbon.workorders.services.set_installations`; naming them on a work order is the
action ``installations.set`` (werkbon/workorders/actions.py); these views stay thin.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from werkbon.accounts.models import User
from werkbon.accounts.permissions import office_required, tenant_member_required
from werkbon.workorders import installations, services
from werkbon.workorders.forms import InstallationForm, WorkOrderInstallationsForm
from werkbon.workorders.models import InstalledObject, WorkAddress
from werkbon.workorders.views.common import (
    apply_action,
    form_errors,
    order_for_member,
    order_page_url,
)

# The office's installation screen shows this many work orders of the history at most.
HISTORY_ON_SCREEN = 100


@office_required
@require_GET
def installation_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The installations of work address ``pk`` (active first), with how often each was
    serviced."""
    address = get_object_or_404(WorkAddress.objects.select_related("customer"), pk=pk)
    rows = InstalledObject.objects.filter(work_address=address).order_by("-is_active", "name", "id")
    return render(request, "workorders/installation_list.html", {
        "address": address, "installations": rows,
    })


@office_required
def installation_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an installation to work address ``pk``."""
    address = get_object_or_404(WorkAddress.objects.select_related("customer"), pk=pk)
    form = InstallationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            installation = installations.create_installation(work_address=address,
                                                             **form.cleaned_data)
        except services.LifecycleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Installation %(name)s added.") % {"name": installation.name})
            return redirect("workorders:installation_detail", pk=installation.pk)
    return render(request, "workorders/installation_form.html", {
        "form": form, "address": address,
        "title": _("New installation at %(address)s") % {"address": address.one_line()},
    })


@office_required
@require_GET
def installation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An installation with its service history (the work orders done on it)."""
    installation = get_object_or_404(
        InstalledObject.objects.select_related("work_address__customer"), pk=pk)
    return render(request, "workorders/installation_detail.html", {
        "installation": installation,
        "address": installation.work_address,
        "history": installations.service_history(installation, limit=HISTORY_ON_SCREEN),
        "history_count": installations.done_orders(installation).count(),
        "history_limit": HISTORY_ON_SCREEN,
        "used": installation.work_orders.exists(),
    })


@office_required
def installation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    installation = get_object_or_404(
        InstalledObject.objects.select_related("work_address__customer"), pk=pk)
    form = InstallationForm(request.POST or None, instance=installation)
    if request.method == "POST" and form.is_valid():
        try:
            saved = installations.update_installation(installation, **{
                name: form.cleaned_data[name] for name in installations.EDITABLE_FIELDS})
        except services.LifecycleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Installation %(name)s saved.") % {"name": saved.name})
            return redirect("workorders:installation_detail", pk=saved.pk)
    return render(request, "workorders/installation_form.html", {
        "form": form, "address": installation.work_address, "installation": installation,
        "title": _("Edit installation %(name)s") % {"name": installation.name},
    })


@office_required
@require_POST
def installation_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate (``active=0``) or activate again (``active=1``)."""
    installation = get_object_or_404(InstalledObject, pk=pk)
    active = request.POST.get("active") == "1"
    installations.set_installation_active(installation, active=active)
    if active:
        messages.success(request, _("Installation %(name)s is active again.") % {"name": installation.name})
    else:
        messages.success(request, _("Installation %(name)s is deactivated.") % {"name": installation.name})
    return redirect("workorders:installation_detail", pk=installation.pk)


@office_required
@require_POST
def installation_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete an installation that no work order names (else refused with the reason)."""
    installation = get_object_or_404(InstalledObject, pk=pk)
    address_pk = installation.work_address_id
    try:
        installations.delete_installation(installation)
    except services.LifecycleError as error:
        messages.error(request, str(error))
        return redirect("workorders:installation_detail", pk=installation.pk)
    messages.success(request, _("Installation %(name)s deleted.") % {"name": installation.name})
    return redirect("workorders:installation_list", pk=address_pk)


@tenant_member_required
@require_POST
def set_installations(request: HttpRequest, pk: int) -> HttpResponse:
    """Name the installations work order ``pk`` is done on (action ``installations.set``:
    the office until archived, a technician on an order planned to them until completed)."""
    order = order_for_member(request, pk)
    user: User = request.user  # type: ignore[assignment]
    target = order_page_url(user, order)
    form = WorkOrderInstallationsForm(request.POST, order=order, prefix="inst",
                                      choices=installations.choices_for(order))
    if not form.is_valid():
        messages.error(request, _("Installations not saved: %(errors)s") % {
            "errors": form_errors(form)})
        return redirect(target)
    outcome = apply_action(request, "installations.set", order,
                           installations=list(form.cleaned_data["installations"]),
                           version=form.cleaned_data.get("version"))
    if outcome is not None and not outcome.already_applied:
        messages.success(request, _("Installations of work order %(number)s saved.") % {
            "number": order.number})
    return redirect(target)
