"""Export latency with a real worker: from archiving a work order to its document in Visma.net.

Run from the repository root::

    .venv/bin/python benchmarks/export_latency.py [--mode both|embedded|scaleout|eager]
        [--orders 50] [--latency-ms 100] [--quick]

It spawns ``python -m vismanet_sandbox`` on a free port with ``latency`` added to every call
(default 100 ms), makes an ACTIVE integration connected through the sandbox's OAuth flow, and
archives N completed work orders one after another (135 min work, 20 min travel, two items;
sales orders; the work-order PDF attached) through ``workorders.services.archive``, the
service the office's archive action uses, committed. The outbox row's on-commit enqueue hands
the job to a **real worker process**, which picks it up and exports it:

* ``embedded`` (how ``./dev up`` runs jobs without services): a SQLite file and the
  ``werkbon-filesystem://`` queue folder in a temporary ``WERKBON_VAR_DIR``, and one
  ``celery worker -B -c 2`` (prefork, the scheduler inside), as ``devtools/up.py`` starts it;
* ``scaleout``: a PostgreSQL database of its own, Redis with a key prefix of its own and one
  dedicated export worker ``celery worker -Q export -c 2`` (prefork, docs/architecture.md
  "Worker pool");
* ``both`` (the default): embedded, then scale-out, each in a subprocess of its own;
* ``eager``: the old in-process figure (``CELERY_TASK_ALWAYS_EAGER``), no pick-up at all.

The clock starts before ``archive`` and the benchmark polls the outbox row (every 5 ms, its
own database connection): **archive → document** is the moment the worker has stored the
document's number (the create answered: the document exists in the sandbox), **archive →
sent** the moment the record is sent (document and PDF). Two untimed warm-up exports come
first (the pool processes import and connect). It prints min / median / p95 / max of both,
the API calls per export, the worker's CPU per export (psutil, load-independent) and the load
average. ``--quick`` is 15 work orders. Each mode runs in well under a minute at 50 orders.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from base64 import urlsafe_b64encode
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import drop_database, drop_redis_keys, load, postgres_database, redis_broker, summary  # noqa: E402

POLL_SECONDS = 0.005
WARM_UP = 2
MODE_TEXT = {
    "embedded": "embedded (SQLite + werkbon-filesystem:// queue folder, 1 `celery worker -B -c 2`)",
    "scaleout": "scale-out (PostgreSQL + Redis, 1 export worker `celery worker -Q export -c 2`)",
    "eager": "eager, in-process (CELERY_TASK_ALWAYS_EAGER: no broker, no worker pick-up)",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("both", "embedded", "scaleout", "eager"), default="both")
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="15 work orders")
    args = parser.parse_args()
    if args.quick:
        args.orders = 15
    if args.mode == "both":
        status = 0
        for mode in ("embedded", "scaleout"):
            status |= subprocess.run([sys.executable, __file__, "--mode", mode, "--orders", str(args.orders),
                                      "--latency-ms", str(args.latency_ms)], cwd=REPO_ROOT, check=False).returncode
        return status
    return run_mode(args.mode, args.orders, args.latency_ms)


def run_mode(mode: str, orders: int, latency_ms: int) -> int:

    from tests.fixtures.sandbox import SandboxControl, free_port, start_server, wait_until_up
    from vismanet_sandbox import demo

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sandbox = start_server(port, "demo")
    var_dir = tempfile.TemporaryDirectory(prefix=f"werkbon-bench-export-{mode}-")
    database = redis_url = prefix = None
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER", "VISMANET_CLIENT_ID",
                          "WERKBON_CELERY_KEY_PREFIX", "DJANGO_DEBUG"}}
    env.update({"WERKBON_VAR_DIR": var_dir.name, "DJANGO_SETTINGS_MODULE": "werkbon.settings",
                "DJANGO_DEBUG": "false"})
    if mode == "scaleout":
        database = postgres_database()
        if database is None:
            print("PostgreSQL does not answer at 127.0.0.1: the scale-out mode needs it.")
            return 1
        redis_url, prefix = redis_broker()
        env.update({
            "WERKBON_ENV": "production", "DATABASE_URL": database, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "WERKBON_FIELD_ENCRYPTION_KEY": urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "CELERY_BROKER_URL": redis_url,
            "WERKBON_CELERY_KEY_PREFIX": prefix, "VISMANET_ERP_BASE_URL": url,
            "VISMANET_SALESORDER_BASE_URL": url, "VISMANET_CONNECT_BASE_URL": url,
            "VISMANET_CONTEXT_BASE_URL": f"{url}/API", "VISMANET_CLIENT_ID": demo.CLIENT_ID,
            "VISMANET_CLIENT_SECRET": demo.CLIENT_SECRET,
        })
    else:  # the embedded default, as ./dev up runs it (development, sandbox as Visma.net)
        env.update({"WERKBON_ENV": "development", "VISMANET_SANDBOX_URL": url})
        if mode == "eager":
            env["CELERY_TASK_ALWAYS_EAGER"] = "1"
    os.environ.clear()
    os.environ.update(env)
    worker: subprocess.Popen[bytes] | None = None
    log_path = Path(var_dir.name) / "worker.log"
    try:
        wait_until_up(url, sandbox)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        if mode != "eager":
            if mode == "embedded":
                args = ["-B", "-c", "2", "--schedule", str(Path(var_dir.name) / "celerybeat-schedule")]
            else:
                args = ["-Q", "export", "-c", "2"]
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "werkbon", "worker", *args, "-l", "INFO",
                 "-n", f"bench-export-{mode}@%h"],
                cwd=REPO_ROOT, env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT,
                start_new_session=True)
            deadline = time.monotonic() + 60
            while " ready." not in log_path.read_text(errors="replace"):
                if worker.poll() is not None or time.monotonic() > deadline:
                    print(f"the worker did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
                    return 1
                time.sleep(0.1)
        return measure(mode, url, SandboxControl(url), orders, latency_ms, worker, log_path)
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        sandbox.terminate()
        sandbox.wait(timeout=10)
        if database is not None:
            from django.db import connections

            connections.close_all()
            drop_database(database)
        if redis_url is not None:
            drop_redis_keys(redis_url, prefix)
        var_dir.cleanup()


def measure(mode: str, url: str, control, orders: int, latency_ms: int,  # type: ignore[no-untyped-def]
            worker: subprocess.Popen[bytes] | None, log_path: Path) -> int:
    import psutil

    from tests.integrations.conftest import archived_work_order, connect, make_integration
    from werkbon.accounts.models import Role, Tenant, User
    from werkbon.accounts.tenancy import tenant_context
    from werkbon.integrations.models import ExportRecord, ExportStatus
    from werkbon.workorders import services

    tenant = Tenant.objects.create(name="Benchmark B.V.", slug="benchmark")
    office = User.objects.create_user(username="bench-office", password=None, tenant=tenant, role=Role.OFFICE)
    tech = User.objects.create_user(username="bench-tech", password=None, tenant=tenant,
                                    role=Role.TECHNICIAN, default_warehouse="HOOFD")
    integration = make_integration(tenant)
    connect(integration, url)
    control.fault("latency", ms=latency_ms, count=None)

    def worker_cpu() -> float:
        if worker is None:
            return 0.0
        total = 0.0
        root = psutil.Process(worker.pid)
        for process in [root, *root.children(recursive=True)]:
            try:
                times = process.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total

    def export_one() -> tuple[float, float] | str:
        order = archived_work_order(office, tech, archive=False, materials=(("MAT-1001", "2"), ("KST-1003", "1")))
        clock = time.perf_counter()
        services.archive(order, user=office)  # committed; the on-commit enqueue hands it to the worker
        to_document = None
        deadline = clock + 60
        rows = ExportRecord.all_tenants.filter(tenant=tenant, work_order_number=order.number)
        while time.perf_counter() < deadline:
            row = rows.values_list("document_number", "status", "last_error").first()
            now = time.perf_counter()
            if row is not None:
                number, status, error = row
                if number and to_document is None:
                    to_document = (now - clock) * 1000
                if status == ExportStatus.SENT:
                    return to_document or (now - clock) * 1000, (now - clock) * 1000
                if status not in (ExportStatus.QUEUED, ExportStatus.SENDING, ExportStatus.ATTACHMENTS_PENDING) \
                        or error:
                    return f"work order {order.number}: {status} {error}"
            time.sleep(POLL_SECONDS)
        return f"work order {order.number} not sent within 60 s; worker log:\n" + \
            log_path.read_text(errors="replace")[-3000:]

    with tenant_context(tenant):
        for _ in range(WARM_UP):
            if isinstance(result := export_one(), str):
                print(result)
                return 1
        control.clear_requests()
        cpu_before = worker_cpu()
        load_before = load()
        to_document: list[float] = []
        to_sent: list[float] = []
        for _ in range(orders):
            result = export_one()
            if isinstance(result, str):
                print(result)
                return 1
            to_document.append(result[0])
            to_sent.append(result[1])
        cpu = worker_cpu() - cpu_before
    calls = control.request_count(path="^/(api|v1|v2)/")
    print(f"Export latency, {MODE_TEXT[mode]}: {orders} work orders after {WARM_UP} warm-up exports, "
          f"sandbox latency {latency_ms} ms per call:")
    print(f"  archive → document in Visma.net: {summary(to_document)}")
    print(f"  archive → sent (document + PDF): {summary(to_sent)}")
    cpu_text = f"; worker CPU per export {1000 * cpu / orders:.0f} ms" if worker is not None else ""
    print(f"  API calls per export: {calls / orders:.1f}{cpu_text}")
    print(f"  {load_before} at the start, {load()} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
