"""Adapter-neutral records of an integration (manual chapters 4–9).

* :class:`Integration`: one per tenant and kind: ACTIVE/INACTIVE, the company, settings,
  first-import progress, rate-limit state and the schedule.
* :class:`Credential`: the OAuth tokens, encrypted at rest.
* :class:`SyncState`: one watermark per tenant and table, moved only in the transaction
  that stores the rows it covers (see ``docs/sync-rules.md``).
* :class:`JobLease`: one tenant's job of one kind never runs twice at once.
* :class:`ExportRecord` and :class:`ExportAttempt`: the outbox of archived work orders;
  every attempt is recorded before the call. Records survive wipes and re-activation.
* :class:`ExternalLink`: which local row came from which external record (orders → work
  orders, order lines → material lines).
* :class:`LogEntry`: what the user reads under Integraties → Logging.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings as django_settings
from django.db import models, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from werkbon.accounts.tenancy import TenantScopedModel
from werkbon.integrations.fields import EncryptedTextField

# Reserved keys in LogEntry.params (see werkbon.integrations.log.log).
PLURAL_KEY, COUNT_KEY, TRANSLATE_KEY = "_plural", "_count", "_translate"
_DOUBLE_STOP = re.compile(r"(?<!\.)\.\.$")


def one_full_stop(text: str) -> str:
    """A message whose last parameter ends with a full stop ("… Demo B.V.") ends with one,
    not two ("Demo B.V.."); an ellipsis stays."""
    return _DOUBLE_STOP.sub(".", text)


class IntegrationKind(models.TextChoices):
    """The accounting systems Werkbon integrates with."""

    VISMANET = "vismanet", "Visma.net"


class IntegrationStatus(models.TextChoices):
    """ACTIVE while the integration syncs; INACTIVE before activation and after deactivation."""

    ACTIVE = "active", _("ACTIVE")
    INACTIVE = "inactive", _("INACTIVE")


# Stands for "due since ever" in Integration.next_due_at (a NULL schedule field means due now).
SCHEDULE_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _due(field: str) -> Coalesce:
    return Coalesce(field, Value(SCHEDULE_EPOCH, output_field=models.DateTimeField()))


class Integration(TenantScopedModel):
    """One accounting integration of a tenant (at most one per kind): connection, settings,
    first-import progress and schedule. All datetimes are aware UTC.
    """

    kind = models.CharField(max_length=20, choices=IntegrationKind.choices)
    status = models.CharField(
        max_length=10, choices=IntegrationStatus.choices, default=IntegrationStatus.INACTIVE
    )
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # The connected company (Visma.net: the tenant the token is bound to).
    company_name = models.CharField(max_length=255, blank=True)
    company_number = models.CharField(max_length=100, blank=True)
    company_tenant_id = models.CharField(max_length=100, blank=True)
    # The company the customers and items in Werkbon came from (stamped on activation):
    # company_number changes as soon as a re-activation connects, this one only when the
    # new company's data replace the old ones.
    data_company_number = models.CharField(max_length=100, blank=True)
    # Names this tenant in the marker of every document it exports (export.outbox), so two
    # tenants connected to the same company never take each other's documents for their own.
    document_token = models.CharField(max_length=12, blank=True)
    # The adapter's settings document, validated by the adapter before it is saved.
    settings = models.JSONField(default=dict, blank=True)
    settings_saved_at = models.DateTimeField(null=True, blank=True)
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    terms_accepted_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # First import: the phase being imported and the count of records done out of total.
    import_phase = models.CharField(max_length=30, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    first_import_finished_at = models.DateTimeField(null=True, blank=True)
    # Schedule (UTC) and rate limiting: while paused_until is in the future no call is made.
    sync_interval_seconds = models.PositiveIntegerField(default=60)
    next_sync_at = models.DateTimeField(null=True, blank=True)
    next_cleanup_at = models.DateTimeField(null=True, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    quota_limit = models.PositiveIntegerField(null=True, blank=True)
    quota_remaining = models.PositiveIntegerField(null=True, blank=True)
    quota_observed_at = models.DateTimeField(null=True, blank=True)
    # Webhooks: when the last accepted notification for this company arrived (our clock),
    # and when the slow poll of exported documents' status is next due.
    last_notification_at = models.DateTimeField(null=True, blank=True)
    next_status_poll_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The earliest moment the scheduler tick has work for this integration, kept by the
    # database itself (a stored generated column, so also every UPDATE of the fields it reads
    # moves it): NULL while not ACTIVE; else the earliest of next_sync_at (during the first
    # import: when the tick looks at it again) and, after the first import, next_cleanup_at,
    # but not before paused_until. A NULL schedule field counts as due (SCHEDULE_EPOCH). The
    # tick finds the due integrations with one range scan of its index (tasks.tick).
    next_due_at = models.GeneratedField(
        expression=Case(
            When(status=IntegrationStatus.ACTIVE, then=Greatest(
                Case(
                    When(first_import_finished_at__isnull=True, then=_due("next_sync_at")),
                    default=Least(_due("next_sync_at"), _due("next_cleanup_at")),
                ),
                _due("paused_until"),
            )),
            default=None,
        ),
        output_field=models.DateTimeField(null=True),
        db_persist=True,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind"], name="one_integration_per_kind")
        ]
        indexes = [models.Index(fields=["next_due_at"], name="integration_next_due")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        """Whether the status is ACTIVE."""
        return self.status == IntegrationStatus.ACTIVE

    @property
    def company_label(self) -> str:
        """``"name (number)"`` of the connected company; ``""`` when none is connected."""
        if not self.company_name:
            return ""
        return f"{self.company_name} ({self.company_number})" if self.company_number else self.company_name

    @property
    def progress_percent(self) -> int:
        """First-import progress, 0–99 while running and 100 once finished."""
        if self.first_import_finished_at:
            return 100
        if not self.progress_total:
            return 0
        return min(99, int(100 * self.progress_done / self.progress_total))


class Credential(TenantScopedModel):
    """OAuth tokens of an integration, encrypted at rest and never logged.

    ``tokens`` is a JSON object ``{key: token record}`` (the adapter's client may keep more
    than one token per company), stored as one encrypted text.
    """

    integration = models.OneToOneField(Integration, on_delete=models.CASCADE, related_name="credential")
    tokens = EncryptedTextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:  # never the tokens
        return f"credential of {self.integration_id}"

    def __repr__(self) -> str:
        return f"<Credential integration={self.integration_id}>"


class SyncTable(models.TextChoices):
    """The synchronised tables; one SyncState (watermark) row per integration and table."""

    ITEM_GROUPS = "item_groups", _("Item group")
    ITEMS = "items", _("Item")
    CUSTOMERS = "customers", _("Customer")
    WORK_ADDRESSES = "work_addresses", _("Work address")
    ORDERS = "orders", _("Order")


class SyncState(TenantScopedModel):
    """Incremental-import state of one table: the watermark is the largest last-modified
    value the external system returned, capped by its time when the run began (its clock,
    UTC), never ours."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="sync_states")
    table = models.CharField(max_length=20, choices=SyncTable.choices)
    watermark = models.DateTimeField(null=True, blank=True)
    # First-import resume point: the next page to read (1-based), and whether it is done.
    resume_page = models.PositiveIntegerField(default=1)
    first_import_done = models.BooleanField(default=False)
    # Visma.net's clock (HTTP Date) when the first import of this table began: caps its
    # first watermark, also when the import was resumed by a later run.
    signpost = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_change_at = models.DateTimeField(null=True, blank=True)  # "Integratie update"
    last_cleanup_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["integration", "table"], name="one_state_per_table")
        ]

    def __str__(self) -> str:
        return f"{self.table} @ {self.watermark}"


