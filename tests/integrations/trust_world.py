"""Helpers of the stateful trust test (``test_trust_stateful.py``) and its regression tests.

The world: ONE Visma.net company (the sandbox's small company, "Kleine Klusjes B.V.") and
TWO Werkbon tenants connected to it, as a trial and a real account or two divisions would be.
Visma.net-side changes are made as an office user of Visma.net makes them: master data through
the sandbox's control API, orders and quotes through the Sales Orders v3 API with a client of
its own (:class:`VismaOffice`). Werkbon-side actions call the services and the Celery tasks
synchronously in-process, as the other integration tests do.

Documents are read back through the control API and identified by the export records in the
database (``ExportRecord.document_number``), never by parsing a marker's text, so the checks
stay true when the marker's format changes.

ADAPTERS — small functions the invariants read through, so the coordinator can point them at
features that are not on main yet (each says what to change after which merge):

* :func:`archived_content` and :func:`archived_pdf`: what an archived work order shows
  (history branch: archived snapshots);
* :func:`material_unit`: the unit a material line was registered in (history branch:
  ``MaterialLine.unit``);
* :func:`transient_attempt_bound`: how many attempts a transient export may take before it
  must be permanent (export branch: failure classes);
* :func:`deleted_document_handled_by_person`: whether a person chose to make a new document
  after the originating order was deleted in Visma.net (export/history branch).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.utils import timezone, translation

from vismanet import (
    InMemoryTokenStore,
    NewSalesOrder,
    NewSalesOrderCustomer,
    NewSalesOrderLine,
    RetryPolicy,
    SalesOrderLinePatch,
    SalesOrderPatch,
    VismaNetClient,
)
from vismanet_sandbox import demo
from werkbon.accounts.models import Role, Tenant
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.models import ExportRecord, ExportStatus, Integration, LogEntry
from werkbon.integrations.vismanet import sync
from werkbon.workorders.models import MaterialLine, WorkOrder

from .conftest import connect, make_integration

COMPANY = demo.SMALL_TENANT_ID
WAREHOUSE = demo.SMALL_WAREHOUSE
WORK_ITEM, TRAVEL_ITEM, CALLOUT_ITEM = demo.ITEM_WORK, demo.ITEM_TRAVEL, demo.ITEM_CALLOUT
TIME_ITEMS = (WORK_ITEM, TRAVEL_ITEM)
# Items a technician registers as material (never a time or call-out item, so every document
# line on one of these comes from a material line).
SEED_MATERIALS = ("KLEIN-MAT", "SCHILDERWERK")

SETTINGS: dict[str, Any] = {
    "work_time_item": WORK_ITEM,
    "travel_time_item": TRAVEL_ITEM,
    "default_item_enabled": False,
    "default_item": CALLOUT_ITEM,
    "notes": "work_address_and_description",
    "customer_reference": "both",
    "pdfs": "work_order",
    "target": "sales_order",
    "sales_order_type": "SO",
    "warehouse_per_user": False,
    "default_warehouse": WAREHOUSE,
    "order_import": "nothing",
}

SEED_FILE = Path(demo.__file__).with_name("data") / "demo.json"


# Open when Werkbon is connected: a quote and, made weeks later, a sales order (the import's
# watermark after the order is then far beyond the quote, more than any overlap).
SEED_DOCUMENTS = ("QT 000001", "SO 000001")


def _seed_order(template: dict[str, Any], customer: dict[str, Any], items: dict[str, dict[str, Any]],
                order_type: str, lines: list[tuple[str, float]], description: str, modified: str) -> dict[str, Any]:
    order = {k: v for k, v in template.items() if k != "lines"}
    order.update(type=order_type, orderId="000001", status="Open", description=description,
                 date=modified[:10] + "T00:00:00", requestOn=modified[:10] + "T00:00:00", created=modified,
                 lastModified=modified, nextLineId=len(lines) + 1, shipping={"preferredWarehouseId": WAREHOUSE})
    order["customer"] = {**template["customer"], "id": customer["number"], "internalId": customer["internalId"],
                         "name": customer["name"], "order": None, "refNo": "Opdracht kantoor"}
    order["lines"] = []
    for line_id, (number, quantity) in enumerate(lines, start=1):
        item = items[number]
        order["lines"].append({
            **template["lines"][0], "lineId": line_id, "sortOrder": line_id, "inventoryId": number,
            "inventoryDescription": item["description"], "description": item["description"],
            "baseUnit": item["baseUnit"], "unitOfMeasure": item["salesUnit"], "quantity": quantity,
            "unitPrice": item["defaultPrice"], "unitCost": item["currentCost"], "warehouseId": WAREHOUSE})
    return order


@cache
def _small_company_seed() -> str:
    document = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    demo_company, small = document["companies"]
    assert small["tenantId"] == COMPANY
    customers = {c["number"]: c for c in small["records"]["customer"]}
    items = {i["inventoryNumber"]: i for i in small["records"]["inventory"]}
    template = demo_company["records"]["salesOrder"][0]
    small["records"]["salesOrder"] = [
        _seed_order(template, customers["20002"], items, "QT", [("KLEIN-MAT", 3.0), (WORK_ITEM, 1.0)],
                    "Offerte dakgoot", "2026-11-02T09:15:00.000"),
        _seed_order(template, customers["20004"], items, "SO", [("SCHILDERWERK", 4.0), (WORK_ITEM, 2.0)],
                    "Schilderwerk kozijnen", "2026-11-20T14:30:00.000"),
    ]
    small["counters"] = {**small.get("counters", {}), "salesorder:SO": 1, "salesorder:QT": 1}
    document["companies"] = [small]
    return json.dumps(document)


def small_company_seed() -> dict[str, Any]:
    """The demo seed with the small company only (resetting it takes a few milliseconds), with
    the open quote and sales order of :data:`SEED_DOCUMENTS`."""
    return json.loads(_small_company_seed())


def fast_retry_policy() -> RetryPolicy:
    """The worker's retry policy without its waits: three attempts, no sleeping (a 429's
    Retry-After of 0 or 1 s is honoured at most)."""
    return RetryPolicy(max_attempts=3, backoff_base=0.0, backoff_cap=0.0, max_retry_after=1.0,
                       jitter=lambda delay: 0.0)


# ---- Werkbon side ----------------------------------------------------------------------------

@dataclass
class WerkbonTenant:
    """One Werkbon tenant connected to :data:`COMPANY`: its office user, technician and
    integration."""

    label: str
    tenant: Tenant
    office: Any
    technician: Any
    integration: Integration


def connected_tenant(label: str, base_url: str, **settings: Any) -> WerkbonTenant:
    """A new tenant with an office user and a technician (default warehouse
    :data:`WAREHOUSE`), its Visma.net integration ACTIVE on :data:`COMPANY` (connected through
    the real OAuth flow) and the first import done."""
    from werkbon.accounts.models import User

    tenant = Tenant.objects.create(name=f"Installateur {label.upper()} B.V.", slug=f"trust-{label}")
    # No password: hashing one costs most of a second, and nobody logs in here.
    office = User.objects.create(username=f"kantoor-{label}", password="!", tenant=tenant, role=Role.OFFICE,
                                 first_name="Kantoor", last_name=label.upper())
    technician = User.objects.create(username=f"monteur-{label}", password="!", tenant=tenant,
                                     role=Role.TECHNICIAN, first_name="Monteur", last_name=label.upper(),
                                     default_warehouse=WAREHOUSE)
    integration = make_integration(tenant, **{**SETTINGS, **settings})
    Integration.all_tenants.filter(pk=integration.pk).update(
        first_import_finished_at=None, company_tenant_id=COMPANY, company_name=demo.SMALL_COMPANY_NAME,
        company_number=str(demo.SMALL_COMPANY_NUMBER))
    integration.refresh_from_db()
    connect(integration, base_url, COMPANY)
    with tenant_context(tenant):
        sync.first_import(integration)
    integration.refresh_from_db()
    return WerkbonTenant(label, tenant, office, technician, integration)


def configure(integration: Integration, **changes: Any) -> None:
    """Save integration settings as the settings screen does (from now on, not retroactive)."""
    integration.refresh_from_db()
    integration.settings = {**integration.settings, **changes}
    Integration.all_tenants.filter(pk=integration.pk).update(settings=integration.settings,
                                                             settings_saved_at=timezone.now())


def unpause(*integrations: Integration) -> None:
    """Time passes: a pause a 429 asked for is over."""
    Integration.all_tenants.filter(pk__in=[i.pk for i in integrations]).update(paused_until=None)


# ---- Visma.net side --------------------------------------------------------------------------

class VismaOffice:
    """A Visma.net user of :data:`COMPANY`: master data through the control API, orders and
    quotes through the Sales Orders v3 API (a client of its own, client credentials). Every
    document it makes is remembered, so that every other document in the company is one that
    Werkbon made."""

    def __init__(self, sandbox: Any) -> None:
        self.control = sandbox.control
        self.client = VismaNetClient(
            client_id=demo.CLIENT_ID, client_secret=demo.CLIENT_SECRET, token_store=InMemoryTokenStore(),
            tenant_id=COMPANY, erp_base_url=sandbox.url, salesorder_base_url=sandbox.url,
            connect_base_url=sandbox.url, context_base_url=sandbox.url + "/API",
            retry_policy=RetryPolicy(max_attempts=1), salesorder_scopes=(),
            scopes=(*demo.SERVICE_SCOPES, *demo.SALESORDER_SCOPES))
        self.made: set[str] = set(SEED_DOCUMENTS)  # document numbers ("SO 000001") the office made
        self.typed: set[str] = set()  # … of them, those with "Werkbon <n>" typed in by hand
        self.deleted: set[str] = set()

    def forget(self) -> None:
        """After a reset of the sandbox: only the seed's documents made, nothing deleted."""
        self.made.clear()
        self.made.update(SEED_DOCUMENTS)
        self.typed.clear()
        self.deleted.clear()

    def close(self) -> None:
        self.client.close()

    # master data
    def add_customer(self, number: str, name: str, street: str) -> None:
        self.control.add_customer(COMPANY, {
            "number": number, "name": name, "status": "Active",
            "mainAddress": {"addressLine1": street, "postalCode": "9712 AB", "city": "Groningen",
                            "countryId": "NL"},
            "mainContact": {"name": name, "attention": "Fatima de Boer", "email": "info@example.nl"}})

    def change_customer(self, number: str, **changes: Any) -> None:
        self.control.change_customer(COMPANY, number, changes)

    def set_customer_status(self, number: str, status: str) -> None:
        self.control.change_customer(COMPANY, number, {"status": status})

    def delete_customer(self, number: str) -> None:
        self.control.delete_customer(COMPANY, number)

    def add_item(self, number: str, description: str, unit: str) -> None:
        self.control.add_item(COMPANY, {
            "inventoryNumber": number, "description": description, "type": "NonStockItem", "status": "Active",
            "baseUnit": unit, "salesUnit": unit, "defaultPrice": 4.25, "stockItem": False,
            "itemClass": {"id": "MATERIAAL", "description": "Materiaal (niet op voorraad)", "type": "NonStockItem"}})

    def change_item(self, number: str, **changes: Any) -> None:
        self.control.change_item(COMPANY, number, changes)

    def delete_item(self, number: str) -> None:
        self.control.delete_item(COMPANY, number)

    # orders and quotes (v3)
    def create_order(self, order_type: str, customer: str, lines: Iterable[tuple[str, float]],
                     description: str = "Lekkage verhelpen", customer_order: str | None = None) -> str:
        """Make an order or quote; ``customer_order`` is what the user types in the
        customer-order field (e.g. "Werkbon 1" by hand). Returns "SO 000001"."""
        created = self.client.sales_orders.create(NewSalesOrder(
            type=order_type, description=description,
            customer=NewSalesOrderCustomer(id=customer, ref_no="Opdracht kantoor", order=customer_order),
            order_lines=[NewSalesOrderLine(inventory_id=item, quantity=qty, warehouse_id=WAREHOUSE)
                         for item, qty in lines]))
        number = f"{order_type} {created.id}"
        self.made.add(number)
        if customer_order:
            self.typed.add(number)
        return number

    def change_order(self, number: str, *, description: str | None = None, quantity: float | None = None) -> None:
        order_type, order_id = number.split(" ", 1)
        order = self.client.sales_orders.get(order_type, order_id)
        etag = order.etag
        if description is not None:
            etag = self.client.sales_orders.patch(order_type, order_id, SalesOrderPatch(description=description),
                                                  if_match=etag).etag or self.client.sales_orders.get(
                order_type, order_id).etag
        if quantity is not None:
            lines = [line for line in self.client.sales_orders.lines(order_type, order_id) if line.line_id]
            if lines:
                self.client.sales_orders.patch_lines(order_type, order_id, [
                    SalesOrderLinePatch(line_id=lines[0].line_id, quantity=quantity)], if_match=etag)

    def delete_order(self, number: str) -> None:
        order_type, order_id = number.split(" ", 1)
        etag = self.client.sales_orders.get(order_type, order_id).etag
        self.client.sales_orders.delete(order_type, order_id, if_match=etag)
        self.deleted.add(number)

    def arm(self, fault: Fault) -> None:
        fault.install(self.control)


