"""An id with more digits than the database's integers hold is "not found", never a 500:
the item list's group filter and the log's "send again" (found by the closing review)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

HUGE = "9" * 30


def _office(user) -> Client:
    client = Client(raise_request_exception=False)
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_a_huge_group_id_filters_the_item_list_to_nothing(office_a, in_tenant_a):
    from werkbon.workorders.models import Item

    Item.objects.create(number="KR-15", description="Knie 15 mm")
    client = _office(office_a)
    assert "KR-15" in client.get("/werkorders/artikelen/").content.decode()
    response = client.get("/werkorders/artikelen/", {"group": HUGE})
    assert response.status_code == 200
    assert "KR-15" not in response.content.decode()


def test_a_huge_log_entry_id_is_not_found(office_a):
    response = _office(office_a).post("/integraties/logging/opnieuw/", {"entry": HUGE})
    assert response.status_code == 404
