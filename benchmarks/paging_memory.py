"""Peak memory of paging 1,000 and 10,000 customers through ``vismanet`` (must not grow with N).

Run from the repository root::

    .venv/bin/python benchmarks/paging_memory.py [--page-size 500] [--counts 1000 10000]

It spawns ``python -m vismanet_sandbox`` on a free port, loads N customers through the control
API, and pages them with ``client.customers.list(page_size=...)`` in a *fresh child process*
per N (so one run's allocations cannot hide the next one's). The child counts the records
without keeping them and reports:

* tracemalloc peak: the largest amount of Python memory allocated at once while paging, in KiB
  (measured from after the first request, so imports, the token and the connection pool are
  not counted);
* RSS delta: the process's largest resident set size while paging minus the RSS before it, in
  KiB (sampled after every page with psutil).

Exit status 1 when the tracemalloc peak for the largest N exceeds 1.5x the smallest one's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

ALLOWED_GROWTH = 1.5


def measure(url: str, page_size: int) -> dict[str, float]:
    """Child: page every customer once; return counts and memory figures (KiB)."""
    import psutil

    from vismanet import InMemoryTokenStore, VismaNetClient
    from vismanet_sandbox import demo

    process = psutil.Process()
    with VismaNetClient(
        client_id=demo.CLIENT_ID, client_secret=demo.CLIENT_SECRET,
        token_store=InMemoryTokenStore(), tenant_id=demo.DEMO_TENANT_ID,
        erp_base_url=url, salesorder_base_url=url, connect_base_url=url, context_base_url=url,
    ) as client:
        client.companies.organizations()  # token, connection pool, imports: not counted
        rss_before = process.memory_info().rss
        rss_peak = rss_before
        tracemalloc.start()
        count = pages = 0
        for page in client.customers.list(page_size=page_size).pages():
            count += len(page.items)
            pages += 1
            rss_peak = max(rss_peak, process.memory_info().rss)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {"records": count, "pages": pages, "tracemalloc_peak_kib": peak / 1024,
            "rss_delta_kib": (rss_peak - rss_before) / 1024}


def customers(count: int) -> list[dict[str, object]]:
    return [
        {"number": str(500000 + i), "name": f"Klant {i} Installatie B.V.", "status": "Active",
         "mainAddress": {"addressLine1": f"Dorpsstraat {i % 300 + 1}", "postalCode": "3511 AB",
                         "city": "Utrecht", "countryId": "NL"},
         "mainContact": {"name": "J. de Vries", "email": f"info{i}@example.nl"},
         "currencyId": "EUR"}
        for i in range(count)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--measure", metavar="URL", help=argparse.SUPPRESS)  # child mode
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.page_size)))
        return 0

    from tests.fixtures.sandbox import SandboxControl, free_port, start_server, wait_until_up
    from vismanet_sandbox import demo

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(port, "empty")
    results: dict[int, dict[str, float]] = {}
    try:
        wait_until_up(url, server)
        control = SandboxControl(url)
        for count in args.counts:
            control.reset("empty")
            control.add_customers(demo.DEMO_TENANT_ID, customers(count))
            child = subprocess.run(
                [sys.executable, __file__, "--measure", url, "--page-size", str(args.page_size)],
                capture_output=True, text=True, check=True, cwd=REPO_ROOT,
            )
            results[count] = json.loads(child.stdout.strip().splitlines()[-1])
            if results[count]["records"] != count:
                print(f"paged {results[count]['records']} records, expected {count}")
                return 1
        control.http.close()
    finally:
        server.terminate()
        server.wait(timeout=10)

    print(f"Paging customers through vismanet, page size {args.page_size} ({os.getloadavg()[0]:.2f} load, 1 min)")
    print(f"{'customers':>10} {'pages':>6} {'tracemalloc peak':>17} {'RSS delta':>10}")
    for count, r in results.items():
        print(f"{count:>10} {r['pages']:>6.0f} {r['tracemalloc_peak_kib']:>13.0f} KiB"
              f" {r['rss_delta_kib']:>6.0f} KiB")
    small, large = results[min(results)], results[max(results)]
    ratio = large["tracemalloc_peak_kib"] / small["tracemalloc_peak_kib"]
    rss_ratio = (large["rss_delta_kib"] / small["rss_delta_kib"]) if small["rss_delta_kib"] else float("nan")
    print(f"ratio {max(results)}/{min(results)}: tracemalloc peak {ratio:.2f}x, RSS delta {rss_ratio:.2f}x"
          f" (records {max(results) / min(results):.0f}x)")
    if ratio > ALLOWED_GROWTH:
        print(f"FAIL: peak memory grows with N (more than {ALLOWED_GROWTH}x)")
        return 1
    print("OK: peak memory does not grow with N")
    return 0


if __name__ == "__main__":
    sys.exit(main())
