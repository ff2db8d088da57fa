"""Helpers for tests that run real Celery worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


class WorkerProcess:
    """A ``celery -A werkbon worker`` subprocess whose output goes to a log file."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "werkbon", "worker", *args],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        pytest.fail(f"the Celery worker did not become ready:\n{self.log()[-4000:]}")

    def stop(self, timeout: float = 30) -> int:
        """Warm shutdown (SIGTERM: finish the running task, then exit); returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start worker processes; any still running at the end of the test is stopped."""
    workers: list[WorkerProcess] = []

    def start(args: list[str], env: dict[str, str]) -> WorkerProcess:
        worker = WorkerProcess(args, env, tmp_path / f"worker-{len(workers)}.log")
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def wait_for(check: Callable[[], object], timeout: float, what: str, log: Callable[[], str]) -> object:
    """Poll ``check`` every 0.1 s until it returns something truthy, or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    pytest.fail(f"{what} did not happen within {timeout:.0f}s; worker log:\n{log()[-4000:]}")


def clean_env(**overrides: str) -> dict[str, str]:
    """This process's environment without the variables that pick a mode, plus ``overrides``."""
    env = {
        key: value for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER",
                       "WERKBON_VAR_DIR", "DJANGO_SETTINGS_MODULE", "WERKBON_TEST_SQLITE"}
    }
    env.update(overrides)
    return env
