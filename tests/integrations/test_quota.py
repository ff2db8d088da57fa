"""The status page's API quota and pause come from Visma.net's real answers (issue 4 "Status
page" and "Log": "the API quota left (from the rate-limit headers)"; "on 429 all calls for that
company pause until Retry-After, and the status page says until when"). The sandbox's rate
limiter is configured through its control API; the integration makes real calls."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from vismanet_sandbox import demo
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations import tasks
from werkbon.integrations.models import ExportRecord, Integration

from .conftest import archived_work_order

pytestmark = pytest.mark.django_db

T = demo.DEMO_TENANT_ID
JOBS = ("sync_first_import", "sync_incremental", "sync_cleanup", "export_work_order")


@pytest.fixture
def enqueued(monkeypatch) -> list[tuple[str, int]]:
    calls: list[tuple[str, int]] = []
    for name in JOBS:
        monkeypatch.setattr(getattr(tasks, name), "delay", lambda pk, _name=name: calls.append((_name, pk)))
    return calls


def rate_limit(sandbox, limit: int, window: int) -> None:
    sandbox.control.settings(T, rateLimit={"limit": limit, "windowSeconds": window, "policy": "4-fixed-window"})


def api_calls(sandbox) -> int:
    """Calls the sandbox counted against the company's rate limit (ERP and Sales Orders v3)."""
    return sum(1 for r in sandbox.control.requests(company=T) if not r["path"].startswith("/connect/"))


def test_the_status_page_shows_the_quota_from_the_rate_limit_headers_of_a_real_sync(
        office, vismanet_integration, sandbox):
    rate_limit(sandbox, 5000, 3600)
    sandbox.control.clear_requests()
    tasks.sync_incremental(vismanet_integration.pk)
    calls = api_calls(sandbox)
    assert calls >= 4  # item groups, items, customers, locations
    integration = Integration.all_tenants.get(pk=vismanet_integration.pk)
    assert (integration.quota_remaining, integration.quota_limit) == (5000 - calls, 5000)
    assert integration.quota_observed_at is not None
    page = office.get("/integraties/vismanet/").content.decode()
    assert f"{5000 - calls} / 5000" in page


def test_a_real_429_pauses_the_company_shows_until_when_and_the_tick_enqueues_nothing_until_then(
        office, office_a, tech_a, tenant_a, vismanet_integration, sandbox, enqueued):
    pk = vismanet_integration.pk
    rate_limit(sandbox, 2, 7200)  # two calls in two hours: the sync's third call gets a 429
    before = timezone.now()
    tasks.sync_incremental(pk)
    assert sandbox.control.request_count(company=T, status="429") >= 1
    integration = Integration.all_tenants.get(pk=pk)
    assert integration.paused_until is not None
    # Retry-After is what is left of the two-hour window, not a guess of ours.
    assert before + dt.timedelta(seconds=7000) < integration.paused_until < before + dt.timedelta(seconds=7300)
    page = office.get("/integraties/vismanet/").content.decode()
    assert timezone.localtime(integration.paused_until).strftime("%d-%m-%Y %H:%M:%S") in page

    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a)
    record = ExportRecord.all_tenants.get(work_order_number=order.number)
    now = timezone.now()
    ExportRecord.all_tenants.filter(pk=record.pk).update(next_attempt_at=now)
    Integration.all_tenants.filter(pk=pk).update(next_sync_at=None, next_cleanup_at=now)
    tasks.tick()
    assert enqueued == []  # nothing for this company while paused
    Integration.all_tenants.filter(pk=pk).update(paused_until=timezone.now() - dt.timedelta(seconds=1))
    tasks.tick()  # the pause is over
    assert sorted(enqueued) == sorted([("sync_incremental", pk), ("sync_cleanup", pk),
                                       ("export_work_order", record.pk)])
