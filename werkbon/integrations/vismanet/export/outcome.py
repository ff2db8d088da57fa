"""How an attempt ends: sent, tried again later (transient), failed (permanent, a person
acts and presses Retry) or deleted in Visma.net (a person chooses). Every ending is one state
change of :class:`~werkbon.integrations.models.ExportRecord` (its methods) and at most one log
entry; the classification of Visma.net's errors is here too.

Transient failures (429, 5xx, time-outs, dropped connections, 409/412, an unexpected answer,
an unexpected exception) are retried with back-off, at most
:data:`~werkbon.integrations.models.TRANSIENT_ATTEMPTS` attempts and
:data:`~werkbon.integrations.models.TRANSIENT_LIMIT_SECONDS` after the run's first attempt;
then the record fails with :data:`MSG_GAVE_UP` (rules: ``docs/sync-rules.md`` "Failures").
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings as django_settings
from django.utils import timezone
from django.utils.translation import gettext_noop

from vismanet import AuthenticationError, NotFoundError, PermissionDeniedError, VismaNetError
from vismanet import ValidationError as VismaValidationError
from werkbon.integrations.log import log
from werkbon.integrations.models import (
    AttemptOutcome,
    ExportAttempt,
    ExportDocumentType,
    ExportRecord,
    Integration,
    LogEntry,
    LogLevel,
    LogTable,
)

logger = logging.getLogger(__name__)

# ---- messages (English msgids; Dutch in werkbon/locale/nl/LC_MESSAGES/django.po) -----------

MSG_SENT = gettext_noop("Work order %(number)s was sent to Visma.net as %(document)s.")
MSG_SENT_HOURS = gettext_noop("Work order %(number)s was sent to Visma.net as %(document)s; work and "
                              "travel time in hours, unit per item: %(units)s.")
MSG_ADOPTED = gettext_noop(
    "Work order %(number)s was already in Visma.net as %(document)s (made by an earlier attempt"
    " whose answer was lost); it was linked and not sent again.")
MSG_WRITTEN_BACK = gettext_noop(
    "Work order %(number)s was written back to %(document)s in Visma.net: %(count)s line written"
    " (%(changed)s changed, %(added)s added).")
MSG_WRITTEN_BACK_PLURAL = gettext_noop(
    "Work order %(number)s was written back to %(document)s in Visma.net: %(count)s lines written"
    " (%(changed)s changed, %(added)s added).")
MSG_REFUSED_ORDER = gettext_noop("Visma.net refused the sales order for work order %(number)s: %(errors)s")
MSG_REFUSED_INVOICE = gettext_noop(
    "Visma.net refused the customer invoice for work order %(number)s: %(errors)s")
ACT_REFUSED = gettext_noop("Correct what Visma.net names, then press Retry.")
MSG_ACCESS = gettext_noop("Visma.net refused access while sending work order %(number)s: %(errors)s")
ACT_ACCESS = gettext_noop(
    "Reconnect Visma.net (Integrations → Visma.net) with a user who may create sales orders and"
    " invoices, then press Retry.")
MSG_TRANSIENT = gettext_noop("Sending work order %(number)s to Visma.net failed for now: %(errors)s")
ACT_TRANSIENT = gettext_noop("No action needed: it is tried again automatically at %(when)s.")
MSG_GAVE_UP = gettext_noop(
    "Sending work order %(number)s to Visma.net kept failing (%(attempts)s attempts), so it is no"
    " longer tried automatically: %(errors)s")
ACT_GAVE_UP = gettext_noop(
    "Check whether Visma.net works (its status page, or the log entries around this one), then"
    " press Retry. If it keeps failing for this work order only, contact support with its number.")
MSG_DELETED = gettext_noop(
    "%(document)s, the document in Visma.net of work order %(number)s, no longer exists: it was"
    " deleted in Visma.net.")
ACT_DELETED = gettext_noop(
    "Choose in the Visma.net panel of work order %(number)s: make a new document, or mark the work"
    " order as handled outside Werkbon (when it was cancelled or billed by hand).")
ACT_NONE = gettext_noop("No action needed")


class PermanentFailure(Exception):
    """A problem a person must solve; becomes one error log entry and status failed."""

    def __init__(self, message: str, action: str, params: dict[str, Any] | None = None, *,
                 table: str = LogTable.WORK_ORDER, object_ref: str = "", detail: str = "",
                 translate: tuple[str, ...] = ()) -> None:
        super().__init__(message % (params or {}))
        self.message, self.action, self.params = message, action, params or {}
        self.table, self.object_ref, self.detail, self.translate = table, object_ref, detail, translate


class DocumentDeleted(Exception):
    """The document Werkbon made or wrote back to answered 404: deleted in Visma.net."""

    def __init__(self, document: str, detail: str = "") -> None:
        super().__init__(f"{document} was deleted in Visma.net")
        self.document, self.detail = document, detail


@dataclass(frozen=True)
class SideRead:
    """A read sent at once with the attachment uploads (the new document's status):
    ``fetch`` makes the HTTP call only (it may run on a helper thread); ``judge`` gets its
    answer, or the exception it raised, on the job's thread (it may write and log)."""

    fetch: Callable[[], Any]
    judge: Callable[[Any], None]


@dataclass
class Outcome:
    """What an attempt achieved (for the log and ``ExportAttempt.outcome``)."""

    kind: str  # AttemptOutcome: created, adopted, written_back, attachments
    document: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    # Still to read while the attachments go up (the status of a document made or adopted now).
    status_read: SideRead | None = field(default=None, repr=False, compare=False)


def error_text(error: BaseException) -> str:
    """Visma.net's own words: the field messages when there are any, else its message."""
    if not isinstance(error, VismaNetError):
        return repr(error)
    if error.field_errors:
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.field_errors.items())
    return error.message or str(error)


