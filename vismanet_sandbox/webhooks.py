"""The Visma Webhook Dispatcher, emulated: subscriptions, signed notifications, retries, faults.

What Visma documents and what is assumed: ``docs/reference/visma-webhooks.md``. In short:

* A subscription (``POST /_sandbox/webhooks/subscriptions``) names a URL, optionally the
  events (``Customer.Changed``, ``InventoryItem.Changed``, ``SalesOrder.Changed``,
  ``SalesOrder.StatusChanged``, ``ARInvoice.Changed``, ``ARInvoice.StatusChanged``; default
  all) and one tenant (default all); the answer carries its signing ``secret``.
* Every change in the store (control API or API) of a customer, inventory item, sales order or
  customer invoice becomes one notification per matching subscription: a JSON body
  ``{event, entity, id, action, TenantId, ApiClientId, IsScheduler, timestamp}`` POSTed with
  ``x-vwd-signature-v1`` = base64(HMAC-SHA256(secret, body)) and the other ``x-vwd-*`` headers.
* A delivery that does not get a 2xx within ``timeout`` seconds is retried ``retries`` times
  with exponential back-off (``retry_interval * 2**n`` seconds).
* Faults (``POST /_sandbox/webhooks/faults``, ``{kind, count=1, entity?}``): ``drop`` (never
  sent), ``duplicate`` (sent twice, same notification id), ``delay`` (``ms`` later),
  ``reorder`` (held back until the next notification was sent), ``wrong_signature``.

No import of the rest of the sandbox except ``core.json_response``: the store calls
:meth:`Dispatcher.on_change` through its listener list.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import heapq
import hmac
import itertools
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .core import json_response

# store kind → (entity, event of a plain change, event of a status change)
ENTITIES = {
    "customer": ("Customer", "Customer.Changed", None),
    "inventory": ("InventoryItem", "InventoryItem.Changed", None),
    "salesOrder": ("SalesOrder", "SalesOrder.Changed", "SalesOrder.StatusChanged"),
    "invoice": ("ARInvoice", "ARInvoice.Changed", "ARInvoice.StatusChanged"),
}
EVENTS = sorted({e for _, changed, status in ENTITIES.values() for e in (changed, status) if e})
FAULT_KINDS = ("drop", "duplicate", "delay", "reorder", "wrong_signature")
APPLICATION_ID = "werkbon-demo"
REORDER_HOLD_SECONDS = 3.0  # a held-back notification goes out at the latest after this


@dataclass
class Subscription:
    """One Developer Portal subscription."""

    id: str
    url: str
    secret: str
    events: list[str]
    tenant: str | None = None
    retries: int = 5
    retry_interval: float = 1.0
    timeout: float = 5.0

    def public(self) -> dict[str, Any]:
        """The JSON shape of the control API (the secret included: a test needs it)."""
        return {"id": self.id, "url": self.url, "secret": self.secret, "events": self.events,
                "tenant": self.tenant, "retries": self.retries, "retryInterval": self.retry_interval,
                "timeout": self.timeout}


@dataclass
class Fault:
    """An injected fault for the next ``count`` notifications (of ``entity``, or any)."""

    kind: str
    count: int = 1
    entity: str | None = None
    ms: int = 0


@dataclass(order=True)
class Delivery:
    """One queued POST of a notification to a subscription (ordered by due time)."""

    due: float
    seq: int
    subscription: Subscription = field(compare=False)
    notification_id: str = field(compare=False)
    event: str = field(compare=False)
    tenant: str = field(compare=False)
    body: bytes = field(compare=False)
    notified_ms: int = field(compare=False)
    attempt: int = field(default=0, compare=False)
    wrong_signature: bool = field(default=False, compare=False)


class Dispatcher:
    """Subscriptions, the delivery queue (one background thread) and the delivery log."""

    def __init__(self) -> None:
        self.subscriptions: dict[str, Subscription] = {}
        self.faults: list[Fault] = []
        self.log: deque[dict[str, Any]] = deque(maxlen=5000)
        self._queue: list[Delivery] = []
        self._held: list[tuple[float, list[Delivery]]] = []
        self._seq = itertools.count()
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None

    # -- control ---------------------------------------------------------------------------

    def subscribe(self, body: dict[str, Any]) -> Subscription:
        """Add a subscription; ValueError on a missing URL or an unknown event."""
        url = str(body.get("url") or "")
        if not url.startswith(("http://", "https://")):
            raise ValueError("url (http or https) is required")
        events = list(body.get("events") or EVENTS)
        unknown = [e for e in events if e not in EVENTS]
        if unknown:
            raise ValueError(f"unknown events {unknown}; known: {EVENTS}")
        sub = Subscription(id=str(uuid.uuid4()), url=url, secret=str(body.get("secret") or secrets.token_urlsafe(32)),
                           events=events, tenant=body.get("tenant"), retries=int(body.get("retries", 5)),
                           retry_interval=float(body.get("retryInterval", 1.0)),
                           timeout=float(body.get("timeout", 5.0)))
        with self._lock:
            self.subscriptions[sub.id] = sub
        return sub

    def add_fault(self, body: dict[str, Any]) -> Fault:
        """Add a fault rule; ValueError on an unknown kind."""
        kind = body.get("kind")
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}")
        fault = Fault(kind=kind, count=int(body.get("count", 1)), entity=body.get("entity"), ms=int(body.get("ms", 0)))
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        """Forget subscriptions, faults, queued deliveries and the log (a sandbox reset)."""
        with self._lock:
            self.subscriptions.clear()
            self.faults.clear()
            self._queue.clear()
            self._held.clear()
            self.log.clear()

    # -- notifications ---------------------------------------------------------------------

    def _take_faults(self, entity: str) -> list[Fault]:
        taken = []
        for fault in self.faults:
            if fault.count > 0 and fault.entity in (None, entity):
                fault.count -= 1
                taken.append(fault)
        self.faults = [f for f in self.faults if f.count > 0]
        return taken

    def on_change(self, tenant: str, kind: str, key: str, action: str, status_changed: bool = False) -> None:
        """The store's listener: one notification per matching subscription."""
        if kind not in ENTITIES or not self.subscriptions:
            return
        entity, changed_event, status_event = ENTITIES[kind]
        event = status_event if (status_changed and status_event) else changed_event
        now = time.time()
        notified_ms = int(now * 1000)
        stamp = dt.datetime.fromtimestamp(now, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        with self._lock:
            for sub in list(self.subscriptions.values()):
                if sub.tenant not in (None, tenant) or (event not in sub.events and changed_event not in sub.events):
                    continue
                body = json.dumps({"event": event, "entity": entity, "id": key, "action": action,
                                   "TenantId": tenant, "ApiClientId": None, "IsScheduler": False,
                                   "timestamp": stamp}).encode()
                delivery = Delivery(now, next(self._seq), sub, str(uuid.uuid4()), event, tenant, body, notified_ms)
                self._schedule(delivery, self._take_faults(entity))
            self._ensure_thread()
            self._lock.notify_all()

    def _schedule(self, delivery: Delivery, faults: list[Fault]) -> None:
        kinds = {f.kind for f in faults}
        self._log(delivery, "notified", 0, ",".join(sorted(kinds)))
        if "drop" in kinds:
            self._log(delivery, "dropped", 0, "fault")
            return
        for fault in faults:
            if fault.kind == "delay":
                delivery.due += fault.ms / 1000
        delivery.wrong_signature = "wrong_signature" in kinds
        batch = [delivery]
        if "duplicate" in kinds:
            twin = Delivery(delivery.due + 0.05, next(self._seq), delivery.subscription, delivery.notification_id,
                            delivery.event, delivery.tenant, delivery.body, delivery.notified_ms)
            batch.append(twin)
        if "reorder" in kinds:
            self._held.append((time.time() + REORDER_HOLD_SECONDS, batch))
            return
        for item in batch:
            heapq.heappush(self._queue, item)
        # Anything held back goes out just after this newer one.
        for _until, held in self._held:
            for item in held:
                item.due = delivery.due + 0.2
                heapq.heappush(self._queue, item)
        self._held.clear()

    # -- delivery --------------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="webhook-dispatcher", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                now = time.time()
                for until, held in list(self._held):
                    if until <= now:
                        self._held.remove((until, held))
                        for item in held:
                            heapq.heappush(self._queue, item)
                if not self._queue or self._queue[0].due > now:
                    wait = (self._queue[0].due - now) if self._queue else 0.5
                    self._lock.wait(timeout=min(max(wait, 0.01), 0.5))
                    continue
                delivery = heapq.heappop(self._queue)
            self._deliver(delivery)

    def _deliver(self, delivery: Delivery) -> None:
        sub = delivery.subscription
        secret = "not-the-secret" if delivery.wrong_signature else sub.secret
        signature = base64.b64encode(hmac.new(secret.encode(), delivery.body, hashlib.sha256).digest()).decode()
        headers = {
            "Content-Type": "application/json", "x-vwd-signature-v1": signature,
            "x-vwd-application-id": APPLICATION_ID, "x-vwd-event-id": delivery.event,
            "x-vwd-notification-id": delivery.notification_id, "x-vwd-subscription-id": sub.id,
            "x-vwd-tenant-id": delivery.tenant, "x-vwd-notification-timestamp": str(delivery.notified_ms),
            "x-vwd-webhook-timestamp": str(int(time.time() * 1000)),
        }
        status = 0
        try:
            # The URL was checked to be http(s) when subscribing.
            request = urllib.request.Request(sub.url, data=delivery.body, headers=headers, method="POST")  # noqa: S310
            with urllib.request.urlopen(request, timeout=sub.timeout) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except Exception:  # refused, timed out: retried like a failure
            status = -1
        with self._lock:
            if 200 <= status < 300:
                self._log(delivery, "delivered", status)
                return
            if sub.id not in self.subscriptions:
                return
            if delivery.attempt >= sub.retries:
                self._log(delivery, "gave_up", status)
                return
            self._log(delivery, "failed", status)
            delivery.attempt += 1
            delivery.due = time.time() + sub.retry_interval * 2 ** (delivery.attempt - 1)
            heapq.heappush(self._queue, delivery)
            self._lock.notify_all()

    def _log(self, delivery: Delivery, outcome: str, status: int, detail: str = "") -> None:
        self.log.append({"notificationId": delivery.notification_id, "event": delivery.event,
                         "tenant": delivery.tenant, "body": json.loads(delivery.body), "outcome": outcome,
                         "status": status, "attempt": delivery.attempt, "detail": detail,
                         "time": time.time()})


# -- control API: small handlers --------------------------------------------------------------

async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    data = json.loads(raw) if raw else {}
    if not isinstance(data, dict):
        raise ValueError("a JSON object is expected")
    return data


def control_routes(dispatcher: Dispatcher) -> list[Route]:
    """``/_sandbox/webhooks/...``: subscriptions, faults and the delivery log."""

    async def list_subscriptions(request: Request) -> Response:
        return json_response([s.public() for s in dispatcher.subscriptions.values()])

    async def add_subscription(request: Request) -> Response:
        try:
            return json_response(dispatcher.subscribe(await _json(request)).public(), 201)
        except (ValueError, TypeError) as exc:
            return json_response({"error": str(exc)}, 400)

    async def delete_subscription(request: Request) -> Response:
        if dispatcher.subscriptions.pop(request.path_params["sub"], None) is None:
            return json_response({"error": "unknown subscription"}, 404)
        return Response(status_code=204)

    async def add_fault(request: Request) -> Response:
        try:
            fault = dispatcher.add_fault(await _json(request))
        except (ValueError, TypeError) as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response(fault.__dict__, 201)

    async def clear_faults(request: Request) -> Response:
        dispatcher.faults.clear()
        return Response(status_code=204)

    async def deliveries(request: Request) -> Response:
        outcome = request.query_params.get("outcome")
        return json_response([e for e in list(dispatcher.log) if not outcome or e["outcome"] == outcome])

    return [
        Route("/_sandbox/webhooks/subscriptions", list_subscriptions, methods=["GET"]),
        Route("/_sandbox/webhooks/subscriptions", add_subscription, methods=["POST"]),
        Route("/_sandbox/webhooks/subscriptions/{sub}", delete_subscription, methods=["DELETE"]),
        Route("/_sandbox/webhooks/faults", add_fault, methods=["POST"]),
        Route("/_sandbox/webhooks/faults", clear_faults, methods=["DELETE"]),
        Route("/_sandbox/webhooks/deliveries", deliveries, methods=["GET"]),
    ]
