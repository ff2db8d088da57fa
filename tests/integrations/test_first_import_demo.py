"""First import of the demo company against the sandbox over HTTP: exact counts, phases,
progress, watermarks and a summary log entry per table (not one line per record)."""

from __future__ import annotations

import importlib

import pytest

from vismanet import parse_timestamp
from vismanet_sandbox import demo
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.models import Integration, LogEntry, LogLevel, SyncState
from werkbon.integrations.vismanet import sync
from werkbon.workorders.models import ContactPerson, Customer, Item, ItemGroup, WorkAddress

pytestmark = pytest.mark.django_db

T = demo.DEMO_TENANT_ID


def raw(sandbox, what: str) -> list[dict]:
    return sandbox.control._call("GET", f"/companies/{T}/{what}")


def active_counts(sandbox) -> tuple[int, int]:
    """(customers, non-stock items) a first import brings in: the active ones only."""
    customers = [c for c in raw(sandbox, "customers") if c["status"] != "Inactive"]
    items = [i for i in raw(sandbox, "inventory")
             if not i["stockItem"] and i["status"] not in {"NoSales", "Inactive", "MarkedForDeletion"}]
    return len(customers), len(items)


def place(address: dict) -> tuple[str, str, str]:
    """A deliberately simpler identity than the code's: line, postal code, city."""
    return (" ".join(address["addressLine1"].split()).lower(), address["postalCode"].replace(" ", "").upper(),
            address["city"].lower())


def expected_work_addresses(sandbox) -> int:
    places: dict[str, set] = {}
    for customer in raw(sandbox, "customers"):
        if customer["status"] == "Inactive":
            continue  # not imported by the first import
        own = places.setdefault(customer["number"], set())
        for key in ("mainAddress", "invoiceAddress", "deliveryAddress"):
            if customer.get(key) and customer[key].get("addressLine1"):
                own.add(place(customer[key]))
    for location in raw(sandbox, "locations"):
        if location["active"] and location["baccount"]["number"] in places:
            places[location["baccount"]["number"]].add(place(location["address"]))
    return sum(len(own) for own in places.values())


def newest(records: list[dict]) -> object:
    return max(parse_timestamp(r["lastModifiedDateTime"]) for r in records)


def test_it_imports_the_demo_company_exactly(importing_integration, tenant_a, sandbox):
    customers = raw(sandbox, "customers")
    inventory = raw(sandbox, "inventory")
    non_stock = [i for i in inventory if not i["stockItem"]]
    inactive_statuses = {"NoSales", "Inactive", "MarkedForDeletion"}
    inactive = {c["number"] for c in customers if c["status"] == "Inactive"}
    inactive_items = {i["inventoryNumber"] for i in non_stock if i["status"] in inactive_statuses}
    assert len(customers) == 330 and inactive  # the demo has inactive customers
    with tenant_context(tenant_a):
        sync.first_import(importing_integration)

        # Inactive customers and items are not brought in at all (one summary line each).
        assert Customer.objects.count() == len(customers) - len(inactive)
        assert not Customer.objects.filter(number__in=inactive).exists()
        assert Item.objects.count() == len(non_stock) - len(inactive_items)
        assert len(non_stock) == 150
        assert not Item.objects.filter(number__startswith="VRD-").exists()  # the 30 stock items
        assert ItemGroup.objects.count() == 7
        assert WorkAddress.objects.count() == expected_work_addresses(sandbox)
        assert ContactPerson.objects.filter(customer__number="10003").count() == 3
        assert not Customer.objects.filter(status="inactive").exists()
        arbeid = Item.objects.get(number=demo.ITEM_WORK)
        assert (arbeid.unit, str(arbeid.sales_price), arbeid.group.code) == ("UUR", "62.50", "DIENST")

        integration = Integration.objects.get(pk=importing_integration.pk)
        assert integration.first_import_finished_at is not None
        assert integration.progress_percent == 100
        reported = len(customers) + len(inventory) + len(raw(sandbox, "locations")) + 7
        assert integration.progress_done == integration.progress_total == reported

        states = {s.table: s for s in SyncState.objects.all()}
        assert all(s.first_import_done and s.resume_page == 1 for s in states.values())
        assert states["customers"].watermark == newest(customers)
        assert states["items"].watermark == newest(inventory)
        assert states["work_addresses"].watermark == newest(raw(sandbox, "locations"))
        assert states["item_groups"].watermark is None  # item classes have no modified time

        infos = LogEntry.objects.filter(level=LogLevel.INFO)
        summaries = [(e.table, e.message, e.params) for e in infos.order_by("id")]
        skipped = importlib.import_module("werkbon.integrations.vismanet.sync.first_import").SKIPPED_INACTIVE
        expected_tables = ["customer", "customer", "item", "item_group", "work_address"]
        if inactive_items:
            expected_tables.insert(2, "item")
        assert sorted(t for t, _m, _p in summaries) == sorted(expected_tables)
        assert ("customer", skipped["customers"], {"count": len(inactive)}) in summaries
        if inactive_items:
            assert ("item", skipped["items"], {"count": len(inactive_items)}) in summaries
        assert infos.get(table="customer", message__startswith="First import: %(count)s customers").params == \
            {"count": 330 - len(inactive)}
        assert not infos.filter(message__contains="removed").exists()  # nothing "removed"
        on_hold = {c["number"] for c in customers if c["status"] == "OnHold"}
        warned = set(LogEntry.objects.filter(level=LogLevel.WARNING).values_list("object_ref", flat=True))
        assert warned == on_hold
        assert on_hold and set(Customer.objects.filter(on_hold=True).values_list("number", flat=True)) == on_hold
        assert all(e.company == "Installatietechniek Demo B.V. (4710001)" for e in LogEntry.objects.all())