@dataclass(frozen=True)
class Fault:
    """A fault of Visma.net for the next Werkbon action: ``kind`` is ``drop`` (the write is
    done, the answer never arrives), ``error`` (done, then a 500), ``5xx`` (503, nothing
    done), ``429`` (rate limited; ``long`` asks for two minutes, which pauses the company);
    ``path`` is the regex of the requests it hits; ``count`` how many it hits."""

    kind: str
    path: str
    count: int = 1
    long: bool = False

    def install(self, control: Any) -> None:
        if self.kind == "drop":
            control.fault("drop_after_write", method="POST", path=self.path, count=self.count)
        elif self.kind == "error":
            control.fault("error_after_write", method="POST", path=self.path, count=self.count)
        elif self.kind == "5xx":
            control.fault("status", status=503, path=self.path, count=self.count)
        else:
            control.fault("status", status=429, retryAfter=120 if self.long else 0, path=self.path,
                          count=self.count)


FAULT_PATHS = {
    "create": "^/api/v3/SalesOrders$|customerinvoice$",
    "lines": "^/api/v3/SalesOrders/[A-Z]+/[^/]+/lines$",
    "attachment": "attachment$",
    "read": "^/(v1|api/v3)/",
}


# ---- documents in Visma.net ------------------------------------------------------------------

