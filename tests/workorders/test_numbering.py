"""Work-order numbers come from a per-tenant sequence (issue 2): each tenant starts at 1,
tenants number independently, and concurrent creates in one tenant get distinct, gap-free
numbers. Runs on SQLite and in the PostgreSQL run of ./dev test, where the
``select_for_update`` on the tenant's sequence row is what keeps the numbers apart.

On SQLite the test database is in memory with a shared cache, whose table locks fail at
once ("database table is locked") instead of waiting; the embedded mode uses a file with
WAL, ``BEGIN IMMEDIATE`` and a busy timeout. So on an in-memory test database the threads
work on a file copy of it with the project's own connection settings (as the embedded
mode does); with a file test database (``WERKBON_TEST_SQLITE``) or PostgreSQL they use
the test database itself."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator

import pytest
from django.db import connection, connections

from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import services
from werkbon.workorders.models import Customer, WorkOrder, WorkOrderSequence

THREADS = 6
PER_THREAD = 4


def _customer(tenant, number: str) -> Customer:  # type: ignore[no-untyped-def]
    with tenant_context(tenant):
        return Customer.objects.create(number=number, name=f"Klant {number}")


@pytest.mark.django_db
def test_each_tenant_starts_at_1_and_tenants_number_independently(tenant_a, tenant_b):
    customer_a, customer_b = _customer(tenant_a, "A1"), _customer(tenant_b, "B1")
    numbers: dict[str, list[int]] = {"a": [], "b": []}
    # interleaved: a shared counter would give A 1, 3, 4 and B 2, 5
    for key, tenant, customer in [("a", tenant_a, customer_a), ("b", tenant_b, customer_b),
                                  ("a", tenant_a, customer_a), ("a", tenant_a, customer_a),
                                  ("b", tenant_b, customer_b)]:
        with tenant_context(tenant):
            numbers[key].append(services.create_work_order(customer=customer).number)
    assert numbers == {"a": [1, 2, 3], "b": [1, 2]}
    with tenant_context(tenant_a):
        assert sorted(WorkOrder.objects.values_list("number", flat=True)) == [1, 2, 3]
    with tenant_context(tenant_b):
        assert sorted(WorkOrder.objects.values_list("number", flat=True)) == [1, 2]
    assert WorkOrderSequence.objects.get(tenant=tenant_a).next_number == 4
    assert WorkOrderSequence.objects.get(tenant=tenant_b).next_number == 3


@pytest.fixture
def thread_database(tmp_path) -> Iterator[Callable[[], None]]:
    """A function each worker thread calls first: it points the thread's ``default``
    connection at the database the threads share (see the module text)."""
    if not (connection.vendor == "sqlite" and connection.is_in_memory_db()):
        yield lambda: None
        return
    path = tmp_path / "numbering.sqlite3"
    settings_dict = {**connection.settings_dict, "NAME": str(path)}
    wrapper_class = type(connections["default"])  # ``connection`` itself is a proxy

    def use_file() -> None:
        connections["default"] = wrapper_class(settings_dict, alias="default")

    def copy_to_file() -> None:
        connection.ensure_connection()
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        # Switch to WAL once, here: six threads switching the journal mode at the same
        # moment can get "database is locked" without the busy timeout applying.
        target.execute("PRAGMA journal_mode=WAL")
        target.close()

    use_file.copy_to_file = copy_to_file  # type: ignore[attr-defined]
    use_file.path = path  # type: ignore[attr-defined]
    yield use_file


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_in_one_tenant_get_distinct_numbers(tenant_a, tenant_b,
                                                               thread_database):
    """Threads with their own database connections create work orders at the same moment,
    starting before the tenant's sequence row exists (the first-create race too)."""
    customer = _customer(tenant_a, "A1")
    other = _customer(tenant_b, "B1")
    with tenant_context(tenant_b):
        services.create_work_order(customer=other)  # B's sequence must not move with A's
    assert not WorkOrderSequence.objects.filter(tenant=tenant_a).exists()
    copy_to_file = getattr(thread_database, "copy_to_file", None)
    if copy_to_file is not None:
        copy_to_file()
    start = threading.Barrier(THREADS)
    numbers: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def create() -> None:
        try:
            thread_database()
            start.wait(timeout=30)
            for _ in range(PER_THREAD):
                with tenant_context(tenant_a):
                    number = services.create_work_order(customer=customer).number
                with lock:
                    numbers.append(number)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert not errors, errors
    total = THREADS * PER_THREAD
    assert sorted(numbers) == list(range(1, total + 1)), sorted(numbers)
    stored = _stored(thread_database, tenant_a, tenant_b)
    assert stored == {"a": list(range(1, total + 1)), "b": [1],
                      "next_a": total + 1, "next_b": 2}


def _stored(thread_database, tenant_a, tenant_b) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The numbers and sequences as stored in the database the threads wrote to."""
    path = getattr(thread_database, "path", None)
    if path is None:
        stored: dict[str, object] = {}
        for key, tenant in (("a", tenant_a), ("b", tenant_b)):
            with tenant_context(tenant):
                stored[key] = sorted(WorkOrder.objects.values_list("number", flat=True))
            stored[f"next_{key}"] = WorkOrderSequence.objects.get(tenant=tenant).next_number
        return stored
    db = sqlite3.connect(path)
    try:
        orders, sequences = WorkOrder._meta.db_table, WorkOrderSequence._meta.db_table
        stored = {}
        for key, tenant in (("a", tenant_a), ("b", tenant_b)):
            stored[key] = [row[0] for row in db.execute(
                f"SELECT number FROM {orders} WHERE tenant_id = ? ORDER BY number", (tenant.pk,))]
            stored[f"next_{key}"] = db.execute(
                f"SELECT next_number FROM {sequences} WHERE tenant_id = ?", (tenant.pk,)).fetchone()[0]
        return stored
    finally:
        db.close()
