"""Technicians do not see sales prices (API, PDF) unless the tenant turns that on (issue 10)."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from werkbon.accounts.models import ApiToken

pytestmark = pytest.mark.django_db

PRICE = "€ 12,50"


@pytest.fixture
def priced(completed_order, items):
    item = items["CV01"]
    item.sales_price = "12.50"
    item.save()
    return completed_order


def _pdf_text(client, order) -> str:
    response = client.get(reverse("workorders:pdf", args=[order.pk]))
    assert response.status_code == 200
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)


def _api_prices(user) -> list:
    _token, key = ApiToken.issue(user, "test")
    response = Client().get("/api/v1/items", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    return [item["sales_price"] for item in response.json()["items"]]


def test_a_technician_sees_no_prices_by_default(priced, tech_client, tech_a, tenant_a):
    assert tenant_a.technicians_see_prices is False
    assert PRICE not in _pdf_text(tech_client, priced)
    assert set(_api_prices(tech_a)) == {None}


def test_the_office_sees_prices(priced, office_client, office_a):
    assert PRICE in _pdf_text(office_client, priced)
    assert "12.50" in _api_prices(office_a)


def test_the_tenant_can_show_prices_to_technicians(priced, tech_client, tech_a, tenant_a):
    tenant_a.technicians_see_prices = True
    tenant_a.save()
    assert PRICE in _pdf_text(tech_client, priced)
    assert "12.50" in _api_prices(tech_a)
