"""Visma.net webhooks (issue 13), against the sandbox's dispatcher over HTTP: the sandbox POSTs
signed notifications to Werkbon's real endpoint (live server); each change reaches Werkbon
through its notification without a poll. The job a notification enqueues is run here as a
worker would run it (``tasks.process_notifications``); the receiver's enqueue is recorded.
Rules: docs/sync-rules.md ("Webhooks"); what Visma documents: docs/reference/visma-webhooks.md.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
import uuid

import httpx
import pytest
from django.utils import timezone, translation

from vismanet import SalesOrderPatch
from vismanet_sandbox import demo
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations import freshness, tasks
from werkbon.integrations.models import (
    ExportRecord,
    ExportStatus,
    ExternalLink,
    Integration,
    LogEntry,
    SyncState,
    WebhookNotification,
    WebhookOutcome,
)
from werkbon.integrations.vismanet import webhooks
from werkbon.integrations.vismanet.client import client_for
from werkbon.integrations.vismanet.orders import import_orders
from werkbon.workorders.models import ActiveStatus, Customer, Item, WorkOrder

from .conftest import archived_work_order

TENANT = demo.DEMO_TENANT_ID
SECRET = "test-webhook-secret"
PATH = "/integraties/vismanet/webhook"


class Hooks:
    """The sandbox's subscription to Werkbon's endpoint, and the jobs the receiver enqueued."""

    def __init__(self, sandbox, url: str, integration: Integration) -> None:
        self.sandbox = sandbox
        self.url = url
        self.integration = integration
        self.enqueued: list[int] = []

    def control(self, method: str, path: str, **kwargs):
        return self.sandbox.control._call(method, path, **kwargs)

    def deliveries(self, outcome: str | None = None) -> list[dict]:
        return self.control("GET", "/webhooks/deliveries", params={"outcome": outcome} if outcome else None)

    def wait(self, count: int, outcome: str = "delivered", timeout: float = 15) -> list[dict]:
        """Until ``count`` deliveries had ``outcome``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.deliveries(outcome)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{count} deliveries {outcome} expected, log: {self.deliveries()}")

    def wait_for(self, timeout: float = 15, **body: str) -> dict:
        """Until a notification whose body has these values was delivered (other notifications,
        e.g. of Werkbon's own export, may arrive in between)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for delivery in self.deliveries("delivered"):
                if all(delivery["body"].get(k) == v for k, v in body.items()):
                    return delivery
            time.sleep(0.05)
        raise AssertionError(f"no delivery of {body}, log: {self.deliveries()}")

    def work(self) -> None:
        """What a worker does with the enqueued jobs."""
        for pk in dict.fromkeys(self.enqueued):
            tasks.process_notifications(pk)
        self.enqueued.clear()


@pytest.fixture
def hooks(imported, live_server, sandbox, settings, monkeypatch):
    settings.VISMANET_WEBHOOK_SECRETS = [SECRET]
    url = live_server.url + PATH
    made = Hooks(sandbox, url, imported)
    monkeypatch.setattr(webhooks, "_enqueue", made.enqueued.append)
    made.control("POST", "/webhooks/subscriptions", json={"url": url, "secret": SECRET, "retryInterval": 0.2})
    return made


def signed(body: dict, secret: str = SECRET) -> tuple[bytes, str]:
    raw = json.dumps(body).encode()
    return raw, base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()


def post(url: str, body: dict, *, secret: str | None = SECRET, notification_id: str | None = None) -> httpx.Response:
    raw, signature = signed(body, secret or "x")
    headers = {"Content-Type": "application/json", "x-vwd-notification-id": notification_id or str(uuid.uuid4())}
    if secret is not None:
        headers["x-vwd-signature-v1"] = signature
    return httpx.post(url, content=raw, headers=headers, timeout=10)


def notification(entity: str = "Customer", key: str = "10001", tenant: str = TENANT,
                 at: dt.datetime | None = None) -> dict:
    stamp = (at or timezone.now()).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return {"event": f"{entity}.Changed", "entity": entity, "id": key, "action": "Updated", "TenantId": tenant,
            "ApiClientId": None, "IsScheduler": False, "timestamp": stamp}


# ---- each change reaches Werkbon through its notification --------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_customer_change_arrives_through_its_notification(hooks, sandbox):
    sandbox.control.change_customer(TENANT, "10001", {"name": "Bakkerij De Webhook"})
    hooks.wait(1)
    assert hooks.enqueued == [hooks.integration.pk]
    hooks.work()
    assert Customer.objects.get(number="10001").name == "Bakkerij De Webhook"
    note = WebhookNotification.objects.get()
    assert (note.entity, note.object_key, note.outcome) == ("Customer", "10001", WebhookOutcome.APPLIED)
    assert freshness.webhook_health(Integration.objects.get(), timezone.now()).state == freshness.ACTIVE


@pytest.mark.django_db(transaction=True)
def test_a_new_non_stock_item_and_an_item_set_inactive_arrive(hooks, sandbox):
    sandbox.control.add_item(TENANT, {"inventoryNumber": "MAT-WEBHOOK", "description": "Webhookklem",
                                      "type": "NonStockItem", "status": "Active", "stockItem": False,
                                      "baseUnit": "STK", "defaultPrice": 1.5})
    sandbox.control.deactivate_item(TENANT, "MAT-1001")
    hooks.wait(2)
    hooks.work()
    assert Item.objects.get(number="MAT-WEBHOOK").description == "Webhookklem"
    assert Item.objects.get(number="MAT-1001").status == ActiveStatus.INACTIVE


@pytest.mark.django_db(transaction=True)
def test_a_changed_sales_order_updates_its_work_order_with_order_import_on(hooks, sandbox):
    integration = hooks.integration
    Integration.objects.filter(pk=integration.pk).update(settings={**integration.settings,
                                                                   "order_import": "sales_orders"})
    integration.refresh_from_db()
    import_orders(integration)
    with client_for(integration) as client:
        etag = client.sales_orders.get("SO", "000101").etag
        client.sales_orders.patch("SO", "000101", SalesOrderPatch(description="Werkbon: lekkage via webhook"),
                                  if_match=etag)
    hooks.wait_for(id="SO/000101")
    hooks.work()
    link = ExternalLink.objects.get(external_type="sales_order", external_id="SO/000101")
    # The order import's own rule: the planned hours follow the order's description.
    assert WorkOrder.objects.get(pk=link.local_id).description.startswith("Werkbon: lekkage via webhook\n")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("target, status, word, invoiced", [
    ("customer_invoice", "Open", "invoiced (released)", True),
    ("sales_order", "Invoiced", "invoiced", True),
    ("sales_order", "Completed", "completed", False),
])
def test_a_documents_status_change_comes_back_to_the_work_order(hooks, sandbox, office_a, tech_a, target,
                                                                status, word, invoiced):
    integration = hooks.integration
    Integration.objects.filter(pk=integration.pk).update(settings={**integration.settings, "target": target})
    order = archived_work_order(office_a, tech_a)
    record = ExportRecord.objects.get(work_order_number=order.number)
    tasks.export_work_order(record.pk)
    record.refresh_from_db()
    assert record.status == ExportStatus.SENT, record.last_error
    hooks.work()  # the notifications of Werkbon's own document: nothing to do for the work order
    if target == "customer_invoice":
        sandbox.control._call("PATCH", f"/companies/{TENANT}/invoices/{record.document_number}",
                              json={"status": status})
    else:
        order_type, order_id = record.document_number.split(" ")
        sandbox.control._call("PATCH", f"/companies/{TENANT}/sales-orders/{order_type}/{order_id}",
                              json={"status": status})
    hooks.wait_for(event="ARInvoice.StatusChanged" if target == "customer_invoice" else "SalesOrder.StatusChanged")
    hooks.work()
    record.refresh_from_db()
    assert record.remote_status == status
    assert webhooks.state_word(record.document_type, record.remote_status) == word
    assert webhooks.is_invoiced(record.document_type, record.remote_status) is invoiced


@pytest.mark.django_db(transaction=True)
def test_a_sales_order_deleted_in_visma_net_is_shown_as_such_and_not_sent_again(hooks, sandbox, office_a, tech_a):
    order = archived_work_order(office_a, tech_a)
    record = ExportRecord.objects.get(work_order_number=order.number)
    tasks.export_work_order(record.pk)
    record.refresh_from_db()
    order_type, order_id = record.document_number.split(" ")
    sandbox.control._call("DELETE", f"/companies/{TENANT}/sales-orders/{order_type}/{order_id}")
    hooks.wait_for(action="Deleted")
    hooks.work()
    record.refresh_from_db()
    assert record.status == ExportStatus.DELETED_IN_VISMA
    assert record.next_attempt_at is None  # nothing re-sent by itself
    assert "make a new document" in record.last_action
    tasks.tick()
    assert len([o for o in sandbox.control.sales_orders(TENANT) if o["orderId"] == order_id]) == 0


# ---- trouble: duplicated, reordered, delayed, forged, replayed, too old, foreign, dropped ------


@pytest.mark.django_db(transaction=True)
def test_a_duplicated_notification_is_applied_once(hooks, sandbox):
    hooks.control("POST", "/webhooks/faults", json={"kind": "duplicate"})
    sandbox.control.change_customer(TENANT, "10002", {"name": "Twee keer"})
    hooks.wait(2)
    assert WebhookNotification.objects.count() == 1
    hooks.work()
    assert Customer.objects.get(number="10002").name == "Twee keer"


@pytest.mark.django_db(transaction=True)
def test_reordered_and_delayed_notifications_end_in_the_latest_state(hooks, sandbox):
    hooks.control("POST", "/webhooks/faults", json={"kind": "reorder"})
    sandbox.control.change_customer(TENANT, "10003", {"name": "Eerste naam"})
    hooks.control("POST", "/webhooks/faults", json={"kind": "delay", "ms": 700})
    sandbox.control.change_customer(TENANT, "10003", {"name": "Laatste naam"})
    hooks.wait(2)
    hooks.work()
    # Whichever came first, each one reads the customer as it is now.
    assert Customer.objects.get(number="10003").name == "Laatste naam"
    first, second = (d["notificationId"] for d in hooks.deliveries("notified"))
    delivered = [d["notificationId"] for d in hooks.deliveries("delivered")]
    assert set(delivered) == {first, second}


@pytest.mark.django_db(transaction=True)
def test_a_forged_notification_is_refused_and_the_dispatcher_retries(hooks, sandbox):
    hooks.control("POST", "/webhooks/faults", json={"kind": "wrong_signature"})
    sandbox.control.change_customer(TENANT, "10004", {"name": "Vervalst"})
    failed = hooks.wait(1, "failed")
    assert failed[0]["status"] == 401
    assert WebhookNotification.objects.count() == 0
    hooks.wait(0)
    # Unsigned, and signed with another key, by hand: refused too.
    assert post(hooks.url, notification(), secret=None).status_code == 401
    assert post(hooks.url, notification(), secret="another-key").status_code == 401
    assert WebhookNotification.objects.count() == 0
    assert Customer.objects.get(number="10004").name != "Vervalst"


@pytest.mark.django_db(transaction=True)
def test_a_replayed_or_too_old_notification_does_nothing(hooks):
    body = notification()
    first = post(hooks.url, body, notification_id="replay-1")
    assert first.status_code == 200 and first.json()["accepted"] == 1
    again = post(hooks.url, body, notification_id="replay-1")
    assert again.status_code == 200 and again.json() == {"accepted": 0, "duplicates": 1}
    old = post(hooks.url, notification(at=timezone.now() - dt.timedelta(minutes=10)))
    assert old.status_code == 401
    future = post(hooks.url, notification(at=timezone.now() + dt.timedelta(minutes=10)))
    assert future.status_code == 401
    assert WebhookNotification.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_captured_body_resent_with_new_header_ids_is_a_replay(hooks, monkeypatch):
    """The header id is not signed: the replay key is the signed body's SHA-256."""
    body = notification(key="10005")
    answers = [post(hooks.url, body, notification_id=f"forged-{n}") for n in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json() for a in answers] == [{"accepted": 1, "duplicates": 0}] + [{"accepted": 0, "duplicates": 1}] * 2
    assert hooks.enqueued == [hooks.integration.pk]
    reads = []
    original = webhooks.APPLY["Customer"]
    monkeypatch.setitem(webhooks.APPLY, "Customer", lambda *args: reads.append(args[2]) or original(*args))
    hooks.work()
    assert reads == ["10005"]  # Visma.net read once
    assert WebhookNotification.objects.get().notification_id == webhooks.body_digest(json.dumps(body).encode())
    # A new change (another signed body) of the same record is taken.
    assert post(hooks.url, notification(key="10005", at=timezone.now() + dt.timedelta(seconds=1)),
                notification_id="forged-0").json()["accepted"] == 1