def permanent_from_error(record: ExportRecord, error: VismaNetError) -> PermanentFailure | None:
    """A Visma.net error a person must solve, or None when a later attempt may succeed."""
    params = {"number": record.work_order_number, "errors": error_text(error)}
    if isinstance(error, AuthenticationError | PermissionDeniedError):
        return PermanentFailure(MSG_ACCESS, ACT_ACCESS, params, table=LogTable.INTEGRATION, detail=str(error))
    if isinstance(error, VismaValidationError | NotFoundError) and not error.may_have_been_applied:
        invoice = (record.document_type == ExportDocumentType.CUSTOMER_INVOICE
                   or "customerinvoice" in (error.operation or ""))
        return PermanentFailure(MSG_REFUSED_INVOICE if invoice else MSG_REFUSED_ORDER, ACT_REFUSED,
                                params, detail=str(error))
    return None


# ---- the endings ---------------------------------------------------------------------------

def sent(integration: Integration, record: ExportRecord, attempt: ExportAttempt, outcome: Outcome) -> None:
    """Status sent and one info entry (sent as, adopted, or written back)."""
    record.finish(attempt, outcome.kind, outcome.document)
    params = {"number": record.work_order_number, "document": record.document_number, **outcome.params}
    plural = ""
    if outcome.kind == AttemptOutcome.ADOPTED:
        message = MSG_ADOPTED
    elif outcome.kind == AttemptOutcome.WRITTEN_BACK:
        message, plural = MSG_WRITTEN_BACK, MSG_WRITTEN_BACK_PLURAL
    else:
        message = MSG_SENT_HOURS if "units" in outcome.params else MSG_SENT
    log(integration, LogLevel.INFO, LogTable.WORK_ORDER, message, action=ACT_NONE, params=params,
        plural=plural, count=params.get("count"), object_ref=str(record.work_order_number), export=record)


def failed(integration: Integration, record: ExportRecord, attempt: ExportAttempt | None,
           failure: PermanentFailure) -> None:
    """Status failed and ONE error log entry with the action to take."""
    record.fail(attempt, str(failure)[:2000], failure.action)
    log(integration, LogLevel.ERROR, failure.table, failure.message, action=failure.action,
        params=failure.params, detail=failure.detail or str(failure), translate=failure.translate,
        object_ref=failure.object_ref or str(record.work_order_number), export=record)