@dataclass(frozen=True)
class DocLine:
    item: str
    quantity: Decimal
    unit: str
    note: str


@dataclass
class Document:
    """A sales order, quote or customer invoice as the control API shows it."""

    number: str  # as ExportRecord.document_number stores it: "SO 000001" or "500001"
    kind: str  # sales_order / customer_invoice
    status: str
    customer: str
    lines: list[DocLine]
    raw: dict[str, Any] = field(repr=False)

    def content(self) -> str:
        """What the bill says (header and lines; not attachments, timestamps or status)."""
        raw = {k: v for k, v in self.raw.items() if k not in {
            "lastModifiedDateTime", "timeStamp", "attachments", "status", "lastModified", "etag",
            "nextLineId", "internalId", "createdDateTime", "hold", "statusCode"}}
        return hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()


def _qty(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.0001"))


def documents(control: Any) -> dict[str, Document]:
    """Every sales order, quote and invoice of :data:`COMPANY`, by document number."""
    found: dict[str, Document] = {}
    for o in control.sales_orders(COMPANY):
        number = f"{o['type']} {o['orderId']}"
        found[number] = Document(
            number, "sales_order", str(o.get("status") or ""), str((o.get("customer") or {}).get("id") or ""),
            [DocLine(ln["inventoryId"], _qty(ln.get("quantity")), str(ln.get("unitOfMeasure") or ""),
                     str(ln.get("note") or "")) for ln in o.get("lines") or []], o)
    for i in control.invoices(COMPANY):
        number = str(i["referenceNumber"])
        customer = (i.get("customer") or {}).get("number") or i.get("customerNumber") or ""
        found[number] = Document(
            number, "customer_invoice", str(i.get("status") or ""), str(customer),
            [DocLine(str(ln.get("inventoryNumber") or ""), _qty(ln.get("quantity")), str(ln.get("uom") or ""),
                     str(ln.get("note") or "")) for ln in i.get("lines") or []], i)
    return found


# ---- adapters (see the module docstring) -----------------------------------------------------

def archived_content(work_order: WorkOrder) -> dict[str, Any]:
    """What an archived work order says: customer, work address, description, time, and
    each material line's item, description, unit and quantity: the snapshot the history
    branch keeps with the work order (``history.archived_content``), never the live
    customer, work address or item."""
    from werkbon.workorders import history

    kept = history.archived_content(work_order)
    return {
        "customer": (kept.customer_number, kept.customer_name) if kept.customer_number else None,
        "work_address": kept.work_address or None,
        "description": kept.description,
        "reference": kept.customer_reference,
        "time": sorted((kind, minutes, str(date)) for kind, minutes, date in kept.time),
        "materials": sorted((line.item_number, line.description, line.unit, str(line.quantity), line.note)
                            for line in kept.lines),
    }


def archived_pdf(work_order: WorkOrder) -> bytes:
    """The work-order PDF of an archived work order as the office downloads it and the export
    attaches it: the bytes stored when it was archived (``history.work_order_pdf``)."""
    from werkbon.workorders import history

    return history.work_order_pdf(work_order)


def material_unit(line: MaterialLine) -> str:
    """The unit a material line was registered in: its own ``unit`` once the history branch
    adds one, else (main) the item's unit as Werkbon shows it."""
    own = getattr(line, "unit", None)
    return str(own) if own else str(line.item.unit or "")


def transient_attempt_bound() -> int:
    """How many attempts a transient export may take before it must be permanent. ADAPTER:
    the export branch's failure classes bound it; read their constant when it exists."""
    from werkbon.integrations.vismanet import export

    for name in ("MAX_TRANSIENT_ATTEMPTS", "MAX_ATTEMPTS", "TRANSIENT_ATTEMPTS"):
        value = getattr(export, name, None)
        if isinstance(value, int):
            return value
    return 8


TRANSIENT_TIME_BOUND = dt.timedelta(hours=1)  # issue 8: no "no action needed" for over an hour


def deleted_document_handled_by_person(record: ExportRecord) -> bool:
    """Whether a person chose to make a new document after the document the work order was
    to be written back to was deleted in Visma.net. The state machine never chooses it, so
    this is False; ADAPTER for a coordinator who adds that choice as a rule."""
    return False


# ---- the log ---------------------------------------------------------------------------------

ENGLISH_STATUS = re.compile(r"\b(Inactive|On ?hold|OnHold|Active|CreditHold|NoSales|MarkedForDeletion)\b")
INTERNAL_KEY = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
QUOTED_PARAMS = ("error", "errors")


def not_dutch(entry: LogEntry) -> list[str]:
    """What is wrong with a log entry as a Dutch user reads it: English status words,
    internal keys (snake_case), or a message without a Dutch translation."""
    problems = []
    shown = copy.copy(entry)  # Visma.net's own words (``errors``) are quoted, not Werkbon's text
    shown.params = {k: ("…" if k in QUOTED_PARAMS else v) for k, v in (entry.params or {}).items()}
    with translation.override("nl"):
        texts = {"message": shown.user_message, "action": shown.user_action}
        for name, msgid in (("message", entry.message), ("action", entry.action)):
            if msgid and translation.gettext(msgid) == msgid:
                problems.append(f"{name} not translated: {msgid!r}")
    for name, text in texts.items():
        for pattern, what in ((ENGLISH_STATUS, "English status word"), (INTERNAL_KEY, "internal key")):
            found = pattern.search(text)
            if found:
                problems.append(f"{what} {found.group(0)!r} in {name}: {text!r}")
    return problems


# ---- snapshots -------------------------------------------------------------------------------

def pdf_digest(work_order: WorkOrder) -> str:
    return hashlib.sha256(archived_pdf(work_order)).hexdigest()


def open_records(tenant: Tenant) -> list[int]:
    return list(ExportRecord.all_tenants.filter(
        tenant=tenant, status__in=[ExportStatus.QUEUED, ExportStatus.SENDING, ExportStatus.ATTACHMENTS_PENDING])
        .order_by("id").values_list("pk", flat=True))


def log_problems_since(last_id: int) -> tuple[int, list[str]]:
    """Dutch-log problems of every entry written after ``last_id`` (all tenants)."""
    problems, newest = [], last_id
    for entry in LogEntry.all_tenants.filter(pk__gt=last_id).order_by("id"):
        newest = entry.pk
        problems += [f"log entry {entry.pk} ({entry.level}): {p}" for p in not_dutch(entry)]
    return newest, problems



# ---- the world -------------------------------------------------------------------------------

@dataclass
class World:
    """Two Werkbon tenants (``a``, ``b``) on one Visma.net company, and its office user."""

    sandbox: Any
    a: WerkbonTenant
    b: WerkbonTenant
    office: VismaOffice

    @property
    def tenants(self) -> tuple[WerkbonTenant, WerkbonTenant]:
        return (self.a, self.b)


def speed_up(monkeypatch: Any, settings: Any) -> None:
    """No waiting in a test that runs hundreds of steps: attempts are not throttled (the
    five-minute rule has its own tests), retries inside a job do not sleep, and each client
    skips loading the CA bundle (the sandbox is plain HTTP; that load costs 0.13 s a client)."""
    import ssl

    import httpx._transports.default as httpx_default

    from werkbon.integrations.vismanet import client as werkbon_client

    settings.VISMANET_EXPORT_RETRY_WINDOW_SECONDS = 0
    settings.VISMANET_EXPORT_BACKOFF_SECONDS = 0
    settings.VISMANET_TIMEOUT_SECONDS = 10
    monkeypatch.setattr(werkbon_client, "retry_policy", fast_retry_policy)
    context = ssl.create_default_context()
    monkeypatch.setattr(httpx_default, "create_ssl_context", lambda *args, **kwargs: context)


def build_world(sandbox: Any, monkeypatch: Any, settings: Any) -> World:
    """Reset the sandbox to the small company, connect two tenants to it (first import done)."""
    speed_up(monkeypatch, settings)
    sandbox.control.reset(small_company_seed())
    a = connected_tenant("a", sandbox.url)
    b = connected_tenant("b", sandbox.url)
    sandbox.control.clear_requests()
    return World(sandbox, a, b, VismaOffice(sandbox))


# ---- steps shared by the state machine and the regression tests -------------------------------

def finished_work_order(t: WerkbonTenant, *, customer: str = "20001", work: int = 135, travel: int = 20,
                        materials: tuple[tuple[str, Decimal], ...] = (("KLEIN-MAT", Decimal(2)),),
                        archive: bool = True, description: str = "CV-ketel onderhoud") -> WorkOrder:
    """A work order of ``t`` made, planned, registered, completed and (by default) archived
    through the services, as the screens do it."""
    from werkbon.workorders import services
    from werkbon.workorders.models import Customer, Item, TimeKind

    with tenant_context(t.tenant):
        chosen = Customer.objects.get(number=customer)
        order = services.create_work_order(
            customer=chosen, work_address=chosen.work_addresses.order_by("id").first(), description=description,
            technicians=[t.technician], planned_start=timezone.now())
        today = timezone.localdate()
        if work:
            services.add_time_entry(order, technician=t.technician, kind=TimeKind.WORK, minutes=work, date=today)
        if travel:
            services.add_time_entry(order, technician=t.technician, kind=TimeKind.TRAVEL, minutes=travel, date=today)
        for number, quantity in materials:
            services.add_material_line(order, item=Item.objects.get(number=number), quantity=quantity,
                                       technician=t.technician)
        order = services.complete(order, user=t.technician)
        if archive:
            order = services.archive(order, user=t.office)
        return order


def run_exports(t: WerkbonTenant) -> list[ExportRecord]:
    """Every export of ``t`` that is not finished runs once (the task, in-process); returns
    all of ``t``'s records afterwards."""
    from werkbon.integrations import tasks

    unpause(t.integration)
    for pk in open_records(t.tenant):
        tasks.export_work_order(pk)
    return list(ExportRecord.all_tenants.filter(tenant=t.tenant).order_by("id"))


def run_sync(t: WerkbonTenant) -> None:
    """The incremental sync of ``t`` (tables, then orders or quotes), as the worker runs it."""
    from werkbon.integrations import tasks

    unpause(t.integration)
    tasks.sync_incremental(t.integration.pk)


def record_of(t: WerkbonTenant, work_order: WorkOrder) -> ExportRecord:
    return ExportRecord.all_tenants.get(tenant=t.tenant, work_order_number=work_order.number)
