"""The "Visma.net" panel on the work-order page: the export status, the document number and
the status Visma.net gave it when that is not on hold, the reason and action of a failure, and
a Retry button; after a deletion in Visma.net instead two choices (make a new document, or
mark the work order as handled outside Werkbon) and no Retry (registered through
``werkbon.workorders.external.register_panel``, so the work-order app never imports us).

While an export is on its way the panel refreshes itself (htmx, every 2 seconds).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from werkbon.accounts.models import Role
from werkbon.accounts.permissions import office_required, tenant_member_required
from werkbon.integrations import background
from werkbon.integrations.models import ExportRecord, ExportStatus, Integration, LogEntry, LogLevel
from werkbon.integrations.vismanet import export, webhooks
from werkbon.integrations.vismanet.export.document import state_word
from werkbon.workorders.models import Customer, WorkOrder
from werkbon.workorders.views.common import order_for_member

IN_PROGRESS = (ExportStatus.QUEUED, ExportStatus.SENDING, ExportStatus.ATTACHMENTS_PENDING)
CUSTOMER_MESSAGES = (export.MSG_NO_CUSTOMER, export.MSG_CUSTOMER_UNKNOWN, export.MSG_CUSTOMER_INACTIVE)


def _record(work_order: WorkOrder) -> ExportRecord | None:
    return ExportRecord.objects.filter(kind=export.KIND, work_order_number=work_order.number).first()


def _context(request: HttpRequest, work_order: WorkOrder, record: ExportRecord) -> dict[str, object]:
    problem = (LogEntry.objects.filter(export=record, level__in=[LogLevel.ERROR, LogLevel.WARNING])
               .order_by("-created_at", "-id").first())
    is_office = getattr(request.user, "role", None) == Role.OFFICE
    failed = record.status == ExportStatus.FAILED
    document_label = {export.SALES_ORDER: _("Sales order"), export.CUSTOMER_INVOICE: _("Customer invoice")}
    return {
        "order": work_order,
        "record": record,
        "document_label": document_label.get(record.document_type, ""),
        "problem": problem if record.status != ExportStatus.SENT else None,
        "polling": record.status in IN_PROGRESS,
        # Sent, its document not final in Visma.net yet: a status read back shows within seconds.
        "watching": record.status == ExportStatus.SENT and not webhooks.is_final(record.document_type,
                                                                                  record.remote_status),
        "can_retry": is_office and record.offers_retry,
        "can_choose": is_office and record.awaits_choice,
        "can_mark_handled": is_office and (record.awaits_choice or failed),
        "document_state": _(state_word(record.document_status)) if record.document_status else "",
        # The document's status as last read back (webhook notification or slow poll).
        "remote_state": _(webhooks.state_word(record.document_type, record.remote_status))
        if record.remote_status and record.status == ExportStatus.SENT else "",
        "invoiced": webhooks.is_invoiced(record.document_type, record.remote_status),
        "can_choose_customer": is_office and failed and not record.document_number
        and problem is not None and problem.message in CUSTOMER_MESSAGES,
        "waiting": record.status in (ExportStatus.QUEUED, ExportStatus.ATTACHMENTS_PENDING)
        and record.attempts > 0,
        "stalled": _stalled(record),
    }


def _stalled(record: ExportRecord) -> bool:
    """Queued for more than a minute (since archiving, or since its next attempt was due)
    while the background processing is not running: "in the queue" alone would wait forever."""
    if record.status not in (ExportStatus.QUEUED, ExportStatus.ATTACHMENTS_PENDING):
        return False
    since = record.next_attempt_at if record.attempts else record.created_at
    if since is None or timezone.now() - since <= background.EXPORT_WAIT:
        return False
    integration = Integration.objects.filter(kind=export.KIND).first()
    try:
        return bool(background.background_problem(integration))
    except Exception:  # diagnostics only: never break the work-order page
        return False


def render_panel(request: HttpRequest, work_order: WorkOrder, notice: str = "") -> str:
    """The panel's HTML, or "" when the work order has no export (integration not active
    when it was archived, or not archived yet). ``notice``: a line shown after a Retry."""
    record = _record(work_order)
    if record is None:
        return ""
    context = {**_context(request, work_order, record), "notice": notice}
    return render_to_string("integrations/vismanet/_export_panel.html", context, request=request)


def panel(request_or_none: object, work_order: object) -> str:
    """The hook registered with ``external.register_panel``."""
    if not isinstance(work_order, WorkOrder) or request_or_none is None:
        return ""
    return render_panel(request_or_none, work_order)  # type: ignore[arg-type]


def _user_name(request: HttpRequest) -> str:
    user = request.user
    return getattr(user, "display_name", "") or getattr(user, "username", "") or "—"


def _respond(request: HttpRequest, work_order: WorkOrder, status: int, level: int, notice: str) -> HttpResponse:
    if request.headers.get("HX-Request"):
        return HttpResponse(render_panel(request, work_order, notice), status=status)
    messages.add_message(request, level, notice)
    return redirect("workorders:detail", pk=work_order.pk)


def _work_order(pk: int) -> WorkOrder:
    work_order = WorkOrder.objects.filter(pk=pk).first()  # tenant-scoped: another tenant's → 404
    if work_order is None:
        raise Http404(_("Work order not found."))
    return work_order


@require_GET
@tenant_member_required
def panel_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The panel alone (htmx polling); a technician only sees orders planned to them."""
    return HttpResponse(render_panel(request, order_for_member(request, pk)))