@pytest.mark.django_db(transaction=True)
def test_a_foreign_companys_notification_is_ignored(hooks):
    answer = post(hooks.url, notification(key="20001", tenant=demo.SMALL_TENANT_ID))
    assert answer.status_code == 200 and answer.json()["accepted"] == 0
    assert WebhookNotification.all_tenants.count() == 0
    assert hooks.enqueued == []


@pytest.mark.django_db(transaction=True)
def test_with_notifications_dropped_polling_still_brings_the_change(hooks, sandbox):
    hooks.control("POST", "/webhooks/faults", json={"kind": "drop"})
    sandbox.control.change_customer(TENANT, "10005", {"name": "Via de poll"})
    assert hooks.wait(1, "dropped")
    assert WebhookNotification.objects.count() == 0
    tasks.sync_incremental(hooks.integration.pk)
    assert Customer.objects.get(number="10005").name == "Via de poll"


@pytest.mark.django_db(transaction=True)
def test_the_endpoint_refuses_a_get_and_an_oversized_body(hooks):
    assert httpx.get(hooks.url, timeout=10).status_code == 405
    big = httpx.post(hooks.url, content=b"x" * (webhooks.MAX_BODY + 1), timeout=10)
    assert big.status_code == 413
    assert httpx.post(hooks.url, content=b"{}", timeout=10).status_code == 401  # unsigned
    raw, signature = signed({"entity": "Customer"})  # signed, but no notification
    answer = httpx.post(hooks.url, content=raw, headers={"x-vwd-signature-v1": signature}, timeout=10)
    assert answer.status_code == 400