class JobLease(models.Model):
    """A lease that lets one job of a kind run per tenant; claimed by a conditional UPDATE
    so it works the same on SQLite and PostgreSQL and with any number of workers."""

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    job = models.CharField(max_length=40)
    holder = models.CharField(max_length=100, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "job"], name="one_lease_per_job")]

    def __str__(self) -> str:
        return f"{self.job}@{self.tenant_id} until {self.leased_until}"


class ExportStatus(models.TextChoices):
    """Where an export of a work order stands.

    ``queued``/``sending``/``attachments_pending``: on its way, no action needed (bounded:
    :data:`TRANSIENT_ATTEMPTS` attempts and :data:`TRANSIENT_LIMIT_SECONDS` after the first,
    then ``failed``); ``sent``: done; ``failed``: a person must act, then Retry;
    ``deleted_in_visma``: the document Werkbon made or wrote back to is gone from Visma.net, a
    person chooses :meth:`ExportRecord.make_new_document` or
    :meth:`ExportRecord.mark_handled_outside` (no Retry: it cannot succeed);
    ``handled_outside``: the office handled it outside Werkbon; ``kept_out``: filter word.
    """

    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    ATTACHMENTS_PENDING = "attachments_pending", _("Sent, attachment pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    KEPT_OUT = "kept_out", _("Kept out by filter word")
    DELETED_IN_VISMA = "deleted_in_visma", _("Deleted in Visma.net")
    HANDLED_OUTSIDE = "handled_outside", _("Handled outside Werkbon")


# The states a job may work on, and the states the office may press Retry in.
EXPORT_WORKABLE_STATES = (ExportStatus.QUEUED, ExportStatus.SENDING, ExportStatus.ATTACHMENTS_PENDING)
EXPORT_RETRYABLE_STATES = (ExportStatus.FAILED, ExportStatus.QUEUED, ExportStatus.ATTACHMENTS_PENDING)
# A transient failure is retried at most this many attempts, and no longer than this after
# the first attempt of the run (since archiving or the last Retry); then it fails for a person.
TRANSIENT_ATTEMPTS = 8
TRANSIENT_LIMIT_SECONDS = 3600


class ExportDocumentType(models.TextChoices):
    """The kind of document an export made or wrote back to in the accounting system."""

    SALES_ORDER = "sales_order", _("Sales order")
    CUSTOMER_INVOICE = "customer_invoice", _("Customer invoice")


class AttemptOutcome(models.TextChoices):
    """How one :class:`ExportAttempt` ended (``ExportAttempt.outcome``)."""

    CREATED = "created", _("Created")
    ADOPTED = "adopted", _("Adopted")
    WRITTEN_BACK = "written_back", _("Written back")
    ATTACHMENTS = "attachments", _("Attachments")
    RETRY = "retry", _("Tried again later")
    FAILED = "failed", _("Failed")
    DELETED = "deleted", _("Deleted in Visma.net")


class ExportRecord(TenantScopedModel):
    """The outbox row of one archived work order: created in the archive transaction.

    Unique per work-order number, so a work order is exported at most once, also across
    deactivation, re-activation and wipes (the work order itself may be gone then).
    """

    kind = models.CharField(max_length=20, choices=IntegrationKind.choices)
    work_order = models.ForeignKey(
        "workorders.WorkOrder", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="export_records",
    )
    work_order_number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    document_type = models.CharField(max_length=30, blank=True)  # ExportDocumentType
    order_type = models.CharField(max_length=2, blank=True)  # e.g. SO, pinned with document_type
    document_number = models.CharField(max_length=50, blank=True)  # e.g. SO 000123 or invoice nr
    # The document's status as read back after it was made (e.g. CreditHold) when it is not
    # the status Werkbon sent (Hold); empty when it is.
    document_status = models.CharField(max_length=30, blank=True)
    # The document's status in the accounting system as last read back (on a webhook
    # notification or by the slow poll), e.g. Open, Completed, Invoiced, Closed; "" = not read.
    remote_status = models.CharField(max_length=30, blank=True)
    remote_status_at = models.DateTimeField(null=True, blank=True)
    marker = models.CharField(max_length=60, blank=True)  # set on every document we create
    attachments_done = models.JSONField(default=list, blank=True)  # file names uploaded
    # Documents a person decided are not (or no longer) this work order's: never adopted.
    ignored_documents = models.JSONField(default=list, blank=True)
    # A person chose "make a new document" after the originating order was deleted.
    new_document_confirmed = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    # The current run (since archiving or the last Retry): its attempts and its first start.
    run_attempts = models.PositiveIntegerField(default=0)
    run_started_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_action = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "work_order_number"], name="one_export_per_work_order"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"export of work order {self.work_order_number}: {self.status}"

    # ---- state changes: each one UPDATE of this row; the instance follows --------------

    def _set(self, only_in: tuple[str, ...] | None = None, **values: Any) -> bool:
        """Write ``values`` (only while the status is one of ``only_in``, when given); True
        when the row changed. The instance takes the values too."""
        rows = type(self).all_tenants.filter(pk=self.pk)
        if only_in is not None:
            rows = rows.filter(status__in=list(only_in))
        changed = bool(rows.update(**values))
        if changed:
            for name, value in values.items():
                setattr(self, name, value)
        return changed

    @property
    def has_document(self) -> bool:
        """Whether a document was made (or written back to) in the accounting system."""
        return bool(self.document_number)

    @property
    def waiting_status(self) -> str:
        """The status of a record that waits: attachments pending once the document exists."""
        return ExportStatus.ATTACHMENTS_PENDING if self.has_document else ExportStatus.QUEUED

    @property
    def retryable(self) -> bool:
        """Whether the office may press Retry (failed or waiting; not sent, deleted, …)."""
        return self.status in EXPORT_RETRYABLE_STATES

    @property
    def offers_retry(self) -> bool:
        """Whether the screens offer Retry: only on a failed export, which a person must act
        on. Queued (just archived, or waiting for its automatic next attempt), sending or
        attachments pending: the export is on its way and needs nobody (``retryable`` still
        accepts a Retry that was already on screen)."""
        return self.status == ExportStatus.FAILED

    @property
    def awaits_choice(self) -> bool:
        """Deleted in the accounting system: a person chooses a new document or "handled"."""
        return self.status == ExportStatus.DELETED_IN_VISMA

    def run_deadline(self) -> dt.datetime | None:
        """When the current run stops being "no action needed"; None before it began."""
        if self.run_started_at is None:
            return None
        return self.run_started_at + dt.timedelta(seconds=TRANSIENT_LIMIT_SECONDS)

    def run_exhausted(self, now: dt.datetime) -> bool:
        """Whether the current run used up its transient attempts or time."""
        deadline = self.run_deadline()
        return self.run_attempts >= TRANSIENT_ATTEMPTS or (deadline is not None and now >= deadline)

    def begin_attempt(self, now: dt.datetime, *, stale_after: dt.timedelta) -> ExportAttempt:
        """Record an attempt and mark the record sending, committed before any call; the
        tick may pick it up again after ``stale_after`` (a worker that died mid-call)."""
        with transaction.atomic():
            attempt = ExportAttempt.objects.create(export=self)
            type(self).all_tenants.filter(pk=self.pk).update(
                status=ExportStatus.SENDING, attempts=F("attempts") + 1, run_attempts=F("run_attempts") + 1,
                run_started_at=self.run_started_at or now, next_attempt_at=now + stale_after)
        self.refresh_from_db()
        return attempt

    def postpone_until(self, at: dt.datetime) -> None:
        """Throttled: no attempt now, the next one at ``at``."""
        self._set(next_attempt_at=at)

    def pin_document_type(self, document_type: str, order_type: str = "") -> None:
        """Pin the document's type (and the sales order's type) at the first attempt, so a
        settings change between attempts never makes a document of another kind."""
        self._set(document_type=document_type, order_type=order_type)

    def store_document(self, document_type: str, number: str) -> None:
        """The document's number, stored at once: no later attempt makes another one."""
        self._set(document_type=document_type, document_number=number)

    def store_document_status(self, status: str) -> None:
        """The status the accounting system gave the document when it differs from the one sent."""
        self._set(document_status=status[:30])

    def store_remote_status(self, status: str) -> bool:
        """The document's status as read back from the accounting system (any time after it
        was sent); True when it changed."""
        status = (status or "")[:30]
        if status == self.remote_status:
            self._set(remote_status_at=timezone.now())
            return False
        self._set(remote_status=status, remote_status_at=timezone.now())
        return True

    def attachment_done(self, filename: str) -> None:
        """Remember an uploaded (or found) attachment at once."""
        self._set(attachments_done=list(dict.fromkeys([*(self.attachments_done or []), filename])))

    def finish(self, attempt: ExportAttempt, outcome: str, detail: str = "") -> None:
        """Sent: the document exists with all its attachments."""
        self._set(status=ExportStatus.SENT, sent_at=timezone.now(), next_attempt_at=None, last_error="",
                  last_action="")
        attempt.close(outcome, detail)

    def fail(self, attempt: ExportAttempt | None, error: str, action: str) -> None:
        """Failed: a person must act (``action``), then press Retry."""
        self._set(status=ExportStatus.FAILED, next_attempt_at=None, last_error=error, last_action=action)
        if attempt is not None:
            attempt.close(AttemptOutcome.FAILED, error)

    def retry_later(self, attempt: ExportAttempt, at: dt.datetime, error: str) -> None:
        """A transient failure: waiting (queued or attachments pending) until ``at``."""
        self._set(status=self.waiting_status, next_attempt_at=at, last_error=error[:2000], last_action="")
        attempt.close(AttemptOutcome.RETRY, error)

    def document_deleted(self, attempt: ExportAttempt | None, error: str, action: str) -> None:
        """The document Werkbon made or wrote back to was deleted in the accounting system:
        nothing is made again until a person chooses (no Retry: it cannot succeed)."""
        self._set(status=ExportStatus.DELETED_IN_VISMA, next_attempt_at=None, last_error=error,
                  last_action=action)
        if attempt is not None:
            attempt.close(AttemptOutcome.DELETED, error)

    def requeue(self, *, delay: dt.timedelta) -> bool:
        """Retry: a failed or waiting record is queued again (attachments pending when the
        document exists) for a new run; False when it is sent, deleted, kept out or sending."""
        return self._set(EXPORT_RETRYABLE_STATES, status=self.waiting_status,
                         next_attempt_at=timezone.now() + delay, last_error="", last_action="",
                         run_attempts=0, run_started_at=None)

    def make_new_document(self, *, delay: dt.timedelta) -> bool:
        """A person's choice after the document was deleted in the accounting system: forget
        it (never adopted again) and make a new one. False unless the record awaits it."""
        ignored = list(dict.fromkeys([*(self.ignored_documents or []),
                                      *([self.document_number] if self.document_number else [])]))
        return self._set(
            (ExportStatus.DELETED_IN_VISMA,), status=ExportStatus.QUEUED, document_number="",
            document_status="", attachments_done=[], ignored_documents=ignored, new_document_confirmed=True,
            next_attempt_at=timezone.now() + delay, last_error="", last_action="", run_attempts=0,
            run_started_at=None)

    def mark_handled_outside(self) -> bool:
        """A person's choice after a deletion in the accounting system or a failure: the work
        order was handled outside Werkbon; nothing is sent. False in any other status."""
        return self._set((ExportStatus.DELETED_IN_VISMA, ExportStatus.FAILED), status=ExportStatus.HANDLED_OUTSIDE,
                         next_attempt_at=None, last_action="")


