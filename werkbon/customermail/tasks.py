"""Background jobs of the customer e-mail: send one row, and the sweep (Celery).

``send_customer_mail`` is enqueued when a completion commits; ``sweep`` runs from beat every
``WERKBON_CUSTOMER_MAIL_SWEEP_SECONDS`` and enqueues the rows whose task was lost or whose
retry is due (:func:`werkbon.customermail.outbox.due_ids`). Both have soft and hard time
limits; the send's hard limit ends well inside the row's lease (``outbox.LEASE_SECONDS``), so a
row is never claimed again while its first worker may still be sending.
"""

from __future__ import annotations

from celery import shared_task

from werkbon.customermail import outbox

SEND_LIMITS = {"soft_time_limit": 60, "time_limit": 90}  # seconds; SMTP timeout 20 s per step
SWEEP_LIMITS = {"soft_time_limit": 30, "time_limit": 60}


@shared_task(name="werkbon.customermail.tasks.send_customer_mail", ignore_result=True, **SEND_LIMITS)
def send_customer_mail(mail_id: int) -> None:
    """One attempt at e-mailing the row ``mail_id`` (nothing when another worker has it)."""
    outbox.send(mail_id)


@shared_task(name="werkbon.customermail.tasks.sweep", ignore_result=True, **SWEEP_LIMITS)
def sweep() -> int:
    """Enqueue every row that is due; returns how many."""
    ids = outbox.due_ids()
    for mail_id in ids:
        send_customer_mail.delay(mail_id)
    return len(ids)
