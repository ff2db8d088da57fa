"""Archiving asks for confirmation (issue 11, office): GET shows what archiving does and the
work order's lines (no integration active here: nothing is sent), POST archives."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD
from werkbon.workorders.models import WorkOrder, WorkOrderStatus

pytestmark = pytest.mark.django_db


def test_the_confirmation_shows_the_lines_and_archives_nothing(office_client, completed_order):
    url = reverse("workorders:archive", args=[completed_order.pk])
    detail = office_client.get(reverse("workorders:detail", args=[completed_order.pk])).content.decode()
    assert f'href="{url}" data-testid="archive"' in detail  # a link to the confirmation, not a POST
    response = office_client.get(url)
    assert response.status_code == 200
    assert response.context["preview"] is None
    assert [(ln.item_number, ln.description, ln.quantity, ln.unit, ln.note) for ln in response.context["lines"]] == [
        ("", "Werktijd", Decimal("2.25"), "uur", ""),
        ("", "Reistijd", Decimal("0.33"), "uur", ""),
        ("CV01", "Vulkraan ½ duim", Decimal("2.000"), "st", "links en rechts"),
        ("PIJP", "Koperen pijp 15 mm", Decimal("1.500"), "m", ""),
    ]
    html = response.content.decode()
    assert "Er is geen koppeling met een boekhoudpakket actief: er wordt niets verstuurd." in html
    assert html.count('data-testid="archive-line"') == 4
    assert 'data-testid="work-order-pdf"' in html
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None  # no inline script (CSP)
    assert WorkOrder.objects.get(pk=completed_order.pk).status == WorkOrderStatus.COMPLETED


def test_confirming_archives(office_client, completed_order):
    response = office_client.post(reverse("workorders:archive", args=[completed_order.pk]), follow=True)
    assert "Werkbon 1 gearchiveerd." in [str(m) for m in response.context["messages"]]
    assert WorkOrder.objects.get(pk=completed_order.pk).status == WorkOrderStatus.ARCHIVED


@pytest.mark.parametrize("fixture", ["planned_order", "archived_order"])
def test_no_confirmation_for_an_order_that_cannot_be_archived(office_client, request, fixture):
    order = request.getfixturevalue(fixture)
    response = office_client.get(reverse("workorders:archive", args=[order.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("workorders:detail", args=[order.pk])
    assert WorkOrder.objects.get(pk=order.pk).status == order.status


def test_other_tenants_and_technicians_get_no_confirmation(completed_order, office_b, tech_a):
    url = reverse("workorders:archive", args=[completed_order.pk])
    for user, status in ((office_b, 404), (tech_a, 403)):
        client = Client()
        assert client.login(username=user.username, password=PASSWORD)
        assert client.get(url).status_code == status
        assert client.post(url).status_code == status
    assert WorkOrder.all_tenants.get(pk=completed_order.pk).status == WorkOrderStatus.COMPLETED
