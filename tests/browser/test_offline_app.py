"""The technician's app without signal (issue 12), in headless Chromium at phone size.

Playwright's offline mode (``context.set_offline``) cuts the network; the service worker
serves the app from its cache and the app draws from IndexedDB. See docs/architecture.md,
"Offline app".
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image

from tests.browser.test_workorder_flow import log_in
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import services
from werkbon.workorders.models import (
    Customer,
    FormQuestion,
    FormTemplate,
    Item,
    WorkAddress,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png_bytes(colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def job(tenant_a, tech_a):
    with tenant_context(tenant_a):
        customer = Customer.objects.create(number="10001", name="Bakkerij De Korrel")
        address = WorkAddress.objects.create(customer=customer, street="Molenweg", house_number="3",
                                             postal_code="7901 AB", city="Hoogeveen")
        item = Item.objects.create(number="KR-15", description="Kogelkraan 15 mm", unit="st",
                                   sales_price=Decimal("9.95"))
        Item.objects.create(number="KR-22", description="Kogelkraan 22 mm", unit="st")
        template = FormTemplate.objects.create(name="Keuring")
        pressure = FormQuestion.objects.create(template=template, label="Druk (bar)", kind="text",
                                               position=1)
        photo = FormQuestion.objects.create(template=template, label="Foto meter", kind="photo",
                                            position=2)
        order = services.create_work_order(
            customer=customer, work_address=address, description="Lekkende kraan vervangen",
            technicians=[tech_a],
            planned_start=timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(8))))
    return {"order": order, "item": item, "template": template, "pressure": pressure,
            "photo": photo}


def open_app(page, base: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/werkorders/app/")
    expect(page.locator("body[data-ready]")).to_have_count(1)
    # the service worker controls the page once it is active (after the first load)
    page.evaluate("navigator.serviceWorker.ready")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()
        expect(page.locator("body[data-ready]")).to_have_count(1)


def queue_count(page) -> int:
    return int(page.locator('[data-testid="queue-count"]').inner_text())


def test_the_app_opens_offline_and_queues(phone_page, live_server, tech_a, job):
    from playwright.sync_api import expect

    page = phone_page
    base = live_server.url
    order = job["order"]
    log_in(page, base, tech_a.username)
    open_app(page, base)
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("body[data-ready]")).to_have_count(1)
    expect(page.locator('[data-testid="net-state"]')).to_have_text("offline")
    page.locator(f'[data-testid="app-open-order-{order.number}"]').tap()
    expect(page.locator('[data-testid="app-order-title"]')).to_have_text(f"Werkbon {order.number}")
    expect(page.locator('[data-testid="app-description"]')).to_have_text("Lekkende kraan vervangen")
    page.fill('[data-testid="app-time-minutes"]', "45")
    page.click('[data-testid="app-add-time"]')
    expect(page.locator('[data-testid="queue-count"]')).to_have_text("1")
