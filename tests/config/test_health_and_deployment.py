"""Health endpoints for web and worker, and a compose file that deploys behind the
settings a real deployment uses (issue 10, "safe by default")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from django.test import Client
from django.utils import timezone

from werkbon.accounts.models import WorkerHeartbeat

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def test_the_web_health_answers_before_the_host_check_and_the_https_redirect(settings):
    settings.ALLOWED_HOSTS = ["werkbon.example"]
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/health/", HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    # every other path still goes through both
    assert Client().get("/accounts/login/", HTTP_HOST="127.0.0.1:8000").status_code == 400


def test_the_worker_health_needs_a_recent_heartbeat(settings):
    client = Client()
    assert client.get("/health/worker/").status_code == 503
    WorkerHeartbeat.objects.create(tenant=None, worker="celery@test", beat_at=timezone.now(),
                                   beats=1)
    assert client.get("/health/worker/").json() == {"status": "ok"}
    WorkerHeartbeat.objects.update(beat_at=timezone.now() - dt.timedelta(hours=1))
    assert client.get("/health/worker/").status_code == 503


def test_compose_runs_production_behind_a_proxy_with_health_checks():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    env = services["web"]["environment"]
    assert env["WERKBON_ENV"] == "production"
    assert str(env["WERKBON_BEHIND_PROXY"]).lower() == "true"
    assert "/health/" in " ".join(services["web"]["healthcheck"]["test"])
    for name in ("worker", "worker-export"):
        assert "ping" in " ".join(services[name]["healthcheck"]["test"]), name
    assert "/health/worker/" in " ".join(services["scheduler"]["healthcheck"]["test"])
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "WERKBON_ENV=production" in dockerfile
    assert "HEALTHCHECK" in dockerfile
