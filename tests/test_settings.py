"""Configuration: strict parsing, safe defaults, mandatory secrets in production."""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
import subprocess
import sys
from base64 import urlsafe_b64encode
from pathlib import Path
from types import ModuleType

import pytest
from django.core.exceptions import ImproperlyConfigured

from werkbon.celery import app as celery_app
from werkbon.env import env_bool, env_int, env_str

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_PY = ROOT / "werkbon" / "settings.py"
# What settings.py reads; names in settings.py that are not this list are found by the
# .env.example test below.
MODE_VARIABLES = [
    "WERKBON_ENV", "DJANGO_SECRET_KEY", "WERKBON_FIELD_ENCRYPTION_KEY", "DJANGO_DEBUG",
    "DATABASE_URL", "CELERY_BROKER_URL", "WERKBON_CELERY_KEY_PREFIX", "CELERY_TASK_ALWAYS_EAGER",
    "VISMANET_CLIENT_ID", "VISMANET_CLIENT_SECRET", "DJANGO_ALLOWED_HOSTS", "WERKBON_LOG_LEVEL",
]


def fernet_key() -> str:
    return urlsafe_b64encode(secrets.token_bytes(32)).decode()


def production_env() -> dict[str, str]:
    return {
        "WERKBON_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "WERKBON_FIELD_ENCRYPTION_KEY": fernet_key(),
        "DJANGO_ALLOWED_HOSTS": "werkbon.example",
    }


@pytest.fixture
def load_settings(monkeypatch, tmp_path):
    """Execute a fresh copy of settings.py with exactly the given variables set."""

    def load(**env: str) -> ModuleType:
        for name in list(os.environ):
            if name in MODE_VARIABLES or name.startswith(("WERKBON_", "VISMANET_", "DJANGO_",
                                                           "CELERY_")):
                monkeypatch.delenv(name)
        monkeypatch.setenv("WERKBON_VAR_DIR", str(tmp_path / "var"))
        env.setdefault("WERKBON_ENV", "development")  # "" = not set: production
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        spec = importlib.util.spec_from_file_location("werkbon_settings_probe", SETTINGS_PY)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


def test_it_defaults_to_the_embedded_mode(load_settings, tmp_path):
    s = load_settings()
    assert s.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert s.DATABASES["default"]["NAME"] == str(tmp_path / "var" / "werkbon.sqlite3")
    assert s.CELERY_BROKER_URL == "werkbon-filesystem://"
    assert s.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"] == str(tmp_path / "var" / "celery-queue")
    assert (tmp_path / "var" / "celery-queue").is_dir()
    assert s.DEBUG is True
    assert s.VISMANET_USES_SANDBOX is True


def test_it_takes_kombus_filesystem_url_as_the_atomic_embedded_queue(load_settings, tmp_path):
    s = load_settings(CELERY_BROKER_URL="filesystem://")
    assert s.CELERY_BROKER_URL == "werkbon-filesystem://"
    assert s.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_out"] == str(tmp_path / "var" / "celery-queue")


def test_it_switches_to_postgresql_and_redis_for_scale_out(load_settings):
    s = load_settings(DATABASE_URL="postgres://app:pw@db.internal:5432/werkbon",
                      CELERY_BROKER_URL="redis://redis.internal:6379/1",
                      WERKBON_CELERY_KEY_PREFIX="werkbon-acme:")
    assert s.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert s.DATABASES["default"]["HOST"] == "db.internal"
    assert s.DATABASES["default"]["NAME"] == "werkbon"
    assert s.CELERY_BROKER_URL == "redis://redis.internal:6379/1"
    assert s.CELERY_BROKER_TRANSPORT_OPTIONS == {"global_keyprefix": "werkbon-acme:"}


@pytest.mark.parametrize("value", ["maybe", "ja", "2", "TRUE!"])
def test_it_refuses_a_boolean_it_does_not_understand(load_settings, value):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_DEBUG"):
        load_settings(DJANGO_DEBUG=value)


@pytest.mark.parametrize("value", ["True", "yes", "ON", "1"])
def test_it_reads_the_usual_spellings_of_true(load_settings, value):
    assert load_settings(DJANGO_DEBUG=value).DEBUG is True


@pytest.mark.parametrize("value", ["fast", "1.5", "0", "-3"])
def test_it_refuses_a_bad_whole_number(load_settings, value):
    with pytest.raises(ImproperlyConfigured, match="WERKBON_SCHEDULER_TICK_SECONDS"):
        load_settings(WERKBON_SCHEDULER_TICK_SECONDS=value)


@pytest.mark.parametrize(("name", "value"), [("WERKBON_ENV", "prod"), ("WERKBON_LOG_LEVEL", "LOUD")])
def test_it_refuses_an_unknown_choice(load_settings, name, value):
    with pytest.raises(ImproperlyConfigured, match=name):
        load_settings(**{name: value})


def test_it_refuses_an_encryption_key_that_is_not_a_fernet_key(load_settings):
    with pytest.raises(ImproperlyConfigured, match="WERKBON_FIELD_ENCRYPTION_KEY"):
        load_settings(WERKBON_FIELD_ENCRYPTION_KEY="not-a-key")


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "WERKBON_FIELD_ENCRYPTION_KEY"])
def test_it_refuses_production_without_a_secret(load_settings, missing):
    env = production_env()
    del env[missing]
    with pytest.raises(ImproperlyConfigured, match=missing):
        load_settings(**env)


def test_it_refuses_production_with_a_visma_client_id_but_no_secret(load_settings):
    with pytest.raises(ImproperlyConfigured, match="VISMANET_CLIENT_SECRET"):
        load_settings(**production_env(), VISMANET_CLIENT_ID="acme-werkbon")


