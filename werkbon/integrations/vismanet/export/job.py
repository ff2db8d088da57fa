"""The export job of one record: the steps in order, and how the attempt ends.

Run by ``tasks.export_work_order`` under the record's lease, in its tenant's context:
throttle → record the attempt (committed before any call) → pre-flight → document (adopt,
create, or write back to the originating order) → attachments → outcome. Every failure ends
in one of: transient (retried with back-off, bounded), permanent (failed, Dutch log entry
with the action, Retry), deleted in Visma.net (a person chooses, no Retry).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from django.utils.translation import gettext_noop

from vismanet import VismaNetClient, VismaNetError
from werkbon.integrations.models import (
    EXPORT_WORKABLE_STATES,
    TRANSIENT_ATTEMPTS,
    AttemptOutcome,
    ExportRecord,
    Integration,
)
from werkbon.integrations.vismanet.client import client_for, record_quota
from werkbon.integrations.vismanet.config import VismaNetSettings
from werkbon.integrations.vismanet.export import (
    attachments,
    document,
    outcome,
    preflight,
    write_back,
)
from werkbon.integrations.vismanet.export.outbox import KIND
from werkbon.integrations.vismanet.export.outcome import DocumentDeleted, Outcome, PermanentFailure
from werkbon.workorders.models import WorkOrder

logger = logging.getLogger(__name__)

# How long after an attempt started the tick may try again if the worker died mid-call:
# after the record's lease (tasks.LEASE_SECONDS) has expired.
STALE_AFTER = dt.timedelta(seconds=330)

MSG_WORK_ORDER_GONE = gettext_noop(
    "Work order %(number)s no longer exists in Werkbon, so it cannot be sent to Visma.net.")
ACT_WORK_ORDER_GONE = gettext_noop("No action possible: make the document in Visma.net by hand.")


def export(record: ExportRecord) -> None:
    """Send one outbox row to Visma.net. Raises nothing for problems a person must solve or
    that a later attempt solves: they end as the record's status and a log entry."""
    integration = Integration.objects.filter(kind=KIND).first()
    if integration is None or not integration.is_active or record.status not in EXPORT_WORKABLE_STATES:
        return
    now = timezone.now()
    if record.run_attempts >= TRANSIENT_ATTEMPTS:
        # A run whose attempts never ended (a worker killed each time, a job over its time
        # limit): stop here, a person decides. (Time alone does not count here: a record that
        # waited for a re-activation or a paused company is tried again first.)
        outcome.gave_up(integration, record, None, record.last_error or "—")
        return
    wait_until = outcome.throttled_until(record, now)
    if wait_until is not None:
        record.postpone_until(wait_until)
        return
    attempt = record.begin_attempt(now, stale_after=STALE_AFTER)
    try:
        with client_for(integration) as client:
            try:
                result = _steps(integration, record, client)
            finally:
                record_quota(integration, client)
    except PermanentFailure as failure:
        outcome.failed(integration, record, attempt, failure)
    except DocumentDeleted as gone:
        outcome.deleted(integration, record, attempt, gone)
    except VismaNetError as error:
        permanent = outcome.permanent_from_error(record, error)
        if permanent is not None:
            outcome.failed(integration, record, attempt, permanent)
        else:
            outcome.transient(integration, record, attempt, error)
    except Exception as error:  # a bug or a PDF that cannot be rendered: bounded retries
        logger.exception("export of work order %s crashed", record.work_order_number)
        outcome.transient(integration, record, attempt, error)
    else:
        outcome.sent(integration, record, attempt, result)
    record.refresh_from_db()


def _steps(integration: Integration, record: ExportRecord, client: VismaNetClient) -> Outcome:
    settings = preflight.valid_settings(integration, record)
    work_order = (WorkOrder.objects.select_related("customer", "work_address", "completed_by")
                  .filter(pk=record.work_order_id).first())
    if work_order is None:
        raise PermanentFailure(MSG_WORK_ORDER_GONE, ACT_WORK_ORDER_GONE, {"number": record.work_order_number})
    result = Outcome(AttemptOutcome.ATTACHMENTS, record.document_number)
    new_document = not record.has_document
    if new_document:
        result = _document(integration, record, work_order, settings, client)
    # A document written back to existed before: its attachments are read first.
    # The new document's status is read while its attachments go up (both after the create).
    attachments.upload_missing(integration, record, work_order, settings, client,
                               new_document=new_document and result.kind != AttemptOutcome.WRITTEN_BACK,
                               alongside=result.status_read)
    return result


def _document(integration: Integration, record: ExportRecord, work_order: WorkOrder, settings: VismaNetSettings,
              client: VismaNetClient) -> Outcome:
    """Write back to the originating sales order, or make the document (new, or from a quote)."""
    origin = write_back.origin_of(work_order)
    quote = None
    if origin is not None and origin.external_type == write_back.SALES_ORDER:
        if not record.new_document_confirmed:  # after a deletion, a person chose a new document
            order = write_back.load_origin(client, origin)
            return write_back.write_back(integration, record, work_order, settings, client,
                                         origin, order)
    elif origin is not None:
        quote = write_back.order_key(origin)
    return document.make_document(integration, record, work_order, settings, client, quote)
