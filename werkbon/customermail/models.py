"""The customer e-mail's outbox: one :class:`CustomerMail` row per completion of a work order.

The row changes state only through the conditional UPDATEs in :mod:`werkbon.customermail.outbox`
(claim with a lease, sent, retry later, failed), so two workers can never both send it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from werkbon.accounts.tenancy import TenantScopedModel
from werkbon.workorders.models import WorkOrder

# Replies Werkbon writes itself when the server gave none (msgids; outbox.REPLY_*).
OWN_REPLIES = ("interrupted", "mail server not reachable", "unexpected error; support can read the details")


class MailStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Not sent")
    CANCELLED = "cancelled", _("Replaced by a later completion")


class CustomerMail(TenantScopedModel):
    """The e-mail of one completion (``completed_at`` identifies it) to ``recipient``.

    ``message_id`` (the e-mail's Message-ID header, made once) is the idempotency token: every
    attempt of this row sends the same Message-ID, so a copy sent twice (see the at-least-once
    note in docs/architecture.md) is recognisably the same e-mail. ``pdf`` holds the work-order
    PDF rendered at the first attempt, so each retry sends the same bytes. ``error``/``action``
    are English msgids shown translated, with ``error_params``; ``detail`` is for support.
    """

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="customer_mails")
    completed_at = models.DateTimeField()
    recipient = models.CharField(max_length=254, blank=True)
    message_id = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=MailStatus.choices, default=MailStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    error_params = models.JSONField(default=dict, blank=True)
    action = models.CharField(max_length=300, blank=True)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("customer e-mail")
        verbose_name_plural = _("customer e-mails")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One e-mail per completion: a second delivery of the completion signal, or a
            # double submit, cannot make a second row.
            models.UniqueConstraint(fields=["work_order", "completed_at"],
                                    name="customer_mail_one_per_completion"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="customer_mail_due")]

    def __str__(self) -> str:
        return f"{self.work_order_id} → {self.recipient} ({self.status})"

    def _params(self) -> dict[str, object]:
        params = dict(self.error_params)
        if params.get("reply") in OWN_REPLIES:  # ours, not the server's: translated
            params["reply"] = gettext(str(params["reply"]))
        return params

    def error_text(self) -> str:
        """The failure in the user's language ("" when none)."""
        return gettext(self.error) % self._params() if self.error else ""

    def action_text(self) -> str:
        return gettext(self.action) % self._params() if self.action else ""
