"""Acceptance test of issue 11, end to end in headless Chromium on a phone (390×844, touch):
a technician makes a work order on site, adds two photos with captions, registers work and
travel time and a material, lets the customer sign with pointer events, and completes; the
e-mail with the signed PDF arrives at a real SMTP server (aiosmtpd, tests/fixtures/smtp.py),
and the PDF's text and images show the signer's name, the number and the signature.

The e-mail goes the production way: the completion's transaction writes the outbox row and,
on commit, enqueues the send task. The broker is the one thing replaced: the enqueued task is
recorded and then run here, as a worker would (``send_customer_mail.apply``). The office then
sees the same at desktop size (a second, short test that makes such an order through the same
actions the screens call).
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from tests.browser.test_technician_phone import assert_fits_the_phone
from tests.browser.test_workorder_flow import log_in
from tests.fixtures.browser import touch_stroke
from werkbon.accounts.tenancy import tenant_context
from werkbon.customermail import tasks
from werkbon.customermail.models import CustomerMail, MailStatus
from werkbon.workorders import actions, attachments
from werkbon.workorders.models import (
    Customer,
    Item,
    Signature,
    WorkAddress,
    WorkOrder,
    WorkOrderPhoto,
    WorkOrderStatus,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIGNER = "Mevr. J. de Vries"
CUSTOMER_EMAIL = "j.devries@bakkerij.example"
CAPTIONS = ["Lekkage onder het aanrecht", "Sifon vervangen"]


@pytest.fixture
def field_data(tenant_a, settings, tmp_path):
    """The tenant e-mails work orders; a customer with an e-mail address and a work address; an
    item. Uploaded photos go to a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    tenant_a.customer_mail_enabled = True
    tenant_a.customer_mail_sender_name = "Alfa Installatie"
    tenant_a.email = "kantoor@alfa.example"
    tenant_a.save()
    with tenant_context(tenant_a):
        customer = Customer.objects.create(number="10001", name="Bakkerij De Vries", email=CUSTOMER_EMAIL)
        address = WorkAddress.objects.create(customer=customer, street="Dorpsstraat", house_number="12",
                                             postal_code="3511 AA", city="Utrecht")
        item = Item.objects.create(number="KR-15", description="Koperen knie 15 mm", unit="st",
                                   sales_price=Decimal("1.95"))
    return customer, address, item


@pytest.fixture
def enqueued(monkeypatch) -> list[int]:
    """The broker: the ids of the send tasks enqueued (on commit), to be run by the test."""
    sent: list[int] = []
    monkeypatch.setattr(tasks.send_customer_mail, "delay", sent.append)
    return sent


def _image(color: tuple[int, int, int], fmt: str) -> bytes:
    buffer = io.BytesIO()
    picture = Image.new("RGB", (320, 240), color)
    picture.paste((255, 255, 255), (40, 40, 120, 120))
    picture.save(buffer, format=fmt)
    return buffer.getvalue()




def _run_enqueued_tasks(enqueued: list[int]) -> None:
    """What a worker does with the broker's messages: run each send task once."""
    while enqueued:
        tasks.send_customer_mail.apply(args=[enqueued.pop(0)]).get()


def _dark_pixels(picture: Image.Image) -> int:
    grey = picture.convert("RGBA")
    white = Image.new("RGBA", grey.size, (255, 255, 255, 255))
    return sum(Image.alpha_composite(white, grey).convert("L").histogram()[:128])