# ---- the safety net --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_polling_interval_grows_while_webhooks_are_active_and_returns_when_they_stop(
        tenant_a, settings):
    from .conftest import make_integration

    settings.VISMANET_WEBHOOK_POLL_SECONDS = 900
    settings.VISMANET_WEBHOOK_QUIET_SECONDS = 600
    integration = make_integration(tenant_a)
    now = timezone.now()
    assert freshness.polling_interval(integration, now) == integration.sync_interval_seconds  # never seen
    integration.last_notification_at = now - dt.timedelta(seconds=30)
    assert freshness.polling_interval(integration, now) == 900
    # Quiet, and nothing changed: an idle company, webhooks still count as active.
    integration.last_notification_at = now - dt.timedelta(hours=2)
    assert freshness.webhook_health(integration, now).state == freshness.ACTIVE
    # Quiet while polling found changes after the last notification: stopped, normal polling.
    with tenant_context(tenant_a):
        SyncState.objects.create(integration=integration, table="customers", last_change_at=now - dt.timedelta(hours=1))
    assert freshness.webhook_health(integration, now).state == freshness.STOPPED
    assert freshness.polling_interval(integration, now) == integration.sync_interval_seconds


# ---- the office sees what became of each exported document ----------------------------------


@pytest.mark.django_db
def test_the_list_filters_invoiced_orders_and_the_status_page_shows_the_webhooks(
        tenant_a, office_a, tech_a, client, settings):
    from .conftest import make_integration

    integration = make_integration(tenant_a)
    with tenant_context(tenant_a):
        invoiced = archived_work_order(office_a, tech_a, materials=())
        open_one = archived_work_order(office_a, tech_a, materials=())
        ExportRecord.objects.filter(work_order_number=invoiced.number).update(
            status=ExportStatus.SENT, document_type="sales_order", document_number="SO 000900",
            remote_status="Invoiced", remote_status_at=timezone.now())
        ExportRecord.objects.filter(work_order_number=open_one.number).update(
            status=ExportStatus.SENT, document_type="customer_invoice", document_number="100077",
            remote_status="Balanced", remote_status_at=timezone.now())
        WebhookNotification.objects.create(
            integration=integration, notification_id="n1", entity="Customer", object_key="10001",
            notified_at=timezone.now() - dt.timedelta(seconds=2), processed_at=timezone.now(),
            outcome=WebhookOutcome.APPLIED)
    Integration.all_tenants.filter(pk=integration.pk).update(last_notification_at=timezone.now())
    client.force_login(office_a)
    page = client.get("/werkorders/", {"billing": "invoiced"}).content.decode()
    assert f'data-testid="order-row-{invoiced.number}"' in page
    assert f'data-testid="order-row-{open_one.number}"' not in page
    assert "gefactureerd" in page
    page = client.get("/werkorders/", {"billing": "not_invoiced"}).content.decode()
    assert f'data-testid="order-row-{open_one.number}"' in page
    assert f'data-testid="order-row-{invoiced.number}"' not in page
    assert "niet vrijgegeven" in page
    detail = client.get(f"/werkorders/{invoiced.pk}/").content.decode()
    assert 'data-testid="document-status" data-status="Invoiced" data-invoiced="yes"' in detail
    status = client.get("/integraties/vismanet/").content.decode()
    assert 'data-testid="webhooks" data-state="active"' in status
    assert "elke 900 s" in status


