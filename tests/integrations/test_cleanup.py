"""Cleanup against the sandbox over HTTP: what is gone or inactive in Visma.net (or only in
Werkbon) is removed; a listing that is incomplete in any way removes nothing."""

from __future__ import annotations

import importlib

import httpx
import pytest

from vismanet_sandbox import demo
from werkbon.integrations.models import LogEntry, LogLevel, SyncState
from werkbon.integrations.vismanet import sync
from werkbon.integrations.vismanet.client import client_for
from werkbon.integrations.vismanet.sync.pipeline import FetchedPage, ListSource
from werkbon.workorders import services
from werkbon.workorders.models import Customer, InstalledObject, Item, ItemGroup, WorkOrder

pytestmark = pytest.mark.django_db

T = demo.DEMO_TENANT_ID
cleanup_module = importlib.import_module("werkbon.integrations.vismanet.sync.cleanup")


def counts() -> tuple[int, int]:
    return Customer.objects.count(), Item.objects.count()


def warning() -> LogEntry:
    return LogEntry.objects.get(level=LogLevel.WARNING)


def test_it_removes_what_is_gone_inactive_or_only_local(imported, sandbox):
    Customer.objects.create(number="LOKAAL1", name="Alleen in Werkbon")
    Item.objects.create(number="LOKAAL-ART", description="Alleen in Werkbon")
    ItemGroup.objects.create(code="WEG", description="Bestaat niet in Visma.net")
    sandbox.control.delete_customer(T, "10002")
    sandbox.control.delete_item(T, "MAT-1001")
    # The first import leaves inactive ones out; these came in while active and turned
    # inactive in Visma.net later.
    visma = lambda what: sandbox.control._call("GET", f"/companies/{T}/{what}")  # noqa: E731
    inactive_customers = {c["number"] for c in visma("customers") if c["status"] == "Inactive"}
    inactive_items = {i["inventoryNumber"] for i in visma("inventory")
                      if not i["stockItem"] and i["status"] in ("NoSales", "Inactive", "MarkedForDeletion")}
    assert inactive_customers and inactive_items
    for number in inactive_customers:
        Customer.objects.create(number=number, name=f"Klant {number}", status="inactive")
    for number in inactive_items:
        Item.objects.create(number=number, description=number, status="inactive")
    customers, items = counts()

    sync.cleanup(imported)

    gone = {"LOKAAL1", "10002", *inactive_customers}
    assert not Customer.objects.filter(number__in=gone).exists()
    assert not Item.objects.filter(number__in={"LOKAAL-ART", "MAT-1001", *inactive_items}).exists()
    assert counts() == (customers - len(gone), items - 2 - len(inactive_items))
    assert not ItemGroup.objects.filter(code="WEG").exists()
    assert Customer.objects.filter(number="10001").exists() and Item.objects.filter(number="ARBEID").exists()
    done = LogEntry.objects.get(table="integration")
    assert done.params == {"removed": len(gone) + 2 + len(inactive_items), "deactivated": 0}
    assert LogEntry.objects.get(object_ref="LOKAAL1").user_message == (
        "Klant LOKAAL1 verwijderd uit Werkbon: deze bestaat niet in Visma.net")
    assert SyncState.objects.get(table="customers").last_cleanup_at is not None


def test_it_removes_nothing_when_a_page_fails(imported, sandbox):
    Customer.objects.create(number="LOKAAL1", name="Alleen in Werkbon")
    sandbox.control.delete_customer(T, "10002")
    sandbox.control.fault("status", path="^/v1/customer$", status=500, count=1)
    before = counts()
    sync.cleanup(imported)
    assert counts() == before
    assert warning().user_message.startswith("Opschoning gestopt: de lijst met klanten")
    assert "page 1 failed" in warning().detail


def cleanup_with_hook(integration, hook):
    """Run the cleanup with ``hook(response)`` called after every API response."""
    http = httpx.Client(event_hooks={"response": [hook]}, timeout=10)
    with client_for(integration, http_client=http) as client:
        return cleanup_module.cleanup(client, integration)


def after_customer_page(number: int, action):
    def hook(response: httpx.Response) -> None:
        url = response.request.url
        if url.path == "/v1/customer" and url.params.get("pageNumber") == str(number):
            action()
    return hook


def test_it_removes_nothing_when_a_later_page_fails(imported, sandbox):
    sandbox.control.settings(T, maxPageSize=50)
    sandbox.control.delete_customer(T, "10002")
    add_fault = after_customer_page(2, lambda: sandbox.control.fault("status", path="^/v1/customer$", status=500,
                                                                     count=1))
    before = counts()
    assert cleanup_with_hook(imported, add_fault) is None
    assert counts() == before
    assert "page 3 failed" in warning().detail