def test_a_technician_makes_signs_and_completes_on_a_phone_and_the_customer_gets_the_signed_pdf(
        phone_page, live_server, tenant_a, tech_a, field_data, smtp, enqueued):
    from playwright.sync_api import expect

    customer, address, item = field_data
    page, base = phone_page, live_server.url
    log_in(page, base, tech_a.username)

    # A new work order on site, for the customer and its work address.
    page.goto(f"{base}/werkorders/mijn/")
    page.locator('[data-testid="new-on-site"]').tap()
    page.wait_for_url(re.compile(r"/werkorders/mijn/nieuw/$"))
    page.select_option('[data-testid="on-site-customer"]', str(customer.pk))
    expect(page.locator('[data-testid="on-site-address"] option')).to_have_count(2)
    page.select_option('[data-testid="on-site-address"]', str(address.pk))
    page.fill('[data-testid="on-site-description"]', "Lekkage in de keuken")
    page.locator('[data-testid="on-site-create"]').tap()
    page.wait_for_url(re.compile(r"/werkorders/mijn/\d+/$"))
    order_url = page.url

    # Two photos at once, each with a caption (a JPEG and a PNG).
    page.set_input_files('[data-testid="photos-input"]', files=[
        {"name": "lekkage.jpg", "mimeType": "image/jpeg", "buffer": _image((200, 60, 40), "JPEG")},
        {"name": "sifon.png", "mimeType": "image/png", "buffer": _image((40, 160, 90), "PNG")},
    ])
    captions = page.locator('[data-testid="photo-caption-input"]')
    expect(captions).to_have_count(2)
    for index, caption in enumerate(CAPTIONS):
        captions.nth(index).fill(caption)
    page.locator('[data-testid="add-photos"]').tap()
    page.wait_for_url(order_url)
    expect(page.locator('[data-testid="photo"]')).to_have_count(2)

    # Work and travel time, and a material.
    for kind, minutes in (("work", "90"), ("travel", "25")):
        page.select_option('[data-testid="time-kind"]', kind)
        page.fill('[data-testid="time-minutes"]', minutes)
        page.locator('[data-testid="add-time"]').tap()
        page.wait_for_load_state()
    expect(page.locator('[data-testid="time-minutes-cell"]')).to_have_count(2)
    page.fill('[data-testid="item-search"]', "knie")
    expect(page.locator('[data-testid="mat-item"] option')).to_have_count(1)
    page.select_option('[data-testid="mat-item"]', str(item.pk))
    page.fill('[data-testid="mat-quantity"]', "3")
    page.locator('[data-testid="add-material"]').tap()
    page.wait_for_load_state()
    expect(page.locator('[data-testid="material-line"]')).to_have_count(1)

    # The customer signs with a finger (touch pointer events) and a pen-like mouse stroke.
    pad = '[data-testid="signature-pad"]'
    page.locator(pad).scroll_into_view_if_needed()
    touch_stroke(page, pad, [(0.08, 0.75), (0.18, 0.25), (0.3, 0.7), (0.42, 0.3), (0.55, 0.72)])
    box = page.locator(pad).bounding_box()
    assert box is not None and box["width"] <= 390
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.92, box["y"] + box["height"] * 0.3, steps=10)
    page.mouse.up()
    page.fill('[data-testid="signer-name"]', SIGNER)
    page.locator('[data-testid="save-signature"]').tap()
    page.wait_for_url(order_url)
    expect(page.locator('[data-testid="signature-by"]')).to_contain_text(SIGNER)

    # Complete: the customer's address is filled in; nothing is e-mailed before the commit.
    expect(page.locator('[data-testid="customer-email"]')).to_have_value(CUSTOMER_EMAIL)
    assert_fits_the_phone(page, "the work order made on site", ["complete"])
    assert enqueued == [] and smtp.messages == []
    page.locator('[data-testid="complete"]').tap()  # the confirm() is accepted
    page.wait_for_url(re.compile(r"/werkorders/mijn/$"))

    # The server's database: one work order made by the technician, with everything on it.
    with tenant_context(tenant_a):
        order = WorkOrder.objects.get()
        assert (order.status, order.created_by_id, order.customer_id, order.work_address_id) == (
            WorkOrderStatus.COMPLETED, tech_a.pk, customer.pk, address.pk)
        assert list(WorkOrderPhoto.objects.filter(work_order=order).order_by("pk")
                    .values_list("caption", flat=True)) == CAPTIONS
        assert sorted((e.kind, e.minutes, e.technician_id) for e in order.time_entries.all()) == [
            ("travel", 25, tech_a.pk), ("work", 90, tech_a.pk)]
        assert [(m.item_number, m.quantity) for m in order.material_lines.all()] == [
            ("KR-15", Decimal("3.000"))]
        signature = Signature.objects.get()
        assert signature.work_order_id == order.pk and signature.signer_name == SIGNER
        assert order.signed_by_name == SIGNER
        mail = CustomerMail.objects.get()
    assert enqueued == [mail.pk] and mail.status == MailStatus.PENDING

    # A worker runs the enqueued task: exactly one e-mail, to the customer, in Dutch.
    _run_enqueued_tasks(enqueued)
    assert tasks.sweep() == 0 and enqueued == []  # nothing left to send
    (message,) = smtp.messages
    assert message["X-Envelope-To"] == CUSTOMER_EMAIL and message["To"] == CUSTOMER_EMAIL
    assert message["Subject"] == f"Werkbon {order.number} van Installatiebedrijf Alfa B.V."
    assert "Beste klant" in message.get_body(("plain",)).get_content()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"werkbon-{order.number}.pdf"

    # The PDF: the signer's name and the number in its text, the signature among its images.
    reader = PdfReader(io.BytesIO(attachment.get_content()))
    text = "\n".join(pdf_page.extract_text() for pdf_page in reader.pages)
    assert SIGNER in text and str(order.number) in text, text
    images = [image.image for pdf_page in reader.pages for image in pdf_page.images]
    sizes = [picture.size for picture in images]
    signatures = [picture for picture in images if picture.size == (signature.width, signature.height)]
    assert signatures, f"no image of the signature's {signature.width}×{signature.height} px in {sizes}"
    dark, total = _dark_pixels(signatures[0]), signatures[0].width * signatures[0].height
    assert 200 < dark < total // 4, (dark, total)  # strokes: not an empty box, not a black one
    mail.refresh_from_db()
    assert mail.status == MailStatus.SENT and mail.attempts == 1


