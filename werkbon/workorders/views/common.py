"""Helpers shared by the work-order views: who may open an order, and the read-only rule."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from werkbon.accounts.models import User
from werkbon.workorders.models import WorkOrder, WorkOrderStatus

PAGE_SIZE = 25
# Until completed, the order's technicians may still add and correct their registrations.
OPEN_STATUSES = (WorkOrderStatus.OPEN, WorkOrderStatus.PLANNED)


def form_errors(form) -> str:  # type: ignore[no-untyped-def]
    """The form's errors for a message, each after the label of its field ("Datum: …")."""
    return "; ".join(
        f"{form.fields[name].label if name in form.fields else ''}: {' '.join(errors)}".lstrip(": ")
        for name, errors in form.errors.items()
    )


def order_for_member(request: HttpRequest, pk: int) -> WorkOrder:
    """The work order ``pk`` of the user's tenant; a technician only gets orders planned to
    them (others are a 404, so their existence does not leak)."""
    order = get_object_or_404(WorkOrder.objects.select_related("customer", "work_address"), pk=pk)
    user: User = request.user  # type: ignore[assignment]
    if user.is_office:
        return order
    if not order.technicians.filter(pk=user.pk).exists():
        raise Http404(_("This work order is not planned to you."))
    return order


def order_page_url(user: User, order: WorkOrder) -> str:
    """Where a user looks at a work order: the office detail or the technician page."""
    name = "workorders:detail" if user.is_office else "workorders:my_work_order"
    return reverse(name, args=[order.pk])


def back_to(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Redirect to ``next`` when it is a local URL, else to ``default``."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def refuse_if_archived(request: HttpRequest, order: WorkOrder) -> HttpResponse | None:
    """A redirect with an error message when ``order`` is archived, else None.

    The services refuse changes to an archived order too; this gives edits that do not go
    through a service (corrections of time entries and material lines) the same rule.
    """
    if order.status != WorkOrderStatus.ARCHIVED:
        return None
    messages.error(
        request,
        _("Work order %(number)s is archived and can no longer be changed.")
        % {"number": order.number},
    )
    return redirect(order_page_url(request.user, order))  # type: ignore[arg-type]


def paginate(request: HttpRequest, queryset: QuerySet) -> Page:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    """The current query string without ``page``, for the pagination links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
