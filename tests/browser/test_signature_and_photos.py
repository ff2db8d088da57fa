"""On a phone (390×844, touch): the customer signs on the screen with pointer events, the
technician adds two photos with captions and completes; the office sees the photos and the
signature (issue 11). The company requires a signature, so an unsigned order cannot be
completed; an empty box is not sent.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from PIL import Image

from tests.browser.test_workorder_flow import log_in, log_out
from tests.fixtures.browser import touch_stroke
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import services
from werkbon.workorders.models import (
    Customer,
    Signature,
    WorkAddress,
    WorkOrderPhoto,
    WorkOrderStatus,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _jpeg(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(buffer, format="JPEG")
    return buffer.getvalue()




def test_the_customer_signs_the_technician_adds_photos_and_completes_on_a_phone(
        phone_page, live_server, tenant_a, tech_a, office_a, tmp_path, settings):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path / "media"
    page = phone_page
    tenant_a.signature_required = True
    tenant_a.save()
    with tenant_context(tenant_a):
        customer = Customer.objects.create(number="10001", name="Bakkerij De Zoete Inval")
        address = WorkAddress.objects.create(customer=customer, street="Kerkstraat", house_number="12a",
                                             postal_code="7901 AA", city="Hoogeveen")
        order = services.create_work_order(
            customer=customer, work_address=address, description="CV-ketel onderhoud", technicians=[tech_a],
            planned_start=timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(8, 0))))
    base = live_server.url
    log_in(page, base, tech_a.username)
    page.goto(f"{base}/werkorders/mijn/{order.pk}/")

    # Unsigned: completing is refused with the reason.
    page.locator('[data-testid="complete"]').tap()
    expect(page.locator(".msg-error")).to_contain_text("zonder de handtekening van de klant")

    # An empty box is not sent.
    pad = '[data-testid="signature-pad"]'
    page.fill('[data-testid="signer-name"]', "Zoë de Vries")
    page.locator('[data-testid="save-signature"]').tap()
    expect(page.locator("[data-signature-error]")).to_be_visible()
    assert page.url.endswith(f"/werkorders/mijn/{order.pk}/")

    # A stroke with the mouse, cleared, then the signature with a finger and the mouse.
    page.locator(pad).scroll_into_view_if_needed()
    box = page.locator(pad).bounding_box()
    assert box is not None and box["width"] <= 390
    page.mouse.move(box["x"] + 20, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + 90, steps=8)
    page.mouse.up()
    page.locator('[data-testid="signature-clear"]').tap()
    touch_stroke(page, pad, [(0.1, 0.8), (0.2, 0.3), (0.3, 0.7), (0.45, 0.25), (0.6, 0.75)])
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.75)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.3, steps=10)
    page.mouse.up()
    page.locator('[data-testid="save-signature"]').tap()
    page.wait_for_load_state()
    expect(page.locator('[data-testid="signature-image"]')).to_be_visible()
    expect(page.locator('[data-testid="signature-by"]')).to_contain_text("Zoë de Vries")

    # Two photos at once, each with a caption.
    page.set_input_files('[data-testid="photos-input"]', files=[
        {"name": "ketel.jpg", "mimeType": "image/jpeg", "buffer": _jpeg((200, 60, 40))},
        {"name": "meter.jpg", "mimeType": "image/jpeg", "buffer": _jpeg((40, 160, 90))},
    ])
    captions = page.locator('[data-testid="photo-caption-input"]')
    expect(captions).to_have_count(2)
    captions.nth(0).fill("Ketel na onderhoud")
    captions.nth(1).fill("Waterdruk 1,5 bar")
    page.locator('[data-testid="add-photos"]').tap()
    page.wait_for_load_state()
    expect(page.locator('[data-testid="photo"]')).to_have_count(2)
    size = page.evaluate("() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
    assert size["scroll"] <= size["inner"] == 390, size  # nothing scrolls sideways

    page.locator('[data-testid="complete"]').tap()  # the confirm() is accepted
    page.wait_for_url(re.compile(r"/werkorders/mijn/$"))

    with tenant_context(tenant_a):
        order.refresh_from_db()
        assert order.status == WorkOrderStatus.COMPLETED and order.signed_by_name == "Zoë de Vries"
        signature = Signature.objects.get(work_order=order)
        with Image.open(io.BytesIO(bytes(signature.image))) as drawn:
            grey = drawn.convert("L")
            half = grey.width // 2
            left = sum(grey.crop((0, 0, half, grey.height)).histogram()[:160])
            right = sum(grey.crop((half, 0, grey.width, grey.height)).histogram()[:160])
            # where only the cleared stroke was (it started 20 px from the top left corner)
            corner = sum(grey.crop((0, 0, grey.width // 10, grey.height // 5)).histogram()[:160])
        # both strokes arrived (the finger's on the left, the mouse's on the right), and the
        # cleared first stroke did not
        assert left > 200 and right > 200 and corner == 0, (left, right, corner)
        assert list(WorkOrderPhoto.objects.filter(work_order=order).values_list("caption", flat=True)) == [
            "Ketel na onderhoud", "Waterdruk 1,5 bar"]

    # The office sees the photos (loaded as images) and the signature.
    log_out(page)
    log_in(page, base, office_a.username)
    page.goto(f"{base}/werkorders/{order.pk}/")
    photos = page.locator('[data-testid="photo"]')
    expect(photos).to_have_count(2)
    expect(page.locator('[data-testid="photo-caption"]').nth(0)).to_have_text("Ketel na onderhoud")
    expect(page.locator('[data-testid="photo-caption"]').nth(1)).to_have_text("Waterdruk 1,5 bar")
    for index in range(2):
        photos.nth(index).locator("img").scroll_into_view_if_needed()
        expect(photos.nth(index).locator("img")).to_have_js_property("complete", True)
        assert photos.nth(index).locator("img").evaluate("img => img.naturalWidth") > 0
    expect(page.locator('[data-testid="signature-image"]')).to_be_visible()
    assert page.locator('[data-testid="signature-image"]').evaluate("img => img.naturalWidth") > 0