def deleted(integration: Integration, record: ExportRecord, attempt: ExportAttempt | None,
            gone: DocumentDeleted) -> None:
    """Status deleted in Visma.net and one error entry with the two choices (no Retry)."""
    record.document_deleted(attempt, str(gone), ACT_DELETED)
    log(integration, LogLevel.ERROR, LogTable.WORK_ORDER, MSG_DELETED, action=ACT_DELETED,
        params={"number": record.work_order_number, "document": gone.document},
        detail=gone.detail or str(gone), object_ref=str(record.work_order_number), export=record)


def gave_up(integration: Integration, record: ExportRecord, attempt: ExportAttempt | None,
            errors: str) -> None:
    """The run used its transient attempts or time: failed, a person decides (Retry)."""
    failed(integration, record, attempt, PermanentFailure(
        MSG_GAVE_UP, ACT_GAVE_UP,
        {"number": record.work_order_number, "attempts": record.run_attempts, "errors": errors[:500]},
        detail=errors))


def _window() -> dt.timedelta:
    """At most ``VISMANET_EXPORT_MAX_ATTEMPTS_PER_WINDOW`` attempts in any window of this length."""
    return dt.timedelta(seconds=django_settings.VISMANET_EXPORT_RETRY_WINDOW_SECONDS)


def throttled_until(record: ExportRecord, now: dt.datetime) -> dt.datetime | None:
    """When the next attempt may start, if the maximum already started within the window.
    Attempts that ended in a permanent failure don't count: the next one is a person's Retry."""
    window, limit = _window(), int(django_settings.VISMANET_EXPORT_MAX_ATTEMPTS_PER_WINDOW)
    recent = list(ExportAttempt.objects.filter(export=record, started_at__gt=now - window)
                  .exclude(outcome=AttemptOutcome.FAILED).order_by("-started_at")
                  .values_list("started_at", flat=True))
    if len(recent) < limit:
        return None
    return recent[limit - 1] + window


def next_attempt(record: ExportRecord, now: dt.datetime, error: BaseException) -> dt.datetime:
    """Back-off (base × 2^(n−1), at most an hour) that also keeps to the attempts per window
    and to a Retry-After Visma.net asked for."""
    failures = ExportAttempt.objects.filter(export=record, outcome=AttemptOutcome.RETRY).count() + 1
    wait = min(3600.0, float(django_settings.VISMANET_EXPORT_BACKOFF_SECONDS) * 2 ** (failures - 1))
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        wait = max(wait, float(retry_after))
    at = now + dt.timedelta(seconds=wait)
    throttled = throttled_until(record, now)
    return max(at, throttled) if throttled else at


def transient(integration: Integration, record: ExportRecord, attempt: ExportAttempt,
              error: BaseException) -> None:
    """A failure a later attempt may solve: back to waiting with the next attempt scheduled
    and a warning the first time only; or, when the run's attempts or time would be used up
    by then, failed with the action (no record stays "no action needed" longer)."""
    now = timezone.now()
    at = next_attempt(record, now, error)
    text = error_text(error)
    deadline = record.run_deadline()
    if record.run_exhausted(now) or (deadline is not None and at > deadline):
        gave_up(integration, record, attempt, text)
        return
    record.retry_later(attempt, at, text)
    if not LogEntry.objects.filter(export=record, level=LogLevel.WARNING, message=MSG_TRANSIENT).exists():
        log(integration, LogLevel.WARNING, LogTable.WORK_ORDER, MSG_TRANSIENT, action=ACT_TRANSIENT,
            params={"number": record.work_order_number, "errors": text[:500],
                    "when": timezone.localtime(at).strftime("%d-%m-%Y %H:%M:%S")},
            detail=str(error), object_ref=str(record.work_order_number), export=record)
