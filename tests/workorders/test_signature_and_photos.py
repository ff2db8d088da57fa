"""The customer's signature and the work order's photos (issue 11).

A signature is drawn on the phone and sent as a PNG data URL: an empty canvas (transparent,
white, a stray tap), an oversized, malformed or HTML-disguised image is refused on the server
and what is stored is always Werkbon's own PNG. A tenant may require a signature before
"gereed melden". The work-order PDF (also the one stored at archiving) prints the signature,
the signer's name and the date and time in Europe/Amsterdam. Photos on the work order are
checked like form photos, served only as images to those who may open the order, deleted
while it is open, and read-only once archived.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import struct
import uuid
import zlib

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image, ImageDraw
from pypdf import PdfReader

from tests.conftest import PASSWORD, make_user
from werkbon.accounts.models import Role
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import actions, attachments, history, services
from werkbon.workorders.limits import (
    MAX_CAPTION_LENGTH,
    MAX_PHOTOS_PER_UPLOAD,
    MAX_SIGNATURE_BYTES,
    MAX_SIGNATURE_HEIGHT,
    MAX_SIGNATURE_WIDTH,
)
from werkbon.workorders.models import Signature, WorkOrderPhoto
from werkbon.workorders.pdf import render_work_order_pdf

pytestmark = pytest.mark.django_db

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def canvas_png(*, ink: bool = True, size=(900, 360), background=(0, 0, 0, 0), tap: bool = False) -> bytes:
    """A canvas as the phone sends it: transparent, with a scribble when ``ink``."""
    image = Image.new("RGBA", size, background)
    draw = ImageDraw.Draw(image)
    if ink:
        draw.line([(40, 300), (200, 60), (330, 280), (520, 80), (860, 250)], fill=(17, 17, 17, 255), width=8)
    if tap:
        draw.point([(10, 10), (11, 10)], fill=(0, 0, 0, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def photo_bytes(kind: str = "JPEG", color=(30, 120, 200), size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=kind)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_claiming(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + _chunk(b"IEND", b""))


def sign(client, order, data: bytes | str, name: str = "Zoë de Vries"):
    value = data if isinstance(data, str) else data_url(data)
    return client.post(reverse("workorders:capture_signature", args=[order.pk]),
                       {"signature": value, "signer_name": name})


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


# ---- signature: refused input --------------------------------------------------------------


@pytest.mark.parametrize("canvas", [
    canvas_png(ink=False),  # all transparent: nothing drawn
    canvas_png(ink=False, background=(255, 255, 255, 255)),  # all white
    canvas_png(ink=False, tap=True),  # a stray tap is no signature
], ids=["transparent", "white", "stray-tap"])
def test_an_empty_canvas_is_refused_by_the_server(tech_client, planned_order, canvas):
    with translation.override("nl"):
        response = sign(tech_client, planned_order, canvas)
    assert response.status_code == 302
    assert not Signature.objects.exists()
    (message,) = messages_of(response)
    assert message == "Handtekening niet opgeslagen: De handtekening is leeg: laat de klant tekenen in het vak."


@pytest.mark.parametrize(("value", "why"), [
    ("", "missing"),
    ("data:image/png;base64,!!!niet-base64!!!", "not base64"),
    (data_url(HTML), "HTML in a PNG data URL"),
    (data_url(b"GIF89a" + HTML), "a broken GIF"),
    (data_url(png_header_claiming(50_000, 50_000)), "a decompression bomb"),
    ("data:image/png;base64," + "A" * ((MAX_SIGNATURE_BYTES + 3) // 3 * 4 + 8), "too many bytes"),
    ("data:text/html;base64," + base64.b64encode(canvas_png()).decode(), "not a PNG data URL"),
])
def test_an_oversized_malformed_or_disguised_signature_is_refused(tech_client, planned_order, value, why):
    response = sign(tech_client, planned_order, value)
    assert response.status_code == 302, why
    assert not Signature.objects.exists(), why
    assert any("Signature not saved" in m or "Handtekening niet opgeslagen" in m for m in messages_of(response)), why


def test_a_signature_is_stored_as_werkbons_own_png_never_the_clients_bytes(tech_client, planned_order, tech_a):
    polyglot = canvas_png(size=(2400, 900)) + HTML  # a valid PNG with an HTML page appended
    response = sign(tech_client, planned_order, polyglot, name="  Zoë   de Vries ")
    assert response.status_code == 302
    signature = Signature.objects.get()
    stored = bytes(signature.image)
    assert stored != polyglot and b"<script>" not in stored
    assert signature.sha256 == hashlib.sha256(stored).hexdigest()
    assert signature.signer_name == "Zoë de Vries" and signature.captured_by == tech_a
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "PNG" and image.mode == "L"  # grey on white, no transparency
        assert image.width <= MAX_SIGNATURE_WIDTH and image.height <= MAX_SIGNATURE_HEIGHT
        assert (image.width, image.height) == (signature.width, signature.height)
    assert abs((timezone.now() - signature.signed_at).total_seconds()) < 60
    # served as the image it is, never as HTML
    served = tech_client.get(reverse("workorders:signature_image", args=[planned_order.pk]))
    assert served["Content-Type"] == "image/png" and served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"].startswith("inline;")
    assert b"".join(served.streaming_content) == stored


def test_a_signer_name_is_required_and_bounded(planned_order, tech_a):
    with pytest.raises(services.LifecycleError):
        attachments.capture_signature(planned_order, user=tech_a, signer_name="  ", image_bytes=canvas_png())
    with pytest.raises(services.LifecycleError):
        attachments.capture_signature(planned_order, user=tech_a, signer_name="x" * 201, image_bytes=canvas_png())
    assert not Signature.objects.exists()


def test_signing_again_replaces_the_signature_and_a_completed_order_cannot_be_signed(planned_order, tech_a):
    first = attachments.capture_signature(planned_order, user=tech_a, signer_name="A", image_bytes=canvas_png())
    second = attachments.capture_signature(planned_order, user=tech_a, signer_name="B",
                                           image_bytes=canvas_png(size=(600, 300)))
    assert Signature.objects.get().pk == first.pk and second.signer_name == "B"
    services.complete(planned_order, user=tech_a)
    planned_order.refresh_from_db()
    assert planned_order.signed_by_name == "B"  # the signer is who signed off
    with pytest.raises(services.LifecycleError):
        attachments.capture_signature(planned_order, user=tech_a, signer_name="C", image_bytes=canvas_png())


def test_the_completion_form_offers_the_signers_name_so_it_is_not_typed_twice(tech_client, planned_order):
    page = reverse("workorders:my_work_order", args=[planned_order.pk])
    assert 'data-testid="signed-by" placeholder="naam van de klant" value=""' in tech_client.get(
        page, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    sign(tech_client, planned_order, canvas_png())
    html = tech_client.get(page, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert 'data-testid="signed-by" placeholder="naam van de klant" value="Zoë de Vries"' in html


# ---- signature required before "gereed melden" ----------------------------------------------


def test_a_required_signature_blocks_completion_with_a_dutch_message(tech_client, planned_order, tenant_a):
    tenant_a.signature_required = True
    tenant_a.save()
    with translation.override("nl"):
        response = tech_client.post(reverse("workorders:complete", args=[planned_order.pk]),
                                    {"signed_by_name": "Zoë"})
    assert response.status_code == 302
    planned_order.refresh_from_db()
    assert planned_order.status == "planned"
    assert messages_of(response) == [
        f"Werkbon {planned_order.number} kan niet gereed gemeld worden zonder de handtekening van de"
        " klant: laat de klant eerst tekenen."]
    sign(tech_client, planned_order, canvas_png())
    response = tech_client.post(reverse("workorders:complete", args=[planned_order.pk]), {"signed_by_name": ""})
    planned_order.refresh_from_db()
    assert planned_order.status == "completed" and planned_order.signed_by_name == "Zoë de Vries"


def test_the_setting_is_on_the_company_settings_page(client, office_a, tenant_a):
    assert client.login(username=office_a.username, password=PASSWORD)
    page = client.get(reverse("accounts:company_settings")).content.decode()
    assert 'name="signature_required"' in page


# ---- the PDF ------------------------------------------------------------------------------


def pdf_images(content: bytes) -> list[Image.Image]:
    return [image.image for page in PdfReader(io.BytesIO(content)).pages for image in page.images]


def test_the_pdf_prints_the_signature_the_signers_name_and_amsterdam_time(planned_order, tech_a, office_a):
    signature = attachments.capture_signature(planned_order, user=tech_a, signer_name="Zoë de Vries",
                                              image_bytes=canvas_png())
    Signature.objects.filter(pk=signature.pk).update(signed_at=dt.datetime(2025, 7, 1, 22, 30, tzinfo=dt.UTC))
    content = render_work_order_pdf(planned_order)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    # 22:30 UTC is 00:30 the next day in Amsterdam (summer time)
    assert "Getekend door Zoë de Vries op 02-07-2025 00:30 (handtekening van de klant)." in " ".join(text.split())
    (image,) = pdf_images(content)
    with Image.open(io.BytesIO(bytes(Signature.objects.get().image))) as stored:
        assert image.size == stored.size
        # the same drawing: the dark pixels of the PDF's image are where the signature's are
        printed = image.convert("L").point(lambda v: 255 if v > 160 else 0)
        original = stored.convert("L").point(lambda v: 255 if v > 160 else 0)
        assert printed.tobytes() == original.tobytes()
    # the archived PDF carries it too, and keeps it
    services.complete(planned_order, user=tech_a)
    services.archive(planned_order, user=office_a)
    archived = history.work_order_pdf(planned_order)
    assert len(pdf_images(archived)) == 1
    assert "Zoë de Vries" in PdfReader(io.BytesIO(archived)).pages[0].extract_text()
    content = history.archived_content(planned_order)
    assert content.signature == Signature.objects.get().sha256 and content.signer_name == "Zoë de Vries"


def test_a_pdf_without_a_signature_has_no_image(planned_order):
    assert pdf_images(render_work_order_pdf(planned_order)) == []


def test_the_pdf_prints_the_installations_and_the_photos_with_their_captions(planned_order, tech_a):
    """The named installations and the work order's photos (two a row, captions under them)
    are on the work order's PDF; a caption at its bound without a space and markup in it
    neither break the PDF nor become markup; an unreadable stored photo is a Dutch line."""
    from werkbon.workorders import installations as installation_rules

    boiler = installation_rules.create_installation(
        work_address=planned_order.work_address, name="CV-ketel <b>zolder</b>", brand="Remeha",
        model="Calenta", serial_number="RC-4417", year_installed=2019)
    services.set_installations(planned_order, installations=[boiler])
    long_caption = "x" * MAX_CAPTION_LENGTH
    for shade, caption in enumerate(("Ketel na onderhoud", long_caption, "Meter <i>1234</i>")):
        attachments.add_photo(planned_order, user=tech_a, image_bytes=photo_bytes(color=(40 * shade, 90, 160)),
                              caption=caption)
    broken = WorkOrderPhoto.objects.order_by("id").last()
    broken.image.save("kapot.jpg", io.BytesIO(b"<html>geen foto</html>"), save=True)
    content = render_work_order_pdf(planned_order)
    text = " ".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())
    assert "Installaties" in text and "CV-ketel <b>zolder</b>" in text and "Remeha Calenta" in text
    assert "RC-4417" in text and "2019" in text and "Merk en type" in text
    assert "Foto's" in text and "Ketel na onderhoud" in text and "(foto kon niet gelezen worden)" in text
    assert "Meter <i>1234</i>" in text
    assert text.replace(" ", "").count("x" * 50) >= MAX_CAPTION_LENGTH // 50 - 1
    assert len(pdf_images(content)) == 2  # the two readable photos (different); no signature yet


# ---- photos -------------------------------------------------------------------------------


def add_photos(client, order, files: list[tuple[str, bytes]], captions: list[str]):
    from django.core.files.uploadedfile import SimpleUploadedFile

    uploads = [SimpleUploadedFile(name, data, content_type="image/jpeg") for name, data in files]
    return client.post(reverse("workorders:add_photos", args=[order.pk]),
                       {"photos": uploads, "captions": captions})


def test_a_technician_adds_photos_with_captions_and_the_office_sees_them(client, planned_order, tech_a, office_a):
    assert client.login(username=tech_a.username, password=PASSWORD)
    response = add_photos(client, planned_order, [("ketel.jpg", photo_bytes()), ("meter.webp", photo_bytes("WEBP"))],
                          ["Ketel na onderhoud", "Meterstand <b>1234</b>"])
    assert response.status_code == 302
    first, second = WorkOrderPhoto.objects.order_by("id")
    assert (first.caption, second.caption) == ("Ketel na onderhoud", "Meterstand <b>1234</b>")
    assert first.image.name.endswith(".jpg") and "ketel" not in first.image.name
    assert second.image.name.endswith(".jpg")  # WebP is stored as JPEG: Visma.net takes no WebP
    with second.image.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == second.sha256
    client.logout()
    assert client.login(username=office_a.username, password=PASSWORD)
    page = client.get(reverse("workorders:detail", args=[planned_order.pk])).content.decode()
    assert page.count('data-testid="photo"') == 2
    assert "Ketel na onderhoud" in page and "Meterstand &lt;b&gt;1234&lt;/b&gt;" in page
    served = client.get(reverse("workorders:photo", args=[planned_order.pk, first.pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff" and served["Content-Security-Policy"] == "sandbox"
    assert served["Content-Disposition"].startswith("inline;")


@pytest.mark.parametrize(("data", "why"), [
    (HTML, "an HTML page"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "an SVG"),
    (png_header_claiming(50_000, 50_000), "a decompression bomb"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "a broken JPEG"),
])
def test_a_photo_that_is_no_image_is_refused(tech_client, planned_order, data, why):
    response = add_photos(tech_client, planned_order, [("foto.jpg", data)], ["x"])
    assert response.status_code == 302
    assert not WorkOrderPhoto.objects.exists(), why
    assert any("Foto 1" in m or "Photo 1" in m for m in messages_of(response)), why


def test_an_html_disguised_photo_is_served_as_an_image_without_the_html(tech_client, planned_order):
    add_photos(tech_client, planned_order, [("aanval.html", photo_bytes("PNG") + HTML)], [""])
    photo = WorkOrderPhoto.objects.get()
    served = tech_client.get(reverse("workorders:photo", args=[planned_order.pk, photo.pk]))
    body = b"".join(served.streaming_content)
    assert served["Content-Type"] == "image/png" and b"<script>" not in body


def test_photo_input_is_bounded(tech_client, planned_order, tech_a):
    response = add_photos(tech_client, planned_order,
                          [(f"f{i}.jpg", photo_bytes()) for i in range(MAX_PHOTOS_PER_UPLOAD + 1)], [])
    assert not WorkOrderPhoto.objects.exists() and response.status_code == 302
    add_photos(tech_client, planned_order, [("f.jpg", photo_bytes())], ["x" * (MAX_CAPTION_LENGTH + 1)])
    assert not WorkOrderPhoto.objects.exists()
    with pytest.raises(services.LifecycleError):
        attachments.add_photo(planned_order, user=tech_a, image_bytes=photo_bytes(), caption="x" * 5000)


def test_a_technician_cannot_see_or_add_photos_on_another_technicians_order(client, planned_order, tech_a,
                                                                           tenant_a):
    photo = attachments.add_photo(planned_order, user=tech_a, image_bytes=photo_bytes(), caption="eigen")
    other = make_user(tenant_a, "tech_other", Role.TECHNICIAN)
    assert client.login(username=other.username, password=PASSWORD)
    assert client.get(reverse("workorders:photo", args=[planned_order.pk, photo.pk])).status_code == 404
    assert client.get(reverse("workorders:my_work_order", args=[planned_order.pk])).status_code == 404
    response = add_photos(client, planned_order, [("f.jpg", photo_bytes())], ["indringer"])
    assert response.status_code == 404
    assert client.post(reverse("workorders:delete_photo", args=[planned_order.pk, photo.pk])).status_code == 404
    assert sign(client, planned_order, canvas_png()).status_code == 404
    assert client.get(reverse("workorders:signature_image", args=[planned_order.pk])).status_code == 404
    assert list(WorkOrderPhoto.objects.values_list("caption", flat=True)) == ["eigen"]
    assert not Signature.objects.exists()
    with pytest.raises(actions.ActionRefused) as refused:  # the action layer decides who may
        actions.apply("photo.add", user=other, work_order=planned_order, image_bytes=photo_bytes())
    assert refused.value.status == 404


def test_another_tenant_cannot_see_or_add_photos(client, planned_order, tech_a, office_b, tech_b):
    photo = attachments.add_photo(planned_order, user=tech_a, image_bytes=photo_bytes(), caption="eigen")
    attachments.capture_signature(planned_order, user=tech_a, signer_name="Zoë", image_bytes=canvas_png())
    for user in (office_b, tech_b):
        client.logout()
        assert client.login(username=user.username, password=PASSWORD)
        assert client.get(reverse("workorders:photo", args=[planned_order.pk, photo.pk])).status_code == 404
        assert client.get(reverse("workorders:signature_image", args=[planned_order.pk])).status_code == 404
        assert add_photos(client, planned_order, [("f.jpg", photo_bytes())], ["b"]).status_code == 404
        assert client.post(reverse("workorders:delete_photo", args=[planned_order.pk, photo.pk])).status_code == 404
    with tenant_context(planned_order.tenant):
        assert WorkOrderPhoto.objects.count() == 1


def test_photos_are_deleted_while_open_and_read_only_once_archived(tech_client, planned_order, tech_a, office_a,
                                                                   django_capture_on_commit_callbacks):
    keep = attachments.add_photo(planned_order, user=tech_a, image_bytes=photo_bytes(), caption="blijft")
    gone = attachments.add_photo(planned_order, user=tech_a, image_bytes=photo_bytes(color=(1, 2, 3)), caption="weg")
    storage, name = gone.image.storage, gone.image.name
    with django_capture_on_commit_callbacks(execute=True):  # the file goes after the commit
        response = tech_client.post(reverse("workorders:delete_photo", args=[planned_order.pk, gone.pk]))
    assert response.status_code == 302
    assert list(WorkOrderPhoto.objects.values_list("caption", flat=True)) == ["blijft"]
    assert not storage.exists(name)
    # a repeat of the same delete changes nothing
    assert attachments.delete_photo(planned_order, user=tech_a, photo_id=gone.pk) is False
    services.complete(planned_order, user=tech_a)
    with pytest.raises(services.LifecycleError):  # completed: the technician is done
        actions.apply("photo.add", user=tech_a, work_order=planned_order, image_bytes=photo_bytes())
    services.archive(planned_order, user=office_a)
    for user in (tech_a, office_a):
        with pytest.raises(services.LifecycleError, match=r"gearchiveerd|archived"):
            attachments.delete_photo(planned_order, user=user, photo_id=keep.pk)
        with pytest.raises(services.LifecycleError, match=r"gearchiveerd|archived"):
            attachments.add_photo(planned_order, user=user, image_bytes=photo_bytes())
    assert WorkOrderPhoto.objects.get().pk == keep.pk and storage.exists(keep.image.name)
    page = tech_client.get(reverse("workorders:my_work_order", args=[planned_order.pk])).content.decode()
    assert 'data-testid="delete-photo"' not in page and 'data-testid="photos-form"' not in page
    assert 'data-testid="signature-form"' not in page


# ---- a form sent twice (one client id) is applied once ------------------------------------


def _client_id(page: str, testid: str) -> str:
    """The hidden client id of the form with ``data-testid`` ``testid`` on the page."""
    import re

    form = page[page.index(f'data-testid="{testid}"'):]
    return re.search(r'name="client_id" value="([0-9a-f-]{36})"', form).group(1)


def test_a_signature_sent_twice_is_saved_once(tech_client, planned_order):
    page = tech_client.get(reverse("workorders:my_work_order", args=[planned_order.pk])).content.decode()
    client_id = _client_id(page, "signature-form")
    url = reverse("workorders:capture_signature", args=[planned_order.pk])
    body = {"signature": data_url(canvas_png()), "signer_name": "Zoë", "client_id": client_id}
    with translation.override("nl"):
        tech_client.post(url, body)
        signed_at = Signature.objects.get().signed_at
        again = tech_client.post(url, {**body, "signer_name": "Iemand anders"})
    assert Signature.objects.get().signer_name == "Zoë" and Signature.objects.get().signed_at == signed_at
    assert messages_of(again)[-1] == "Dit was al opgeslagen (het formulier is twee keer verstuurd)."


def test_several_photos_sent_twice_are_added_once_each(tech_client, planned_order):
    page = tech_client.get(reverse("workorders:my_work_order", args=[planned_order.pk])).content.decode()
    client_id = _client_id(page, "photos-form")
    from django.core.files.uploadedfile import SimpleUploadedFile

    def send():
        uploads = [SimpleUploadedFile(f"f{i}.jpg", photo_bytes(color=(i, 2, 3)), content_type="image/jpeg")
                   for i in range(3)]
        uploads[1] = SimpleUploadedFile("kapot.jpg", HTML, content_type="image/jpeg")  # refused
        return tech_client.post(reverse("workorders:add_photos", args=[planned_order.pk]),
                                {"photos": uploads, "captions": ["een", "twee", "drie"],
                                 "client_id": client_id})

    first = send()
    assert list(WorkOrderPhoto.objects.order_by("id").values_list("caption", flat=True)) == ["een", "drie"]
    assert any("2 foto's toegevoegd" in m or "2 photos added" in m for m in messages_of(first))
    send()  # the double submit: the good ones are not added again, the refused one stays refused
    assert list(WorkOrderPhoto.objects.order_by("id").values_list("caption", flat=True)) == ["een", "drie"]
    # another upload (a new form, a new client id) adds
    add_photos(tech_client, planned_order, [("f.jpg", photo_bytes())], ["vier"])
    assert WorkOrderPhoto.objects.count() == 3


def test_a_photo_delete_sent_twice_is_no_404(tech_client, planned_order, tech_a):
    photo = attachments.add_photo(planned_order, user=tech_a, image_bytes=photo_bytes(), caption="weg")
    page = tech_client.get(reverse("workorders:my_work_order", args=[planned_order.pk])).content.decode()
    client_id = _client_id(page, "photo")
    url = reverse("workorders:delete_photo", args=[planned_order.pk, photo.pk])
    assert tech_client.post(url, {"client_id": client_id}).status_code == 302
    again = tech_client.post(url, {"client_id": client_id})
    assert again.status_code == 302 and not WorkOrderPhoto.objects.exists()
    assert tech_client.post(url, {"client_id": str(uuid.uuid4())}).status_code == 404  # a new delete
