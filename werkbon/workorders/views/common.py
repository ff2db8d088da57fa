"""Helpers shared by the work-order views: who may open an order, and the read-only rule."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from werkbon.accounts.models import User
from werkbon.workorders import actions, external, limits, services
from werkbon.workorders.actions import OPEN_STATUSES
from werkbon.workorders.forms import CompleteForm, small_id
from werkbon.workorders.models import Customer, Signature, WorkAddress, WorkOrder, WorkOrderStatus

PAGE_SIZE = 25
# The office lists count their rows up to this many (a bounded COUNT over a LIMIT subquery):
# beyond it the pages say "Pagina 3 van meer dan 40" and go on while there are rows.
COUNT_LIMIT = 1000
__all__ = ["OPEN_STATUSES", "apply_action"]


_FROM_FORM = object()


def apply_action(request: HttpRequest, name: str, order: WorkOrder | None, *,
                 client_id: object = _FROM_FORM, error_format: str | None = None,
                 note_replay: bool = True, **payload: object) -> actions.Outcome | None:
    """Apply action ``name`` (werkbon/workorders/actions.py) for the request's user with the
    form's hidden ``client_id`` (or ``client_id`` given, e.g. one derived from it); a refusal
    becomes an error message (None returned; ``error_format`` puts it in a sentence with
    ``%(error)s``), a form sent twice a note that it was saved already (the outcome has
    ``already_applied``; no note with ``note_replay=False``). Not found: a 404."""
    if client_id is _FROM_FORM:
        client_id = request.POST.get("client_id")
    try:
        outcome = actions.apply(name, user=request.user,  # type: ignore[arg-type]
                                work_order=order, client_id=client_id, **payload)
    except actions.ActionRefused as error:
        if error.status == 404:
            raise Http404(str(error)) from error
        messages.error(request, error_format % {"error": error} if error_format else str(error))
        return None
    except services.LifecycleError as error:
        messages.error(request, error_format % {"error": error} if error_format else str(error))
        return None
    if outcome.already_applied and note_replay:
        messages.info(request, _("This was already saved (the form was sent twice)."))
    return outcome


# What was typed in the completion form when it was refused, for the next render of the
# order's page (the POST redirects, so a refresh never completes twice).
COMPLETE_DRAFT_KEY = "workorders.complete_draft"


def keep_complete_draft(request: HttpRequest, order: WorkOrder) -> None:
    """Keep the completion form's input (signer name, e-mail address; bounded to one character
    over their limits, so a too-long value is still refused) for :func:`complete_form`."""
    request.session[COMPLETE_DRAFT_KEY] = {
        "order": order.pk,
        "signed_by_name": request.POST.get("signed_by_name", "")[:limits.MAX_SIGNED_BY_LENGTH + 1],
        "customer_email": request.POST.get("customer_email", "")[:limits.MAX_EMAIL_LENGTH + 1],
    }


def complete_form(request: HttpRequest, order: WorkOrder) -> CompleteForm:
    """The completion form of ``order``'s page: after a refused completion the input kept by
    :func:`keep_complete_draft` (bound, so each error shows at its field; taken once, and only
    on the same order's page); else empty with the address the work order was last e-mailed to,
    or the customer's own address, filled in, and the signer's name when a signature was drawn."""
    draft = request.session.pop(COMPLETE_DRAFT_KEY, None)
    if isinstance(draft, dict) and draft.get("order") == order.pk:
        form = CompleteForm(data={"signed_by_name": str(draft.get("signed_by_name", "")),
                                  "customer_email": str(draft.get("customer_email", ""))})
        form.is_valid()  # the errors next to the fields
        return form
    address = external.last_email(order) or (order.customer.email if order.customer else "")
    # The name typed under a drawn signature is who signed off: not asked twice.
    # (order.signature is cached on the order, so the page's own use of it costs no query)
    try:
        signer = order.signature.signer_name
    except Signature.DoesNotExist:
        signer = ""
    return CompleteForm(initial={"signed_by_name": signer, "customer_email": address})


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


class BoundedPaginator(Paginator):
    """A paginator that counts at most ``limit`` rows, so a list of 50,000 work orders costs
    a COUNT over ``limit + 1`` rows, not over all of them (issue 14).

    Up to ``limit`` rows it is Django's paginator (exact page count). Beyond, ``more`` is
    true and ``num_pages`` is ``limit // per_page`` (shown as "more than"): any page number
    is allowed while it has rows, each page reads one row beyond its own to know whether a
    next page exists (``has_next``), and a number past the last row gives the first page
    (``get_page``). The queryset must be ordered (a stable order for OFFSET paging)."""

    def __init__(self, object_list: QuerySet, per_page: int, limit: int | None = None) -> None:
        super().__init__(object_list, per_page)
        self.limit = COUNT_LIMIT if limit is None else limit

    @cached_property
    def count(self) -> int:
        """The number of rows, at most ``limit + 1`` (one query)."""
        return self.object_list[: self.limit + 1].count()

    @property
    def more(self) -> bool:
        """Whether there are more than ``limit`` rows (the exact number is not counted)."""
        return self.count > self.limit

    @cached_property
    def num_pages(self) -> int:
        """Exact up to ``limit`` rows; beyond, the pages within ``limit`` (at least)."""
        if self.more:
            return max(1, self.limit // self.per_page)
        return super().num_pages

    def validate_number(self, number: object) -> int:
        if not self.more:
            return super().validate_number(number)
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            valid = int(number)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            raise PageNotAnInteger(_("That page number is not an integer")) from None
        if valid < 1:
            raise EmptyPage(_("That page number is less than 1"))
        return valid

    def page(self, number: object) -> Page:
        if not self.more:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if bottom > limits.MAX_OFFSET:
            raise EmptyPage(_("That page contains no results"))
        rows = list(self.object_list[bottom: bottom + self.per_page + 1])
        if not rows:
            raise EmptyPage(_("That page contains no results"))
        return BoundedPage(rows[: self.per_page], number, self, has_more=len(rows) > self.per_page)

    def get_page(self, number: object) -> Page:
        """The page ``number``; not a number: the first; beyond the rows: the last (exactly
        counted) or the first (more than ``limit`` rows)."""
        if not self.more:
            return super().get_page(number)
        try:
            return self.page(number)
        except (EmptyPage, PageNotAnInteger):
            return self.page(1)


class BoundedPage(Page):
    """A page of a :class:`BoundedPaginator` with more than ``limit`` rows: ``has_next`` from
    the extra row read, the page's indexes from its number."""

    def __init__(self, object_list: list, number: int, paginator: BoundedPaginator, *, has_more: bool) -> None:
        super().__init__(object_list, number, paginator)
        self.has_more = has_more

    def has_next(self) -> bool:
        return self.has_more

    def has_previous(self) -> bool:
        return self.number > 1

    def end_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)


def paginate(request: HttpRequest, queryset: QuerySet) -> Page:
    """Page ``?page=`` of ``queryset`` (ordered), :data:`PAGE_SIZE` rows, counted up to
    :data:`COUNT_LIMIT` (:class:`BoundedPaginator`)."""
    return BoundedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    """The current query string without ``page``, for the pagination links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def address_options(request: HttpRequest, customers: QuerySet[Customer]) -> HttpResponse:
    """The ``<option>``s of the active work addresses of the customer in ``?customer=`` (htmx,
    when the customer changes), if that customer is one of ``customers``; none for an id that
    is not a number within ``limits.MAX_ID``."""
    customer_id = request.GET.get("customer", "")
    addresses = (
        WorkAddress.objects.filter(customer__in=customers, customer_id=int(customer_id),
                                   is_active=True)
        if small_id(customer_id)
        else WorkAddress.objects.none()
    )
    return render(request, "workorders/_address_options.html", {"addresses": addresses})
