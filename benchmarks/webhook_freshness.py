"""Freshness with and without Visma.net webhooks, and the API calls of an idle tenant.

Run from the repository root::

    .venv/bin/python benchmarks/webhook_freshness.py [--changes 30] [--interval 60]
    .venv/bin/python benchmarks/webhook_freshness.py --mode scaleout \\
        --database-url postgres://werkbon:PW@127.0.0.1:5432/werkbon_bench --broker-url redis://127.0.0.1:6379/5

A real installation, like ``./dev up``: the sandbox (``python -m vismanet_sandbox``), Werkbon's
web server (``manage.py runserver``) and one real Celery worker with the scheduler inside
(``celery -A werkbon worker -B``), on a throw-away SQLite database and queue folder (embedded)
or on the given PostgreSQL database and Redis (scale-out; the database must exist and is
migrated; its tables are not dropped). The demo company is imported first; the sandbox's
dispatcher is subscribed to ``/integraties/vismanet/webhook``.

* **Freshness** = a customer renamed in the sandbox → the new name stored in Werkbon, measured
  by reading Werkbon's database. Webhooks on: one change after the other. Webhooks off (the
  subscription removed): the changes are spread over one polling interval (one every
  ``interval / changes`` seconds) and each one's arrival is timed, so the run takes about two
  intervals instead of one interval per change. Prints p50, p95 and max in seconds.
* **Idle tenant**: with no change in Visma.net, the API calls of one incremental poll and of one
  slow status poll are counted in the sandbox's request log and scaled to an hour with the
  intervals in force (webhooks active: ``VISMANET_WEBHOOK_POLL_SECONDS``; off: the
  integration's interval), plus the calls actually seen in a short idle window.

Goal (issue 13): p95 ≤ 5 s with webhooks; an idle tenant with healthy webhooks ≤ 60 calls/hour.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

SECRET = "benchmark-webhook-secret"  # noqa: S105 - a local key


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def summary(values: list[float]) -> str:
    return (f"p50 {percentile(values, 0.5):.2f} s, p95 {percentile(values, 0.95):.2f} s, "
            f"max {max(values):.2f} s over {len(values)} changes")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=30)
    parser.add_argument("--interval", type=int, default=60, help="the integration's polling interval (s)")
    parser.add_argument("--idle-window", type=int, default=60, help="seconds of idle observation")
    parser.add_argument("--mode", choices=("embedded", "scaleout"), default="embedded")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--broker-url", default="")
    parser.add_argument("--skip-off", action="store_true", help="measure with webhooks only")
    args = parser.parse_args()
    if args.mode == "scaleout" and not (args.database_url and args.broker_url):
        parser.error("--mode scaleout needs --database-url and --broker-url")

    from tests.fixtures.sandbox import SandboxControl, free_port, start_server, wait_until_up

    sandbox_port, web_port = free_port(), free_port()
    sandbox_url, web_url = f"http://127.0.0.1:{sandbox_port}", f"http://127.0.0.1:{web_port}"
    var_dir = tempfile.mkdtemp(prefix="werkbon-webhooks-")
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER", "VISMANET_CLIENT_ID",
                        "DJANGO_SETTINGS_MODULE"}}
    env.update({"WERKBON_ENV": "development", "WERKBON_VAR_DIR": var_dir, "VISMANET_SANDBOX_URL": sandbox_url,
                "VISMANET_WEBHOOK_SECRET": SECRET, "DJANGO_SETTINGS_MODULE": "werkbon.settings",
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost"})
    if args.mode == "scaleout":
        env.update({"DATABASE_URL": args.database_url, "CELERY_BROKER_URL": args.broker_url})
    os.environ.clear()
    os.environ.update(env)
    processes: list[subprocess.Popen[bytes]] = []
    server = start_server(sandbox_port, "demo")
    processes.append(server)
    try:
        wait_until_up(sandbox_url, server)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO_ROOT, check=True)
        import django

        django.setup()
        integration, tenant = prepare(sandbox_url, args.interval)
        logs = Path(var_dir)
        processes.append(subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{web_port}", "--noreload"], cwd=REPO_ROOT,
            stdout=(logs / "web.log").open("wb"), stderr=subprocess.STDOUT))
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "werkbon", "worker", "-B", "-c", "2", "-l", "WARNING",
             "--schedule", str(logs / "celerybeat-schedule")], cwd=REPO_ROOT,
            stdout=(logs / "worker.log").open("wb"), stderr=subprocess.STDOUT))
        wait_for_web(web_url)
        control = SandboxControl(sandbox_url)
        return measure(args, control, integration, tenant, web_url, logs)
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def prepare(sandbox_url: str, interval: int):  # type: ignore[no-untyped-def]
    """A tenant with the demo company connected and imported."""
    from django.utils import timezone

    from tests.integrations.conftest import connect, make_integration
    from werkbon.accounts.models import Tenant
    from werkbon.accounts.tenancy import tenant_context
    from werkbon.integrations.models import Integration
    from werkbon.integrations.vismanet import sync

    tenant = Tenant.objects.create(name="Benchmark B.V.", slug=f"bench-{int(time.time())}")
    integration = make_integration(tenant)
    Integration.all_tenants.filter(pk=integration.pk).update(
        first_import_finished_at=None, sync_interval_seconds=interval, next_sync_at=timezone.now(),
        next_cleanup_at=timezone.now() + timezone.timedelta(days=7))
    integration.refresh_from_db()
    connect(integration, sandbox_url)
    started = time.monotonic()
    with tenant_context(tenant):
        sync.first_import(integration)
    print(f"first import of the demo company: {time.monotonic() - started:.1f} s")
    integration.refresh_from_db()
    return integration, tenant


def wait_for_web(url: str, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health/", timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the web server did not answer")


def visible(tenant, number: str, name: str) -> bool:  # type: ignore[no-untyped-def]
    from django.db import close_old_connections

    from werkbon.workorders.models import Customer

    close_old_connections()
    return Customer.all_tenants.filter(tenant=tenant, number=number, name=name).exists()


def wait_visible(tenant, number: str, name: str, timeout: float) -> float | None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if visible(tenant, number, name):
            return time.monotonic() - started
        time.sleep(0.05)
    return None


def measure(args, control, integration, tenant, web_url: str, logs: Path) -> int:  # type: ignore[no-untyped-def]
    from django.conf import settings
    from django.utils import timezone

    from werkbon.integrations.models import Integration

    company = control.http.get("/_sandbox/companies").json()[0]["tenantId"]
    numbers = [f"{10001 + i}" for i in range(args.changes)]
    control._call("POST", "/webhooks/subscriptions", json={
        "url": f"{web_url}/integraties/vismanet/webhook", "secret": SECRET, "retryInterval": 0.5})
    print(f"mode: {args.mode}; polling interval {args.interval} s; webhook poll "
          f"{settings.VISMANET_WEBHOOK_POLL_SECONDS} s; logs in {logs}")

    # A first change waits for the worker to start (Celery takes seconds): not counted.
    warm = wait_visible(tenant, numbers[0], change(control, company, numbers[0], "Warm-up"), timeout=180)
    print(f"warm-up change (worker starting): {warm if warm is None else round(warm, 2)} s, not counted")
    # Webhooks on: one change after the other.
    on: list[float] = []
    for i, number in enumerate(numbers):
        name = f"Webhook {i} {time.time():.3f}"
        control.change_customer(company, number, {"name": name})
        took = wait_visible(tenant, number, name, timeout=120)
        if took is None:
            print(f"  change {i} did not arrive within 120 s")
            return 1
        on.append(took)
    print(f"freshness, webhooks on:  {summary(on)}")

    integration.refresh_from_db()
    idle_on = idle_calls(control, integration, tenant, settings.VISMANET_WEBHOOK_POLL_SECONDS, args.idle_window)
    print(f"idle tenant, webhooks active: {idle_on}")

    if not args.skip_off:
        for sub in control._call("GET", "/webhooks/subscriptions"):
            control._call("DELETE", f"/webhooks/subscriptions/{sub['id']}")
        # As if the webhooks had stopped: no notification lately, normal polling from now on.
        Integration.all_tenants.filter(pk=integration.pk).update(last_notification_at=None, next_sync_at=timezone.now())
        spacing = args.interval / len(numbers)
        pending: dict[str, tuple[str, float]] = {}
        off: list[float] = []
        deadline = time.monotonic() + 3 * args.interval + 60
        next_change = time.monotonic()
        i = 0
        while (i < len(numbers) or pending) and time.monotonic() < deadline:
            if i < len(numbers) and time.monotonic() >= next_change:
                name = f"Poll {i} {time.time():.3f}"
                control.change_customer(company, numbers[i], {"name": name})
                pending[numbers[i]] = (name, time.monotonic())
                i += 1
                next_change += spacing
            for number, (name, at) in list(pending.items()):
                if visible(tenant, number, name):
                    off.append(time.monotonic() - at)
                    del pending[number]
            time.sleep(0.05)
        if pending:
            print(f"  {len(pending)} changes did not arrive by polling in time")
            return 1
        print(f"freshness, webhooks off: {summary(off)}")
        integration.refresh_from_db()
        print(f"idle tenant, webhooks off: {idle_calls(control, integration, tenant, args.interval, args.idle_window)}")
    ok = percentile(on, 0.95) <= 5
    print(f"goal p95 <= 5 s with webhooks: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


def change(control, company: str, number: str, label: str) -> str:  # type: ignore[no-untyped-def]
    name = f"{label} {time.time():.3f}"
    control.change_customer(company, number, {"name": name})
    return name


def idle_calls(control, integration, tenant, poll_seconds: int, window: int) -> str:  # type: ignore[no-untyped-def]
    """API calls of one forced incremental poll and one status poll, scaled to an hour, and the
    calls seen in an idle window of ``window`` seconds."""
    from django.conf import settings
    from django.utils import timezone

    from werkbon.integrations.models import Integration

    api = "^/(v1|v2|api|API)/"
    time.sleep(3)  # let the last change's work finish
    control.clear_requests()
    Integration.all_tenants.filter(pk=integration.pk).update(next_sync_at=timezone.now())
    time.sleep(min(window, 15))
    per_poll = control.request_count(path=api)
    control.clear_requests()
    Integration.all_tenants.filter(pk=integration.pk).update(next_status_poll_at=timezone.now())
    time.sleep(5)
    per_status_poll = control.request_count(path=api)
    control.clear_requests()
    time.sleep(max(0, window - 20))
    seen = control.request_count(path=api)
    per_hour = per_poll * 3600 / poll_seconds + per_status_poll * 3600 / settings.VISMANET_STATUS_POLL_SECONDS
    return (f"{per_poll} calls per poll every {poll_seconds} s + {per_status_poll} per status poll every "
            f"{settings.VISMANET_STATUS_POLL_SECONDS} s = {per_hour:.0f} calls/hour "
            f"({seen} seen in {max(0, window - 20)} s idle)")


if __name__ == "__main__":
    raise SystemExit(main())
