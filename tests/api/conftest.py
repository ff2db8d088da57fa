"""API fixtures: tenant A's records, tokens, and a client that speaks JSON with a bearer key."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from werkbon.accounts.models import ApiToken, User
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import services
from werkbon.workorders.models import (
    Customer,
    FormQuestion,
    FormTemplate,
    Item,
    ItemType,
    QuestionKind,
    WorkAddress,
)

API = "/api/v1"
# A time entry's date is at most a year back and not in the future: yesterday always fits.
RECENT = (timezone.localdate() - dt.timedelta(days=1)).isoformat()


class ApiClient:
    """JSON requests with ``Authorization: Bearer <key>``; ``.json`` on the response."""

    def __init__(self, key: str | None) -> None:
        self.client = Client()
        self.key = key

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"} if self.key else {}

    def get(self, path: str, params: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
        return self.client.get(API + path, params or {}, headers=self._headers())

    def post(self, path: str, body: Any = None, raw: str | None = None,  # type: ignore[no-untyped-def]
             headers: dict[str, str] | None = None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(API + path, data, content_type="application/json",
                                headers={**self._headers(), **(headers or {})})

    def patch(self, path: str, body: Any, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        return self.client.patch(API + path, json.dumps(body), content_type="application/json",
                                 headers={**self._headers(), **(headers or {})})


def client_for(user: User) -> ApiClient:
    _token, key = ApiToken.issue(user, "test")
    return ApiClient(key)


@pytest.fixture
def office_api(office_a) -> ApiClient:
    return client_for(office_a)


@pytest.fixture
def tech_api(tech_a) -> ApiClient:
    return client_for(tech_a)


@pytest.fixture
def records_a(tenant_a, tech_a) -> dict[str, Any]:
    """Tenant A: a customer with a work address, two items, a form template, and a work
    order planned to tech_a."""
    with tenant_context(tenant_a):
        customer = Customer.objects.create(number="10001", name="Bakkerij De Vries", city="Utrecht")
        inactive = Customer.objects.create(number="10002", name="Oud Klant", status="inactive")
        address = WorkAddress.objects.create(customer=customer, street="Dorpsstraat",
                                             house_number="12", postal_code="3511 AA", city="Utrecht")
        other_customer = Customer.objects.create(number="10003", name="Garage Jansen")
        other_address = WorkAddress.objects.create(customer=other_customer, street="Kerkweg",
                                                   house_number="1", city="Zeist")
        item = Item.objects.create(number="KR-15", description="Koperen knie 15 mm", unit="st",
                                   sales_price=Decimal("1.95"), item_type=ItemType.STOCK)
        inactive_item = Item.objects.create(number="OLD-1", description="Oud artikel",
                                            status="inactive")
        template = FormTemplate.objects.create(name="Ketelcontrole")
        q_text = FormQuestion.objects.create(template=template, position=10, label="Opmerkingen")
        q_number = FormQuestion.objects.create(template=template, position=20, label="CO-waarde (ppm)",
                                               kind=QuestionKind.NUMBER, required=True)
        q_yes_no = FormQuestion.objects.create(template=template, position=30, label="Lekvrij?",
                                               kind=QuestionKind.YES_NO)
        q_choice = FormQuestion.objects.create(template=template, position=40, label="Toestand",
                                               kind=QuestionKind.CHOICE, choices="goed\nmatig\nslecht")
        q_photo = FormQuestion.objects.create(template=template, position=50, label="Foto",
                                              kind=QuestionKind.PHOTO)
        order = services.create_work_order(
            customer=customer, work_address=address, description="Ketel onderhouden",
            customer_reference="PO-77", technicians=[tech_a],
            planned_start=timezone.make_aware(dt.datetime(2025, 3, 10, 9, 0)), planned_minutes=90,
        )
        unplanned = services.create_work_order(customer=other_customer, work_address=other_address,
                                               description="Lekkage zoeken")
    return {
        "customer": customer, "inactive_customer": inactive, "address": address,
        "other_customer": other_customer, "other_address": other_address, "item": item,
        "inactive_item": inactive_item, "template": template, "q_text": q_text,
        "q_number": q_number, "q_yes_no": q_yes_no, "q_choice": q_choice, "q_photo": q_photo,
        "order": order, "unplanned": unplanned,
    }


def complete_order(tenant, order, user) -> None:  # type: ignore[no-untyped-def]
    with tenant_context(tenant):
        services.complete(order, user=user)


def archive_order(tenant, order, user) -> None:  # type: ignore[no-untyped-def]
    with tenant_context(tenant):
        services.complete(order, user=user)
        services.archive(order, user=user)
