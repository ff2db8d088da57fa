"""First-import throughput and peak memory, and the API calls of an idle tenant.

Run from the repository root::

    .venv/bin/python benchmarks/first_import.py [--customers 10000] [--items 5000] [--latency-ms 100]

It spawns ``python -m vismanet_sandbox`` on a free port with an empty company, loads N
customers (every fifth with a separate invoice and delivery address; Visma.net gives each
its MAIN location) and M items (one in ten a stock item) through the control API, and
makes every API call 100 ms slower (a latency fault). Werkbon runs embedded in a temporary
folder (SQLite file), with one tenant whose integration is connected through the sandbox's
OAuth flow. Then it prints:

* the first import: seconds, records read (the progress count: customers, items,
  locations), records/s, rows stored, API calls;
* Werkbon's own share two ways: the wall time minus the sandbox's own answer times (its
  request log's ``durationMs``, latency fault included; the calls are sequential), and the
  CPU time of the importing thread (``time.thread_time``: parsing, mapping, SQL, but not the
  sandbox, which is another process); and the sandbox's own time per full 1,000-record page;
* peak memory while importing: the largest RSS growth (psutil, sampled every 50 ms, KiB),
  the peak RSS after every 10,000 customers stored (flat from 10,000 to 50,000), with
  ``--debug`` the same under ``DJANGO_DEBUG=true``, and with ``--tracemalloc`` the peak of Python allocations (slows the import down, so the
  throughput of that run is lower);
* an idle tenant: the API calls of N incremental runs with no change in Visma.net (from the
  sandbox's request log), per run and per hour at the default 60-second interval.

Not a test: it prints figures and exits 0.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import load, summary  # noqa: E402

DEFAULT_INTERVAL_SECONDS = 60


def changed_at(n: int) -> str:
    """Record n's last change: one a minute, all older than the 5-minute overlap window
    (a company nobody is editing right now)."""
    import datetime as dt

    moment = dt.datetime(2025, 6, 1, 8, 0) - dt.timedelta(minutes=n)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000")


def customers(count: int) -> list[dict]:
    def address(n: int, street: str) -> dict:
        return {"addressLine1": f"{street} {n % 300 + 1}", "postalCode": f"{1000 + n % 8999} AB",
                "city": "Utrecht", "countryId": "NL"}

    result = []
    for n in range(count):
        record = {"number": str(100000 + n), "name": f"Klant {n} B.V.", "status": "Active",
                  "mainAddress": address(n, "Hoofdstraat"),
                  "mainContact": {"name": f"Klant {n} B.V.", "attention": f"Persoon {n}",
                                  "email": f"info{n}@klant.example", "phone1": "030-1234567"}}
        if n % 5 == 0:
            record["invoiceAddress"] = address(n, "Postbus")
            record["deliveryAddress"] = address(n, "Industrieweg")
        result.append(record)
    return [{**record, "lastModifiedDateTime": changed_at(n)} for n, record in enumerate(result)]


def items(count: int) -> list[dict]:
    classes = ["DIENST", "MATERIAAL", "SERVICE", "KOSTEN", "DECLARATIE"]
    return [{"inventoryNumber": f"ART-{n:05d}", "description": f"Artikel {n}",
             "type": "FinishedGoodItem" if n % 10 == 0 else "NonStockItem", "status": "Active",
             "baseUnit": "STK", "salesUnit": "STK", "defaultPrice": 10 + n % 90,
             "stockItem": n % 10 == 0, "itemClass": {"id": classes[n % 5], "description": classes[n % 5]},
             "lastModifiedDateTime": changed_at(n)}
            for n in range(count)]


class RssSampler(threading.Thread):
    """Samples this process's RSS every 50 ms; ``peak`` is the largest seen (bytes)."""

    def __init__(self) -> None:
        import psutil

        super().__init__(daemon=True)
        self.process = psutil.Process()
        self.start_rss = self.peak = self.process.memory_info().rss
        self.running = True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.05)

    def stop(self) -> int:
        self.running = False
        self.join()
        return self.peak - self.start_rss


