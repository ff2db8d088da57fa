"""Issue 8, structure: the order and quote import runs on the sync pipeline of the other tables
(watermark with the last page, capped by the signpost; lease renewal with a holder check; a
deactivation check before every order). Sandbox over HTTP, real database."""

from __future__ import annotations

import importlib

import pytest

from vismanet_sandbox import demo
from werkbon.integrations import leases
from werkbon.integrations.models import (
    ExternalLink,
    Integration,
    IntegrationStatus,
    JobLease,
    LogEntry,
    SyncState,
)
from werkbon.integrations.vismanet import orders as orders_module
from werkbon.integrations.vismanet.orders import OrderImport, import_orders
from werkbon.workorders.models import WorkOrder

from .test_orders import SEED_SO_CUSTOMERS, new_order, orders  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

pipeline = importlib.import_module("werkbon.integrations.vismanet.sync.pipeline")
SMALL_PAGE = 3


def watermark(integration: Integration, table: str = "orders:SO"):
    return SyncState.objects.get(integration=integration, table=table).watermark


def small_pages(monkeypatch, before_page=None) -> None:
    """Read the order list three orders per request; ``before_page(n)`` runs before the n-th
    request of a run (1-based)."""
    read_page = pipeline.read_page
    requests = [0]

    def read(client, source, number, page_size=pipeline.PAGE_SIZE):
        requests[0] += 1
        if before_page is not None:
            before_page(requests[0])
        return read_page(client, source, number, page_size=min(page_size, SMALL_PAGE))

    monkeypatch.setattr(pipeline, "read_page", read)


def so_orders(sandbox) -> list[dict]:
    return [o for o in sandbox.control.sales_orders(demo.DEMO_TENANT_ID) if o["type"] == "SO"]


def test_the_watermark_moves_only_with_the_last_page(orders, sandbox, monkeypatch):  # noqa: F811
    failed: list[int] = []

    def fail_second_page(number: int) -> None:
        if number == 2 and not failed:
            failed.append(number)
            sandbox.control.fault("status", status=400, method="GET", path="^/api/v3/SalesOrders/SO$", count=1)

    small_pages(monkeypatch, fail_second_page)
    import_orders(orders)
    assert ExternalLink.objects.filter(external_type="sales_order").count() == SMALL_PAGE  # page 1 is stored
    assert watermark(orders) is None  # a stop halfway leaves it: the next run reads those pages again
    assert LogEntry.objects.filter(level="error", table="order").count() == 1
    import_orders(orders)
    assert ExternalLink.objects.filter(external_type="sales_order").count() == len(SEED_SO_CUSTOMERS)
    assert WorkOrder.objects.count() == len(SEED_SO_CUSTOMERS)  # page 1 re-read harmlessly
    assert watermark(orders) is not None


def test_an_order_changed_during_the_run_stays_in_the_overlap_of_the_next(orders, sandbox,  # noqa: F811
                                                                         monkeypatch):
    """The watermark is capped by the signpost (Visma.net's Date when the run began)."""
    made: list[str] = []

    def change_during_the_run(number: int) -> None:
        if number == 2 and not made:
            made.append(new_order(orders, description="Werkbon tijdens de import"))

    small_pages(monkeypatch, change_during_the_run)
    import_orders(orders)
    stamp = next(o["lastModifiedDateTime"] for o in so_orders(sandbox) if o["orderId"] == made[0])
    mark = watermark(orders)
    assert mark is not None and mark.isoformat() < stamp.replace("Z", "+00:00")
    assert ExternalLink.objects.filter(external_id=f"SO/{made[0]}").count() == 1


def test_it_stops_before_the_next_order_when_the_integration_is_deactivated(orders, monkeypatch):  # noqa: F811
    handle = OrderImport.handle
    seen: list[str] = []

    def deactivate_after_two(self, summary):
        seen.append(summary.order_id)
        handle(self, summary)
        if len(seen) == 2:
            Integration.all_tenants.filter(pk=orders.pk).update(status=IntegrationStatus.INACTIVE)

    monkeypatch.setattr(OrderImport, "handle", deactivate_after_two)
    import_orders(orders)
    assert len(seen) == 2
    assert ExternalLink.objects.filter(external_type="sales_order").count() == 2
    assert watermark(orders) is None
    assert not LogEntry.objects.filter(level="error").exists()  # stopped on purpose, not failed


def test_it_stops_when_another_worker_took_its_lease_over(orders, tenant_a, monkeypatch):  # noqa: F811
    handle = OrderImport.handle
    seen: list[str] = []

    def lose_the_lease_after_one(self, summary):
        seen.append(summary.order_id)
        handle(self, summary)
        JobLease.objects.filter(job=orders_module.JOB).update(holder="another-worker")  # ours ran out

    monkeypatch.setattr(OrderImport, "handle", lose_the_lease_after_one)
    with leases.lease(tenant_a, orders_module.JOB, leases.lease_seconds(orders_module.JOB)) as holder:
        assert holder
        import_orders(orders)
    assert len(seen) == 1
    assert ExternalLink.objects.filter(external_type="sales_order").count() == 1
    assert watermark(orders) is None
    assert JobLease.objects.get(job=orders_module.JOB).holder == "another-worker"  # not released by us
    assert not LogEntry.objects.filter(level="error").exists()


def test_it_renews_its_lease_before_every_order(orders, tenant_a, monkeypatch):  # noqa: F811
    renewals: list[str] = []
    renew = leases.renew
    monkeypatch.setattr(leases, "renew", lambda tenant_id, job: (renewals.append(job), renew(tenant_id, job)))
    with leases.lease(tenant_a, orders_module.JOB, leases.lease_seconds(orders_module.JOB)):
        import_orders(orders)
    assert renewals.count("sync") >= len(SEED_SO_CUSTOMERS) + 1  # every order, and the page


def test_a_change_during_the_run_to_an_order_already_read_makes_no_other_order_slide_past(orders, sandbox,  # noqa: F811
                                                                                       monkeypatch):
    """The list is read by time, not by page number: with page numbers, the order read first
    moving to the end (it changed) would shift the next page by one, and the order at its
    start, weeks older than the watermark, would never be read."""
    from .test_orders import change_order

    first: list[str] = []

    def change_an_order_already_read(number: int) -> None:
        if number == 2 and not first:
            first.append(ExternalLink.objects.filter(external_type="sales_order").order_by("id").first()
                         .external_id.split("/", 1)[1])
            change_order(orders, first[0], description="Werkbon gewijzigd tijdens de import")

    small_pages(monkeypatch, change_an_order_already_read)
    import_orders(orders)
    assert first
    linked = set(ExternalLink.objects.filter(external_type="sales_order").values_list("external_id", flat=True))
    assert linked == {o["type"] + "/" + o["orderId"] for o in so_orders(sandbox)}
    assert WorkOrder.objects.count() == len(linked)