def test_it_talks_to_visma_net_itself_with_client_credentials(load_settings):
    s = load_settings(**production_env(), VISMANET_CLIENT_ID="acme-werkbon",
                      VISMANET_CLIENT_SECRET="s3cret")
    assert s.VISMANET_USES_SANDBOX is False
    assert s.VISMANET_ERP_BASE_URL == "https://api.finance.visma.net"
    assert s.VISMANET_CLIENT_SECRET == "s3cret"


def test_without_an_environment_it_is_production(load_settings):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY"):
        load_settings(WERKBON_ENV="")
    env = production_env()
    del env["WERKBON_ENV"]
    s = load_settings(WERKBON_ENV="", **env)
    assert s.PRODUCTION is True
    assert s.DEBUG is False
    assert s.ALLOWED_HOSTS == ["werkbon.example"]
    assert s.SECURE_SSL_REDIRECT and s.SESSION_COOKIE_SECURE


def test_the_tests_run_in_the_test_environment():
    from django.conf import settings

    assert settings.ENVIRONMENT == "test"
    assert settings.DEBUG is False


def test_hsts_and_the_proxy_are_explicit_settings(load_settings):
    s = load_settings(**production_env())
    assert s.SECURE_HSTS_INCLUDE_SUBDOMAINS is True and s.SECURE_HSTS_PRELOAD is True
    assert not hasattr(s, "SECURE_PROXY_SSL_HEADER")  # a client's header is not trusted
    s = load_settings(**production_env(), DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="false",
                      DJANGO_SECURE_HSTS_PRELOAD="false", WERKBON_BEHIND_PROXY="true")
    assert s.SECURE_HSTS_INCLUDE_SUBDOMAINS is False and s.SECURE_HSTS_PRELOAD is False
    assert s.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    assert s.AXES_IPWARE_META_PRECEDENCE_ORDER[0] == "HTTP_X_FORWARDED_FOR"


def test_every_job_has_a_soft_and_a_hard_time_limit(load_settings):
    s = load_settings()
    assert 0 < s.CELERY_TASK_SOFT_TIME_LIMIT < s.CELERY_TASK_TIME_LIMIT <= 3600
    from werkbon.celery import app

    assert app.conf.task_soft_time_limit == s.CELERY_TASK_SOFT_TIME_LIMIT


def test_it_is_secure_in_production(load_settings):
    s = load_settings(**production_env())
    assert s.DEBUG is False
    assert s.ALLOWED_HOSTS == ["werkbon.example"]
    assert s.SESSION_COOKIE_SECURE and s.CSRF_COOKIE_SECURE and s.SECURE_SSL_REDIRECT
    assert s.SECURE_HSTS_SECONDS >= 31536000
    assert s.SECRET_KEY.startswith("dev-only") is False


def test_it_reads_a_secret_from_a_file(load_settings, tmp_path):
    secret_file = tmp_path / "secret_key"
    secret_file.write_text("from-a-file-0123456789\n")
    env = production_env()
    del env["DJANGO_SECRET_KEY"]
    s = load_settings(**env, DJANGO_SECRET_KEY_FILE=str(secret_file))
    assert s.SECRET_KEY == "from-a-file-0123456789"


def test_it_reports_an_unreadable_secret_file(monkeypatch, tmp_path):
    monkeypatch.setenv("SOME_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="SOME_SECRET_FILE"):
        env_str("SOME_SECRET")


def test_it_treats_an_empty_variable_as_unset(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "")
    monkeypatch.setenv("SOME_NUMBER", "")
    assert env_bool("SOME_FLAG", default=True) is True
    assert env_int("SOME_NUMBER", 7) == 7


def test_it_lists_every_setting_in_env_example():
    source = SETTINGS_PY.read_text()
    read = set(re.findall(r'(?:env_\w+|_secret)\(\s*"([A-Z][A-Z0-9_]+)"', source))
    assert "DATABASE_URL" in read and "CELERY_BROKER_URL" in read  # the pattern finds them
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert read - listed == set(), "add these to .env.example"
    assert listed - read == set(), "settings.py no longer reads these"


def test_it_passes_the_deploy_checks_in_production(tmp_path):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("WERKBON_", "VISMANET_", "DJANGO_", "CELERY_", "DATABASE_URL"))}
    env.update(production_env(), DATABASE_URL="sqlite:///:memory:", WERKBON_VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_routes_periodic_and_export_work_to_their_own_queues():
    def queue_of(task_name: str) -> str:
        return celery_app.amqp.router.route({}, task_name)["queue"].name

    assert queue_of("werkbon.health.record_heartbeat") == "periodic"
    assert queue_of("werkbon.integrations.tasks.export_work_order") == "export"
    assert queue_of("werkbon.integrations.tasks.tick") == "periodic"
    assert queue_of("werkbon.customermail.tasks.sweep") == "periodic"
    # the imports have their own queue: a backlog of syncs never delays (and so expires) a tick
    assert queue_of("werkbon.integrations.tasks.sync_incremental") == "sync"
    assert queue_of("werkbon.integrations.tasks.sync_first_import") == "sync"
    assert queue_of("werkbon.workorders.tasks.anything_else") == "default"
    # A worker started without -Q (the embedded `worker -B`) consumes every queue.
    assert {q.name for q in celery_app.conf.task_queues} == {"default", "periodic", "sync", "export"}
    # Each queue is bound by its own key, so a message lands in one queue only.
    assert len({q.routing_key for q in celery_app.conf.task_queues}) == 4