class ExportAttempt(TenantScopedModel):
    """One try at an export, written before the first call to the external system."""

    export = models.ForeignKey(ExportRecord, on_delete=models.CASCADE, related_name="attempts_log")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=30, blank=True)  # AttemptOutcome
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"attempt {self.pk} of {self.export_id}: {self.outcome}"

    def close(self, outcome: str, detail: str = "") -> None:
        """Stamp the end of the attempt with its :class:`AttemptOutcome`."""
        now = timezone.now()
        type(self).all_tenants.filter(pk=self.pk).update(finished_at=now, outcome=outcome, detail=detail[:2000])
        self.finished_at, self.outcome, self.detail = now, outcome, detail[:2000]


class ExternalLink(TenantScopedModel):
    """Links a local row (``local_type`` + ``local_id``) to an external record."""

    kind = models.CharField(max_length=20, choices=IntegrationKind.choices)
    local_type = models.CharField(max_length=30)  # work_order, material_line, …
    local_id = models.PositiveBigIntegerField()
    external_type = models.CharField(max_length=30)  # sales_order, quote, order_line, …
    external_id = models.CharField(max_length=100)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "external_type", "external_id"],
                name="one_link_per_external_record",
            )
        ]
        indexes = [models.Index(fields=["tenant", "local_type", "local_id"])]

    def __str__(self) -> str:
        return f"{self.local_type}:{self.local_id} ↔ {self.external_type}:{self.external_id}"


