"""The first import's memory stays flat (issue 14): the peak of Python allocations while
importing 4 times as many customers is about the same, because every page is stored and
let go before the next one is read. And a worker never keeps Django's DEBUG query log,
which would grow with every statement of a long import."""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

import pytest
from django.db import connection

from tests.integrations.conftest import connect, make_integration
from vismanet_sandbox import demo
from werkbon.accounts.models import Tenant
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.models import Integration
from werkbon.integrations.vismanet import sync
from werkbon.workorders.models import Customer

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from first_import import customers as generated_customers

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

PAGE = 250  # small pages: many of them in little time


def import_peak(sandbox, slug: str) -> tuple[int, int]:
    """Run a first import for a new tenant on the demo company; (peak bytes, customers)."""
    tenant = Tenant.objects.create(name=slug, slug=slug)
    integration = make_integration(tenant)
    Integration.all_tenants.filter(pk=integration.pk).update(first_import_finished_at=None)
    integration.refresh_from_db()
    connect(integration, sandbox.url)
    with tenant_context(tenant):
        tracemalloc.start()
        try:
            sync.first_import(integration)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        integration.refresh_from_db()
        assert integration.first_import_finished_at is not None
        return peak, Customer.objects.count()


def test_the_first_imports_peak_memory_does_not_grow_with_the_number_of_customers(sandbox, vismanet_settings):
    company = sandbox.control
    company.settings(demo.DEMO_TENANT_ID, maxPageSize=PAGE, maxPageSizeInventory=PAGE)
    extra = generated_customers(4000)
    company.add_customers(demo.DEMO_TENANT_ID, extra[:800])
    small_peak, small_count = import_peak(sandbox, "klein")
    company.add_customers(demo.DEMO_TENANT_ID, extra[800:])
    large_peak, large_count = import_peak(sandbox, "groot")
    assert large_count >= small_count + 3000
    # Four times the customers, 13 more pages: the peak is the same within a margin (a page's
    # worth of noise), nowhere near four times.
    assert large_peak < small_peak * 1.3 + 2_000_000, (small_peak, large_peak)


def test_a_worker_never_keeps_the_debug_query_log(settings):
    from werkbon.celery import no_debug_in_workers

    settings.DEBUG = True
    assert connection.queries_logged
    no_debug_in_workers()
    assert settings.DEBUG is False
    assert not connection.queries_logged
