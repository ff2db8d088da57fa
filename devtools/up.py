"""``./dev up``: migrate, load the demo data, and run everything the embedded default needs.

Three processes, stopped together with Ctrl-C:

* the Visma.net sandbox (``python -m vismanet_sandbox``) on port 8765, its state in
  ``var/sandbox.sqlite3``, seeded with the demo company on first start;
* one Celery worker that also runs the scheduler (``-B``), on the filesystem transport;
* Django's web server on http://127.0.0.1:8000 (``WERKBON_PORT`` changes the port).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PORT = os.environ.get("WERKBON_PORT", "8000")
SANDBOX_PORT = os.environ.get("WERKBON_SANDBOX_PORT", "8765")
# INFO logs the scheduler's tick every second; WERKBON_WORKER_LOG_LEVEL=INFO shows it all.
WORKER_LOG_LEVEL = os.environ.get("WERKBON_WORKER_LOG_LEVEL", "WARNING")


def wait_for_port(port: int, processes: list[subprocess.Popen[bytes]], timeout: float = 60) -> None:
    """Wait until the web server accepts connections (or a process died, or time ran out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and all(p.poll() is None for p in processes):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)


def main() -> None:
    env = {**os.environ, "VISMANET_SANDBOX_URL": f"http://127.0.0.1:{SANDBOX_PORT}"}
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    commands_listed = subprocess.run([PY, "manage.py", "help", "--commands"], cwd=ROOT, env=env,
                                     check=True, capture_output=True, text=True).stdout.split()
    demo_loaded = "load_demo" in commands_listed
    if demo_loaded:
        subprocess.run([PY, "manage.py", "load_demo"], cwd=ROOT, env=env, check=True)
    else:
        print("warning: no load_demo command yet, so no demo data or demo logins.", file=sys.stderr)
    (ROOT / "var" / "celery-queue").mkdir(parents=True, exist_ok=True)
    processes: list[subprocess.Popen[bytes]] = []
    commands = []
    sandbox_started = (ROOT / "vismanet_sandbox" / "__main__.py").exists()
    if sandbox_started:
        commands.append([PY, "-m", "vismanet_sandbox", "--port", SANDBOX_PORT,
                         "--data", str(ROOT / "var" / "sandbox.sqlite3")])
    commands += [
        [PY, "-m", "celery", "-A", "werkbon", "worker", "-B", "-c", "2", "-l", WORKER_LOG_LEVEL,
         "--schedule", str(ROOT / "var" / "celerybeat-schedule")],
        [PY, "manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload"],
    ]
    for command in commands:
        processes.append(subprocess.Popen(command, cwd=ROOT, env=env))
    wait_for_port(int(PORT), processes)
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
    print(f"\nWerkbon runs at http://127.0.0.1:{PORT}/\n{logins}{sandbox}Stop with Ctrl-C.\n",
          flush=True)

    def stop(*_: object) -> None:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while all(process.poll() is None for process in processes):
        time.sleep(0.5)
    print("A process stopped; stopping the others.", file=sys.stderr)
    stop()


if __name__ == "__main__":
    main()
