"""The Celery application. Tasks are found in each app's ``tasks`` module.

Workers never run with DEBUG: with it, Django keeps every SQL statement of a connection in
memory (up to 9,000, each bulk INSERT of a first-import page a few hundred kilobytes), so a
long import would grow by hundreds of megabytes. :func:`no_debug_in_workers` switches it off
when a worker (or each of its pool processes) starts, also with ``DJANGO_DEBUG=true``.

Database connections live as long as ``CONN_MAX_AGE`` says (60 s on PostgreSQL, none on
SQLite), as in the web server: :func:`close_old_connections` runs before and after every task
in place of Celery's Django fix-up, which would close them all each time
(``CELERY_DB_REUSE_MAX``) and so open a new PostgreSQL connection for every job. A kept
connection that PostgreSQL dropped between two tasks (a restart, a killed backend) is found
by Django's health check (``CONN_HEALTH_CHECKS``, settings.py) before the next task's first
query and replaced, so it costs no task (``tests/test_celery_connections.py``).
"""

from __future__ import annotations

import logging
import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_init, worker_process_init

from werkbon import celery_transport

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "werkbon.settings")

# Before the app reads CELERY_BROKER_URL: the embedded default is werkbon-filesystem://.
celery_transport.register()

app = Celery("werkbon")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


@worker_init.connect
@worker_process_init.connect
def no_debug_in_workers(**_kwargs: object) -> None:
    """Switch DEBUG (and with it Django's in-memory query log) off in a worker process."""
    from django.conf import settings
    from django.db import connections, reset_queries

    if settings.DEBUG:
        logger.info("DEBUG is switched off in the worker: it would keep every SQL statement in memory")
        settings.DEBUG = False
    for connection in connections.all(initialized_only=True):
        connection.force_debug_cursor = False
    reset_queries()


@task_prerun.connect
@task_postrun.connect
def close_old_connections(**_kwargs: object) -> None:
    """Close this thread's database connections that are too old (``CONN_MAX_AGE``) or broken,
    before and after each task; the others are used again by the thread's next task."""
    from django.db import close_old_connections as close

    close()