@pytest.mark.django_db
def test_the_slow_poll_reads_the_status_of_documents_without_a_notification(vismanet_integration, tenant_a,
                                                                            office_a, tech_a, sandbox):
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a)
        record = ExportRecord.objects.get(work_order_number=order.number)
    tasks.export_work_order(record.pk)
    record.refresh_from_db()
    order_type, order_id = record.document_number.split(" ")
    sandbox.control._call("PATCH", f"/companies/{TENANT}/sales-orders/{order_type}/{order_id}",
                          json={"status": "Invoiced"})  # no subscription: nobody is notified
    Integration.all_tenants.filter(pk=vismanet_integration.pk).update(next_status_poll_at=None)
    tasks.tick()  # the poll is due: enqueued (run here as the worker would)
    tasks.poll_document_status(vismanet_integration.pk)
    record.refresh_from_db()
    assert record.remote_status == "Invoiced"
    # The status word is Dutch in the Dutch log, as on the work-order page (not "invoiced").
    with tenant_context(tenant_a), translation.override("nl"):
        (entry,) = LogEntry.objects.filter(message=webhooks.M_STATUS)
        assert entry.user_message == (f"{record.document_number} van werkbon {order.number} is nu gefactureerd"
                                      " in Visma.net.")
    sandbox.control.clear_requests()
    tasks.poll_document_status(vismanet_integration.pk)  # final now: never asked again
    assert sandbox.control.request_count(path="^/api/v3/SalesOrders") == 0


