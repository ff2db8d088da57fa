"""Shared by the benchmarks: the load average, percentiles, a fresh PostgreSQL database."""

from __future__ import annotations

import os
import statistics
import time
import uuid


def load() -> str:
    """``load 1.23/1.10/0.98`` (1, 5 and 15 minutes): printed with every figure, because on a
    shared machine the figures depend on it."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f}/{five:.2f}/{fifteen:.2f} on {os.cpu_count()} cores"


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` 0.95 = p95)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def summary(values: list[float], unit: str = "ms") -> str:
    """``min 1 / median 2 / p95 3 / max 4 ms`` of ``values``."""
    return (f"min {min(values):.0f} / median {statistics.median(values):.0f} / "
            f"p95 {percentile(values, 0.95):.0f} / max {max(values):.0f} {unit}")


def postgres_database(server: str | None = None) -> str | None:
    """A new, empty PostgreSQL database on ``server`` (``WERKBON_BENCH_POSTGRES``, default
    ``postgres://postgres@127.0.0.1:5432``); its URL, or None when PostgreSQL does not answer.
    Drop it with :func:`drop_database`."""
    import psycopg

    server = server or os.environ.get("WERKBON_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    name = f"werkbon_bench_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=3) as db:
            db.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        return None
    return f"{server}/{name}"


def drop_database(url: str) -> None:
    """Drop the database :func:`postgres_database` made (closing its connections first)."""
    import psycopg

    server, name = url.rsplit("/", 1)
    for _ in range(3):
        try:
            with psycopg.connect(f"{server}/postgres", autocommit=True) as db:
                db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except psycopg.OperationalError:
            time.sleep(1)


def redis_broker() -> tuple[str, str]:
    """``(broker URL, key prefix)`` for a scale-out benchmark: Redis at
    ``WERKBON_BENCH_REDIS`` (default ``redis://127.0.0.1:6379/0``) with a key prefix of its own,
    so concurrent runs and test suites never meet; :func:`drop_redis_keys` removes them."""
    url = os.environ.get("WERKBON_BENCH_REDIS", "redis://127.0.0.1:6379/0")
    return url, f"werkbon-bench-{uuid.uuid4().hex[:8]}:"


def drop_redis_keys(url: str, prefix: str) -> None:
    """Delete every key under ``prefix`` (the benchmark's queues and results)."""
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
