"""Login throttling and lockout (issue 10, finding 4): the login page, the admin and the
API's token authentication stop answering a guesser after a few failures, with a Dutch
message, and open again after the cool-off."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD
from werkbon.accounts.models import ApiToken, User

pytestmark = pytest.mark.django_db

LIMIT = settings.AXES_FAILURE_LIMIT


def _login(client: Client, username: str, password: str, url: str = "/accounts/login/"):
    return client.post(url, {"username": username, "password": password})


def test_the_limit_is_small_and_the_cool_off_stated():
    assert 3 <= LIMIT <= 10
    assert dt.timedelta(minutes=5) <= settings.AXES_COOLOFF_TIME


def test_wrong_passwords_lock_the_login_even_for_the_right_one(office_a):
    client = Client()
    for _ in range(LIMIT - 1):
        assert _login(client, office_a.username, "fout").status_code == 200
    assert _login(client, office_a.username, "fout").status_code == 429  # the last one locks
    response = _login(client, office_a.username, PASSWORD)
    assert response.status_code == 429
    text = response.content.decode()
    assert "Te veel mislukte inlogpogingen" in text
    assert "minuten" in text
    assert response["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    assert "_auth_user_id" not in client.session


def test_another_user_from_the_same_address_still_logs_in(office_a, tech_a):
    client = Client()
    for _ in range(LIMIT):
        _login(client, office_a.username, "fout")
    assert _login(Client(), tech_a.username, PASSWORD).status_code == 302


def test_the_lock_ends_after_the_cool_off(office_a):
    client = Client()
    for _ in range(LIMIT):
        _login(client, office_a.username, "fout")
    assert _login(client, office_a.username, PASSWORD).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=1))
    assert _login(client, office_a.username, PASSWORD).status_code == 302


def test_the_admin_login_is_throttled_too(db):
    User.objects.create_superuser("beheer", password=PASSWORD)
    client = Client()
    for _ in range(LIMIT - 1):
        assert _login(client, "beheer", "fout", "/admin/login/").status_code == 200
    _login(client, "beheer", "fout", "/admin/login/")
    response = _login(client, "beheer", PASSWORD, "/admin/login/")
    assert response.status_code == 429
    assert "Te veel mislukte inlogpogingen" in response.content.decode()


def test_guessing_api_tokens_locks_token_authentication(office_a):
    _token, key = ApiToken.issue(office_a, "script")
    client = Client()
    for i in range(LIMIT):
        bad = client.get("/api/v1/work-orders",
                         headers={"Authorization": f"Bearer wb_geraden{i}"})
        assert bad.status_code == (401 if i < LIMIT - 1 else 429)
    response = client.get("/api/v1/work-orders", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 429
    assert "Te veel mislukte" in response.json()["detail"]
    assert response["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    # another address is not locked out
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.get("/api/v1/work-orders",
                     headers={"Authorization": f"Bearer {key}"}).status_code == 200