@pytest.mark.django_db
def test_the_status_page_says_when_webhooks_stopped(tenant_a, office_a, client, settings):
    from .conftest import make_integration

    settings.VISMANET_WEBHOOK_QUIET_SECONDS = 600
    integration = make_integration(tenant_a)
    now = timezone.now()
    Integration.all_tenants.filter(pk=integration.pk).update(last_notification_at=now - dt.timedelta(hours=3))
    with tenant_context(tenant_a):
        SyncState.objects.create(integration=integration, table="items", last_change_at=now - dt.timedelta(hours=1))
    client.force_login(office_a)
    page = client.get("/integraties/vismanet/").content.decode()
    assert 'data-testid="webhooks" data-state="stopped"' in page
    assert "gestopt" in page
    assert f"elke {integration.sync_interval_seconds} s" in page


# ---- the company's tenant id comes from the connection, not from a fixture ----------------------


@pytest.mark.django_db(transaction=True)
def test_a_company_activated_through_the_wizard_receives_its_notifications(
        live_server, sandbox, vismanet_settings, tenant_a, office_a, monkeypatch):
    from devtools import demo as demo_run

    vismanet_settings.VISMANET_WEBHOOK_SECRETS = [SECRET]
    monkeypatch.setattr(tasks.sync_first_import, "delay", lambda pk: None)
    integration = demo_run.activate_integration(tenant_a, office_a, sandbox.url)
    assert integration.company_tenant_id.lower() == TENANT.lower()  # the token's tenant claim
    hooks = Hooks(sandbox, live_server.url + PATH, integration)
    monkeypatch.setattr(webhooks, "_enqueue", hooks.enqueued.append)
    hooks.control("POST", "/webhooks/subscriptions", json={"url": hooks.url, "secret": SECRET, "retryInterval": 0.2})
    sandbox.control.change_customer(TENANT, "10001", {"name": "Via de wizard"})
    hooks.wait_for(entity="Customer", id="10001")
    assert hooks.enqueued == [integration.pk]
    with tenant_context(tenant_a):
        assert WebhookNotification.objects.filter(integration=integration, object_key="10001").count() == 1
        hooks.work()
        assert Customer.objects.get(number="10001").name == "Via de wizard"


@pytest.mark.django_db(transaction=True)
def test_an_integration_activated_without_a_tenant_id_gets_it_at_its_next_token_renewal(
        vismanet_integration, tenant_a, sandbox):
    Integration.all_tenants.filter(pk=vismanet_integration.pk).update(company_tenant_id="")
    with tenant_context(tenant_a), client_for(vismanet_integration) as client:
        stale = client._tokens.access_token("api")
        client._tokens.renew_after_401("api", stale)  # what the next sync does when the token expires
    vismanet_integration.refresh_from_db()
    assert vismanet_integration.company_tenant_id.lower() == TENANT.lower()
