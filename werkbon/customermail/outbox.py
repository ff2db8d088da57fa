"""The customer e-mail's outbox (issue 11): queue at completion, claim, send through SMTP.

Delivery guarantees (docs/architecture.md, "Customer e-mail"):

* **Never lost.** The row is written inside the completion's transaction (the
  ``work_order_completed`` signal), so a completion always has its e-mail row. The task is
  enqueued when that transaction commits; :func:`due_ids` (the periodic sweep) finds every row
  whose task was lost (a worker killed, a broker message gone) or whose retry is due.
* **Never twice at once.** A worker claims the row with one conditional UPDATE
  (``pending`` and due, or ``sending`` with its lease run out → ``sending`` with a new lease
  token). Only the holder of the token may mark it sent or failed.
* **At least once, with one Message-ID.** A worker killed after the SMTP server accepted the
  message but before the row was marked ``sent`` leaves the row ``sending``; after its lease
  it is sent again, with the same Message-ID. That window is the few milliseconds between
  the server's "250 OK" and our UPDATE; the other choice (never retry a row whose worker
  died) would lose every e-mail whose worker died while connecting, which takes seconds.
  Mail clients show messages with one Message-ID as one.
* **Bounded.** Every claim counts an attempt; a temporary SMTP failure (4xx, connection
  refused, timeout) waits 1, 2, 4, 8 minutes; after :data:`MAX_ATTEMPTS` the row is
  ``failed`` with the reason and the action in Dutch. A permanent failure (5xx: address
  refused, not a valid address, no address, no mail server set up) fails at once.
* **One per completion.** ``(work_order, completed_at)`` is unique. A reopened and again
  completed work order is a new completion with its own e-mail (the customer gets the
  corrected work order); a still-waiting e-mail of the earlier completion is cancelled, so
  the customer does not get the outdated version too. A double submit of the completion is
  refused by the lifecycle service (already completed), so it makes no row.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import smtplib
import unicodedata
import uuid
from email.utils import formataddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from werkbon.accounts.models import Tenant, is_invisible
from werkbon.accounts.tenancy import tenant_context
from werkbon.customermail.models import CustomerMail, MailStatus
from werkbon.workorders.limits import MAX_EMAIL_LENGTH
from werkbon.workorders.models import WorkOrder
from werkbon.workorders.pdf import render_work_order_pdf

logger = logging.getLogger(__name__)

MAIL_LANGUAGE = "nl"
LEASE_SECONDS = 120  # longer than the send task's hard time limit (tasks.SEND_LIMITS)
MAX_ATTEMPTS = 5
FIRST_RETRY_SECONDS = 60
MAX_RETRY_SECONDS = 8 * 60
SUBJECT_MAX = 150

MSG_NO_ADDRESS = gettext_noop("The work order was not e-mailed: there is no e-mail address for "
                              "the customer.")
ACT_ENTER_ADDRESS = gettext_noop("Enter the customer's e-mail address below and choose Send again "
                                 "(and add it to the customer, in Visma.net when it comes from there).")
MSG_INVALID_ADDRESS = gettext_noop("The work order was not e-mailed: %(address)s is not a valid "
                                   "e-mail address.")
ACT_CORRECT_ADDRESS = gettext_noop("Correct the address below and choose Send again.")
MSG_REFUSED = gettext_noop("The mail server refused to deliver the work order to %(address)s "
                           "(%(reply)s).")
ACT_CHECK_ADDRESS = gettext_noop("Check the address with the customer, correct it below and choose "
                                 "Send again.")
MSG_NOT_SET_UP = gettext_noop("The work order was not e-mailed: sending e-mail is not set up on "
                              "this server.")
ACT_ADMIN = gettext_noop("Ask your administrator to set the mail server (EMAIL_HOST, see "
                         "docs/deploy.md), then choose Send again.")
MSG_SERVER_REFUSED = gettext_noop("The mail server refused the e-mail (%(reply)s).")
ACT_SERVER = gettext_noop("Ask your administrator to check the mail server settings (sender "
                          "address, login), then choose Send again.")
MSG_GAVE_UP = gettext_noop("The work order could not be e-mailed after %(attempts)s attempts "
                           "(%(reply)s).")
ACT_TRY_LATER = gettext_noop("Check that the mail server can be reached, then choose Send again.")
# Replies of our own (not the server's): msgids, translated when shown (CustomerMail.error_text).
REPLY_INTERRUPTED = gettext_noop("interrupted")
REPLY_UNREACHABLE = gettext_noop("mail server not reachable")
REPLY_UNEXPECTED = gettext_noop("unexpected error; support can read the details")
MSG_RETRYING = gettext_noop("Attempt %(attempts)s to e-mail the work order failed (%(reply)s); "
                            "Werkbon tries again in a few minutes.")


class _Permanent(Exception):
    def __init__(self, message: str, action: str, params: dict[str, object], detail: str = "") -> None:
        super().__init__(message)
        self.message, self.action, self.params, self.detail = message, action, params, detail


class _Temporary(Exception):
    def __init__(self, reply: str, detail: str = "") -> None:
        super().__init__(reply)
        self.reply, self.detail = reply, detail


# --- queueing (inside the completion's transaction) ------------------------------------------

def new_message_id() -> str:
    """A Message-ID made once per row: ``<werkbon.<32 hex>@<DEFAULT_FROM_EMAIL's domain>>``."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    domain = re.sub(r"[^A-Za-z0-9.-]", "", domain)[:100] or "localhost"
    return f"<werkbon.{uuid.uuid4().hex}@{domain}>"


