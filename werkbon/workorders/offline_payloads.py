"""Photos in the offline queue (issue 12): the batch endpoint's payloads that carry images.

The phone's queue sends every action as JSON (``POST /api/v1/actions``), so an image travels
as base64 (:class:`ImageIn`), already downscaled on the phone to at most
``limits.MAX_PHOTO_EDGE`` pixels and re-encoded as JPEG (the request body limit,
``DATA_UPLOAD_MAX_MEMORY_SIZE``, is 2.5 MB). The server checks and re-encodes it again
(:func:`werkbon.workorders.photos.prepare_photo`), as for an upload.

This module extends :data:`werkbon.workorders.api.BATCH_PAYLOADS` (imported at the end of
that module):

* ``form.save`` takes ``photos``: ``[{"question_id", "image"}]`` besides the answers, the
  image as photo.add's (file object or base64 text); only base64-decoded here: the action
  (``actions.save_form``, ``photo_bytes``) decodes the images after the authorisation and
  the client-id lookup, one per photo question of the template (else 422 per question);
* ``photo.add`` and ``signature.capture`` take the queue's file object
  (``{"name", "content_type", "data"}``) as their ``image`` as well as base64 text: their
  schemas are the API's own (``PhotoIn``, ``SignatureIn`` in werkbon/workorders/api.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator

from werkbon.workorders import limits
from werkbon.workorders.api import (
    BATCH_PAYLOADS,
    BoundedText,
    FilledFormIn,
    Id,
    _base64_chars,
    _form_kwargs,
    _image_text,
    _photo_image,
)


class ImageIn(Schema):
    """The queue's file object (documentation of the accepted shape)."""

    name: BoundedText(200) = ""
    content_type: BoundedText(100) = ""
    data: str = Field(max_length=_base64_chars(limits.MAX_PHOTO_BYTES),
                      description="the file's bytes, base64")


class FormPhotoIn(Schema):
    question_id: Id
    # As photo.add's image: the queue's file object or base64 text (a data URL too); not
    # base64 is a 422 naming this field. Only the bytes: decoded as an image by the action
    # (actions.save_form), after who may act and whether the client id was applied.
    image: Annotated[str, BeforeValidator(_image_text), AfterValidator(_photo_image)] = Field(
        description="the queue's file object ({name, content_type, data}) or base64 text; "
        f"at most {limits.MAX_PHOTO_BYTES} bytes",
        json_schema_extra={"maxLength": _base64_chars(limits.MAX_PHOTO_BYTES) + 40})


class OfflineFormIn(FilledFormIn):
    photos: list[FormPhotoIn] = Field(default_factory=list, max_length=limits.MAX_ANSWERS_PER_FORM)


def _offline_form_kwargs(payload: OfflineFormIn) -> dict[str, Any]:
    kwargs = _form_kwargs(payload)
    if payload.photos:
        kwargs["photo_bytes"] = [(photo.question_id, photo.image) for photo in payload.photos]
    return kwargs


BATCH_PAYLOADS["form.save"] = (OfflineFormIn, _offline_form_kwargs)
