"""Web latency with many work orders in one tenant: office list, planning week, work-order
detail and the API list (p95 per page, and the queries per page).

Run from the repository root::

    .venv/bin/python benchmarks/web_latency.py [--orders 50000] [--requests 60] [--quick]

It makes a new PostgreSQL database (``WERKBON_BENCH_POSTGRES``, default
``postgres://postgres@127.0.0.1:5432``; SQLite in a temporary folder when PostgreSQL does not
answer, and it says so), migrates it, bulk-creates one tenant with N work orders (500
customers and work addresses, 10 technicians, spread over five years of weeks, two lines on
the detail order), and serves it with gunicorn (2 workers, production settings, DEBUG off).
It then asks each page ``--requests`` times in turn (after a warm-up) and prints min / median /
p95 / max in milliseconds with the load average, and the number of SQL queries per page
(Django's test client with CaptureQueriesContext, same data), and the CPU time the gunicorn
workers spent per request (less dependent on the machine's load than the times). ``--quick``
is 5,000 orders and 20 requests. The goal (issue 14): p95 ≤ 100 ms at 50,000 work orders.
"""

from __future__ import annotations

import argparse
import datetime as dt
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

from _common import drop_database, load, postgres_database, summary  # noqa: E402


def populate(orders: int) -> dict[str, object]:
    """One tenant with ``orders`` work orders; returns what the requests need."""
    from decimal import Decimal

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from werkbon.accounts.models import ApiToken, Role, Tenant, User
    from werkbon.accounts.tenancy import tenant_context
    from werkbon.workorders import services
    from werkbon.workorders.models import (
        Customer,
        Item,
        WorkAddress,
        WorkOrder,
        WorkOrderSequence,
        WorkOrderStatus,
    )

    tenant = Tenant.objects.create(name="Schaal B.V.", slug="schaal")
    office = User.objects.create_user(username="kantoor", password=None, tenant=tenant, role=Role.OFFICE)
    technicians = [User.objects.create_user(username=f"monteur{n}", password=None, tenant=tenant,
                                            role=Role.TECHNICIAN, first_name=f"Monteur {n}")
                   for n in range(10)]
    customers = Customer.all_tenants.bulk_create(
        Customer(tenant=tenant, number=str(10000 + n), name=f"Klant {n} B.V.") for n in range(500))
    addresses = WorkAddress.all_tenants.bulk_create(
        WorkAddress(tenant=tenant, customer=c, street=f"Hoofdstraat {n}", city="Utrecht", postal_code="3511 AB")
        for n, c in enumerate(customers))
    start = timezone.make_aware(dt.datetime(2022, 1, 3, 8, 0))
    weeks = 260
    statuses = [WorkOrderStatus.ARCHIVED] * 6 + [WorkOrderStatus.COMPLETED, WorkOrderStatus.PLANNED,
                                                 WorkOrderStatus.PLANNED, WorkOrderStatus.OPEN]
    batch = 5000
    through = WorkOrder.technicians.through
    for first in range(0, orders, batch):
        rows = []
        for n in range(first, min(orders, first + batch)):
            address = addresses[n % len(addresses)]
            planned = start + dt.timedelta(weeks=n * weeks // orders, days=n % 5, hours=n % 8)
            rows.append(WorkOrder(
                tenant=tenant, number=n + 1, customer=address.customer, work_address=address,
                address_street=address.street, address_city=address.city, description=f"Onderhoud {n}",
                status=statuses[n % len(statuses)], planned_start=planned, planned_minutes=60))
        made = WorkOrder.all_tenants.bulk_create(rows)
        through.objects.bulk_create(
            through(workorder_id=order.pk, user_id=technicians[order.number % 10].pk) for order in made)
    WorkOrderSequence.objects.update_or_create(tenant=tenant, defaults={"next_number": orders + 1})
    with tenant_context(tenant):
        item = Item.objects.create(number="CV01", description="CV-ketel", unit="STK")
        detail = WorkOrder.objects.filter(status=WorkOrderStatus.PLANNED).order_by("-number").first()
        services.add_time_entry(detail, technician=technicians[detail.number % 10], kind="work", minutes=90,
                                date=timezone.localdate())
        services.add_material_line(detail, item=item, quantity=Decimal("2"), technician=technicians[detail.number % 10])
        _token, key = ApiToken.issue(office, "benchmark")
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # statistics, as autovacuum keeps them in use
            cursor.execute("ANALYZE")
    session = SessionStore()
    session[SESSION_KEY] = str(office.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = office.get_session_auth_hash()
    session.create()
    busy_week = (start + dt.timedelta(weeks=weeks // 2)).date()
    return {"session": session.session_key, "key": key, "detail": detail.pk, "week": busy_week.isoformat(),
            "office": office}


def count_queries(paths: dict[str, str], office, key: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", secure=True)
    client.force_login(office)
    counts = {}
    for name, path in paths.items():
        headers = {"Authorization": f"Bearer {key}"} if path.startswith("/api/") else {}
        client.get(path, headers=headers)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code)
        counts[name] = len(captured)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--quick", action="store_true", help="5,000 orders, 20 requests a page")
    args = parser.parse_args()
    if args.quick:
        args.orders, args.requests = 5_000, 20

    import httpx

    database = postgres_database()
    var_dir = tempfile.TemporaryDirectory(prefix="werkbon-bench-web-")
    engine = "PostgreSQL"
    if database is None:
        engine = "SQLite (PostgreSQL did not answer)"
        db_url = f"sqlite:///{var_dir.name}/werkbon.sqlite3"
    else:
        db_url = database
    port = 8000 + secrets.randbelow(1000)
    env = {
        **os.environ, "WERKBON_ENV": "production", "DATABASE_URL": db_url, "WERKBON_VAR_DIR": var_dir.name,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "WERKBON_FIELD_ENCRYPTION_KEY": urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SETTINGS_MODULE": "werkbon.settings", "CELERY_BROKER_URL": "memory://",
    }
    os.environ.update(env)
    server = None
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        clock = time.perf_counter()
        data = populate(args.orders)
        print(f"{args.orders:,} work orders made in {time.perf_counter() - clock:.0f} s ({engine})")
        paths = {
            "office list": "/werkorders/",
            "planning week": f"/werkorders/planning/?week={data['week']}",
            "work-order detail": f"/werkorders/{data['detail']}/",
            "API list": "/api/v1/work-orders",
        }
        queries = count_queries(paths, data["office"], str(data["key"]))
        from django.db import connections

        connections.close_all()
        server = subprocess.Popen(
            [str(REPO_ROOT / ".venv/bin/gunicorn"), "werkbon.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--log-level", "warning"], cwd=REPO_ROOT, env=env, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        cookies = {"sessionid": str(data["session"])}
        with httpx.Client(base_url=url, timeout=30, headers={"X-Forwarded-Proto": "https"}) as http:
            for _ in range(100):
                try:
                    http.get("/health/")
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            import psutil

            workers = psutil.Process(server.pid).children()

            def worker_cpu() -> float:
                return sum(sum(w.cpu_times()[:2]) for w in workers)

            timings: dict[str, list[float]] = {name: [] for name in paths}
            cpu: dict[str, float] = dict.fromkeys(paths, 0.0)
            for round_ in range(args.requests + 3):
                for name, path in paths.items():
                    headers = {"Authorization": f"Bearer {data['key']}"} if path.startswith("/api/") else \
                        {"Cookie": f"sessionid={cookies['sessionid']}"}
                    cpu_before = worker_cpu()
                    started = time.perf_counter()
                    response = http.get(path, headers=headers)
                    elapsed = (time.perf_counter() - started) * 1000
                    if response.status_code != 200:
                        print(f"{name}: HTTP {response.status_code}")
                        return 1
                    if round_ >= 3:  # warm-up
                        timings[name].append(elapsed)
                        cpu[name] += worker_cpu() - cpu_before
        print(f"Web latency, {args.orders:,} work orders in one tenant, gunicorn 2 workers, {engine}, "
              f"{args.requests} requests a page ({load()}):")
        for name, values in timings.items():
            print(f"  {name:18} {summary(values)}; {queries[name]} queries; "
                  f"{cpu[name] * 1000 / len(values):.0f} ms CPU a request (gunicorn worker)")
        return 0
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        if database:
            drop_database(database)
        var_dir.cleanup()


if __name__ == "__main__":
    sys.exit(main())
