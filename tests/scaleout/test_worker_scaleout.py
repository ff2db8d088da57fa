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


def test_the_schedulers_heartbeat_needs_a_worker_on_the_sync_queue_too(scaleout_services, start_worker):
    """The beat the scheduler sends passes periodic, then sync: a worker consuming only
    `default,periodic` (the command before imports got their own queue) leaves the system
    heartbeat unstamped, so /health/worker/ and the status page do not say "fine" while no
    import runs; once a worker consumes sync, it is stamped."""
    import time

    from werkbon.celery import app

    schedule = app.conf.beat_schedule["worker-heartbeat"]
    env = clean_env(DATABASE_URL=worker_database_url(), CELERY_BROKER_URL=settings.CELERY_BROKER_URL)
    periodic_only = start_worker(["-n", f"periodic-{os.getpid()}@test", "-Q", "default,periodic", "-c", "1",
                                  "-l", "INFO", "--without-gossip", "--without-mingle"], env)
    periodic_only.wait_ready()
    # the start-up beat of the worker just started (it goes to periodic alone): wait, then forget it
    wait_for(lambda: WorkerHeartbeat.objects.filter(tenant=None).first(), 30, "the start-up beat", periodic_only.log)
    WorkerHeartbeat.objects.all().delete()
    record_heartbeat.apply_async(kwargs=schedule["kwargs"])  # as beat sends it (routed to periodic)
    time.sleep(5)
    assert not WorkerHeartbeat.objects.filter(tenant=None).exists(), periodic_only.log()[-3000:]
    # Stopped first (warm, or killed after 30 s on a busy machine: either way gone), so that only
    # the forwarded beat can stamp the row (the sync worker's own start-up beat goes to periodic,
    # where nobody listens now).
    periodic_only.stop()
    assert periodic_only.process.poll() is not None
    sync_worker = start_worker(["-n", f"sync-{os.getpid()}@test", "-Q", "sync", "-c", "1", "-l", "INFO",
                                "--without-gossip", "--without-mingle"], env)
    sync_worker.wait_ready()
    beat = wait_for(lambda: WorkerHeartbeat.objects.filter(tenant=None).first(), 30,
                    "the system heartbeat, stamped on the sync queue", sync_worker.log)
    assert beat.worker == f"sync-{os.getpid()}@test"
