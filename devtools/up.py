"""``./dev up``: migrate, load the demo data, and run everything the embedded default needs.

Three processes, stopped together with Ctrl-C:

* the Visma.net sandbox (``python -m vismanet_sandbox``) on port 8765, its state in
  ``var/sandbox.sqlite3`` (``WERKBON_VAR_DIR`` moves ``var/``), seeded with the demo company on first start;
* one Celery worker that also runs the scheduler (``-B``), on the embedded queue folder
  (``werkbon-filesystem://``); when it stops it is restarted (with a back-off, at most
  five times a minute) while the web server and the sandbox keep running;
* Django's web server on http://127.0.0.1:8000;
* a mail catcher (``devtools/mailcatcher.py``): an SMTP server on 127.0.0.1:8025 that Werkbon
  sends its e-mails to (nothing leaves the machine), and a page listing the caught e-mails on
  http://127.0.0.1:8026/ (``var/mail/``).

Environment variables: ``WERKBON_PORT`` (web server, default 8000), ``WERKBON_SANDBOX_PORT``
(sandbox, default 8765), ``WERKBON_SMTP_PORT`` (mail catcher's SMTP, default 8025),
``WERKBON_MAIL_PAGE_PORT`` (its page, default 8026), ``WERKBON_WORKER_LOG_LEVEL`` (worker,
default WARNING; INFO shows every scheduler tick).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
VAR = Path(os.environ.get("WERKBON_VAR_DIR") or ROOT / "var")  # as in werkbon/settings.py
PORT = os.environ.get("WERKBON_PORT", "8000")
SANDBOX_PORT = os.environ.get("WERKBON_SANDBOX_PORT", "8765")
SMTP_PORT = os.environ.get("WERKBON_SMTP_PORT", "8025")
MAIL_PAGE_PORT = os.environ.get("WERKBON_MAIL_PAGE_PORT", "8026")
# INFO logs the scheduler's tick every second; WERKBON_WORKER_LOG_LEVEL=INFO shows it all.
WORKER_LOG_LEVEL = os.environ.get("WERKBON_WORKER_LOG_LEVEL", "WARNING")
WORKER_RESTARTS_PER_MINUTE = 5
WORKER_BACKOFF_MAX_SECONDS = 30
# A worker that ran this long before it stopped starts again with the shortest back-off.
WORKER_STABLE_SECONDS = 60
# Celery warns about running as root on every start; on a developer's machine (and in
# containers) that is not news. A -W filter matches the start of the message.
ROOT_WARNING_FILTER = "ignore:You're running the worker with superuser privileges"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="./dev up", description=__doc__.replace("``", ""), formatter_class=argparse.RawDescriptionHelpFormatter)
    return parser.parse_args(argv)


@dataclass
class Service:
    """One child process; ``restart`` ones are started again when they stop."""

    name: str
    command: list[str]
    restart: bool = False
    env: dict[str, str] | None = None
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: deque[float] = field(default_factory=deque)  # when, within the last minute
    failures_in_a_row: int = 0
    restart_at: float | None = None

    def start(self, env: dict[str, str], now: float) -> None:
        # A restartable one gets its own process group, so that what a killed worker leaves
        # behind (pool children, the embedded scheduler) can be cleared before the restart.
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env or env,
                                        start_new_session=self.restart)
        self.started_at = now

    def kill_leftovers(self) -> None:
        if self.restart and self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def supervise(
    services: list[Service],
    env: dict[str, str],
    *,
    clock: Callable[[], float] = time.monotonic,
    poll_seconds: float = 0.5,
    restarts_per_minute: int = WORKER_RESTARTS_PER_MINUTE,
    backoff_base_seconds: float = 1.0,
    backoff_max_seconds: float = WORKER_BACKOFF_MAX_SECONDS,
    stable_seconds: float = WORKER_STABLE_SECONDS,
    out: TextIO = sys.stderr,
) -> Service:
    """Keep the services running; returns the first one that stopped and is not restarted."""
    while True:
        now = clock()
        for service in services:
            if service.running():
                continue
            if not service.restart:
                return service
            if service.restart_at is None:
                code = service.process.returncode if service.process else None
                service.kill_leftovers()
                if now - service.started_at >= stable_seconds:
                    service.failures_in_a_row = 0
                service.failures_in_a_row += 1
                delay = min(backoff_base_seconds * 2 ** (service.failures_in_a_row - 1),
                            backoff_max_seconds)
                while service.restarts and now - service.restarts[0] >= 60:
                    service.restarts.popleft()
                limit = ""
                if len(service.restarts) >= restarts_per_minute:
                    delay = max(delay, service.restarts[0] + 60 - now)
                    limit = f" (at most {restarts_per_minute} restarts a minute)"
                service.restart_at = now + delay
                print(f"\n==> The {service.name} stopped (exit code {code}); restarting it in "
                      f"{delay:.0f} s{limit}. The web server and the sandbox keep running.",
                      file=out, flush=True)
            elif now >= service.restart_at:
                service.restart_at = None
                service.restarts.append(now)
                service.start(env, now)
                print(f"==> The {service.name} was restarted ({len(service.restarts)} "
                      "time(s) in the last minute).", file=out, flush=True)
        time.sleep(poll_seconds)


def stop_all(services: list[Service]) -> None:
    for service in services:
        if service.running():
            service.process.terminate()
    for service in services:
        if service.process is None:
            continue
        try:
            service.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            service.process.kill()
        service.kill_leftovers()


def wait_for_port(port: int, services: list[Service], timeout: float = 60) -> None:
    """Wait until the web server accepts connections (or a process died, or time ran out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and all(s.running() for s in services if not s.restart):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)


