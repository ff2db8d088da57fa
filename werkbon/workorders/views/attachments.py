"""The customer's signature and the work order's photos (issue 11): capture, add, delete,
and serve them to the users who may open the work order.

Shared by the technician's page and the office detail page (``_signature.html``,
``_photos.html``). Each change is an action (``signature.capture``, ``photo.add``,
``photo.delete``) applied through :func:`~werkbon.workorders.views.common.apply_action` with
the form's ``client_id``: a form sent twice is applied once. Several photos in one upload
are one ``photo.add`` each, with a client id derived from the form's and the photo's position
(:func:`photo_client_id`). The rules are in :mod:`werkbon.workorders.actions` (who may) and
:mod:`werkbon.workorders.attachments` (what is stored); images are served
by :func:`werkbon.workorders.photos.photo_response` (detected image type, ``nosniff``,
``Content-Security-Policy: sandbox``, never as HTML). A technician reaches only orders
planned to them (``order_for_member``: others are a 404), another tenant's orders are a 404.
"""

from __future__ import annotations

import base64
import binascii
import io
import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from werkbon.accounts.models import User
from werkbon.accounts.permissions import tenant_member_required
from werkbon.workorders import actions
from werkbon.workorders.limits import (
    MAX_PHOTO_BYTES,
    MAX_PHOTOS_PER_UPLOAD,
    MAX_SIGNATURE_BYTES,
)
from werkbon.workorders.models import Signature, WorkOrderPhoto
from werkbon.workorders.photos import photo_response
from werkbon.workorders.views.common import apply_action, order_for_member, order_page_url

DATA_URL_PREFIX = "data:image/png;base64,"
# The longest form field a signature of MAX_SIGNATURE_BYTES can be (base64 + prefix).
MAX_SIGNATURE_FIELD = len(DATA_URL_PREFIX) + (MAX_SIGNATURE_BYTES + 2) // 3 * 4


def _signature_bytes(value: str) -> bytes | None:
    """The image bytes of the ``signature`` field (a ``data:image/png;base64,`` URL as the
    canvas gives it), or None when it is missing, too long or not base64."""
    if not value or len(value) > MAX_SIGNATURE_FIELD or not value.startswith(DATA_URL_PREFIX):
        return None
    try:
        return base64.b64decode(value[len(DATA_URL_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        return None


@tenant_member_required
@require_POST
def capture_signature(request: HttpRequest, pk: int) -> HttpResponse:
    """Store the customer's signature (POST ``signer_name`` and ``signature``, the canvas as
    a PNG data URL); refused with a message when it is empty or not an image."""
    order = order_for_member(request, pk)
    user: User = request.user  # type: ignore[assignment]
    target = order_page_url(user, order)
    data = _signature_bytes(request.POST.get("signature", ""))
    if data is None:
        messages.error(request, _("Signature not saved: the signature is empty: let the customer "
                                  "sign in the box."))
        return redirect(target)
    outcome = apply_action(request, "signature.capture", order,
                           signer_name=request.POST.get("signer_name", ""), image_bytes=data,
                           error_format=_("Signature not saved: %(error)s"))
    if outcome is not None and not outcome.already_applied:
        messages.success(request, _("Signed by %(name)s.") % {"name": outcome.value.signer_name})
    return redirect(target)


@tenant_member_required
@require_GET
def signature_image(request: HttpRequest, pk: int) -> HttpResponse:
    """The signature as a PNG image (inline, ``nosniff``, sandboxed)."""
    order = order_for_member(request, pk)
    signature = Signature.objects.filter(work_order=order).first()
    if signature is None:
        raise Http404(_("No signature."))
    response = photo_response(io.BytesIO(bytes(signature.image)))
    response["Content-Disposition"] = f'inline; filename="handtekening-{order.number}.png"'
    response["Cache-Control"] = "private, no-cache"
    return response


@tenant_member_required
@require_POST
def add_photos(request: HttpRequest, pk: int) -> HttpResponse:
    """Add photos (POST files ``photos``, at most :data:`MAX_PHOTOS_PER_UPLOAD`, and one
    ``captions`` field per file in the same order). Each photo is checked on its own: the
    good ones are stored, each refused one is named with the reason."""
    order = order_for_member(request, pk)
    user: User = request.user  # type: ignore[assignment]
    target = order_page_url(user, order)
    uploads = request.FILES.getlist("photos")
    captions = request.POST.getlist("captions")
    if not uploads:
        messages.error(request, _("Choose or take a photo first."))
        return redirect(target)
    if len(uploads) > MAX_PHOTOS_PER_UPLOAD:
        messages.error(request, _("Add at most %(max)s photos at once.") % {"max": MAX_PHOTOS_PER_UPLOAD})
        return redirect(target)
    form_client_id = request.POST.get("client_id")
    added = replayed = 0
    for index, upload in enumerate(uploads):
        outcome = apply_action(
            request, "photo.add", order, client_id=photo_client_id(form_client_id, index),
            note_replay=False, image_bytes=upload.read(MAX_PHOTO_BYTES + 1),
            caption=captions[index] if index < len(captions) else "",
            error_format=_("Photo %(position)s not added: %(error)s")
            % {"position": index + 1, "error": "%(error)s"})
        if outcome is not None and outcome.already_applied:
            replayed += 1
        elif outcome is not None:
            added += 1
    if added:
        messages.success(request, ngettext("%(count)s photo added.", "%(count)s photos added.", added)
                         % {"count": added})
    if replayed:
        messages.info(request, _("This was already saved (the form was sent twice)."))
    return redirect(target)


def photo_client_id(form_client_id: object, index: int) -> object:
    """The client id of the ``index``-th photo (from 0) of an upload whose form has client id
    ``form_client_id``: a UUID 5 of the two, the same on every resend of that form, so a
    double submit adds no photo twice. None without a form client id; an invalid one is
    passed on as it is (the action refuses it)."""
    try:
        base = actions.parse_client_id(form_client_id)
    except actions.ActionRefused:
        return form_client_id
    return None if base is None else str(uuid.uuid5(base, f"photo.add/{index}"))


@tenant_member_required
@require_GET
def photo(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    """A photo of the work order (its image type inline, ``nosniff``, sandboxed)."""
    order = order_for_member(request, pk)
    found = WorkOrderPhoto.objects.filter(work_order=order, pk=photo_pk).first()
    if found is None:
        raise Http404(_("No photo."))
    try:
        response = photo_response(found.image.open("rb"))
    except FileNotFoundError as error:
        raise Http404(_("No photo.")) from error
    response["Cache-Control"] = "private, max-age=3600"
    return response


@tenant_member_required
@require_POST
def delete_photo(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    """Delete a photo (action ``photo.delete``: the office until archived, a technician until
    completed); a photo the order does not have is a 404."""
    order = order_for_member(request, pk)
    user: User = request.user  # type: ignore[assignment]
    outcome = apply_action(request, "photo.delete", order, photo=photo_pk)
    if outcome is not None and not outcome.already_applied:
        if not outcome.result.get("deleted"):
            raise Http404(_("No photo."))
        messages.success(request, _("The photo is deleted."))
    return redirect(order_page_url(user, order))
