"""The sandbox's state and rules: the record store, auth registry, faults, rate limits, the
request log and the webhook dispatcher, with the seed documents that fill them.

Imports nothing of the HTTP layers (``api``, ``middleware``, ``control``, ``sandbox``): they
import this, so the sandbox has no import circle (import-linter's layers contract).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from importlib import resources as importlib_resources
from typing import Any

from .auth import AuthState, Connect
from .core import Route
from .faults import FaultRegistry
from .ratelimit import RateLimiter
from .routes import build_routes
from .store import Store
from .webhooks import Dispatcher

# How each kind's key is derived from its data, and which fields carry the store timestamps.
KEYS = {
    "customer": lambda d: d["number"],
    "customerClass": lambda d: d["id"],
    "location": lambda d: f"{d['baccount']['number']}/{d['locationId']}",
    "inventory": lambda d: d["inventoryNumber"],
    "itemClass": lambda d: d["id"],
    "postingClass": lambda d: d["id"],
    "warehouse": lambda d: d["warehouseID"],
    "salesOrderType": lambda d: d["orderType"],
    "salesOrder": lambda d: f"{d['type']}/{d['orderId']}",
    "invoice": lambda d: d["referenceNumber"],
    "branch": lambda d: d["number"],
    "organization": lambda d: d["organizationCd"],
}
ID_FIELDS = {"inventory": "inventoryId", "warehouse": None}
STAMP_FIELDS = {"salesOrder": ("lastModified", "created")}


def load_seed(name: str) -> dict[str, Any]:
    """A shipped seed document: ``demo`` or ``empty``."""
    if name == "empty":
        demo = load_seed("demo")
        return {"applications": demo["applications"], "users": demo["users"], "companies": [
            {**{k: c[k] for k in ("tenantId", "companyNumber", "name", "organization", "branches")},
             "records": {}} for c in demo["companies"]]}
    text = importlib_resources.files("vismanet_sandbox.data").joinpath(f"{name}.json").read_text("utf-8")
    return json.loads(text)


class Sandbox:
    """All emulator state. One instance serves one ASGI app."""

    def __init__(self, data_path: str | None = None, seed: str = "demo") -> None:
        self.store = Store(data_path)
        self.auth = AuthState()
        self.faults = FaultRegistry()
        self.limiter = RateLimiter()
        self.log: deque[dict[str, Any]] = deque(maxlen=20000)
        self.log_lock = threading.Lock()
        # Bumped by reset and by clearing the log: a request still held by a fault from
        # before (a timeout) is not logged into the new state when it finally ends.
        self.log_generation = 0
        self.connect = Connect(self)
        self.webhooks = Dispatcher()
        self.store.listeners.append(self.webhooks.on_change)
        self.routes: list[Route] = build_routes()
        if data_path and not self.store.is_empty():
            # A persisted data file keeps its records; only the auth registry comes from the meta table.
            self.auth.load(self.store.get_meta("applications", []), self.store.get_meta("users", []))
        else:
            self.reset(load_seed(seed))

    # -- state -----------------------------------------------------------------------------

    def reset(self, document: dict[str, Any]) -> None:
        """Replace all state with a seed document (see README, "Seed documents")."""
        self.clear_log()
        self.webhooks.clear()  # before the seed: seeding notifies nobody
        self.store.clear()
        self.limiter.reset()
        self.faults.clear()
        self.auth.load(document.get("applications", []), document.get("users", []))
        self.store.set_meta("applications", document.get("applications", []))
        self.store.set_meta("users", document.get("users", []))
        for company in document.get("companies", []):
            tenant = company["tenantId"]
            self.store.add_company(tenant, int(company["companyNumber"]), company["name"],
                                   {"organization": company.get("organization"),
                                    "branches": company.get("branches", [])},
                                   company.get("settings"))
            for kind, items in company.get("records", {}).items():
                for item in items:
                    self.seed_record(tenant, kind, item)
            for name, value in company.get("counters", {}).items():
                self.store.set_counter(tenant, name, int(value))

    def seed_record(self, tenant: str, kind: str, item: dict[str, Any]) -> Any:
        """Store one seed record, taking its key, timestamps and internal id from the seed fields."""
        data = dict(item)
        modified_field, created_field = STAMP_FIELDS.get(kind, ("lastModifiedDateTime", "createdDateTime"))
        modified = data.pop(modified_field, None)
        created = data.pop(created_field, None)
        id_field = ID_FIELDS.get(kind, "internalId")
        internal_id = data.pop(id_field, None) if id_field else None
        return self.store.put(tenant, kind, KEYS[kind](data), data, modified=modified,
                              created=created, internal_id=internal_id)

    def record_log(self, entry: dict[str, Any], generation: int | None = None) -> None:
        """Append one entry to the in-memory request log, unless the log was cleared (or the
        state reset) since the request started (``generation``)."""
        with self.log_lock:
            if generation is None or generation == self.log_generation:
                self.log.append(entry)

    def clear_log(self) -> None:
        """Empty the request log; requests still under way are not logged."""
        with self.log_lock:
            self.log.clear()
            self.log_generation += 1
