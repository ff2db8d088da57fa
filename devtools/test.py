"""``./dev test``: lint, architecture and migration checks, then the test suite.

The suite runs on SQLite. It runs a second time on PostgreSQL (with Redis as the Celery
broker for the scale-out tests) when those services answer, and always when ``CI=true``,
where a missing service is a failure, not a skip. Extra arguments go to both pytest runs.
The two runs run at the same time, each with its own var folder, their output printed
when both have ended (``WERKBON_TEST_SEQUENTIAL=1``: one after the other, output live).

Each PostgreSQL run uses its own database (``test_werkbon_<pid>``, dropped at the end) and
its own Redis key prefix, so concurrent runs and a developer's own database never meet.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from base64 import urlsafe_b64encode
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
IN_CI = os.environ.get("CI", "").lower() == "true"
# The test environment, chosen explicitly (the settings default to production); the
# deploy check below says production itself.
os.environ["WERKBON_ENV"] = "test"
PG_SERVER = os.environ.get("WERKBON_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/werkbon")
REDIS_URL = os.environ.get("WERKBON_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RUN_ID = f"{socket.gethostname()}-{os.getpid()}".replace(".", "-").lower()
NO_TESTS_COLLECTED = 5  # pytest's exit code when nothing ran
STARTED = time.monotonic()


def run(title: str, args: list[str], env: dict[str, str] | None = None) -> None:
    print(f"\n==> {title}: {' '.join(args)}", flush=True)
    started = time.monotonic()
    result = subprocess.run(args, cwd=ROOT, env={**os.environ, **(env or {})}, check=False)
    print(f"<== {title}: exit {result.returncode} in {time.monotonic() - started:.1f}s", flush=True)
    if result.returncode == NO_TESTS_COLLECTED:
        print(f"FAILED: {title} ran no tests (pytest exit 5); a run that tests nothing fails.")
    if result.returncode != 0:
        sys.exit(result.returncode)


def answers(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port),
                                      timeout=1):
            return True
    except OSError:
        return False


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def drop_database(server_url: str, name: str) -> None:
    """Drop a test database a killed run left behind (pytest-django drops it normally)."""
    import psycopg
    from psycopg import sql

    try:
        with psycopg.connect(with_database(server_url, "postgres"), autocommit=True,
                             connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
    except psycopg.Error as exc:
        print(f"warning: could not drop the test database {name}: {exc}", file=sys.stderr)


def forget_redis_keys(redis_url: str, prefix: str) -> None:
    """Delete the queue bindings the run left in Redis under its own key prefix."""
    import redis

    try:
        client = redis.Redis.from_url(redis_url, socket_timeout=5)
        for key in client.scan_iter(match=f"{prefix}*", count=500):
            client.delete(key)
    except redis.RedisError as exc:
        print(f"warning: could not clean Redis keys {prefix}*: {exc}", file=sys.stderr)


def main(pytest_args: list[str]) -> None:
    bin_dir = Path(PY).parent
    run("ruff", [str(bin_dir / "ruff"), "check", "."])
    run("import boundaries", [str(bin_dir / "lint-imports")])
    run("migrations in sync", [PY, "manage.py", "makemigrations", "--check", "--dry-run"])
    production = {
        "WERKBON_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "WERKBON_FIELD_ENCRYPTION_KEY": urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "DJANGO_ALLOWED_HOSTS": "werkbon.example",
        "DATABASE_URL": "sqlite:///:memory:",
    }
    run("deploy checks", [PY, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], production)

    pytest = [PY, "-m", "pytest", "--durations=10", *pytest_args]
    sqlite_run = Suite("tests on SQLite", [*pytest, "-m", "not scaleout"],
                       {"CELERY_BROKER_URL": "memory://"})

    services = answers(PG_SERVER, 5432) and answers(REDIS_URL, 6379)
    if not services and not IN_CI:
        run(sqlite_run.title, sqlite_run.args, sqlite_run.env)
        print("\nPostgreSQL or Redis not reachable: the scale-out run is skipped here "
              "(CI=true makes this a failure).")
        return
    # pytest-django creates and drops test_<NAME>; NAME itself is never used.
    name = f"werkbon_{RUN_ID}".replace("-", "_")
    key_prefix = f"werkbon-test-{RUN_ID}:"
    postgres_run = Suite(
        "tests on PostgreSQL + Redis",
        # The browser tests and the long stress runs (marked slow) prove behaviour that
        # does not depend on the database engine; they run on SQLite.
        [*pytest, "-m", "not browser and (scaleout or not slow)"],
        {
            "DATABASE_URL": with_database(PG_SERVER, name),
            "CELERY_BROKER_URL": REDIS_URL,
            "WERKBON_CELERY_KEY_PREFIX": key_prefix,
            "WERKBON_SCALEOUT_TESTS": "1",
        },
    )
    try:
        if os.environ.get("WERKBON_TEST_SEQUENTIAL", "") not in ("", "0"):
            for suite in (sqlite_run, postgres_run):
                run(suite.title, suite.args, suite.env)
        else:
            run_together([sqlite_run, postgres_run])
    finally:
        if services:
            drop_database(PG_SERVER, f"test_{name}")
            forget_redis_keys(REDIS_URL, key_prefix)


class Suite:
    """One pytest run: its title, command and extra environment."""

    def __init__(self, title: str, args: list[str], env: dict[str, str]) -> None:
        self.title, self.args, self.env = title, args, env


def run_together(suites: list[Suite]) -> None:
    """Run the suites at the same time (each waits on its own database, workers, sandbox and
    browser much of the time, so two share the machine's two cores well), each with its own
    var folder (media, queue folders) and log under test-artifacts/; print each log whole
    when all have ended, then fail with the first failing suite's exit code.

    ``WERKBON_TEST_SEQUENTIAL=1`` runs them one after the other instead, output live."""
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    running = []
    for index, suite in enumerate(suites):
        log_path = artifacts / f"suite-{index + 1}.log"
        var_dir = ROOT / "var" / f"test-suite-{index + 1}"
        var_dir.mkdir(parents=True, exist_ok=True)
        print(f"\n==> {suite.title} (together with the others; log {log_path.relative_to(ROOT)}): "
              f"{' '.join(suite.args)}", flush=True)
        log = log_path.open("wb")
        process = subprocess.Popen(
            suite.args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "WERKBON_VAR_DIR": str(var_dir), **suite.env})
        running.append((suite, process, log, log_path, time.monotonic()))
    failed = 0
    for suite, process, log, log_path, started in running:
        code = process.wait()
        log.close()
        print(f"\n---- output of {suite.title} ----", flush=True)
        sys.stdout.buffer.write(log_path.read_bytes())
        sys.stdout.flush()
        print(f"<== {suite.title}: exit {code} in {time.monotonic() - started:.1f}s", flush=True)
        if code == NO_TESTS_COLLECTED:
            print(f"FAILED: {suite.title} ran no tests (pytest exit 5); a run that tests nothing fails.")
        if code != 0 and not failed:
            failed = code
    if failed:
        sys.exit(failed)


if __name__ == "__main__":
    if {"-h", "--help"} & set(sys.argv[1:]):
        # Usage only: nothing is set up or run (pytest's own: .venv/bin/python -m pytest --help).
        print("usage: ./dev test [pytest arguments]\n\n" + __doc__.replace("``", ""))
        sys.exit(0)
    try:
        main(sys.argv[1:])
    finally:
        print(f"\n./dev test took {time.monotonic() - STARTED:.0f}s", flush=True)
