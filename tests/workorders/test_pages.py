"""The pages around the screens: Dutch error pages with the reason and a way back, Dutch
unless the user chose another language (the browser's Accept-Language does not count),
and a favicon."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse

from tests.conftest import PASSWORD, make_user
from werkbon.accounts.models import Role
from werkbon.workorders import services

pytestmark = pytest.mark.django_db


# --- error pages (U1) ----------------------------------------------------------------------------


def test_a_technician_on_an_office_page_gets_a_dutch_page_with_the_reason_and_a_way_back(
        tech_client):
    response = tech_client.get(reverse("workorders:list"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "Geen toegang" in html and "Alleen kantoor kan dit doen." in html
    assert 'data-testid="back"' in html and 'class="mainnav"' in html


def test_a_missing_page_is_a_dutch_page_with_a_way_back(tech_client, customer):
    other = make_user(customer.tenant, "tech_other", Role.TECHNICIAN)
    order = services.create_work_order(customer=customer, technicians=[other])
    response = tech_client.get(reverse("workorders:my_work_order", args=[order.pk]))
    assert response.status_code == 404
    assert "Pagina niet gevonden" in response.content.decode()


def test_the_500_page_renders_without_a_request():
    html = render_to_string("500.html")
    assert "Er ging iets mis" in html and 'href="/"' in html


# --- U9: Dutch unless chosen ---------------------------------------------------------------------


def test_the_browser_language_does_not_switch_the_screens_only_the_language_switch_does(
        client, tech_a):
    assert client.login(username=tech_a.username, password=PASSWORD)
    url = reverse("workorders:my_work")
    english_browser = {"Accept-Language": "en-US,en;q=0.9"}
    assert "Mijn werkbonnen" in client.get(url, headers=english_browser).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": url})
    assert "My work orders" in client.get(url, headers=english_browser).content.decode()



# --- favicon (K3) --------------------------------------------------------------------------------


def test_every_page_has_a_favicon(tech_client):
    html = tech_client.get(reverse("workorders:my_work")).content.decode()
    match = re.search(r'<link rel="icon" href="/static/([^"]+)"', html)
    assert match and finders.find(match.group(1))
