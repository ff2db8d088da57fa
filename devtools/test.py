"""``./dev test``: lint, architecture and migration checks, then the test suite.

The suite runs on SQLite. It runs a second time on PostgreSQL (with Redis as the Celery
broker for the scale-out tests) when those services answer, and always when ``CI=true``,
where a missing service is a failure, not a skip. Extra arguments go to both pytest runs.
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

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
IN_CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("WERKBON_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/werkbon")
REDIS_URL = os.environ.get("WERKBON_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def run(title: str, args: list[str], env: dict[str, str] | None = None) -> None:
    print(f"\n==> {title}: {' '.join(args)}", flush=True)
    started = time.monotonic()
    result = subprocess.run(args, cwd=ROOT, env={**os.environ, **(env or {})}, check=False)
    print(f"<== {title}: exit {result.returncode} in {time.monotonic() - started:.1f}s", flush=True)
    if result.returncode != 0:
        sys.exit(result.returncode)


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


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

    pytest = [PY, "-m", "pytest", *pytest_args]
    run("tests on SQLite", [*pytest, "-m", "not scaleout"], {"CELERY_BROKER_URL": "memory://"})

    services = answers("127.0.0.1", 5432) and answers("127.0.0.1", 6379)
    if not services and not IN_CI:
        print("\nPostgreSQL or Redis not reachable on 127.0.0.1: the scale-out run is skipped here "
              "(CI=true makes this a failure).")
        return
    run(
        "tests on PostgreSQL + Redis",
        [*pytest, "-m", "not browser"],
        {"DATABASE_URL": PG_URL, "CELERY_BROKER_URL": REDIS_URL, "WERKBON_SCALEOUT_TESTS": "1"},
    )


if __name__ == "__main__":
    main(sys.argv[1:])