def subscribe_webhooks() -> None:
    """Subscribe the web server's webhook endpoint at the sandbox's dispatcher (as the Visma
    Developer Portal would), with the development signing key (werkbon/settings.py)."""
    import json
    import urllib.request

    body = json.dumps({"url": f"http://127.0.0.1:{PORT}/integraties/vismanet/webhook",
                       "secret": "werkbon-demo-webhook-secret"}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{SANDBOX_PORT}/_sandbox/webhooks/subscriptions", data=body,
                                     headers={"Content-Type": "application/json"}, method="POST")
    for attempt in range(20):  # the sandbox may still be starting
        try:
            with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - our own local sandbox
                return
        except OSError as error:
            if attempt == 19:
                print(f"warning: the sandbox's webhooks are not subscribed ({error}); Werkbon polls.",
                      file=sys.stderr)
            time.sleep(0.5)


def worker_env(env: dict[str, str]) -> dict[str, str]:
    warnings = ",".join(filter(None, [env.get("PYTHONWARNINGS"), ROOT_WARNING_FILTER]))
    return {**env, "PYTHONWARNINGS": warnings}


def main(argv: list[str]) -> None:
    parse_args(argv)
    # Development, chosen explicitly: the settings default to production.
    env = {**os.environ, "WERKBON_ENV": "development",
           "VISMANET_SANDBOX_URL": f"http://127.0.0.1:{SANDBOX_PORT}",
           # Werkbon's e-mail goes to the mail catcher (not to a real mail server).
           "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": SMTP_PORT}
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    commands_listed = subprocess.run([PY, "manage.py", "help", "--commands"], cwd=ROOT, env=env,
                                     check=True, capture_output=True, text=True).stdout.split()
    demo_loaded = "load_demo" in commands_listed
    if demo_loaded:
        subprocess.run([PY, "manage.py", "load_demo"], cwd=ROOT, env=env, check=True)
    else:
        print("warning: no load_demo command yet, so no demo data or demo logins.", file=sys.stderr)
    (VAR / "celery-queue").mkdir(parents=True, exist_ok=True)
    services: list[Service] = []
    sandbox_started = (ROOT / "vismanet_sandbox" / "__main__.py").exists()
    if sandbox_started:
        services.append(Service("Visma.net sandbox", [
            PY, "-m", "vismanet_sandbox", "--port", SANDBOX_PORT,
            "--data", str(VAR / "sandbox.sqlite3")]))
    services.append(Service("mail catcher", [
        PY, str(ROOT / "devtools" / "mailcatcher.py"), "--smtp-port", SMTP_PORT,
        "--web-port", MAIL_PAGE_PORT, "--dir", str(VAR / "mail")]))
    services += [
        Service("background worker", [
            PY, "-m", "celery", "-A", "werkbon", "worker", "-B", "-c", "2", "-l", WORKER_LOG_LEVEL,
            "--schedule", str(VAR / "celerybeat-schedule")],
            restart=True, env=worker_env(env)),
        Service("web server", [PY, "manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload"]),
    ]
    for service in services:
        service.start(env, time.monotonic())
    wait_for_port(int(PORT), services)
    if sandbox_started:
        subscribe_webhooks()
    logins = (
        "Demo logins (password 'werkbon-demo' for all):\n"
        "  office:      kantoor\n"
        "  technicians: piet, fatima\n"
        if demo_loaded else "No demo data yet: create a user with ./dev manage createsuperuser\n"
    )
    sandbox = (
        f"Visma.net sandbox: http://127.0.0.1:{SANDBOX_PORT}/ (demo company "
        "'Installatietechniek Demo B.V.')\n" if sandbox_started else ""
    )
    mail = (f"E-mail (caught, never sent on): http://127.0.0.1:{MAIL_PAGE_PORT}/ "
            f"(SMTP on 127.0.0.1:{SMTP_PORT})\n")
    print(f"\nWerkbon runs at http://127.0.0.1:{PORT}/\n{logins}{sandbox}{mail}Stop with Ctrl-C.\n",
          flush=True)

    def stop(*_: object) -> None:
        stop_all(services)
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    stopped = supervise(services, env)
    print(f"The {stopped.name} stopped; stopping the others.", file=sys.stderr)
    stop()


if __name__ == "__main__":
    main(sys.argv[1:])
