"""The work-order PDF renders diacritics and the sign-off moment correctly (issue 2):
"ü" and "ø" come out as themselves, and the sign-off date and time are Europe/Amsterdam in
dd-mm-yyyy, whatever time zone happens to be active (the PDF is attached to exports, so it
must not depend on who renders it)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import services
from werkbon.workorders.models import Customer, Item, WorkAddress, WorkOrder
from werkbon.workorders.pdf import render_work_order_pdf

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def completed_order(tenant, technician, signed_at: dt.datetime) -> WorkOrder:  # type: ignore[no-untyped-def]
    with tenant_context(tenant):
        customer = Customer.objects.create(number="10001", name="Müller Installatie")
        address = WorkAddress.objects.create(customer=customer, street="Søndervej",
                                             house_number="3", postal_code="7901 AB",
                                             city="Hoogeveen")
        item = Item.objects.create(number="PIJP-15", description="Koperen buis ø 15 mm",
                                   unit="m", sales_price=Decimal("4.95"))
        order = services.create_work_order(
            customer=customer, work_address=address, description="Lekkage bij de ketel",
            technicians=[technician],
            planned_start=timezone.make_aware(dt.datetime(2025, 3, 12, 9, 0)))
        services.add_time_entry(order, technician=technician, kind="work", minutes=60,
                                date=dt.date(2025, 3, 12))
        services.add_material_line(order, item=item, quantity=Decimal("2"), technician=technician,
                                   note="Ø gecontroleerd")
        services.complete(order, user=technician, signed_by_name="Jörg Müller")
        WorkOrder.objects.filter(pk=order.pk).update(completed_at=signed_at)
        order.refresh_from_db()
        return order


@pytest.mark.parametrize(("signed_at_utc", "local"), [
    # winter time (UTC+1): 23:30 UTC is already the next day in Amsterdam
    (dt.datetime(2025, 3, 12, 23, 30, tzinfo=dt.UTC), "13-03-2025 00:30"),
    # summer time (UTC+2)
    (dt.datetime(2025, 7, 1, 22, 15, tzinfo=dt.UTC), "02-07-2025 00:15"),
])
@pytest.mark.parametrize("active_zone", [None, "UTC", "America/New_York"])
def test_the_work_order_pdf_shows_diacritics_and_the_local_sign_off_date(
        tenant_a, tech_a, signed_at_utc, local, active_zone):
    order = completed_order(tenant_a, tech_a, signed_at_utc)
    with tenant_context(tenant_a):
        if active_zone is None:
            content = render_work_order_pdf(order)
        else:
            with timezone.override(active_zone):
                content = render_work_order_pdf(order)
    text = pdf_text(content)
    for expected in ("Müller Installatie (10001)", "Søndervej 3", "Koperen buis ø 15 mm",
                     "Ø gecontroleerd", "Jörg Müller"):
        assert expected in text, expected
    assert f"Afgetekend door Jörg Müller op {local}." in text, text
