"""Photo answers: checked, re-encoded and stored safely; served as the image they are.

An upload is refused unless Pillow recognises it as a JPEG, PNG, GIF or WebP raster image
within :data:`~werkbon.workorders.limits.MAX_PHOTO_BYTES` and
:data:`~werkbon.workorders.limits.MAX_PHOTO_PIXELS` (read from the header, before any
pixel is decoded). An accepted photo is turned upright (EXIF orientation), downscaled to
:data:`~werkbon.workorders.limits.MAX_PHOTO_EDGE` on its longest edge, and re-encoded in
the format detected, without metadata (no GPS location, no comments): bytes appended to a
valid image, such as an HTML page, do not survive. It is stored under a random name with
that format's extension, so a file name chosen by the uploader never reaches the disk or
a response.

The customer's signature (:func:`prepare_signature`, issue 11) follows the same rules with
its own caps, and is refused when the canvas is empty (checked on the pixels, not trusted
from the phone); it is stored as a new grey-on-white PNG. Work-order photos use
:func:`prepare_photo` with ``stored_formats`` limited to what Visma.net takes.

Serving (:func:`photo_response`) detects the format again from the stored bytes: a real
raster image is sent inline with its image type; anything else (a file stored before these
rules) as an ``application/octet-stream`` download. Every answer carries
``X-Content-Type-Options: nosniff`` and ``Content-Security-Policy: sandbox``, so even a
file a browser would render cannot run script with the user's session.
"""

from __future__ import annotations

import io
import uuid
import warnings
from collections.abc import Collection
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from werkbon.workorders.limits import (
    MAX_PHOTO_BYTES,
    MAX_PHOTO_EDGE,
    MAX_PHOTO_PIXELS,
    MAX_SIGNATURE_BYTES,
    MAX_SIGNATURE_HEIGHT,
    MAX_SIGNATURE_PIXELS,
    MAX_SIGNATURE_WIDTH,
    MIN_SIGNATURE_INK_PIXELS,
)

# Pillow format → (file extension, content type). Only these are accepted and served inline.
RASTER_FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "GIF": ("gif", "image/gif"),
    "WEBP": ("webp", "image/webp"),
}


def _not_an_image(signature: bool = False) -> ValidationError:
    if signature:
        return ValidationError(_("The signature could not be read as an image; let the "
                                 "customer sign again."), code="not_an_image")
    return ValidationError(_("This file is not an image. Use a JPEG or PNG photo."),
                           code="not_an_image")


