"""The first import's lease is short (a killed worker's import resumes within about a minute)
and renewed often enough that a slow page never outlives it: before every page fetch and
after every retry wait. Sandbox over HTTP."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.conf import settings
from django.utils import timezone

from vismanet_sandbox import demo
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations import leases
from werkbon.integrations.models import JobLease
from werkbon.integrations.vismanet import sync
from werkbon.integrations.vismanet.client import MAX_WAIT_IN_WORKER_SECONDS

pytestmark = pytest.mark.django_db

T = demo.DEMO_TENANT_ID
pipeline = importlib.import_module("werkbon.integrations.vismanet.sync.pipeline")


def lease_left() -> dt.timedelta:
    return JobLease.objects.get(job="first_import").leased_until - timezone.now()


def nearly_expired() -> None:
    JobLease.objects.filter(job="first_import").update(leased_until=timezone.now() + dt.timedelta(seconds=5))


def test_the_first_import_lease_is_short_but_longer_than_one_attempt_and_one_wait():
    seconds = leases.lease_seconds("first_import")
    assert seconds <= 60
    assert seconds > settings.VISMANET_TIMEOUT_SECONDS + MAX_WAIT_IN_WORKER_SECONDS
    assert leases.lease_seconds("export:1") == leases.lease_seconds("sync") == 300  # they do not renew per call


def test_it_renews_the_lease_before_every_page_fetch_and_after_every_retry_wait(importing_integration, tenant_a,
                                                                                  sandbox, monkeypatch):
    sandbox.control.settings(T, maxPageSize=50)
    sandbox.control.fault("status", path="^/v1/customer$", status=503, count=1)  # one retry
    read_page = pipeline.read_page
    seen: list[dt.timedelta] = []

    def fetch(*args, **kwargs):
        seen.append(lease_left())
        nearly_expired()  # as if the page before took almost the whole lease
        return read_page(*args, **kwargs)

    monkeypatch.setattr(pipeline, "read_page", fetch)
    events: list[str] = []
    renew = leases.renew
    monkeypatch.setattr(leases, "renew", lambda *args: (events.append("renew"), renew(*args)))
    monkeypatch.setattr(pipeline.time, "sleep", lambda seconds: (events.append("wait"), nearly_expired()))
    with tenant_context(tenant_a), leases.lease(tenant_a, "first_import", leases.lease_seconds("first_import")):
        sync.first_import(importing_integration)
    assert "wait" in events, "the 503 was not retried"
    assert all(events[i + 1] == "renew" for i, event in enumerate(events) if event == "wait")
    assert len(seen) > 20  # every page of every table, and the counting requests
    assert all(dt.timedelta(seconds=50) < left <= dt.timedelta(seconds=60) for left in seen), seen


def test_renewing_a_lease_checks_its_holder(tenant_a):
    """One lease API: a renewal pushes the lease forward only for the worker that holds it;
    a worker whose lease ran out and was claimed by another gets LeaseLost."""
    leases.renew(tenant_a.pk, "sync")  # held by nobody in this context: nothing to renew
    with leases.lease(tenant_a, "sync", 60) as holder:
        assert holder
        JobLease.objects.filter(job="sync").update(leased_until=timezone.now() + dt.timedelta(seconds=1))
        leases.renew(tenant_a.pk, "sync")
        assert JobLease.objects.get(job="sync").leased_until > timezone.now() + dt.timedelta(seconds=55)
        JobLease.objects.filter(job="sync").update(leased_until=timezone.now() - dt.timedelta(seconds=1))
        other = leases.claim(tenant_a, "sync", 60)  # ours ran out: another worker takes it
        assert other and other != holder
        with pytest.raises(leases.LeaseLost):
            leases.renew(tenant_a.pk, "sync")
        assert JobLease.objects.get(job="sync").holder == other
    assert JobLease.objects.get(job="sync").holder == other  # leaving the block did not release theirs


def test_a_first_import_whose_lease_was_taken_over_stops(importing_integration, tenant_a, sandbox, monkeypatch):
    from werkbon.integrations.models import Integration, LogEntry

    sandbox.control.settings(T, maxPageSize=50)
    read_page = pipeline.read_page
    pages: list[int] = []

    def fetch(*args, **kwargs):
        pages.append(1)
        if len(pages) == 3:
            JobLease.objects.filter(job="first_import").update(holder="another-worker")
        return read_page(*args, **kwargs)

    monkeypatch.setattr(pipeline, "read_page", fetch)
    with tenant_context(tenant_a), leases.lease(tenant_a, "first_import", leases.lease_seconds("first_import")):
        sync.first_import(importing_integration)
        assert not LogEntry.objects.filter(level="error").exists()
    assert len(pages) == 3  # the renewal before the fourth fetch found the lease taken over
    assert Integration.all_tenants.get(pk=importing_integration.pk).first_import_finished_at is None
