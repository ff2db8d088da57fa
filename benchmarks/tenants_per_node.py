"""Tenants kept fresh by one node in the scale-out mode (PostgreSQL + Redis, a real beat and a
real worker), the CPU per idle sync and the worst freshness seen (webhooks off).

Run from the repository root (PostgreSQL and Redis at 127.0.0.1)::

    .venv/bin/python benchmarks/tenants_per_node.py [--tenants 2000] [--interval 60] [--quick]

It spawns the sandbox (an empty company with 200 customers and 100 items last changed long
ago, 100 ms per API call), makes a new PostgreSQL database
and a Redis key prefix of its own, runs one real first import for a template tenant, then
clones it into N tenants (integration, encrypted tokens, watermarks: all on the same sandbox
company, whose data did not change, so every sync is idle) with their next syncs spread over
one interval. Then it starts ``celery beat`` and the node's workers: ``--workers`` (2, one per
core) processes of ``celery worker -Q periodic,sync,default -P threads -c 16`` (docs/architecture.md,
"Worker pool"); once the first sync ran it waits one interval (warm-up), then samples every
tenant's last sync every 5 s for 1.5 intervals.

It prints: the tenants kept fresh (every sample saw a sync younger than 1.5 intervals), the
worst freshness seen (the oldest last sync at any sample, in seconds and in intervals), the
idle syncs run, the workers' and beat's CPU per idle sync (psutil) and, for the whole node's
budget, the CPU of this database's PostgreSQL backends (sampled every 5 s, so a backend that
ends between samples is missed; they persist, CONN_MAX_AGE), of the whole Redis server (shared
with whatever else uses it) and of the sandbox (which stands in for Visma.net: not on a real
node), each in CPU-seconds per second, and the load average. N tenants at an interval of I seconds
are the same sync rate as N × 300 / I tenants at the 5-minute interval of the goal, which it
prints too: the default (2,000 at 60 s) is the goal's 10,000 at 5 minutes. ``--quick`` is 300
tenants at 30 s. Runs in under 10 minutes.
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
import uuid
from base64 import urlsafe_b64encode
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import drop_database, drop_redis_keys, load, postgres_database, redis_broker  # noqa: E402

GOAL_INTERVAL = 300
CUSTOMERS_IN_COMPANY, ITEMS_IN_COMPANY = 200, 100


def _records() -> tuple[list[dict], list[dict]]:
    from first_import import customers, items

    return customers(CUSTOMERS_IN_COMPANY), items(ITEMS_IN_COMPANY)


CUSTOMERS, ITEMS = _records()


def _stamp(record: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(record["lastModifiedDateTime"]).replace(tzinfo=dt.UTC)


def clone_tenants(count: int, interval: int) -> list[int]:
    """``count`` copies of the template tenant's integration; returns their integration ids."""
    from django.utils import timezone

    from werkbon.accounts.models import Tenant
    from werkbon.integrations.models import Credential, Integration, SyncState
    from werkbon.workorders.models import ContactPerson, Customer, Item, ItemGroup, WorkAddress

    template = Integration.all_tenants.get()
    tokens = Credential.all_tenants.get(integration=template).tokens
    states = list(SyncState.all_tenants.filter(integration=template))
    # What every idle sync reads again (the overlap window: the records changed in the five
    # minutes before the newest), as the template's first import stored it: each clone has
    # its own copy, so its syncs find them unchanged, as a real tenant's would.
    overlap = (SyncState.all_tenants.get(integration=template, table="customers").watermark
               - dt.timedelta(minutes=5))
    groups = list(ItemGroup.all_tenants.filter(tenant_id=template.tenant_id))
    items = list(Item.all_tenants.filter(tenant_id=template.tenant_id, number__in=[
        item["inventoryNumber"] for item in ITEMS if _stamp(item) >= overlap]))
    customers = list(Customer.all_tenants.filter(tenant_id=template.tenant_id, number__in=[
        customer["number"] for customer in CUSTOMERS if _stamp(customer) >= overlap]))
    addresses = list(WorkAddress.all_tenants.filter(customer__in=customers))
    contacts = list(ContactPerson.all_tenants.filter(customer__in=customers))

    def copies(rows: list, tenant_id: int, **links: dict) -> list:
        made = []
        for row in rows:
            copy = type(row)(**{f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields
                               if not f.primary_key})
            copy.tenant_id = tenant_id
            for field, mapping in links.items():
                setattr(copy, field, mapping[getattr(row, field)])
            made.append(copy)
        return made

    now = timezone.now()
    made = []
    for first in range(0, count, 1000):
        tenants = Tenant.objects.bulk_create(
            Tenant(name=f"Huurder {n}", slug=f"huurder-{n}") for n in range(first, min(count, first + 1000)))
        integrations = Integration.all_tenants.bulk_create(
            Integration(
                tenant=tenant, kind=template.kind, status=template.status, started_at=now,
                company_name=template.company_name, company_number=template.company_number,
                company_tenant_id=template.company_tenant_id, data_company_number=template.data_company_number,
                document_token=uuid.uuid4().hex[:12], settings=template.settings, settings_saved_at=now,
                terms_accepted_at=now, first_import_finished_at=now, import_phase="done",
                sync_interval_seconds=interval,
                next_sync_at=now + dt.timedelta(seconds=interval * (first + n) / count),
                next_cleanup_at=now + dt.timedelta(days=2),
                # the hourly status poll spread over its hour, as on a node in its steady state
                next_status_poll_at=now + dt.timedelta(seconds=3600 * (first + n) / count + interval))
            for n, tenant in enumerate(tenants))
        for tenant in tenants:
            new_groups = ItemGroup.all_tenants.bulk_create(copies(groups, tenant.pk))
            group_ids = {old.pk: new.pk for old, new in zip(groups, new_groups, strict=True)} | {None: None}
            Item.all_tenants.bulk_create(copies(items, tenant.pk, group_id=group_ids))
            new_customers = Customer.all_tenants.bulk_create(copies(customers, tenant.pk))
            customer_ids = {old.pk: new.pk for old, new in zip(customers, new_customers, strict=True)}
            WorkAddress.all_tenants.bulk_create(copies(addresses, tenant.pk, customer_id=customer_ids))
            ContactPerson.all_tenants.bulk_create(copies(contacts, tenant.pk, customer_id=customer_ids))
        Credential.all_tenants.bulk_create(
            Credential(tenant_id=i.tenant_id, integration=i, tokens=tokens) for i in integrations)
        SyncState.all_tenants.bulk_create(
            SyncState(tenant_id=i.tenant_id, integration=i, table=s.table, watermark=s.watermark,
                      first_import_done=True, signpost=s.signpost, last_run_at=now)
            for i in integrations for s in states)
        made += [i.pk for i in integrations]
    Integration.all_tenants.filter(pk=template.pk).update(status="inactive")  # only the clones run
    return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=2000)
    parser.add_argument("--interval", type=int, default=60, help="sync interval in seconds")
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="worker processes (one per core)")
    parser.add_argument("--concurrency", type=int, default=16, help="threads of each worker process")
    parser.add_argument("--quick", action="store_true", help="300 tenants at a 30-second interval")
    args = parser.parse_args()
    if args.quick:
        args.tenants, args.interval = 300, 30

    import psutil
    import redis

    from tests.fixtures.sandbox import SandboxControl, free_port, start_server, wait_until_up
    from vismanet_sandbox import demo

    database = postgres_database()
    if database is None:
        print("PostgreSQL does not answer at 127.0.0.1: this benchmark needs the scale-out mode.")
        return 1
    redis_url, prefix = redis_broker()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # An empty company with records last changed long ago (benchmarks/first_import.py): the
    # demo seed's records are stamped when the sandbox starts, so for its first five minutes
    # (the import's overlap) every sync would read them again instead of being idle.
    sandbox = start_server(port, "empty")
    var_dir = tempfile.TemporaryDirectory(prefix="werkbon-bench-tenants-")
    env = {
        **os.environ, "WERKBON_ENV": "production", "DATABASE_URL": database, "WERKBON_VAR_DIR": var_dir.name,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "WERKBON_FIELD_ENCRYPTION_KEY": urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "DJANGO_SETTINGS_MODULE": "werkbon.settings",
        "CELERY_BROKER_URL": redis_url, "WERKBON_CELERY_KEY_PREFIX": prefix,
        "VISMANET_ERP_BASE_URL": url, "VISMANET_SALESORDER_BASE_URL": url, "VISMANET_CONNECT_BASE_URL": url,
        "VISMANET_CONTEXT_BASE_URL": f"{url}/API", "VISMANET_CLIENT_ID": demo.CLIENT_ID,
        "VISMANET_CLIENT_SECRET": demo.CLIENT_SECRET,
    }
    os.environ.update(env)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        wait_until_up(url, sandbox)
        SandboxControl(url).add_customers(demo.DEMO_TENANT_ID, CUSTOMERS)
        SandboxControl(url)._call("POST", f"/companies/{demo.DEMO_TENANT_ID}/inventory", json=ITEMS)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, connections
        from django.utils import timezone

        call_command("migrate", verbosity=0)
        from tests.integrations.conftest import connect, make_integration
        from werkbon.accounts.models import Tenant
        from werkbon.accounts.tenancy import tenant_context
        from werkbon.integrations.models import Integration
        from werkbon.integrations.vismanet import sync

        template_tenant = Tenant.objects.create(name="Sjabloon B.V.", slug="sjabloon")
        integration = make_integration(template_tenant)
        Integration.all_tenants.filter(pk=integration.pk).update(first_import_finished_at=None)
        integration.refresh_from_db()
        connect(integration, url)
        with tenant_context(template_tenant):
            sync.first_import(integration)
        clock = time.perf_counter()
        clone_tenants(args.tenants, args.interval)
        print(f"{args.tenants:,} tenants made in {time.perf_counter() - clock:.0f} s")
        connections.close_all()
        control = SandboxControl(url)
        control.fault("latency", path="^/(v1|v2|api|API)/", ms=args.latency_ms, count=None)

        log = (Path(var_dir.name) / "celery.log").open("wb")
        celery = str(REPO_ROOT / ".venv/bin/celery")
        beat = subprocess.Popen([celery, "-A", "werkbon", "beat", "--loglevel", "WARNING", "--schedule",
                                 str(Path(var_dir.name) / "beat-schedule")], cwd=REPO_ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        workers = [subprocess.Popen([celery, "-A", "werkbon", "worker", "-Q", "periodic,sync,default", "-P", "threads",
                                     "-c", str(args.concurrency), "--loglevel", "WARNING", "-n", f"bench{n}@%h"],
                                    cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
                   for n in range(args.workers)]
        processes += [beat, *workers]
        watched = [psutil.Process(beat.pid), *(psutil.Process(worker.pid) for worker in workers)]
        database_name = database.rsplit("/", 1)[-1]

        def tree_cpu(roots: list, kind: str = "both") -> float:
            total = 0.0
            for process in roots:
                try:
                    family = [process, *process.children(recursive=True)]
                except psutil.NoSuchProcess:
                    continue
                for p in family:
                    try:
                        times = p.cpu_times()
                        total += {"user": times.user, "system": times.system}.get(kind, times.user + times.system)
                    except psutil.NoSuchProcess:
                        pass
            return total

        def cpu_seconds() -> float:
            return tree_cpu(watched)

        backends: dict[int, float] = {}  # pid → CPU seconds last seen (PostgreSQL backends of this database)

        def sample_others() -> tuple[float, float, float]:
            """(PostgreSQL backends of this database, Redis server, sandbox): CPU seconds so far."""
            redis_cpu = 0.0
            for p in psutil.process_iter(["name", "cmdline"]):
                try:
                    name, cmdline = p.info["name"] or "", " ".join(p.info["cmdline"] or [])
                    if name.startswith("postgres") and f" {database_name} " in f" {cmdline} ":
                        times = p.cpu_times()
                        backends[p.pid] = times.user + times.system
                    elif name.startswith("redis-server"):
                        times = p.cpu_times()
                        redis_cpu += times.user + times.system
                except psutil.NoSuchProcess:
                    pass
            return sum(backends.values()), redis_cpu, tree_cpu([psutil.Process(sandbox.pid)])

        def last_runs() -> dict[int, dt.datetime]:
            with connection.cursor() as cursor:
                cursor.execute("SELECT s.tenant_id, MIN(s.last_run_at) FROM integrations_syncstate s "
                               "JOIN integrations_integration i ON i.id = s.integration_id "
                               "WHERE i.status = 'active' GROUP BY s.tenant_id")
                return dict(cursor.fetchall())

        before = last_runs()
        started = time.monotonic()
        while last_runs() == before and time.monotonic() - started < 120:  # the worker is up
            time.sleep(1)
            connection.close()
        print(f"first sync {time.monotonic() - started:.0f} s after starting beat and worker")
        time.sleep(args.interval)  # warm-up: one interval after the first sync
        cpu_start, seen = cpu_seconds(), last_runs()
        system_start = tree_cpu(watched, "system")
        others_start = sample_others()
        wall_start = time.monotonic()
        syncs = 0
        worst: dict[int, float] = dict.fromkeys(seen, 0.0)
        steady_end = time.monotonic() + 1.5 * args.interval
        while time.monotonic() < steady_end:
            time.sleep(5)
            now = timezone.now()
            runs = last_runs()
            for tenant, at in runs.items():
                if at != seen.get(tenant):
                    syncs += 1
                worst[tenant] = max(worst.get(tenant, 0.0), (now - at).total_seconds())
            seen = runs
            connection.close()
            sample_others()
        cpu = cpu_seconds() - cpu_start
        system = tree_cpu(watched, "system") - system_start
        others = [end - start for start, end in zip(others_start, sample_others(), strict=True)]
        wall = time.monotonic() - wall_start
        fresh = sum(1 for age in worst.values() if age <= 1.5 * args.interval)
        oldest = max(worst.values())
        equivalent = args.tenants * GOAL_INTERVAL / args.interval
        print(f"Tenants per node, scale-out (PostgreSQL + Redis), beat + {args.workers} worker process(es)"
              f" -P threads -c {args.concurrency}, "
              f"{args.latency_ms} ms per call, interval {args.interval} s ({load()}):")
        print(f"  kept fresh:      {fresh:,} of {args.tenants:,} tenants (every sample younger than 1.5 intervals)"
              f" = {fresh * GOAL_INTERVAL / args.interval:,.0f} tenants at a 5-minute interval"
              f" (offered: {equivalent:,.0f})")
        print(f"  worst freshness: {oldest:.0f} s = {oldest / args.interval:.2f} intervals")
        print(f"  idle syncs:      {syncs:,} in {1.5 * args.interval:.0f} s"
              f" ({syncs / (1.5 * args.interval):.1f}/s)")
        if syncs:
            print(f"  CPU per idle sync (workers + beat): {1000 * cpu / syncs:.1f} ms"
                  f" (of which system: {1000 * system / syncs:.1f} ms)")
            print(f"  CPU per idle sync, PostgreSQL backends of this database: {1000 * others[0] / syncs:.1f} ms")
        print(f"  node CPU (CPU-seconds per second, of 2 cores): workers + beat {cpu / wall:.2f},"
              f" PostgreSQL backends {others[0] / wall:.2f}, Redis server (shared) {others[1] / wall:.2f},"
              f" sandbox (stands in for Visma.net) {others[2] / wall:.2f}")
        redis.Redis.from_url(redis_url).ping()
        return 0
    finally:
        for process in processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)
        sandbox.terminate()
        sandbox.wait(timeout=10)
        from django.db import connections as all_connections

        all_connections.close_all()
        drop_database(database)
        drop_redis_keys(redis_url, prefix)
        var_dir.cleanup()


if __name__ == "__main__":
    sys.exit(main())