def test_it_removes_nothing_when_records_are_deleted_during_the_listing(imported, sandbox):
    sandbox.control.settings(T, maxPageSize=50)
    Customer.objects.create(number="LOKAAL1", name="Alleen in Werkbon")
    before = counts()
    assert cleanup_with_hook(imported, after_customer_page(1, lambda: sandbox.control.delete_customer(T, "10300"))) \
        is None
    assert counts() == before
    assert "totalCount changed from 330 to 329" in warning().detail


def test_it_removes_nothing_when_records_shift_without_changing_the_count(imported, sandbox):
    sandbox.control.settings(T, maxPageSize=50)
    Customer.objects.create(number="LOKAAL1", name="Alleen in Werkbon")

    def shift() -> None:  # one out on page 1, one in at the end: 10051 slides onto page 1 unseen
        sandbox.control.delete_customer(T, "10002")
        sandbox.control.add_customer(T, {"number": "19999", "name": "Nieuw", "status": "Active"})

    before = counts()
    assert cleanup_with_hook(imported, after_customer_page(1, shift)) is None
    assert counts() == before
    assert "customer 10051 exists in Visma.net but was missing from the listing" in warning().detail


def page(numbers: list[str], number: int, total: int | None, size: int = 2) -> FetchedPage:
    return FetchedPage([type("Record", (), {"number": n})() for n in numbers], number, total, size)


@pytest.mark.parametrize(
    ("pages", "problem"),
    [
        ([page(["1", "2"], 1, 5), page(["3"], 2, 5)], "page 2 has 1 records; 3 of 5 so far"),
        ([page(["1", "2"], 1, 4), page(["2", "3"], 2, 4)], "number 2 seen twice"),
        ([page(["1", "2"], 1, 4), page(["3", "4"], 2, 5)], "totalCount changed from 4 to 5"),
        ([page(["1", "2"], 1, 4), page([], 2, 4)], "page 2 has 0 records"),
    ],
)
def test_it_rejects_a_listing_with_a_short_page_a_duplicate_or_a_changing_total(monkeypatch, pages, problem):
    monkeypatch.setattr(cleanup_module, "read_page", lambda client, source, number: pages[number - 1])
    with pytest.raises(cleanup_module.IncompleteListing, match=problem):
        cleanup_module.complete_listing(None, ListSource(None, None), "number")


def test_it_accepts_a_complete_listing(monkeypatch):
    pages = [page(["1", "2"], 1, 3), page(["3"], 2, 3)]
    monkeypatch.setattr(cleanup_module, "read_page", lambda client, source, number: pages[number - 1])
    assert set(cleanup_module.complete_listing(None, ListSource(None, None), "number").records) == {"1", "2", "3"}


def test_it_deactivates_instead_of_deleting_what_work_orders_still_use(imported, sandbox):
    open_order = services.create_work_order(customer=Customer.objects.get(number="10001"))
    services.add_material_line(open_order, item=Item.objects.get(number="MAT-1001"), quantity=1)
    archived = services.create_work_order(customer=Customer.objects.get(number="10002"))
    services.add_material_line(archived, item=Item.objects.get(number="MAT-1005"), quantity=1)
    WorkOrder.objects.filter(pk=archived.pk).update(status="archived")  # no export needed here
    with_object = Customer.objects.get(number="10004")
    InstalledObject.objects.create(work_address=with_object.work_addresses.first(), name="CV-ketel")
    for number in ("10001", "10002", "10004"):
        sandbox.control.delete_customer(T, number)
    for number in ("MAT-1001", "MAT-1005"):
        sandbox.control.deactivate_item(T, number)

    sync.cleanup(imported)

    for number in ("10001", "10002", "10004"):
        assert Customer.objects.get(number=number).status == "inactive"
    assert {i.number: i.status for i in Item.objects.filter(number__in=["MAT-1001", "MAT-1005"])} == {
        "MAT-1001": "inactive", "MAT-1005": "inactive"}
    warnings = set(LogEntry.objects.filter(level=LogLevel.WARNING).values_list("object_ref", flat=True))
    assert warnings == {"10001", "MAT-1001"}  # used by work orders that are not archived
    assert WorkOrder.objects.get(pk=archived.pk).customer.number == "10002"  # archived order intact
    assert LogEntry.objects.get(table="integration").params["deactivated"] == 5

    LogEntry.objects.all().delete()
    sync.cleanup(imported)  # already deactivated: nothing new to say
    assert not LogEntry.objects.exclude(table="integration").exists()