def _signature_png() -> bytes:
    drawing = Image.new("RGBA", (600, 300), (255, 255, 255, 0))
    for x in range(60, 540):
        for dy in range(-3, 4):
            drawing.putpixel((x, 150 + int(60 * ((x // 40) % 2 - 0.5)) + dy), (17, 17, 17, 255))
    buffer = io.BytesIO()
    drawing.save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_office_sees_the_photos_signature_maker_and_sent_email_at_desktop_size(
        page, live_server, tenant_a, tech_a, office_a, field_data, smtp, enqueued):
    """The same order made through the actions the phone's screens call; the office's page."""
    from playwright.sync_api import expect

    customer, address, item = field_data
    with tenant_context(tenant_a):
        order = actions.apply("workorder.create_on_site", user=tech_a, customer=customer,
                              work_address=address.pk, description="Lekkage in de keuken").value
        for color, caption in zip(((200, 60, 40), (40, 160, 90)), CAPTIONS, strict=True):
            attachments.add_photo(order, user=tech_a, image_bytes=_image(color, "JPEG"), caption=caption)
        today = timezone.localdate()
        actions.apply("time.add", user=tech_a, work_order=order, kind="work", minutes=90, date=today)
        actions.apply("time.add", user=tech_a, work_order=order, kind="travel", minutes=25, date=today)
        actions.apply("material.add", user=tech_a, work_order=order, item=item, quantity=Decimal(3))
        attachments.capture_signature(order, user=tech_a, signer_name=SIGNER, image_bytes=_signature_png())
        actions.apply("workorder.complete", user=tech_a, work_order=order, customer_email=CUSTOMER_EMAIL)
    _run_enqueued_tasks(enqueued)
    assert len(smtp.messages) == 1

    log_in(page, live_server.url, office_a.username)
    page.goto(f"{live_server.url}/werkorders/{order.pk}/")
    expect(page.locator('[data-testid="made-on-site"]')).to_contain_text("Piet Jansen")
    expect(page.locator("dt", has_text="Ter plaatse gemaakt door")).to_be_visible()
    photos = page.locator('[data-testid="photo"]')
    expect(photos).to_have_count(2)
    expect(page.locator('[data-testid="photo-caption"]')).to_have_text(CAPTIONS)
    for index in range(2):
        image = photos.nth(index).locator("img")
        image.scroll_into_view_if_needed()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0
    signature = page.locator('[data-testid="signature-image"]')
    expect(signature).to_be_visible()
    assert signature.evaluate("img => img.naturalWidth") > 0
    expect(page.locator('[data-testid="signature-by"]')).to_contain_text(SIGNER)
    panel = page.locator('[data-testid="customer-mail-panel"]')
    expect(panel.locator('[data-testid="customer-mail"]')).to_have_attribute("data-status", "sent")
    expect(panel).to_contain_text("Verstuurd")
    expect(panel).to_contain_text(CUSTOMER_EMAIL)
