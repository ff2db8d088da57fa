"""Signal receivers of the Visma.net adapter (connected when the app is ready)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from werkbon.workorders.signals import work_order_archived


@receiver(work_order_archived, dispatch_uid="vismanet-export-outbox")
def queue_export(sender: Any, work_order: Any, **kwargs: Any) -> None:
    """Archiving writes the export's outbox row in the same transaction (see export.queue)."""
    from werkbon.integrations.vismanet import export

    export.queue(work_order)