def test_it_makes_work_addresses_of_main_invoice_delivery_and_active_locations(importing_integration, tenant_a,
                                                                                 sandbox):
    locations = [loc for loc in raw(sandbox, "locations") if loc["locationId"] != "MAIN"]
    inactive = next(loc for loc in locations if not loc["active"])
    active = next(loc for loc in locations if loc["active"])
    with tenant_context(tenant_a):
        sync.first_import(importing_integration)
        addresses = {a.external_key: a for a in WorkAddress.objects.filter(customer__number="10003")}
        assert sorted(addresses) == ["delivery", "invoice", "main"]
        assert (addresses["main"].street, addresses["main"].house_number) == ("Beatrixstraat", "202bis")
        assert (addresses["invoice"].street, addresses["invoice"].city) == ("Postbus", "Zeist")
        assert (addresses["delivery"].postal_code, addresses["delivery"].city) == ("2551 TG", "Den Haag")
        customer = Customer.objects.get(number="10003")
        assert (customer.address_line1, customer.city) == ("Beatrixstraat 202bis", "Utrecht")
        # The MAIN location is the main address: no duplicate.
        assert not WorkAddress.objects.filter(external_key="location:MAIN").exclude(
            street="").filter(customer__number="10001").exists()
        made = WorkAddress.objects.get(customer__number=active["baccount"]["number"],
                                       external_key=f"location:{active['locationId']}")
        assert made.name == active["locationName"] and made.is_active
        assert not WorkAddress.objects.filter(customer__number=inactive["baccount"]["number"],
                                              external_key=f"location:{inactive['locationId']}").exists()


def test_it_lets_work_orders_use_customers_while_the_import_is_halfway(importing_integration, tenant_a, sandbox,
                                                                        monkeypatch):
    from werkbon.workorders import services

    # The package exports the function first_import; the module of the same name is this one.
    module = importlib.import_module("werkbon.integrations.vismanet.sync.first_import")

    plan = module._plan_totals

    def plan_then_break_locations(*args):
        plan(*args)  # the totals are read first; then every location page fails
        sandbox.control.fault("status", path="^/v1/location$", status=500, count=None)

    monkeypatch.setattr(module, "_plan_totals", plan_then_break_locations)
    with tenant_context(tenant_a):
        sync.first_import(importing_integration)  # logs the error and stops in the locations phase
        integration = Integration.objects.get(pk=importing_integration.pk)
        assert integration.first_import_finished_at is None
        assert integration.import_phase == "customers"
        assert 0 < integration.progress_percent < 100
        assert LogEntry.objects.filter(level=LogLevel.ERROR).count() == 1
        order = services.create_work_order(customer=Customer.objects.get(number="10001"), description="Ketel")
        assert order.customer.number == "10001"