def _open_checked(handle: IO[bytes], max_pixels: int = MAX_PHOTO_PIXELS,
                  signature: bool = False) -> Image.Image:
    """Open ``handle`` as a raster image of an accepted format and at most ``max_pixels``
    pixels (read from the header only); the messages for a signature when ``signature``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(handle, formats=list(RASTER_FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _too_many_pixels(max_pixels, signature) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise _not_an_image(signature) from error
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise _too_many_pixels(max_pixels, signature)
    return image


def _too_many_pixels(max_pixels: int = MAX_PHOTO_PIXELS, signature: bool = False) -> ValidationError:
    if signature:
        return ValidationError(
            _("The signature has too many pixels (at most %(megapixels)s megapixels); let the "
              "customer sign again.") % {"megapixels": max(1, max_pixels // 1_000_000)},
            code="too_many_pixels")
    return ValidationError(
        _("This photo has too many pixels (at most %(megapixels)s megapixels); take it "
          "again at a lower resolution.") % {"megapixels": max_pixels // 1_000_000},
        code="too_many_pixels")


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info


def prepare_photo(upload: Any, *, stored_formats: Collection[str] = tuple(RASTER_FORMATS)) -> ContentFile:
    """The photo to store for an uploaded file, or a ``ValidationError`` with a message.

    Returns a :class:`ContentFile` named ``<32 hex digits>.<ext>`` holding the re-encoded
    image (see the module docstring). Raises for a file over the byte or pixel cap, and
    for anything that is not a JPEG/PNG/GIF/WebP image (SVG, HTML, PDF, a broken file).
    A photo whose format is not in ``stored_formats`` is stored as a PNG when it has
    transparency, else as a JPEG (work-order photos go to Visma.net, which takes no WebP).
    """
    if upload.size is not None and upload.size > MAX_PHOTO_BYTES:
        raise ValidationError(
            _("The photo is too large (at most %(megabytes)s MB).")
            % {"megabytes": MAX_PHOTO_BYTES // (1024 * 1024)}, code="too_large")
    upload.seek(0)
    data = io.BytesIO(upload.read(MAX_PHOTO_BYTES + 1))  # Pillow may close what it opens
    upload.seek(0)
    image = _open_checked(data)
    try:
        kind = image.format or ""
        image.load()  # decodes now, within the pixel cap; a truncated file fails here
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail((MAX_PHOTO_EDGE, MAX_PHOTO_EDGE))
        if kind not in stored_formats:
            kind = "PNG" if _has_alpha(upright) else "JPEG"
        output = io.BytesIO()
        if kind == "JPEG":
            upright.convert("RGB").save(output, format="JPEG", quality=85, optimize=True)
        elif kind == "WEBP":
            upright.save(output, format="WEBP", quality=85, exif=b"", xmp=b"")
        elif kind == "GIF":
            upright.save(output, format="GIF")  # the first frame only
        else:
            upright.save(output, format="PNG", optimize=True)
    except (OSError, SyntaxError, ValueError) as error:
        raise _not_an_image() from error
    finally:
        image.close()
    extension, _content_type = RASTER_FORMATS[kind]
    return ContentFile(output.getvalue(), name=f"{uuid.uuid4().hex}.{extension}")


def downscaled_jpeg(data: bytes, max_edge: int) -> tuple[bytes, int, int]:
    """``(JPEG bytes, width, height)`` of the image in ``data``, upright, at most
    ``max_edge`` pixels on its longest edge, for embedding in a PDF. Raises
    ``ValidationError`` for bytes over the caps or that are no accepted image (a photo
    stored before the upload rules may be either)."""
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError("too large", code="too_large")
    image = _open_checked(io.BytesIO(data))
    try:
        image.draft("RGB", (max_edge, max_edge))  # JPEG: decode at a reduced scale
        image.load()
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail((max_edge, max_edge))
        if upright.mode in {"RGBA", "LA", "P", "PA"}:
            flat = Image.new("RGB", upright.size, "white")
            rgba = upright.convert("RGBA")
            flat.paste(rgba, mask=rgba.getchannel("A"))
            upright = flat
        output = io.BytesIO()
        upright.convert("RGB").save(output, format="JPEG", quality=80)
        return output.getvalue(), upright.width, upright.height
    except (OSError, SyntaxError, ValueError) as error:
        raise _not_an_image() from error
    finally:
        image.close()


# A pixel darker than this (0 black … 255 white, after flattening on white) is ink.
INK_LEVEL = 160


def prepare_signature(data: bytes) -> tuple[bytes, int, int]:
    """``(PNG bytes, width, height)`` to store for a drawn signature, or a ``ValidationError``.

    ``data`` is the image the phone sends (a PNG of the drawing canvas; any accepted raster
    format is read). Refused: more than :data:`~werkbon.workorders.limits.MAX_SIGNATURE_BYTES`
    bytes or :data:`~werkbon.workorders.limits.MAX_SIGNATURE_PIXELS` pixels (header), no
    image, and an empty canvas: fewer than
    :data:`~werkbon.workorders.limits.MIN_SIGNATURE_INK_PIXELS` dark pixels once flattened on
    white (all transparent, all white, a stray tap). The result is always a new encoding:
    grey on white, no transparency, no metadata, scaled down to fit
    :data:`~werkbon.workorders.limits.MAX_SIGNATURE_WIDTH` ×
    :data:`~werkbon.workorders.limits.MAX_SIGNATURE_HEIGHT`; the same input gives the same bytes.
    """
    if len(data) > MAX_SIGNATURE_BYTES:
        raise ValidationError(
            _("The signature is too large (at most %(megabytes)s MB).")
            % {"megabytes": MAX_SIGNATURE_BYTES // (1024 * 1024)}, code="too_large")
    image = _open_checked(io.BytesIO(data), MAX_SIGNATURE_PIXELS, signature=True)
    try:
        image.load()
        rgba = image.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, "white")
        flat.alpha_composite(rgba)
        grey = flat.convert("L")
    except (OSError, SyntaxError, ValueError) as error:
        raise _not_an_image(signature=True) from error
    finally:
        image.close()
    ink = sum(grey.histogram()[:INK_LEVEL])
    if ink < MIN_SIGNATURE_INK_PIXELS:
        raise ValidationError(_("The signature is empty: let the customer sign in the box."),
                              code="empty_signature")
    grey.thumbnail((MAX_SIGNATURE_WIDTH, MAX_SIGNATURE_HEIGHT))
    output = io.BytesIO()
    grey.save(output, format="PNG", optimize=True)
    return output.getvalue(), grey.width, grey.height


def detect_format(handle: IO[bytes]) -> str | None:
    """The accepted raster format of the bytes in ``handle`` (``"PNG"``…), or None.
    Reads only the header (from a copy of the first 64 kB); ``handle`` is rewound."""
    head = io.BytesIO(handle.read(64 * 1024))
    handle.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(head, formats=list(RASTER_FORMATS)) as image:
                return image.format
    except (Image.DecompressionBombError, UnidentifiedImageError, OSError, SyntaxError,
            ValueError):
        return None


def photo_response(handle: IO[bytes]) -> FileResponse:
    """The HTTP answer for a stored photo (see the module docstring); closes ``handle``."""
    kind = detect_format(handle)
    if kind in RASTER_FORMATS:
        extension, content_type = RASTER_FORMATS[kind]
        response = FileResponse(handle, content_type=content_type,
                                filename=f"foto.{extension}")
        response["Content-Disposition"] = f'inline; filename="foto.{extension}"'
    else:
        response = FileResponse(handle, content_type="application/octet-stream",
                                as_attachment=True, filename="bestand.bin")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response