def watch_customers(sampler: RssSampler, checkpoints: dict[int, tuple[int, int]], every: int = 10_000) -> None:
    """Note (RSS now, peak RSS so far) each time the customers stored pass a multiple of ``every``
    (wraps the customers table's ``store``: the benchmark's own instrument, not the import's)."""
    from werkbon.integrations.vismanet.sync import customers as customers_table

    table = customers_table.TABLE
    original = type(table).store
    seen = [0]

    def store(self, run, records):  # type: ignore[no-untyped-def]
        changes = original(self, run, records)
        before, seen[0] = seen[0], seen[0] + len(records)
        if seen[0] // every > before // every:
            checkpoints[seen[0]] = (sampler.process.memory_info().rss, sampler.peak)
        return changes

    table.store = store.__get__(table)  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=5_000)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--idle-runs", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="2,000 customers and 1,000 items")
    parser.add_argument("--debug", action="store_true",
                        help="run with DJANGO_DEBUG=true (Django keeps its query log: the memory worst case; "
                             "a Celery worker switches DEBUG off, werkbon.celery.no_debug_in_workers)")
    parser.add_argument("--profile", action="store_true", help="print the 25 slowest functions (cProfile)")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also trace Python allocations (exact peak, but it slows the import down)")
    args = parser.parse_args()
    if args.quick:
        args.customers, args.items = 2_000, 1_000

    from tests.fixtures.sandbox import SandboxControl, free_port, start_server, wait_until_up
    from vismanet_sandbox import demo

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(port, "empty")
    var_dir = tempfile.TemporaryDirectory(prefix="werkbon-bench-")
    try:
        wait_until_up(url, server)
        control = SandboxControl(url)
        tenant_id = demo.DEMO_TENANT_ID
        control.add_customers(tenant_id, customers(args.customers))
        control._call("POST", f"/companies/{tenant_id}/inventory", json=items(args.items))
        control.fault("latency", path="^/v1/", ms=args.latency_ms, count=None)

        os.environ.update(
            WERKBON_VAR_DIR=var_dir.name, DJANGO_SETTINGS_MODULE="werkbon.settings",
            WERKBON_ENV="development", DJANGO_DEBUG="true" if args.debug else os.environ.get("DJANGO_DEBUG", "false"),
            VISMANET_ERP_BASE_URL=url, VISMANET_SALESORDER_BASE_URL=url, VISMANET_CONNECT_BASE_URL=url,
            VISMANET_CONTEXT_BASE_URL=f"{url}/API", VISMANET_CLIENT_ID=demo.CLIENT_ID,
            VISMANET_CLIENT_SECRET=demo.CLIENT_SECRET,
        )
        for name in ("DATABASE_URL", "CELERY_BROKER_URL"):
            os.environ.pop(name, None)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from tests.integrations.conftest import connect, make_integration
        from werkbon.accounts.models import Tenant
        from werkbon.accounts.tenancy import tenant_context
        from werkbon.integrations.models import Integration
        from werkbon.integrations.vismanet import sync
        from werkbon.workorders.models import ContactPerson, Customer, Item, WorkAddress

        tenant = Tenant.objects.create(name="Benchmark B.V.", slug="bench")
        integration = make_integration(tenant)
        Integration.all_tenants.filter(pk=integration.pk).update(first_import_finished_at=None)
        integration.refresh_from_db()
        connect(integration, url, tenant_id)
        control.clear_requests()

        with tenant_context(tenant):
            sampler = RssSampler()
            sampler.start()
            checkpoints: dict[int, tuple[int, int]] = {}
            watch_customers(sampler, checkpoints)
            if args.tracemalloc:
                tracemalloc.start()
            started = time.perf_counter()
            cpu_started = time.thread_time()
            if args.profile:
                import cProfile
                import pstats

                with cProfile.Profile() as profile:
                    sync.first_import(integration)
                pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
                pstats.Stats(profile).sort_stats("tottime").print_stats(25)
            else:
                sync.first_import(integration)
            seconds = time.perf_counter() - started
            cpu_seconds = time.thread_time() - cpu_started
            traced_peak = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
            tracemalloc.stop()
            rss_growth = sampler.stop()
            integration.refresh_from_db()
            assert integration.first_import_finished_at, "the first import did not finish"
            calls = control.request_count(path="^/v1/")
            answered = control.requests(path="^/v1/")
            server_ms = sum(entry["durationMs"] for entry in answered)
            # The sandbox's own time for a full 1,000-record page: its answer minus the latency fault.
            full_pages = [entry["durationMs"] - args.latency_ms for entry in answered
                          if "pageSize=1000" in str(entry.get("query", "")) and "pageNumber" in str(entry.get("query", ""))]
            rows = {"customers": Customer.objects.count(), "items": Item.objects.count(),
                    "work addresses": WorkAddress.objects.count(), "contact persons": ContactPerson.objects.count()}

            control.clear_requests()
            for _ in range(args.idle_runs):
                sync.incremental(integration)
            idle_calls = control.request_count(path="^/v1/")

        records = integration.progress_done
        from django.conf import settings

        print(f"First import of {args.customers:,} customers and {args.items:,} items "
              f"({args.latency_ms} ms latency per call, SQLite, DEBUG={settings.DEBUG}):")
        print(f"  time:        {seconds:.1f} s, {calls} API calls answered in {server_ms / 1000:.1f} s "
              f"(latency included); {load()}")
        print(f"  Werkbon's own share: {seconds - server_ms / 1000:.1f} s wall (the time minus the sandbox's "
              f"answers, which are sequential); {cpu_seconds:.1f} s CPU of the importing thread "
              f"({cpu_seconds * 1000 / max(records, 1):.3f} ms a record); network floor "
              f"{calls * args.latency_ms / 1000:.1f} s")
        if full_pages:
            print(f"  sandbox:     its own time per 1,000-record page (answer minus the {args.latency_ms} ms fault): "
                  f"{summary(full_pages)} over {len(full_pages)} pages")
        print(f"  records:     {records:,} read (customers + items + locations) -> {records / seconds:,.0f} records/s")
        print(f"  customers:   {args.customers / seconds:,.0f} customers/s")
        print("  stored:      " + ", ".join(f"{count:,} {name}" for name, count in rows.items()))
        traced = f", tracemalloc peak {traced_peak / 1024:,.0f} KiB" if traced_peak is not None else ""
        print(f"  peak memory: RSS growth {rss_growth / 1024:,.0f} KiB{traced}; peak RSS "
              f"{(sampler.start_rss + rss_growth) / 2**20:,.0f} MiB")
        if checkpoints:
            print("  RSS now / peak so far, by customers stored: " + ", ".join(
                f"{count:,}: {now / 2**20:,.0f} / {peak / 2**20:,.0f} MiB"
                for count, (now, peak) in sorted(checkpoints.items())))
        per_run = idle_calls / args.idle_runs
        print(f"Idle tenant: {idle_calls} API calls in {args.idle_runs} incremental runs without changes "
              f"= {per_run:.1f} per run = {per_run * 3600 / DEFAULT_INTERVAL_SECONDS:,.0f} per hour "
              f"at the default {DEFAULT_INTERVAL_SECONDS}-second interval")
    finally:
        server.terminate()
        server.wait(timeout=10)
        var_dir.cleanup()


if __name__ == "__main__":
    main()