def queue_for_completion(work_order: WorkOrder, *, customer_email: str = "") -> CustomerMail | None:
    """Write the e-mail row of the completion just made (call inside its transaction; the
    tenant context is the work order's). None when the tenant does not e-mail work orders.

    The recipient is ``customer_email`` (entered at completion, already checked by the
    lifecycle service) or else the customer's own address. Without one, the row is failed at
    once with the action (the office enters an address and sends again). The send task is
    enqueued when the transaction commits; the sweep picks the row up if that is lost.
    """
    tenant = Tenant.objects.get(pk=work_order.tenant_id)
    if not tenant.customer_mail_enabled or work_order.completed_at is None:
        return None
    recipient = (customer_email or (work_order.customer.email if work_order.customer else "") or "").strip()
    # An earlier completion's e-mail that did not leave yet is outdated now.
    CustomerMail.objects.filter(work_order=work_order, status=MailStatus.PENDING).exclude(
        completed_at=work_order.completed_at).update(status=MailStatus.CANCELLED, updated_at=timezone.now())
    mail, created = CustomerMail.objects.get_or_create(
        work_order=work_order, completed_at=work_order.completed_at,
        defaults={"recipient": recipient[:MAX_EMAIL_LENGTH], "message_id": new_message_id(),
                  "next_attempt_at": timezone.now()},
    )
    if not created:
        return mail
    if not recipient:
        CustomerMail.objects.filter(pk=mail.pk).update(
            status=MailStatus.FAILED, error=MSG_NO_ADDRESS, action=ACT_ENTER_ADDRESS, error_params={})
        mail.refresh_from_db()
        return mail
    enqueue_on_commit(mail.pk)
    return mail


def enqueue_on_commit(mail_id: int) -> None:
    """Send the row's task when the transaction commits (a lost task: the sweep)."""
    from werkbon.customermail import tasks

    transaction.on_commit(lambda: tasks.send_customer_mail.delay(mail_id), robust=True)


def send_again(mail: CustomerMail, *, recipient: str) -> CustomerMail:
    """The office's "Send again" of a failed e-mail, to ``recipient`` (corrected or the same).

    Raises ValueError with a message for the user when the address is not valid or the e-mail
    is not failed (sent meanwhile, or already waiting). Same row, same Message-ID, attempts
    counted from zero again."""
    recipient = (recipient or "").strip()
    if not _valid_address(recipient):
        raise ValueError(_("%(address)s is not a valid e-mail address.") % {"address": recipient[:80] or "—"})
    with transaction.atomic():
        updated = CustomerMail.objects.filter(pk=mail.pk, status=MailStatus.FAILED).update(
            status=MailStatus.PENDING, recipient=recipient, attempts=0, next_attempt_at=timezone.now(),
            error="", action="", error_params={}, detail="", lease_until=None, updated_at=timezone.now())
        if not updated:
            raise ValueError(_("This e-mail is not failed (any more), so it was not sent again."))
        enqueue_on_commit(mail.pk)
    mail.refresh_from_db()
    return mail


