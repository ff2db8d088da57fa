"""Never twice, never lost (issue 5): the export under the sandbox's fault injection ends with
exactly one document per archived work order."""

from __future__ import annotations

import random
import time
from collections import Counter

import pytest

from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations import tasks
from werkbon.integrations.models import (
    ExportAttempt,
    ExportRecord,
    ExportStatus,
    Integration,
    LogEntry,
)
from werkbon.integrations.vismanet import export

from .conftest import archived_work_order
from .test_export import TENANT, configure, documents, run

CREATE_PATHS = {"sales_order": "api/v3/SalesOrders$", "customer_invoice": "customerinvoice$"}


def archive_one(tenant, office, tech) -> ExportRecord:
    with tenant_context(tenant):
        order = archived_work_order(office, tech)
        return ExportRecord.objects.get(work_order_number=order.number)


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["sales_order", "customer_invoice"])
@pytest.mark.parametrize("fault", ["drop_after_write", "error_after_write"])
def test_it_adopts_the_document_whose_answer_was_lost(vismanet_integration, sandbox, tenant_a, office_a, tech_a,
                                                     quick_retries, target, fault):
    configure(vismanet_integration, target=target)
    sandbox.control.fault(fault, method="POST", path=CREATE_PATHS[target], count=1)
    record = run(archive_one(tenant_a, office_a, tech_a))
    assert record.status == ExportStatus.QUEUED and record.document_number == ""
    assert len(documents(sandbox, target, record.marker)) == 1  # the write was applied
    record = run(record)
    assert record.status == ExportStatus.SENT
    (doc,) = documents(sandbox, target, record.marker)
    assert record.document_number == doc["number"]
    assert list(ExportAttempt.all_tenants.filter(export=record).values_list("outcome", flat=True)) == [
        "retry", "adopted"]
    assert sandbox.control.request_count(method="POST", path=CREATE_PATHS[target]) == 1


@pytest.mark.django_db
def test_it_waits_out_a_429_storm_and_sends_once(vismanet_integration, sandbox, tenant_a, office_a, tech_a,
                                                quick_retries):
    sandbox.control.fault("status", status=429, retryAfter=1, path="^/(api|v1|v2)/", count=None)
    record = run(archive_one(tenant_a, office_a, tech_a))
    assert record.status == ExportStatus.QUEUED
    assert "429" in record.last_error or "Rate" in record.last_error or "rate" in record.last_error
    sandbox.control.clear_faults()
    time.sleep(1.1)  # the company was paused for the Retry-After the last 429 asked for
    record = run(record)
    assert record.status == ExportStatus.SENT
    assert len(documents(sandbox, "sales_order", record.marker)) == 1


@pytest.mark.django_db
def test_it_pauses_the_company_on_a_long_retry_after(vismanet_integration, sandbox, tenant_a, office_a, tech_a,
                                                    quick_retries):
    sandbox.control.fault("status", status=429, retryAfter=120, path="api/v3/SalesOrders", count=None)
    record = run(archive_one(tenant_a, office_a, tech_a))
    assert record.status == ExportStatus.QUEUED
    integration = Integration.all_tenants.get(pk=vismanet_integration.pk)
    assert integration.paused_until is not None
    assert (record.next_attempt_at - integration.paused_until).total_seconds() > -5  # not before the pause ends
    sandbox.control.clear_faults()
    run(record)  # the task itself skips a paused company
    assert ExportRecord.all_tenants.get(pk=record.pk).attempts == 1
    Integration.all_tenants.filter(pk=integration.pk).update(paused_until=None)
    assert run(record).status == ExportStatus.SENT
    assert len(documents(sandbox, "sales_order", record.marker)) == 1


@pytest.mark.django_db
def test_it_survives_an_expired_token_in_the_middle(vismanet_integration, sandbox, tenant_a, office_a, tech_a,
                                                   monkeypatch):
    from werkbon.integrations.vismanet.export import preflight

    real_preflight = preflight.check_master_data

    def preflight_then_expire(*args, **kwargs):
        real_preflight(*args, **kwargs)
        sandbox.control.expire_tokens()  # between the reads and the write

    monkeypatch.setattr(preflight, "check_master_data", preflight_then_expire)
    record = run(archive_one(tenant_a, office_a, tech_a))
    assert record.status == ExportStatus.SENT
    assert len(documents(sandbox, "sales_order", record.marker)) == 1
    assert sandbox.control.request_count(method="POST", path="connect/token") >= 2  # code + a refresh
    assert sandbox.control.request_count(status=401) >= 1


@pytest.mark.django_db
def test_it_tries_at_most_twice_in_five_minutes(vismanet_integration, sandbox, tenant_a, office_a, tech_a):
    sandbox.control.fault("status", status=503, method="POST", path="api/v3/SalesOrders$", count=None)
    record = archive_one(tenant_a, office_a, tech_a)
    first = run(record)
    assert first.status == ExportStatus.QUEUED and first.next_attempt_at is not None
    second = run(record)  # e.g. a duplicate enqueue: a second attempt is allowed
    assert second.attempts == 2
    third = run(record)  # a third within five minutes is not made
    assert third.attempts == 2
    started = list(ExportAttempt.all_tenants.filter(export=record).values_list("started_at", flat=True))
    assert (third.next_attempt_at - started[0]).total_seconds() >= 299
    assert sandbox.control.request_count(method="POST", path="api/v3/SalesOrders$") == 2
    # one warning for the transient failures, no error: the user need not act
    assert LogEntry.all_tenants.filter(export=record, level="warning").count() == 1
    assert not LogEntry.all_tenants.filter(export=record, level="error").exists()


