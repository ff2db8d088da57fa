"""Scale-out mode: a real worker process takes a task from Redis and writes to PostgreSQL."""

from __future__ import annotations

import os
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection

from tests.scaleout.conftest import clean_env, wait_for
from werkbon.accounts.models import Tenant, WorkerHeartbeat
from werkbon.health import record_heartbeat

pytestmark = [pytest.mark.scaleout, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scaleout_services() -> None:
    """Skip (a failure in CI) unless the tests run on PostgreSQL with a Redis broker."""
    if connection.vendor != "postgresql":
        pytest.skip(f"needs DATABASE_URL=postgres://… (the database is {connection.vendor})")
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip(f"needs CELERY_BROKER_URL=redis://… (it is {settings.CELERY_BROKER_URL})")
    try:
        redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {settings.CELERY_BROKER_URL} does not answer: {exc}")


def worker_database_url() -> str:
    """A URL for the test database pytest-django created, for the worker process."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}{port}/{db['NAME']}"


def test_it_runs_a_task_sent_through_redis_in_a_worker_process(scaleout_services, start_worker):
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    tenant = Tenant.objects.create(name="Scale-out B.V.", slug="scaleout")
    node = f"scaleout-{os.getpid()}@test"
    # Only the queue the route names: the task arrives only if routing works through Redis.
    worker = start_worker(
        ["-n", node, "-Q", "periodic", "-c", "1", "-l", "INFO", "--without-gossip",
         "--without-mingle"],
        clean_env(DATABASE_URL=worker_database_url(), CELERY_BROKER_URL=settings.CELERY_BROKER_URL),
    )
    worker.wait_ready()

    record_heartbeat.delay(tenant.id)

    beat = wait_for(
        lambda: WorkerHeartbeat.objects.filter(tenant=tenant).first(), 30,
        "the heartbeat row in PostgreSQL", worker.log,
    )
    assert beat.worker == node  # written by the worker process, not in-process
    assert beat.beats == 1
    assert worker.stop() == 0, worker.log()[-4000:]
    assert "Warm shutdown" in worker.log() or "warm shutdown" in worker.log().lower()
