"""The customer's signature and the photos of a work order (issue 11), shared by the screens,
the API and the action layer (actions ``signature.capture``, ``photo.add``, ``photo.delete``).

Each function takes keyword arguments, runs in one transaction under the work order's row
lock and raises :class:`~werkbon.workorders.services.LifecycleError` with a message for the
user when a rule is broken:

* an archived work order never changes (no signature, no photo added or deleted);
* who may act is decided once, by the action layer (:func:`werkbon.workorders.actions.refusal`):
  a technician changes only a work order planned to them, and only until it is completed
  (then the office reviews it); the office may add and delete photos until it is archived.
  Screens and API call these functions through ``actions.apply``, never directly;
* a signature is captured before completion ("gereed melden"); signing again replaces it;
* images are checked and re-encoded by :mod:`werkbon.workorders.photos` (format detection,
  byte and pixel caps, an empty canvas refused): the bytes stored are always Werkbon's own.

Bounds: :data:`~werkbon.workorders.limits.MAX_SIGNER_NAME_LENGTH`,
:data:`~werkbon.workorders.limits.MAX_CAPTION_LENGTH`,
:data:`~werkbon.workorders.limits.MAX_PHOTOS_PER_WORK_ORDER`.
"""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from werkbon.accounts.models import User
from werkbon.workorders import services
from werkbon.workorders.limits import (
    MAX_CAPTION_LENGTH,
    MAX_PHOTO_BYTES,
    MAX_PHOTOS_PER_WORK_ORDER,
    MAX_SIGNER_NAME_LENGTH,
)
from werkbon.workorders.models import Signature, WorkOrder, WorkOrderPhoto, WorkOrderStatus
from werkbon.workorders.photos import prepare_photo, prepare_signature

OPEN_STATUSES = (WorkOrderStatus.OPEN, WorkOrderStatus.PLANNED)
# Work-order photos are attached to the export: only formats Visma.net takes (manual 5.9).
STORED_PHOTO_FORMATS = ("JPEG", "PNG", "GIF")


class InvalidInput(services.LifecycleError):
    """Input that is refused as such (not an image, too large, a missing or too long text);
    ``field`` names it as the API does (``image``, ``signer_name``, ``caption``). The action layer and
    the API answer it as invalid input (422)."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


def _text(value: str, limit: int, too_long: str, field: str) -> str:
    """``value`` on one line (no control characters for the PDF), at most ``limit`` characters;
    else InvalidInput(``too_long`` with ``%(max)s``, ``field``)."""
    value = value or ""
    if len(value) <= limit * 2:  # a far longer one is refused as it is
        value = " ".join(value.split())
    if len(value) > limit:
        raise InvalidInput(too_long % {"max": limit}, field=field)
    return value


def _invalid(error: ValidationError) -> InvalidInput:
    return InvalidInput(" ".join(error.messages), field="image")


@transaction.atomic
def capture_signature(work_order: WorkOrder, *, user: User, signer_name: str,
                      image_bytes: bytes) -> Signature:
    """Store the customer's signature on ``work_order``, signed now (UTC) by ``signer_name``
    (required, at most :data:`MAX_SIGNER_NAME_LENGTH` characters), captured by ``user``.

    ``image_bytes``: the drawing as the phone sends it (PNG of the canvas, at most
    ``MAX_SIGNATURE_BYTES``). Stored is Werkbon's own PNG (``photos.prepare_signature``).
    A signature taken earlier on the same order is replaced. Raises LifecycleError for an
    empty canvas, no image, too many bytes or pixels, a missing or too long name, or an order
    that is completed or archived (who may sign: action ``signature.capture``).
    """
    order = services.lock(work_order)
    services.ensure_editable(order)
    if order.status not in OPEN_STATUSES:
        raise services.LifecycleError(
            _("Work order %(number)s is already completed; it can no longer be signed.")
            % {"number": order.number})
    name = _text(signer_name, MAX_SIGNER_NAME_LENGTH,
                 _("The name is too long (at most %(max)s characters)."), "signer_name")
    if not name:
        raise InvalidInput(_("Enter the name of the person who signs."), field="signer_name")
    try:
        png, width, height = prepare_signature(bytes(image_bytes))
    except ValidationError as error:
        raise _invalid(error) from error
    signature, _created = Signature.objects.update_or_create(
        work_order=order,
        defaults={"signer_name": name, "image": png, "sha256": hashlib.sha256(png).hexdigest(),
                  "width": width, "height": height, "signed_at": timezone.now(),
                  "captured_by": user})
    return signature


@transaction.atomic
def add_photo(work_order: WorkOrder, *, user: User, image_bytes: bytes, caption: str = "") -> WorkOrderPhoto:
    """Add a photo to ``work_order`` with ``caption`` (at most :data:`MAX_CAPTION_LENGTH`
    characters), by ``user``.

    ``image_bytes``: the file as uploaded (at most ``MAX_PHOTO_BYTES``); stored as
    ``photos.prepare_photo`` re-encodes it (upright, downscaled, no metadata, JPEG/PNG/GIF),
    under a random name. Raises LifecycleError for no image, too many bytes or pixels, a too
    long caption, more than :data:`MAX_PHOTOS_PER_WORK_ORDER` photos, or an archived order
    (who may add: action ``photo.add``).
    """
    order = services.lock(work_order)
    services.ensure_editable(order)
    text = _text(caption, MAX_CAPTION_LENGTH, _("The caption is too long (at most %(max)s characters)."),
                 "caption")
    if WorkOrderPhoto.objects.filter(work_order=order).count() >= MAX_PHOTOS_PER_WORK_ORDER:
        raise services.LifecycleError(
            _("Work order %(number)s already has %(max)s photos; delete one first.")
            % {"number": order.number, "max": MAX_PHOTOS_PER_WORK_ORDER})
    data = bytes(image_bytes[:MAX_PHOTO_BYTES + 1])
    try:
        stored = prepare_photo(ContentFile(data), stored_formats=STORED_PHOTO_FORMATS)
    except ValidationError as error:
        raise _invalid(error) from error
    content = stored.read()
    stored.seek(0)
    photo = WorkOrderPhoto(work_order=order, caption=text, sha256=hashlib.sha256(content).hexdigest(),
                           size=len(content), added_by=user)
    # The file first (random name), then the row; a file whose row did not commit is
    # referenced by nothing (as for form photos).
    photo.image.save(stored.name, stored, save=False)
    try:
        photo.save()
    except Exception:
        photo.image.storage.delete(photo.image.name)
        raise
    return photo


@transaction.atomic
def delete_photo(work_order: WorkOrder, *, user: User, photo_id: int) -> bool:
    """Delete photo ``photo_id`` of ``work_order`` (its file after the commit). Returns False
    when the order has no such photo (already deleted: a repeat is harmless). Raises
    LifecycleError for an archived order (who may delete: action ``photo.delete``)."""
    order = services.lock(work_order)
    services.ensure_editable(order)
    photo = WorkOrderPhoto.objects.filter(work_order=order, pk=photo_id).first()
    if photo is None:
        return False
    name, storage = photo.image.name, photo.image.storage
    photo.delete()
    transaction.on_commit(lambda: storage.delete(name))
    return True


def signature_of(work_order: WorkOrder) -> Signature | None:
    """The work order's signature, or None."""
    return Signature.objects.filter(work_order=work_order).first()
