"""``./dev``: help without set-up, and ``./dev up`` keeping the site up when the worker dies."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devtools import up

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bare_checkout(tmp_path: Path) -> Path:
    """Only ./dev and devtools/: a fresh machine without .venv, so set-up would show."""
    shutil.copy2(ROOT / "dev", tmp_path / "dev")
    shutil.copytree(ROOT / "devtools", tmp_path / "devtools")
    return tmp_path


@pytest.mark.parametrize(("command", "mentions"), [
    ("up", ["WERKBON_PORT", "WERKBON_SANDBOX_PORT", "WERKBON_SMTP_PORT", "WERKBON_MAIL_PAGE_PORT", "Ctrl-C"]),
    ("test", ["lint", "PostgreSQL", "pytest"]),
])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_prints_usage_and_sets_up_nothing(bare_checkout, command, mentions, flag):
    started = time.monotonic()
    result = subprocess.run(["bash", str(bare_checkout / "dev"), command, flag],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: ./dev {command}")
    for word in mentions:
        assert word in result.stdout
    assert not (bare_checkout / ".venv").exists()
    assert not (bare_checkout / "var").exists()
    assert time.monotonic() - started < 10


def test_dev_help_is_not_an_error(bare_checkout):
    result = subprocess.run(["bash", str(bare_checkout / "dev"), "--help"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0
    assert "./dev up --help" in result.stdout
    assert "set -euo" not in result.stdout


def test_up_refuses_an_unknown_option():
    with pytest.raises(SystemExit) as stopped:
        up.parse_args(["--port", "9000"])
    assert stopped.value.code == 2


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] not in "ZX"
    except (FileNotFoundError, IndexError):
        return False


def test_a_dying_worker_is_restarted_at_most_n_times_a_minute_and_the_web_keeps_running(tmp_path):
    web = up.Service("web server", [sys.executable, "-c", "import time; time.sleep(4)"])
    # Like a killed Celery worker: it leaves a pool child behind, then stops with an error.
    pids = tmp_path / "children"
    dies = ("import subprocess, sys; "
            "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
            f"open({str(pids)!r}, 'a').write(f'{{child.pid}}\\n'); raise SystemExit(3)")
    worker = up.Service("background worker", [sys.executable, "-c", dies], restart=True)
    console = io.StringIO()
    for service in (web, worker):
        service.start({}, time.monotonic())
    try:
        stopped = up.supervise([web, worker], {}, poll_seconds=0.05, restarts_per_minute=3,
                               backoff_base_seconds=0.1, out=console)
    finally:
        up.stop_all([web, worker])
    # Only the web server's own end stops ./dev up; the worker was restarted, up to the limit.
    assert stopped is web
    assert web.process.returncode == 0
    assert len(worker.restarts) == 3
    log = console.getvalue()
    assert "The background worker stopped (exit code 3); restarting it in" in log
    assert "The web server and the sandbox keep running." in log
    assert log.count("The background worker was restarted") == 3
    assert "(at most 3 restarts a minute)" in log
    children = [int(pid) for pid in pids.read_text().split()]
    assert len(children) == 4
    assert not [pid for pid in children if alive(pid)], "a dead worker's children were left running"


def test_the_worker_runs_without_the_root_warning():
    # -W filters only act in the process that warns: run Celery's own privilege check.
    env = up.worker_env({"PATH": "/usr/bin:/bin"})
    check = ("from celery.platforms import check_privileges; check_privileges({'json'}); "
             "import warnings; warnings.warn('still shown')")
    result = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True,
                            text=True, timeout=60, check=True)
    assert "superuser privileges" not in result.stderr
    assert "still shown" in result.stderr  # only that one warning is filtered
