"""How fast the sandbox serves a full list page: the emulator must not be what the import
benchmarks measure (issue 14: a 1,000-record page well under 100 ms).

Run from the repository root::

    .venv/bin/python benchmarks/sandbox_paging.py [--customers 20000] [--items 10000] [--quick]

It spawns ``python -m vismanet_sandbox`` with an empty company, loads the customers (every
fifth with invoice and delivery addresses) and items of benchmarks/first_import.py through
the control API, and asks pages 1, the middle and the last of ``GET /v1/customer``
(1,000 a page) and ``GET /v1/inventory`` (1,000 and 5,000 a page) five times each, without
a latency fault. It prints min / median / p95 / max per list, with the load average.
``--quick`` is 5,000 customers and 2,000 items.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import load, summary  # noqa: E402
from first_import import customers, items  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.customers, args.items = 5_000, 2_000

    import httpx

    from tests.fixtures.sandbox import SandboxControl, free_port, start_server, wait_until_up
    from tests.sandbox.conftest import service_token
    from vismanet_sandbox import demo

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(port, "empty")
    try:
        wait_until_up(url, server)
        control = SandboxControl(url)
        tenant = demo.DEMO_TENANT_ID
        made = customers(args.customers)
        for first in range(0, len(made), 2000):  # in parts: one big POST can outlast the timeout
            control.add_customers(tenant, made[first:first + 2000])
        stock = items(args.items)
        for first in range(0, len(stock), 2000):
            control._call("POST", f"/companies/{tenant}/inventory", json=stock[first:first + 2000])
        headers = {"Authorization": f"Bearer {service_token(url, tenant)}"}
        print(f"Sandbox list pages, {args.customers:,} customers and {args.items:,} items, no latency fault "
              f"({load()}):")
        with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
            for path, size, total in (("/v1/customer", 1000, args.customers), ("/v1/inventory", 1000, args.items),
                                      ("/v1/inventory", 5000, args.items)):
                last = max(1, -(-total // size))
                times = []
                for _ in range(5):
                    for page in sorted({1, (last + 1) // 2, last}):
                        started = time.perf_counter()
                        response = http.get(path, params={"pageNumber": page, "pageSize": size})
                        times.append((time.perf_counter() - started) * 1000)
                        if response.status_code != 200:
                            print(f"{path}: HTTP {response.status_code}")
                            return 1
                print(f"  {path} pageSize {size}: {summary(times)}")
        return 0
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
