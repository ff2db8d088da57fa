"""API tokens expire, and each user sees and revokes their own on a screen (issue 10)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD
from werkbon.accounts.models import ApiToken
from werkbon.accounts.tenancy import tenant_context

pytestmark = pytest.mark.django_db


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_token_expires(office_a):
    token, key = ApiToken.issue(office_a, "script")
    assert token.expires_at is not None
    lifetime = token.expires_at - timezone.now()
    assert dt.timedelta(days=settings.WERKBON_API_TOKEN_DAYS - 1) < lifetime
    assert Client().get("/api/v1/work-orders", headers=_bearer(key)).status_code == 200
    ApiToken.all_tenants.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = Client().get("/api/v1/work-orders", headers=_bearer(key))
    assert response.status_code == 401


def _logged_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_a_user_sees_and_revokes_only_their_own_tokens(office_a, tech_a, tenant_a):
    mine, my_key = ApiToken.issue(tech_a, "mijn telefoon")
    theirs, _key = ApiToken.issue(office_a, "boekhouding")
    client = _logged_in(tech_a)
    page = client.get(reverse("accounts:api_tokens"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "mijn telefoon" in html and mine.prefix in html
    assert "boekhouding" not in html
    # another user's token cannot be revoked (404, and it still works)
    assert client.post(reverse("accounts:api_token_revoke", args=[theirs.pk])).status_code == 404
    with tenant_context(tenant_a):
        assert not ApiToken.objects.get(pk=theirs.pk).is_revoked
    response = client.post(reverse("accounts:api_token_revoke", args=[mine.pk]))
    assert response.status_code == 302
    assert Client().get("/api/v1/work-orders", headers=_bearer(my_key)).status_code == 401


def test_a_user_makes_a_token_and_sees_its_key_once(tech_a, tenant_a):
    client = _logged_in(tech_a)
    response = client.post(reverse("accounts:api_tokens"), {"name": "werkplaats", "days": "30"},
                           follow=True)
    assert response.status_code == 200
    with tenant_context(tenant_a):
        token = ApiToken.objects.get(name="werkplaats")
    assert token.user == tech_a
    assert dt.timedelta(days=29) < token.expires_at - timezone.now() <= dt.timedelta(days=30)
    html = response.content.decode()
    assert ApiToken.KEY_PREFIX in html  # the key, shown once
    again = client.get(reverse("accounts:api_tokens")).content.decode()
    assert token.prefix in again
    key_shown = html.split('data-testid="new-key">', 1)[1].split("<", 1)[0]
    assert key_shown not in again
    assert Client().get("/api/v1/work-orders", headers=_bearer(key_shown)).status_code == 200