def _valid_address(address: str) -> bool:
    if not address or len(address) > MAX_EMAIL_LENGTH:
        return False
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


# --- the sweep ---------------------------------------------------------------------------

def due_ids(now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Rows to (re)send now, across tenants: waiting and due, or ``sending`` with the lease
    run out (its worker died). Bounded per sweep; the next sweep takes the rest."""
    now = now or timezone.now()
    due = Q(status=MailStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=MailStatus.SENDING, lease_until__lt=now)
    return list(CustomerMail.all_tenants.filter(due).order_by("next_attempt_at", "pk")
                .values_list("pk", flat=True)[:limit])


# --- sending -----------------------------------------------------------------------------

def claim(mail_id: int, now: dt.datetime | None = None) -> str | None:
    """Claim the row for one attempt; the lease token, or None when it is not due or another
    worker holds it (one conditional UPDATE: only one claimer wins)."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    claimable = Q(status=MailStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=MailStatus.SENDING, lease_until__lt=now)
    won = CustomerMail.all_tenants.filter(claimable, pk=mail_id).update(
        status=MailStatus.SENDING, lease_token=token, lease_until=now + dt.timedelta(seconds=LEASE_SECONDS),
        attempts=F("attempts") + 1, updated_at=now)
    return token if won else None


def send(mail_id: int) -> str | None:
    """One attempt at the row ``mail_id``: claim, render the PDF once, send over SMTP, record
    the outcome. Returns the status it left, or None when it was not claimed."""
    token = claim(mail_id)
    if token is None:
        return None
    mail = CustomerMail.all_tenants.select_related("tenant").get(pk=mail_id)
    with tenant_context(mail.tenant), translation.override(MAIL_LANGUAGE):
        try:
            _attempt(mail, token)
        except _Permanent as failure:
            return _finish(mail, token, status=MailStatus.FAILED, error=failure.message,
                           action=failure.action, error_params=failure.params, detail=failure.detail)
        except _Temporary as failure:
            return _temporary(mail, token, failure.reply, failure.detail)
        except Exception as error:  # a bug or a time limit: bounded like a temporary failure
            logger.exception("customer e-mail %s failed", mail_id)
            return _temporary(mail, token, REPLY_UNEXPECTED, repr(error))
        return _finish(mail, token, status=MailStatus.SENT, sent_at=timezone.now(),
                       error="", action="", error_params={}, detail="")


def _attempt(mail: CustomerMail, token: str) -> None:
    if mail.attempts > MAX_ATTEMPTS:  # claimed again and again (a worker killed each time)
        raise _Permanent(MSG_GAVE_UP, ACT_TRY_LATER, {"attempts": MAX_ATTEMPTS,
                                                      "reply": REPLY_INTERRUPTED})
    if not _valid_address(mail.recipient):
        raise _Permanent(MSG_INVALID_ADDRESS, ACT_CORRECT_ADDRESS, {"address": mail.recipient[:80]})
    if not settings.EMAIL_HOST:
        raise _Permanent(MSG_NOT_SET_UP, ACT_ADMIN, {})
    pdf = mail.pdf
    if pdf is None:
        # Rendered once, at the first attempt right after the completion committed, and kept:
        # every retry sends the same bytes (what the technician showed and the customer signed).
        work_order = WorkOrder.objects.select_related("customer", "completed_by").get(pk=mail.work_order_id)
        pdf = render_work_order_pdf(work_order, show_prices=mail.tenant.technicians_see_prices)
        CustomerMail.all_tenants.filter(pk=mail.pk, lease_token=token).update(pdf=pdf)
    message = build_message(mail, bytes(pdf))
    connection = get_connection(settings.CUSTOMER_MAIL_BACKEND, fail_silently=False)
    try:
        connection.send_messages([message])
    except smtplib.SMTPRecipientsRefused as error:
        code, reply = next(iter(error.recipients.values()), (0, b""))
        text = _reply(code, reply)
        if code >= 500:
            raise _Permanent(MSG_REFUSED, ACT_CHECK_ADDRESS,
                             {"address": mail.recipient[:80], "reply": text}, repr(error)) from error
        raise _Temporary(text, repr(error)) from error
    except smtplib.SMTPResponseException as error:  # sender refused, data refused, login
        text = _reply(error.smtp_code, error.smtp_error)
        if error.smtp_code >= 500:
            raise _Permanent(MSG_SERVER_REFUSED, ACT_SERVER, {"reply": text}, repr(error)) from error
        raise _Temporary(text, repr(error)) from error
    except (smtplib.SMTPException, OSError) as error:  # not reachable, disconnected, timeout
        raise _Temporary(REPLY_UNREACHABLE, repr(error)) from error


def _reply(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {one_line(text)}"[:200]


def _temporary(mail: CustomerMail, token: str, reply: str, detail: str) -> str | None:
    if mail.attempts >= MAX_ATTEMPTS:
        return _finish(mail, token, status=MailStatus.FAILED, error=MSG_GAVE_UP, action=ACT_TRY_LATER,
                       error_params={"attempts": mail.attempts, "reply": reply}, detail=detail)
    wait = min(FIRST_RETRY_SECONDS * 2 ** (mail.attempts - 1), MAX_RETRY_SECONDS)
    return _finish(mail, token, status=MailStatus.PENDING,
                   next_attempt_at=timezone.now() + dt.timedelta(seconds=wait),
                   error=MSG_RETRYING, action="", error_params={"attempts": mail.attempts, "reply": reply},
                   detail=detail)


def _finish(mail: CustomerMail, token: str, *, status: str, **values: object) -> str | None:
    """Record the outcome, only if this worker still holds the row (its lease token)."""
    if "detail" in values:
        values["detail"] = str(values["detail"])[:5000]
    done = CustomerMail.all_tenants.filter(pk=mail.pk, lease_token=token, status=MailStatus.SENDING).update(
        status=status, lease_until=None, updated_at=timezone.now(), **values)
    if not done:
        logger.warning("customer e-mail %s: the lease was lost before its outcome (%s) was recorded",
                       mail.pk, status)
        return None
    return status


# --- the message -------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def one_line(text: str) -> str:
    """``text`` as one line of visible characters: line breaks, controls (incl. \\x80-\\x9f,
    NEL U+0085), U+2028/U+2029 and lone surrogates made spaces, format characters (bidi
    controls, zero-width spaces) removed (:data:`werkbon.accounts.models.INVISIBLE_CATEGORIES`),
    runs of white space one space. No header can be added or text hidden through it."""
    cleaned = "".join(
        ("" if unicodedata.category(ch) == "Cf" else " ") if is_invisible(ch) else ch
        for ch in text or "")
    return _SPACES.sub(" ", cleaned).strip()


DEFAULT_TEXT = gettext_noop(
    "Dear customer,\n\nAttached is the work order of the work we did for you, as signed "
    "on completion.\n\nKind regards,\n%(company)s")


def build_message(mail: CustomerMail, pdf: bytes) -> EmailMessage:
    """The e-mail (Dutch): From "<sender name> <DEFAULT_FROM_EMAIL>", Reply-To the company's
    address when it has one, subject "Werkbon <number> van <company>", the tenant's text (or
    the standard one), the PDF attached as ``werkbon-<number>.pdf``, and the row's Message-ID."""
    tenant: Tenant = mail.tenant
    company = one_line(tenant.name)[:100]
    sender = one_line(tenant.customer_mail_sender_name) or company
    number = WorkOrder.objects.filter(pk=mail.work_order_id).values_list("number", flat=True).get()
    with translation.override(MAIL_LANGUAGE):
        subject = _("Work order %(number)s from %(company)s") % {"number": number, "company": company}
        body = tenant.customer_mail_text.strip() or _(DEFAULT_TEXT) % {"company": sender}
    message = EmailMessage(
        subject=one_line(subject)[:SUBJECT_MAX],
        body=body,
        from_email=formataddr((sender, settings.DEFAULT_FROM_EMAIL)),
        to=[mail.recipient],
        reply_to=[tenant.email] if tenant.email else None,
        headers={"Message-ID": mail.message_id},
    )
    message.attach(f"werkbon-{number}.pdf", pdf, "application/pdf")
    return message
