"""Office actions on what changed in the master data since an open work order agreed it
(issue 9): take the new work address, take an item's new description and unit. One click
each (a POST form, no script); an archived work order is refused with a message."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from werkbon.accounts.permissions import office_required
from werkbon.workorders import history, services
from werkbon.workorders.models import MaterialLine, WorkOrder


@office_required
@require_POST
def take_new_address(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(WorkOrder, pk=pk)
    try:
        order = history.take_new_address(order)
    except services.LifecycleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Work order %(number)s now has the new work address %(address)s.")
                         % {"number": order.number, "address": order.address.one_line() if order.address else "—"})
    return redirect("workorders:detail", pk=order.pk)


@office_required
@require_POST
def take_new_item_values(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    order = get_object_or_404(WorkOrder, pk=pk)
    line = get_object_or_404(MaterialLine, pk=line_pk, work_order=order)
    try:
        line = history.take_new_item_values(order, line)
    except services.LifecycleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Item %(item)s on work order %(number)s now reads %(quantity)s %(unit)s "
                                    "%(description)s: check the quantity.")
                         % {"item": line.item_number, "number": order.number, "quantity": line.quantity.normalize(),
                            "unit": line.unit, "description": line.description})
    return redirect("workorders:detail", pk=order.pk)
