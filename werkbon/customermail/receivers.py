"""Signal receivers of the customer e-mail (connected in ``apps.ready``)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from werkbon.workorders.signals import work_order_completed


@receiver(work_order_completed, dispatch_uid="customermail-outbox")
def queue_customer_mail(sender: Any, work_order: Any, customer_email: str = "", **kwargs: Any) -> None:
    """The completion writes the e-mail's outbox row in its own transaction."""
    from werkbon.customermail import outbox

    outbox.queue_for_completion(work_order, customer_email=customer_email or "")
