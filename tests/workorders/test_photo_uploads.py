"""Photo answers as an attacker sends them (issue 10, finding 1 and 3).

A file that is both an image and an HTML page, a decompression bomb, a huge photo, a file
that is no raster image: each is stored safely (random name, the detected format's
extension, re-encoded without location data) or refused with a Dutch message, and a photo
is served with its image type, ``nosniff`` and ``Content-Security-Policy: sandbox``.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from werkbon.workorders.limits import MAX_PHOTO_EDGE
from werkbon.workorders.models import FilledForm, FormAnswer, FormQuestion, FormTemplate

pytestmark = pytest.mark.django_db

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def template(in_tenant_a):
    template = FormTemplate.objects.create(name="Foto's")
    FormQuestion.objects.create(template=template, label="Foto", kind="photo", position=1)
    return template


def _png(width: int = 20, height: int = 20) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 0, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG file whose header says ``width`` × ``height`` (a decompression bomb's
    header; the pixel data never has to exist for the check to matter)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit grey
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def _post(client, order, template, upload):
    url = reverse("workorders:fill_form", args=[order.pk, template.pk])
    field = f"q{template.questions.get().pk}"
    return client.post(url, {field: upload})


def _photo_url(order, answer):
    return reverse("workorders:answer_photo", args=[order.pk, answer.pk])


def test_an_image_that_is_also_html_is_stored_and_served_as_an_image(
        tech_client, planned_order, template):
    polyglot = _png() + HTML  # a valid PNG; browsers sniffing it as .html run the script
    response = _post(tech_client, planned_order, template,
                     SimpleUploadedFile("aanval.html", polyglot, content_type="text/html"))
    assert response.status_code == 302
    answer = FormAnswer.objects.get()
    stored = answer.photo.name.rsplit("/", 1)[-1]
    assert stored.endswith(".png")
    assert "aanval" not in stored and len(stored) >= 32 + 4  # random, not the uploaded name
    with answer.photo.open("rb") as handle:
        assert b"<script>" not in handle.read()  # re-encoded: the HTML tail is gone

    served = tech_client.get(_photo_url(planned_order, answer))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Security-Policy"] == "sandbox"
    assert served["Content-Disposition"].startswith("inline")


def test_a_stored_file_that_is_no_raster_image_is_never_served_inline(
        tech_client, planned_order, template):
    """An answer stored before the fix (or by the admin) with an HTML name and body."""
    filled = FilledForm.objects.create(work_order=planned_order, template=template)
    answer = FormAnswer.objects.create(form=filled, question=template.questions.get())
    answer.photo.save("oud.html", ContentFile(HTML))
    served = tech_client.get(_photo_url(planned_order, answer))
    assert served.status_code == 200
    assert served["Content-Type"] == "application/octet-stream"
    assert served["Content-Disposition"].startswith("attachment")
    assert served["Content-Security-Policy"] == "sandbox"
    assert served["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("name", "body", "content_type"), [
    ("tekening.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     "image/svg+xml"),
    ("pagina.html", HTML, "text/html"),
    ("scan.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "application/pdf"),
])
def test_anything_but_a_raster_photo_is_refused_with_a_message(
        tech_client, planned_order, template, name, body, content_type):
    response = _post(tech_client, planned_order, template,
                     SimpleUploadedFile(name, body, content_type=content_type))
    assert response.status_code == 200
    assert "Dit bestand is geen afbeelding" in response.content.decode()
    assert not FormAnswer.objects.exists()


def test_a_decompression_bomb_is_refused_with_a_message_not_a_server_error(
        tech_client, planned_order, template):
    bomb = _png_header_claiming(20_000, 20_000)
    response = _post(tech_client, planned_order, template,
                     SimpleUploadedFile("bom.png", bomb, content_type="image/png"))
    assert response.status_code == 200
    assert "te veel pixels" in response.content.decode()
    assert not FormAnswer.objects.exists()


def test_a_ten_thousand_square_one_bit_png_is_refused(tech_client, planned_order, template):
    response = _post(tech_client, planned_order, template, SimpleUploadedFile(
        "groot.png", _png_header_claiming(10_000, 10_000), content_type="image/png"))
    assert response.status_code == 200
    assert "te veel pixels" in response.content.decode()


def test_a_large_photo_is_downscaled_upright_without_its_location(
        tech_client, planned_order, template):
    image = Image.new("RGB", (4000, 3000), (10, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to show upright
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 0.0), 3: "E", 4: (4.0, 53.0, 0.0)}  # GPS
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif, quality=70)
    response = _post(tech_client, planned_order, template,
                     SimpleUploadedFile("IMG_0001.JPG", buffer.getvalue(), content_type="image/jpeg"))
    assert response.status_code == 302
    answer = FormAnswer.objects.get()
    assert answer.photo.name.endswith(".jpg")
    with answer.photo.open("rb") as handle, Image.open(handle) as stored:
        assert stored.format == "JPEG"
        # upright: portrait after applying the orientation, the long edge capped
        assert stored.size == (MAX_PHOTO_EDGE * 3 // 4, MAX_PHOTO_EDGE)
        stored_exif = stored.getexif()
        assert 0x8825 not in stored_exif  # no GPS block
        assert stored_exif.get(0x0112, 1) == 1  # no orientation left to apply twice


def test_a_photo_over_the_size_cap_is_refused(tech_client, planned_order, template, settings):
    big = _png() + b"\x00" * (10 * 1024 * 1024)
    response = _post(tech_client, planned_order, template,
                     SimpleUploadedFile("groot.png", big, content_type="image/png"))
    assert response.status_code == 200
    assert "te groot" in response.content.decode()
