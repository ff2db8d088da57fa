"""Export latency: from archiving a work order to its document in Visma.net (p50, p95).

Run from the repository root::

    .venv/bin/python benchmarks/export_latency.py [--orders 50] [--latency-ms 100]

It spawns ``python -m vismanet_sandbox`` on a free port with ``latency`` added to every call
(default 100 ms), sets up a throw-away SQLite database in a temporary ``WERKBON_VAR_DIR``, an
ACTIVE integration connected through the sandbox's OAuth flow, and archives N completed work
orders (135 min work, 20 min travel, two items; sales orders; the work-order PDF attached).

The export runs EAGERLY (``CELERY_TASK_ALWAYS_EAGER``): the on-commit enqueue runs the real
task in this process right after the archive commits, so the figure is the export's own
latency (lease, fresh check, search by marker, create, PDF upload) without broker or worker
pick-up time. At the end it prints p50, p95 and max of archive → document made (the moment
its number is stored) and archive → sent (PDF attached), in milliseconds, and the API calls
per export.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import load, summary  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="10 work orders")
    args = parser.parse_args()
    if args.quick:
        args.orders = 10

    from tests.fixtures.sandbox import SandboxControl, free_port, start_server, wait_until_up

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(port, "demo")
    var_dir = tempfile.mkdtemp(prefix="werkbon-bench-")
    try:
        wait_until_up(url, server)
        os.environ.update({"WERKBON_ENV": "development", "DJANGO_DEBUG": "false", "WERKBON_VAR_DIR": var_dir, "CELERY_TASK_ALWAYS_EAGER": "1",
                           "VISMANET_SANDBOX_URL": url, "DJANGO_SETTINGS_MODULE": "werkbon.settings"})
        for name in ("DATABASE_URL", "CELERY_BROKER_URL", "VISMANET_CLIENT_ID"):
            os.environ.pop(name, None)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        return run(url, SandboxControl(url), args.orders, args.latency_ms)
    finally:
        server.terminate()
        server.wait(timeout=10)


def run(url: str, control, orders: int, latency_ms: int) -> int:  # type: ignore[no-untyped-def]
    from tests.integrations.conftest import archived_work_order, connect, make_integration
    from werkbon.accounts.models import Role, Tenant, User
    from werkbon.accounts.tenancy import tenant_context
    from werkbon.integrations.models import ExportRecord, ExportStatus
    from werkbon.workorders import services

    tenant = Tenant.objects.create(name="Benchmark B.V.", slug="benchmark")
    office = User.objects.create_user(username="bench-office", password=None, tenant=tenant,
                                      role=Role.OFFICE)
    tech = User.objects.create_user(username="bench-tech", password=None, tenant=tenant,
                                    role=Role.TECHNICIAN, default_warehouse="HOOFD")
    integration = make_integration(tenant)
    connect(integration, url)
    control.fault("latency", ms=latency_ms, count=None)
    control.clear_requests()

    stored_at: list[float] = []
    real_store = ExportRecord.store_document

    def timed_store(*a, **kw):  # type: ignore[no-untyped-def]
        real_store(*a, **kw)
        stored_at.append(time.perf_counter())  # the document exists in Visma.net now

    ExportRecord.store_document = timed_store  # type: ignore[method-assign]
    to_document: list[float] = []
    to_sent: list[float] = []
    with tenant_context(tenant):
        for _ in range(orders):
            order = archived_work_order(office, tech, archive=False,
                                        materials=(("MAT-1001", "2"), ("KST-1003", "1")))
            clock = time.perf_counter()
            services.archive(order, user=office)  # eager: the export runs on commit, here
            elapsed = (time.perf_counter() - clock) * 1000
            record = ExportRecord.objects.get(work_order_number=order.number)
            if record.status != ExportStatus.SENT:
                print(f"work order {order.number} not sent: {record.status} {record.last_error}")
                return 1
            to_sent.append(elapsed)
            to_document.append((stored_at[-1] - clock) * 1000)
    calls = control.request_count(path="^/(api|v1|v2)/")
    print(f"Export latency over {orders} work orders, sandbox latency {latency_ms} ms per call, "
          f"export run eagerly in-process (no broker/worker pick-up):")
    print(f"  archive → document in Visma.net: p50 {statistics.median(to_document):.0f} ms, "
          f"p95 {percentile(to_document, 0.95):.0f} ms, max {max(to_document):.0f} ms")
    print(f"  archive → sent (document + PDF): p50 {statistics.median(to_sent):.0f} ms, "
          f"p95 {percentile(to_sent, 0.95):.0f} ms, max {max(to_sent):.0f} ms")
    print(f"  archive → document: {summary(to_document)}; archive → sent: {summary(to_sent)}")
    print(f"  API calls per export: {calls / orders:.1f} (the pre-flight GETs run at once); {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
