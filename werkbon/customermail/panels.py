"""The "E-mail to the customer" panel on the office's work-order page: per completion whether
the signed work order was e-mailed, to whom and when, or why not with the action and a
"Send again" form (registered with ``werkbon.workorders.external.register_panel``, so the
work-order app never imports us). The failure texts are stored as msgids with parameters,
as in the integration log, and shown in the user's language.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from werkbon.accounts.permissions import office_required
from werkbon.customermail import outbox
from werkbon.customermail.models import CustomerMail, MailStatus
from werkbon.workorders.models import WorkOrder

SHOWN = 5  # the latest completions' e-mails


def render_panel(request: HttpRequest, work_order: WorkOrder) -> str:
    """The panel's HTML, or "" when the work order has no customer e-mail."""
    mails = list(CustomerMail.objects.filter(work_order=work_order).defer("pdf")[:SHOWN])
    if not mails:
        return ""
    return render_to_string("customermail/_panel.html", {
        "order": work_order, "mails": mails, "latest": mails[0],
        "can_send_again": mails[0].status == MailStatus.FAILED,
    }, request=request)


def last_recipient(work_order: object) -> str:
    """The address of the work order's latest e-mail that had one ("" when none): what the
    technician typed at the last completion, or the office's correction of it. The hook
    registered with ``external.register_last_email`` (the completion form's pre-fill)."""
    if not isinstance(work_order, WorkOrder) or work_order.pk is None:
        return ""
    return (CustomerMail.objects.filter(work_order=work_order).exclude(recipient="")
            .values_list("recipient", flat=True).first()) or ""


def panel(request_or_none: object, work_order: object) -> str:
    """The hook registered with ``external.register_panel`` (office only: the technician's
    page does not show it)."""
    if not isinstance(work_order, WorkOrder) or request_or_none is None:
        return ""
    user = getattr(request_or_none, "user", None)
    if not getattr(user, "is_office", False):
        return ""
    return render_panel(request_or_none, work_order)  # type: ignore[arg-type]


@require_POST
@office_required
def send_again_view(request: HttpRequest, pk: int) -> HttpResponse:
    """POST ``recipient``: send the work order's (``pk``) latest e-mail again when it failed, to
    a corrected address. Tenant-scoped: another tenant's work order is a 404."""
    work_order = WorkOrder.objects.filter(pk=pk).first()
    mail = CustomerMail.objects.filter(work_order=work_order).defer("pdf").first() if work_order else None
    if mail is None:
        raise Http404(_("E-mail not found."))
    try:
        outbox.send_again(mail, recipient=request.POST.get("recipient", "")[:1000])
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The work order will be e-mailed to %(address)s.")
                         % {"address": mail.recipient})
    return redirect("workorders:detail", pk=mail.work_order_id)
