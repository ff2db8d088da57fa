"""The e-mail settings: the dev catcher by default, a real SMTP server named in production."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.test_settings import load_settings, production_env  # noqa: F401 (a fixture)


def test_development_sends_to_the_local_catcher(load_settings):  # noqa: F811
    s = load_settings()
    assert (s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS) == ("127.0.0.1", 8025, False)
    assert s.CUSTOMER_MAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
    assert s.CELERY_BEAT_SCHEDULE["customer-mail-sweep"]["task"] == "werkbon.customermail.tasks.sweep"


def test_production_has_no_default_mail_server_and_uses_starttls(load_settings):  # noqa: F811
    s = load_settings(**production_env())
    assert (s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS) == ("", 587, True)
    s = load_settings(**production_env(), EMAIL_HOST="smtp.example.nl", EMAIL_PORT="465",
                      EMAIL_USE_TLS="false", EMAIL_USE_SSL="true", DEFAULT_FROM_EMAIL="werkbon@example.nl")
    assert (s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_SSL, s.DEFAULT_FROM_EMAIL) == (
        "smtp.example.nl", 465, True, "werkbon@example.nl")
    with pytest.raises(ImproperlyConfigured, match="EMAIL_USE_TLS"):
        load_settings(**production_env(), EMAIL_USE_TLS="true", EMAIL_USE_SSL="true")
