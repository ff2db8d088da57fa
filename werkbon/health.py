"""Diagnostics for the background jobs: a harmless task that proves a worker runs.

``record_heartbeat`` is sent by the scheduler every ``WERKBON_HEARTBEAT_SECONDS`` (the
system-wide row) and can be sent for one tenant; the scale-out test sends it through
Redis and reads the row back from PostgreSQL.

:class:`HealthCheckMiddleware` answers ``/health/`` (web and database) and
``/health/worker/`` (a worker's heartbeat is recent) for compose's health checks.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import datetime, timedelta

from celery import Task, shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from werkbon.accounts.models import Tenant, WorkerHeartbeat


@shared_task(bind=True, name="werkbon.health.record_heartbeat", ignore_result=True)
def record_heartbeat(self: Task, tenant_id: int | None = None, via: list[str] | None = None) -> None:
    """Stamp the heartbeat row of ``tenant_id`` (``None``: the system row) with now (UTC).

    ``via``: queues the beat must pass first; the task sends itself on to the first of them
    (with the rest) instead of stamping. The scheduler's beat starts on ``periodic`` with
    ``via=["sync"]``, so the system row proves that both the tick's queue and the imports'
    queue have a worker (a worker started with an old ``-Q default,periodic`` leaves it stale).

    The row names the Celery node that ran the task (``name@host``), or the host name when
    it ran in-process (eager). A tenant that no longer exists is ignored: the job may have
    been queued before the tenant was deleted.
    """
    if via:
        record_heartbeat.apply_async(kwargs={"tenant_id": tenant_id, "via": list(via[1:])}, queue=via[0])
        return
    if tenant_id is not None and not Tenant.objects.filter(pk=tenant_id).exists():
        return
    name = self.request.hostname or socket.gethostname()
    with transaction.atomic():
        updated = WorkerHeartbeat.objects.filter(tenant_id=tenant_id).update(
            worker=name, beat_at=timezone.now(), beats=F("beats") + 1
        )
        if not updated:
            WorkerHeartbeat.objects.create(
                tenant_id=tenant_id, worker=name, beat_at=timezone.now(), beats=1
            )


def last_heartbeat(tenant: Tenant | None = None) -> datetime | None:
    """When a worker last recorded a heartbeat for ``tenant`` (``None``: system-wide), UTC."""
    row = WorkerHeartbeat.objects.filter(tenant=tenant).order_by("-beat_at").first()
    return row.beat_at if row else None


def worker_seems_alive(max_age: timedelta | None = None) -> bool:
    """True when the scheduler's system-wide heartbeat is younger than ``max_age`` (default:
    two heartbeat intervals, so a stopped worker shows within about two minutes)."""
    if max_age is None:
        max_age = timedelta(seconds=2 * settings.WERKBON_HEARTBEAT_SECONDS)
    beat_at = last_heartbeat(None)
    return beat_at is not None and timezone.now() - beat_at <= max_age


@worker_ready.connect
def _beat_on_start(**_: object) -> None:
    # The status page asks "is a worker alive?": answer yes as soon as one is up, instead of
    # after the first scheduled heartbeat a minute later.
    record_heartbeat.delay()


# --- health endpoints (compose health checks, load balancers) -------------------------------

HEALTH_PATH = "/health/"
WORKER_HEALTH_PATH = "/health/worker/"


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False


class HealthCheckMiddleware:
    """Answers the health paths first of all middleware, so that neither the host check
    (``ALLOWED_HOSTS``) nor the https redirect stands between a container's health check
    (``http://127.0.0.1:8000/health/``) and the answer. Reads no tenant data.

    * ``GET /health/``: the web process answers and its database is reachable:
      200 ``{"status": "ok"}``, else 503 ``{"status": "database unreachable"}``.
    * ``GET /health/worker/``: a worker ran the scheduler's heartbeat within two
      intervals (:func:`worker_seems_alive`): 200 ``{"status": "ok"}``, else 503
      ``{"status": "no worker heartbeat"}``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == HEALTH_PATH:
            ok = _database_ok()
            return JsonResponse({"status": "ok" if ok else "database unreachable"},
                                status=200 if ok else 503)
        if request.path == WORKER_HEALTH_PATH:
            ok = _database_ok() and worker_seems_alive()
            return JsonResponse({"status": "ok" if ok else "no worker heartbeat"},
                                status=200 if ok else 503)
        return self.get_response(request)