class LogLevel(models.TextChoices):
    """Severity of a log entry."""

    INFO = "info", _("Info")
    WARNING = "warning", _("Warning")
    ERROR = "error", _("Error")


class LogTable(models.TextChoices):
    """What a log entry is about (the log's "Table" column, manual 8)."""

    WORK_ORDER = "work_order", _("Work order")
    CUSTOMER = "customer", _("Customer")
    WORK_ADDRESS = "work_address", _("Work address")
    ITEM = "item", _("Item")
    ITEM_GROUP = "item_group", _("Item group")
    ORDER = "order", _("Order")
    SETTINGS = "settings", _("Settings")
    INTEGRATION = "integration", _("Integration")


class LogEntry(TenantScopedModel):
    """A line of the integration log (manual 8).

    ``message`` and ``action`` are English message ids with ``%(name)s`` placeholders,
    translated when shown (Dutch or English); ``detail`` is the technical text for
    support, with secrets filtered out before it is stored.
    """

    integration = models.ForeignKey(
        Integration, on_delete=models.SET_NULL, null=True, blank=True, related_name="log_entries"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    level = models.CharField(max_length=10, choices=LogLevel.choices, default=LogLevel.INFO)
    table = models.CharField(max_length=20, choices=LogTable.choices)
    message = models.TextField()
    action = models.TextField(blank=True)
    params = models.JSONField(default=dict, blank=True)
    detail = models.TextField(blank=True)
    company = models.CharField(max_length=255, blank=True)
    object_ref = models.CharField(max_length=100, blank=True)  # e.g. customer number
    export = models.ForeignKey(
        ExportRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="log_entries"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "level", "table"])]

    def __str__(self) -> str:
        return self.user_message

    def _render(self, text: str, *, plural: bool = False) -> str:
        params = dict(self.params or {})
        plural_text, count = params.pop(PLURAL_KEY, ""), params.pop(COUNT_KEY, None)
        if count is None:  # the count may also be the message's own ``count`` placeholder
            count = params.get("count", 0)
        try:
            count = int(count or 0)
        except (TypeError, ValueError):
            count = 0
        for key in params.pop(TRANSLATE_KEY, []) or []:
            if isinstance(params.get(key), str) and params[key]:
                params[key] = gettext(params[key])
            elif isinstance(params.get(key), list):  # a list of msgids: "artikelen, klanten"
                params[key] = ", ".join(gettext(str(word)) for word in params[key] if word)
        if not text:
            translated = ""
        elif plural and plural_text:
            translated = ngettext(text, plural_text, count)
        else:
            translated = gettext(text)
        try:
            return one_full_stop(translated % params if params else translated)
        except (KeyError, ValueError, TypeError):
            return translated

    @property
    def user_message(self) -> str:
        """The message translated to the active language, parameters filled in."""
        return self._render(self.message, plural=True)

    @property
    def user_action(self) -> str:
        """The action translated to the active language; "No action needed" when empty."""
        return self._render(self.action) if self.action else gettext("No action needed")

    @property
    def retryable(self) -> bool:
        """Whether the office may retry: an error entry of an export."""
        return self.export_id is not None and self.level == LogLevel.ERROR

    def as_dict(self) -> dict[str, Any]:
        """The entry for the log's JSON view: ``created_at`` ISO 8601 (UTC), texts translated."""
        return {
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "level": self.level,
            "table": self.table,
            "message": self.user_message,
            "action": self.user_action,
            "company": self.company,
        }


class WebhookOutcome(models.TextChoices):
    """What became of one received notification."""

    PENDING = "pending", _("Waiting")
    APPLIED = "applied", _("Read again")
    IGNORED = "ignored", _("Nothing to do")
    FAILED = "failed", _("Failed")


class WebhookNotification(TenantScopedModel):
    """One accepted (signed, fresh, first-seen) webhook notification for this tenant's
    company: a hint to read one record again. Unique per ``notification_id``, which is the
    SHA-256 of the signed body (``webhooks.body_digest``), not the dispatcher's unsigned header,
    so a repeated or replayed delivery is recognised; kept for the status page's freshness figures."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="notifications")
    notification_id = models.CharField(max_length=100)
    event = models.CharField(max_length=60, blank=True)
    entity = models.CharField(max_length=30)
    object_key = models.CharField(max_length=60)
    notified_at = models.DateTimeField()  # the signed body's timestamp (Visma's clock)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=WebhookOutcome.choices, default=WebhookOutcome.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "notification_id"], name="one_notification_per_id")
        ]
        indexes = [models.Index(fields=["outcome", "received_at"])]

    def __str__(self) -> str:
        return f"{self.entity} {self.object_key} ({self.outcome})"