@pytest.mark.django_db
def test_it_lets_the_tick_pick_up_due_exports_only(vismanet_integration, tenant_a, office_a, tech_a, monkeypatch):
    enqueued = []
    monkeypatch.setattr(tasks.export_work_order, "delay", lambda pk: enqueued.append(pk))
    record = archive_one(tenant_a, office_a, tech_a)
    tasks.tick()
    assert record.pk not in enqueued  # the on-commit enqueue goes first; the tick is the safety net
    ExportRecord.all_tenants.filter(pk=record.pk).update(next_attempt_at=record.created_at)
    tasks.tick()
    assert enqueued.count(record.pk) == 1


FAULT_KINDS = ["drop_after_write", "error_after_write", "status429", "status503", "timeout", "expire"]
FAULT_PATHS = ["api/v3/SalesOrders$", "customerinvoice$", "attachment", "api/v3/SalesOrders/SO$", "v1/customer/",
               "v1/inventory/", "connect/token"]


def random_faults(control, rng: random.Random) -> None:
    control.clear_faults()
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(FAULT_KINDS)
        path = rng.choice(FAULT_PATHS)
        if path == "connect/token" and kind in ("drop_after_write", "error_after_write"):
            # a lost token answer spends the rotated refresh token: the user must reconnect,
            # which is not the export's to solve (that failure is tested on its own)
            kind = "status503"
        count = rng.randint(1, 4)
        if kind == "expire":
            control.expire_tokens()
        elif kind.startswith("status"):
            control.fault("status", status=int(kind[-3:]), retryAfter=1, path=path, count=count)
        elif kind == "timeout":
            control.fault("timeout", ms=300, path=path, count=count)
        else:
            control.fault(kind, method="POST", path=path, count=count)


@pytest.mark.slow
@pytest.mark.django_db
def test_it_sends_200_work_orders_exactly_once_under_random_faults(vismanet_integration, sandbox, tenant_a, office_a,
                                                                  tech_a, quick_retries):
    rng = random.Random(20250602)
    # Generous: on a loaded machine a client-side timeout on a token refresh that the server
    # did apply spends the rotated refresh token, and that needs a user (tested elsewhere).
    quick_retries.VISMANET_TIMEOUT_SECONDS = 20
    records = []
    with tenant_context(tenant_a):
        for _ in range(200):
            order = archived_work_order(office_a, tech_a, work=(rng.randint(1, 600),), travel=(rng.randint(0, 90) or 1,))
            records.append(ExportRecord.objects.get(work_order_number=order.number))
    deadline = time.monotonic() + 420
    rounds = 0
    while time.monotonic() < deadline:
        pending = list(ExportRecord.all_tenants.filter(status__in=export.RETRYABLE).values_list("pk", flat=True))
        if not pending:
            break
        rounds += 1
        random_faults(sandbox.control, rng)
        for pk in pending:
            if rng.random() < 0.3:
                random_faults(sandbox.control, rng)
            Integration.all_tenants.filter(pk=vismanet_integration.pk).update(paused_until=None)
            # the target flips between attempts: the first attempt pins it on the record
            configure(vismanet_integration, target=rng.choice(["sales_order", "customer_invoice"]))
            tasks.export_work_order(pk)
        if rounds > 3:
            sandbox.control.clear_faults()  # the storm ends: everything must settle
    sandbox.control.clear_faults()
    states = dict(ExportRecord.all_tenants.values_list("pk", "status"))
    errors = Counter(ExportRecord.all_tenants.exclude(status=ExportStatus.SENT).values_list("last_error", flat=True))
    assert set(states.values()) == {ExportStatus.SENT}, (Counter(states.values()), errors.most_common(5))
    orders = sandbox.control.sales_orders(TENANT)
    invoices = sandbox.control.invoices(TENANT)
    for record in ExportRecord.all_tenants.all():
        made = ([o for o in orders if (o.get("customer") or {}).get("order") == record.marker]
                + [i for i in invoices if i.get("externalReference") == record.marker])
        assert len(made) == 1, (record.marker, made)
        number = made[0].get("referenceNumber") or f"{made[0].get('type')} {made[0].get('orderId')}"
        assert record.document_number == number
    ours = [o for o in orders if ((o.get("customer") or {}).get("order") or "").startswith("Werkbon ")]
    assert len(ours) + len(invoices) == 200
    assert len(ours) > 50 and len(invoices) > 50


@pytest.mark.django_db
def test_it_keeps_the_order_type_of_its_first_attempt(vismanet_integration, sandbox, tenant_a, office_a, tech_a,
                                                     quick_retries):
    # The answer of the first create is lost; then the office changes the order type. The
    # retry must look for (and adopt) the order in the type it was made in, not make another.
    sandbox.control.fault("drop_after_write", method="POST", path=CREATE_PATHS["sales_order"], count=1)
    record = run(archive_one(tenant_a, office_a, tech_a))
    assert record.order_type == "SO" and record.document_number == ""
    configure(vismanet_integration, sales_order_type="QT")
    record = run(record)
    assert record.status == ExportStatus.SENT and record.document_number.startswith("SO ")
    assert len(documents(sandbox, "sales_order", record.marker)) == 1
    assert sandbox.control.request_count(method="POST", path=CREATE_PATHS["sales_order"]) == 1