@require_POST
@office_required
def retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Retry the work order's export; POST ``customer`` (a customer number) first puts that
    customer on a work order whose export failed for want of a usable customer."""
    work_order = _work_order(pk)
    record = _record(work_order)
    if record is None:
        raise Http404(_("This work order has no export to Visma.net."))
    number = (request.POST.get("customer") or "").strip()
    kept = None  # the work address that stays when another customer is chosen
    status, level, notice = 200, messages.SUCCESS, _("The export to Visma.net is queued again.")
    if number:
        customer = Customer.objects.filter(number=number).first()
        if customer is None or not customer.is_active:
            status, level = 400, messages.ERROR
            notice = _("Customer %(number)s does not exist or is inactive.") % {"number": number}
        else:
            try:
                kept = export.set_customer(record, customer)
            except ValueError:
                status, level = 400, messages.ERROR
                notice = _("The customer can no longer be changed for this export.")
    if status == 200 and not export.retry(record):
        status, level, notice = 409, messages.WARNING, _("This export cannot be sent again now.")
    elif status == 200 and number and kept is not None:
        notice = " ".join((notice, _("The work address stays %(address)s; it is an address of customer "
                                     "%(previous)s.") % {"address": kept.one_line(),
                                                         "previous": kept.customer.number}))
    return _respond(request, work_order, status, level, notice)


@require_POST
@office_required
def choice_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The office's choice for an export whose document was deleted in Visma.net: POST
    ``choice=new_document`` (make a new document) or ``choice=handled_outside`` (the work order
    was handled outside Werkbon; also allowed for a failed export). 409 when the export does
    not await that choice (any more)."""
    work_order = _work_order(pk)
    record = _record(work_order)
    if record is None:
        raise Http404(_("This work order has no export to Visma.net."))
    choice = request.POST.get("choice", "")
    if choice == "new_document" and export.make_new_document(record, _user_name(request)):
        return _respond(request, work_order, 200, messages.SUCCESS,
                        _("A new document is made in Visma.net for this work order."))
    if choice == "handled_outside" and export.mark_handled_outside(record, _user_name(request)):
        return _respond(request, work_order, 200, messages.SUCCESS,
                        _("The work order is marked as handled outside Werkbon; nothing is sent to Visma.net."))
    return _respond(request, work_order, 409, messages.WARNING, _("This choice is not possible for this export now."))
