"""Embedded mode: no services, a ``worker -B`` process on the filesystem transport + SQLite.

This runs on every machine (it is not a scale-out test): a Django process enqueues a task
through ``filesystem://``, the worker runs it, and its scheduler sends the periodic
heartbeat too. Everything lives in a temporary ``WERKBON_VAR_DIR``.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scaleout.conftest import ROOT, clean_env, wait_for

pytestmark = pytest.mark.slow

ENQUEUE = """
from werkbon.accounts.models import Tenant
from werkbon.health import record_heartbeat
tenant = Tenant.objects.create(name="Embedded B.V.", slug="embedded")
record_heartbeat.delay(tenant.id)
print(tenant.id)
"""


def read_heartbeat(database: Path, tenant_id: int | None) -> tuple[str, int] | None:
    with sqlite3.connect(database, timeout=10) as db:
        where = "tenant_id IS NULL" if tenant_id is None else f"tenant_id = {int(tenant_id)}"
        return db.execute(
            f"SELECT worker, beats FROM accounts_workerheartbeat WHERE {where}"
        ).fetchone()


def test_it_runs_tasks_and_the_schedule_in_an_embedded_worker(tmp_path, start_worker):
    env = clean_env(WERKBON_VAR_DIR=str(tmp_path), WERKBON_HEARTBEAT_SECONDS="1")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    enqueued = subprocess.run([*manage, "shell", "-c", ENQUEUE], cwd=ROOT, env=env, check=True,
                              capture_output=True, text=True)
    tenant_id = int(enqueued.stdout.strip().splitlines()[-1])
    assert list((tmp_path / "celery-queue").iterdir()), "the task was not written to the queue folder"

    node = "embedded@test"
    worker = start_worker(
        ["-B", "-n", node, "-c", "1", "-l", "INFO",
         "--schedule", str(tmp_path / "celerybeat-schedule")],
        env,
    )
    database = tmp_path / "werkbon.sqlite3"
    sent = wait_for(lambda: read_heartbeat(database, tenant_id), 60,
                    "the enqueued task's heartbeat row", worker.log)
    assert sent == (node, 1)
    scheduled = wait_for(lambda: read_heartbeat(database, None), 30,
                         "the scheduler's heartbeat row", worker.log)
    assert scheduled[0] == node
    assert worker.stop() == 0, worker.log()[-4000:]
