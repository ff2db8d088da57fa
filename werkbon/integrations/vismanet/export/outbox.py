"""Step 1, the outbox: an archived work order's :class:`ExportRecord`, written in the archive
transaction, and what a person can do with it (Retry, choose a customer, and after a deletion
in Visma.net: make a new document or mark it handled outside Werkbon).

Every record gets its own **marker** (``Werkbon 12 (K7Q2M9-4QXA)``): the work order's
number, the tenant's token (``Integration.document_token``, made once, kept across
deactivation, re-activation and wipes) and a random part of this record. Two tenants connected
to the same Visma.net company, a hand-typed "Werkbon 12" and numbering that starts again can
therefore never give a document another export's marker.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop
from pydantic import ValidationError as PydanticValidationError

from werkbon.integrations.log import log
from werkbon.integrations.models import (
    ExportRecord,
    ExportStatus,
    Integration,
    IntegrationKind,
    LogLevel,
    LogTable,
)
from werkbon.integrations.vismanet.config import VismaNetSettings
from werkbon.integrations.vismanet.mapping import outbound
from werkbon.workorders import history
from werkbon.workorders.models import Customer, WorkAddress, WorkOrder

KIND = IntegrationKind.VISMANET.value
# Until the on-commit enqueue has run, the tick leaves a new record alone for this long.
SAFETY_NET_DELAY = dt.timedelta(seconds=30)
# Tokens: no 0/O, 1/I, so a person can read one out over the phone.
TOKEN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105 (not a secret)
TENANT_TOKEN_LENGTH = 6
RECORD_TOKEN_LENGTH = 4

MSG_KEPT_OUT = gettext_noop(
    'Work order %(number)s was kept out of Visma.net on purpose: its work description contains'
    ' the filter word "%(word)s".')
MSG_HANDLED_OUTSIDE = gettext_noop(
    "Work order %(number)s was marked as handled outside Werkbon by %(user)s: no document is made"
    " for it in Visma.net.")
MSG_NEW_DOCUMENT = gettext_noop(
    "%(user)s chose to make a new document in Visma.net for work order %(number)s.")
ACT_NONE = gettext_noop("No action needed")


def _token(length: int) -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(length))


def tenant_token(integration: Integration) -> str:
    """The tenant's token in every marker (``Integration.document_token``), made on first use
    by a conditional update, so concurrent archives agree on one."""
    if not integration.document_token:
        Integration.all_tenants.filter(pk=integration.pk, document_token="").update(
            document_token=_token(TENANT_TOKEN_LENGTH))
        integration.document_token = (Integration.all_tenants.filter(pk=integration.pk)
                                      .values_list("document_token", flat=True).get())
    return integration.document_token


def new_marker(integration: Integration, work_order_number: int) -> str:
    """A marker no other export (of any tenant) carries: number, tenant token, record token.
    At most 40 characters (v3 ``customer.order``, invoice ``externalReference``)."""
    token = f"{tenant_token(integration)}-{_token(RECORD_TOKEN_LENGTH)}"
    return outbound.document_marker(work_order_number, token)


def kept_out_by(integration: Integration, description: str | None) -> str:
    """The settings' filter word when the work description contains it (case-insensitive):
    such a work order is archived but not sent; "" otherwise (also for broken settings, which
    the export itself reports)."""
    try:
        word = VismaNetSettings.model_validate(integration.settings).filter_word.strip()
    except PydanticValidationError:
        return ""
    return word if word and word.casefold() in (description or "").casefold() else ""


def queue(work_order: WorkOrder) -> ExportRecord | None:
    """Write the export's outbox row for ``work_order`` in the current (archive) transaction.

    Returns the record (status queued, or kept_out when the work description contains the
    filter word, case-insensitive), the existing record when one exists (never twice), or None
    when the tenant's Visma.net integration is not ACTIVE (nothing is sent later by surprise).
    The export task is enqueued when the transaction commits; the tick is the safety net.
    """
    integration = Integration.all_tenants.filter(tenant_id=work_order.tenant_id, kind=KIND).first()
    if integration is None or not integration.is_active:
        return None
    existing = ExportRecord.all_tenants.filter(
        tenant_id=work_order.tenant_id, kind=KIND, work_order_number=work_order.number).first()
    if existing is not None:
        return existing
    word = kept_out_by(integration, work_order.description)
    kept_out = bool(word)
    now = timezone.now()
    record = ExportRecord.all_tenants.create(
        tenant_id=work_order.tenant_id, kind=KIND, work_order=work_order,
        work_order_number=work_order.number, marker=new_marker(integration, work_order.number),
        status=ExportStatus.KEPT_OUT if kept_out else ExportStatus.QUEUED,
        next_attempt_at=None if kept_out else now + SAFETY_NET_DELAY,
    )
    if kept_out:
        log(integration, LogLevel.INFO, LogTable.WORK_ORDER, MSG_KEPT_OUT, action=ACT_NONE,
            params={"number": work_order.number, "word": word},
            object_ref=str(work_order.number), export=record)
    else:
        enqueue_on_commit(record.pk)
    return record


def enqueue_on_commit(record_id: int) -> None:
    """Send the record to the export queue when the current transaction commits."""
    from werkbon.integrations import tasks

    # robust: a broker that is down must not fail the committed archive; the tick retries.
    transaction.on_commit(lambda: tasks.export_work_order.delay(record_id), robust=True)


def retry(record: ExportRecord) -> bool:
    """Queue a failed or waiting export again at once (the Retry buttons call this).

    A record whose document was made goes back to attachments_pending, so only what is
    missing is sent. Returns False (and changes nothing) for a record that is sent, kept out,
    deleted in Visma.net (a person chooses instead) or being sent right now.
    """
    if not record.retryable or not record.requeue(delay=SAFETY_NET_DELAY):
        return False
    record.refresh_from_db()
    enqueue_on_commit(record.pk)
    return True


def make_new_document(record: ExportRecord, user_name: str) -> bool:
    """After a deletion in Visma.net: make a new document for the work order (a person's
    choice; the deleted one is never adopted again). False unless the record awaits it."""
    if not record.make_new_document(delay=SAFETY_NET_DELAY):
        return False
    integration = Integration.objects.filter(kind=KIND).first()
    log(integration, LogLevel.INFO, LogTable.WORK_ORDER, MSG_NEW_DOCUMENT, action=ACT_NONE,
        params={"number": record.work_order_number, "user": user_name},
        object_ref=str(record.work_order_number), export=record)
    enqueue_on_commit(record.pk)
    return True


def mark_handled_outside(record: ExportRecord, user_name: str) -> bool:
    """After a deletion in Visma.net: the work order was handled outside Werkbon (cancelled or
    billed by hand); nothing is sent. False unless the record awaits that choice."""
    if not record.mark_handled_outside():
        return False
    integration = Integration.objects.filter(kind=KIND).first()
    log(integration, LogLevel.INFO, LogTable.WORK_ORDER, MSG_HANDLED_OUTSIDE, action=ACT_NONE,
        params={"number": record.work_order_number, "user": user_name},
        object_ref=str(record.work_order_number), export=record)
    return True


def set_customer(record: ExportRecord, customer: Customer) -> WorkAddress | None:
    """Put ``customer`` on the work order of a failed export whose document was not made yet
    (the only change allowed on an archived work order: its export cannot go without one).
    The archived work order keeps the new customer's number and name, and its stored PDFs
    name it. The work address stays (the work was done there; it is never emptied silently):
    returns it when it belongs to another customer, so the caller can say so; else None.
    Raises ValueError when the customer can no longer be chosen."""
    if record.status != ExportStatus.FAILED or record.document_number or record.work_order_id is None:
        raise ValueError("the customer can only be chosen for a failed export without a document")
    return history.change_archived_customer(WorkOrder.objects.get(pk=record.work_order_id), customer)
