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
from werkbon.workorders import actions, services
from werkbon.workorders.actions import OPEN_STATUSES
from werkbon.workorders.models import WorkOrder, WorkOrderStatus

PAGE_SIZE = 25
__all__ = ["OPEN_STATUSES", "apply_action"]


def apply_action(request: HttpRequest, name: str, order: WorkOrder | None,
                 **payload: object) -> actions.Outcome | None:
    """Apply action ``name`` (werkbon/workorders/actions.py) for the request's user with the
    form's hidden ``client_id``; a refusal becomes an error message (None returned), a form
    sent twice a note that it was saved already (the outcome has ``already_applied``)."""
    try:
        outcome = actions.apply(name, user=request.user,  # type: ignore[arg-type]
                                work_order=order, client_id=request.POST.get("client_id"),
                                **payload)
    except actions.ActionRefused as error:
        if error.status == 404:
            raise Http404(str(error)) from error
        messages.error(request, str(error))
        return None
    except services.LifecycleError as error:
        messages.error(request, str(error))
        return None
    if outcome.already_applied:
        messages.info(request, _("This was already saved (the form was sent twice)."))
    return outcome


def form_errors(form) -> str:  # type: ignore[no-untyped-def]
    """The form's errors for a message, each after the label of its field ("Datum: …").

    A hidden field (a version, a client id) was not typed by the user: its error is one
    plain sentence to reload the page, never its internal name or value."""
    parts: list[str] = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        if field is not None and field.widget.is_hidden:
            parts.append(_("The page was out of date or incomplete; reload it and try again."))
            continue
        label = str(field.label) if field is not None and field.label else ""
        text = " ".join(str(e) for e in errors)
        parts.append(f"{label}: {text}" if label else text)
    return "; ".join(dict.fromkeys(parts))


def order_for_member(request: HttpRequest, pk: int) -> WorkOrder:
    """The work order ``pk`` of the user's tenant; a technician only gets orders planned to
    them (others are a 404, so their existence does not leak)."""
    user: User = request.user  # type: ignore[assignment]
    return get_object_or_404(
        actions.visible_orders(user).select_related("customer", "work_address"), pk=pk)


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
