"""Photos in the offline queue (issue 12): the batch endpoint's payloads that carry images.

The phone's queue sends every action as JSON (``POST /api/v1/actions``), so an image travels
as base64 (:class:`ImageIn`), already downscaled on the phone to at most
``limits.MAX_PHOTO_EDGE`` pixels and re-encoded as JPEG (the request body limit,
``DATA_UPLOAD_MAX_MEMORY_SIZE``, is 2.5 MB). The server checks and re-encodes it again
(:func:`werkbon.workorders.photos.prepare_photo`), as for an upload.

This module extends :data:`werkbon.workorders.api.BATCH_PAYLOADS` (imported at the end of
that module):

* ``form.save`` takes ``photos``: ``[{"question_id", "image"}]`` besides the answers
  (``services.save_form``'s ``photos``; refused per question with the photo's message);
* ``photo.add`` and ``signature.capture`` take the queue's file object
  (``{"name", "content_type", "data"}``) as their ``image`` as well as base64 text: their
  schemas are the API's own (``PhotoIn``, ``SignatureIn`` in werkbon/workorders/api.py).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from ninja import Field, Schema

from werkbon.workorders import limits, services
from werkbon.workorders.api import BATCH_PAYLOADS, BoundedText, FilledFormIn, Id, _form_kwargs
from werkbon.workorders.photos import prepare_photo

# base64 of MAX_PHOTO_BYTES (4 characters per 3 bytes)
MAX_IMAGE_BASE64 = (limits.MAX_PHOTO_BYTES + 2) // 3 * 4


class ImageIn(Schema):
    name: BoundedText(200) = ""
    content_type: BoundedText(100) = ""
    data: str = Field(max_length=MAX_IMAGE_BASE64, description="the file's bytes, base64")


def image_bytes(image: ImageIn) -> bytes:
    """The decoded bytes; LifecycleError (a Dutch message) when they are not base64."""
    try:
        return base64.b64decode(image.data, validate=True)
    except (binascii.Error, ValueError) as error:
        raise services.LifecycleError(_("The photo could not be read; take it again.")) from error


class FormPhotoIn(Schema):
    question_id: Id
    image: ImageIn


class OfflineFormIn(FilledFormIn):
    photos: list[FormPhotoIn] = Field(default_factory=list, max_length=limits.MAX_ANSWERS_PER_FORM)


def _offline_form_kwargs(payload: OfflineFormIn) -> dict[str, Any]:
    kwargs = _form_kwargs(payload)
    photos: dict[int, Any] = {}
    for photo in payload.photos:
        try:
            photos[photo.question_id] = prepare_photo(ContentFile(image_bytes(photo.image),
                                                                  name=photo.image.name or "foto"))
        except ValidationError as error:
            raise services.AnswersError({f"photos.{photo.question_id}": error.messages}) from error
    if photos:
        kwargs["photos"] = photos
    return kwargs


BATCH_PAYLOADS["form.save"] = (OfflineFormIn, _offline_form_kwargs)
