"""Worker tasks reuse their database connection (CELERY_DB_REUSE_MAX, werkbon/celery.py):
a connection PostgreSQL dropped between two tasks (a server restart, a killed backend, an
idle timeout) must cost no task: the next task's first query gets a new connection instead
of failing. PostgreSQL only (run with DATABASE_URL=postgres://…); skipped on SQLite, whose
connections cannot be dropped from outside."""

from __future__ import annotations

import pytest
from django.db import connection, connections

from werkbon.celery import close_old_connections

pytestmark = pytest.mark.django_db(transaction=True)


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_connection_dropped_between_tasks_fails_no_task():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    close_old_connections()  # task 1: prerun
    pid = _backend_pid()
    close_old_connections()  # task 1: postrun: the connection is kept for the next task
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    close_old_connections()  # task 2: prerun
    assert _backend_pid() != pid  # a new connection, no error
