"""``{% attachment_state order as state %}``: what ``_signature.html`` and ``_photos.html``
show and allow for the current user (issue 11), so the pages that include them need no
extra context."""

from __future__ import annotations

from typing import Any

from django import template

from werkbon.workorders import actions
from werkbon.workorders.limits import (
    MAX_CAPTION_LENGTH,
    MAX_PHOTOS_PER_UPLOAD,
    MAX_SIGNER_NAME_LENGTH,
)
from werkbon.workorders.models import Signature, WorkOrder, WorkOrderPhoto, WorkOrderStatus

register = template.Library()
OPEN_STATUSES = (WorkOrderStatus.OPEN, WorkOrderStatus.PLANNED)


@register.simple_tag(takes_context=True)
def attachment_state(context: template.Context, order: WorkOrder) -> dict[str, Any]:
    """``signature`` (or None), ``photos``, ``can_sign`` (before completion), ``can_change_photos``
    (the office until archived, a technician until completed: ``actions.may``),
    ``deletable_photo_ids`` (a technician's own photos) and the input bounds."""
    request = context.get("request")
    user = getattr(request, "user", None)
    acting = user is not None and user.is_authenticated
    # Both includes of a page ask: the records are read once per page (kept on the order).
    records = getattr(order, "_attachment_records", None)
    if records is None:
        try:  # the reverse one-to-one is cached on the order (the completion form reads it too)
            signature: Signature | None = order.signature
        except Signature.DoesNotExist:
            signature = None
        records = (signature, list(WorkOrderPhoto.objects.filter(work_order=order).order_by("id")))
        order._attachment_records = records  # type: ignore[attr-defined]
    return {
        "signature": records[0],
        "photos": records[1],
        # Who may: the action layer's rule; signing also needs an order not yet completed.
        "can_sign": order.status in OPEN_STATUSES and acting
        and actions.may(user, order, "signature.capture"),
        "can_change_photos": acting and actions.may(user, order, "photo.add"),
        # Delete buttons: the office any photo, a technician only their own (photo.delete).
        "deletable_photo_ids": {p.pk for p in records[1]
                                if acting and (user.is_office or p.added_by_id == user.pk)},
        "max_name": MAX_SIGNER_NAME_LENGTH,
        "max_caption": MAX_CAPTION_LENGTH,
        "max_upload": MAX_PHOTOS_PER_UPLOAD,
    }
