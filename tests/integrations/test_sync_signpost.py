"""The watermark never passes the signpost: Visma.net's own time (HTTP ``Date``) when the
run began. ERP lists come in internal-id order, so a change made during a run to a record on
a page already read can be older than a later-read record's timestamp by more than the
overlap; capped by the signpost, the next run still reads it. Sandbox over HTTP."""

from __future__ import annotations

import datetime as dt
import importlib
import logging

import pytest
from django.utils import timezone

from vismanet_sandbox import demo
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.models import SyncState
from werkbon.integrations.vismanet import sync
from werkbon.workorders.models import Customer

pytestmark = pytest.mark.django_db

T = demo.DEMO_TENANT_ID
FUTURE = "2031-06-01T12:00:00.000"  # far beyond any overlap window
customers_module = importlib.import_module("werkbon.integrations.vismanet.sync.customers")
pipeline = importlib.import_module("werkbon.integrations.vismanet.sync.pipeline")


def last_by_internal_id(sandbox) -> str:
    """A customer on the last page (lists are in internal-id order)."""
    records = sandbox.control._call("GET", f"/companies/{T}/customers")
    return max(records, key=lambda r: r["internalId"])["number"]


def test_it_imports_a_change_made_during_the_first_import_to_a_page_already_read(importing_integration,
                                                                                   tenant_a, sandbox):
    sandbox.control.settings(T, maxPageSize=50)  # 7 customer pages
    later = last_by_internal_id(sandbox)
    store = customers_module.TABLE.store
    changed: list[str] = []

    def change_visma_after_page_1(run, records):
        changes = store(run, records)
        if not changed:
            # An office user edits a page-1 customer now, and a later page carries a stamp
            # far in the future (as a skewed or imported record can).
            changed.append(records[0].number)
            sandbox.control.change_customer(T, records[0].number, {"name": "Gewijzigd tijdens import"})
            sandbox.control.change_customer(T, later, {"lastModifiedDateTime": FUTURE})
        return changes

    with tenant_context(tenant_a):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(customers_module.TABLE, "store", change_visma_after_page_1)
            sync.first_import(importing_integration)
        [number] = changed
        assert later != number
        assert Customer.objects.get(number=number).name != "Gewijzigd tijdens import"  # page 1 was read before
        state = SyncState.objects.get(table="customers")

        sync.incremental(importing_integration)

        assert Customer.objects.get(number=number).name == "Gewijzigd tijdens import"
        assert state.signpost is not None and state.signpost <= timezone.now()  # the sandbox sends Date
        assert state.watermark == state.signpost  # not the future stamp


def test_a_future_stamp_does_not_hold_the_incremental_watermark_past_visma_nets_clock(importing_integration,
                                                                                      tenant_a, sandbox):
    with tenant_context(tenant_a):
        sync.first_import(importing_integration)
        sandbox.control.change_customer(T, "10001", {"name": "Uit de toekomst", "lastModifiedDateTime": FUTURE})
        sync.incremental(importing_integration)
        assert Customer.objects.get(number="10001").name == "Uit de toekomst"
        watermark = SyncState.objects.get(table="customers").watermark
        assert watermark <= timezone.now() + dt.timedelta(minutes=1)

        sandbox.control.change_customer(T, "10002", {"name": "Daarna gewijzigd"})  # stamped now
        sync.incremental(importing_integration)
        assert Customer.objects.get(number="10002").name == "Daarna gewijzigd"


def test_without_a_date_header_the_watermark_is_the_largest_timestamp(caplog):
    newest = dt.datetime(2031, 6, 1, 12, tzinfo=dt.UTC)
    signpost = dt.datetime(2026, 1, 15, 9, tzinfo=dt.UTC)
    assert pipeline.capped(newest, signpost, "customers") == signpost
    assert pipeline.capped(signpost - dt.timedelta(days=1), signpost, "customers") == signpost - dt.timedelta(days=1)
    with caplog.at_level(logging.DEBUG, logger=pipeline.__name__):
        assert pipeline.capped(newest, None, "customers") == newest
    assert "no server time for customers" in caplog.text
