"""Helpers for tests that run real Celery worker processes.

They live in the ``tests.fixtures.workers`` plugin (registered in ``tests/conftest.py``) so
the integration tests can use them too; the names stay importable from here.
"""

from __future__ import annotations

from tests.fixtures.workers import ROOT, WorkerProcess, clean_env, wait_for

__all__ = ["ROOT", "WorkerProcess", "clean_env", "wait_for"]
