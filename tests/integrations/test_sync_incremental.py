"""Incremental import against the sandbox over HTTP: changes made through the control API
(as an office user in Visma.net would) arrive in Werkbon; the watermark rules hold."""

from __future__ import annotations

import datetime as dt
import importlib

import httpx
import pytest
from django.utils import timezone

from vismanet_sandbox import demo
from werkbon.integrations.models import LogEntry, LogLevel, SyncState
from werkbon.integrations.vismanet import sync
from werkbon.integrations.vismanet.client import client_for
from werkbon.integrations.vismanet.sync import pipeline
from werkbon.workorders import services
from werkbon.workorders.models import Customer, Item, WorkAddress

pytestmark = pytest.mark.django_db

T = demo.DEMO_TENANT_ID
incremental_module = importlib.import_module("werkbon.integrations.vismanet.sync.incremental")


def state(table: str) -> SyncState:
    return SyncState.objects.get(table=table)


def messages() -> list[str]:
    return sorted(LogEntry.objects.values_list("message", "object_ref").order_by())


def new_customer(number: str, **extra: object) -> dict:
    return {"number": number, "name": f"Nieuwe Klant {number}", "status": "Active",
            "mainAddress": {"addressLine1": "Oudegracht 12", "postalCode": "3511 AB", "city": "Utrecht",
                            "countryId": "NL"}, **extra}


def test_it_imports_a_new_customer_a_renamed_item_and_an_inactive_customer(imported, sandbox):
    sandbox.control.add_customer(T, new_customer("19999"))
    sandbox.control.change_item(T, demo.ITEM_WORK, {"description": "Arbeid monteur (nieuw)"})
    sandbox.control.deactivate_customer(T, "10001")

    sync.incremental(imported)

    added = Customer.objects.get(number="19999")
    assert added.name == "Nieuwe Klant 19999"
    assert WorkAddress.objects.get(customer=added, external_key="main").one_line() == "Oudegracht 12, 3511 AB Utrecht"
    assert Item.objects.get(number=demo.ITEM_WORK).description == "Arbeid monteur (nieuw)"
    assert Customer.objects.get(number="10001").status == "inactive"
    assert {(e.user_message, e.level) for e in LogEntry.objects.all()} >= {
        ("Klant 19999 toegevoegd aan Werkbon", LogLevel.INFO),
        ("Artikel ARBEID bijgewerkt in Werkbon", LogLevel.INFO),
        ("Klant 10001 bijgewerkt in Werkbon", LogLevel.INFO),
    }
    for table in ("customers", "items"):
        assert state(table).last_change_at is not None
        assert state(table).last_run_at >= state(table).last_change_at


def visma_time(moment: dt.datetime) -> bool:
    """Whether ``moment`` is a signpost: an HTTP Date (whole seconds) of the last minute."""
    return moment.microsecond == 0 and abs(timezone.now() - moment) < dt.timedelta(minutes=1)


def test_it_never_loses_a_change_with_the_same_timestamp_as_the_watermark(imported, sandbox):
    # Before the run's signpost (Visma.net's time now) and within the skew the signpost is
    # trusted with (pipeline.SIGNPOST_TRUST): the watermark becomes this stamp.
    moment = (timezone.now() - dt.timedelta(minutes=1)).astimezone(dt.UTC).replace(microsecond=123000)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.123")
    sandbox.control.change_customer(T, "10001", {"name": "Eerste", "lastModifiedDateTime": stamp})
    sync.incremental(imported)
    assert state("customers").watermark == moment

    # A second change, committed in Visma.net after our run, carries the very same time.
    sandbox.control.change_customer(T, "10002", {"name": "Tweede", "lastModifiedDateTime": stamp})
    sync.incremental(imported)

    assert Customer.objects.get(number="10001").name == "Eerste"
    assert Customer.objects.get(number="10002").name == "Tweede"
    assert state("customers").watermark == moment


def test_it_takes_the_watermark_from_visma_net_and_re_reads_the_overlap_harmlessly(imported, sandbox):
    before = state("customers").watermark
    # A change stamped a minute BEFORE the watermark (a slow commit in Visma.net) is in the
    # overlap window; the watermark does not move back, and moves only by Visma.net's clock
    # (the signpost: the HTTP Date of the run's first answer, less the skew it is trusted
    # with, as the demo's stamps are older than that), never to ours.
    sandbox.control.change_customer(T, "10005", {"name": "Laat", "lastModifiedDateTime":
                                                 (before - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]})
    sync.incremental(imported)
    assert Customer.objects.get(number="10005").name == "Laat"
    assert state("customers").watermark >= before
    assert visma_time(state("customers").watermark + pipeline.SIGNPOST_TRUST)

    entries, updated = LogEntry.objects.count(), Customer.objects.get(number="10005").updated_at
    sync.incremental(imported)  # the same window again: nothing changes, nothing is logged
    assert LogEntry.objects.count() == entries
    assert Customer.objects.get(number="10005").updated_at == updated


def test_it_moves_the_watermark_only_with_the_last_page_of_a_run(imported, sandbox, tenant_a):
    sandbox.control.settings(T, maxPageSize=50)
    old = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    SyncState.objects.filter(table="customers").update(watermark=old)  # most customers in the window
    sandbox.control.change_customer(T, "10001", {"name": "Op pagina 1"})

    def fail_on_page_3(request: httpx.Request) -> None:
        if request.url.path == "/v1/customer" and request.url.params.get("pageNumber") == "3":
            raise httpx.ConnectError("cable pulled", request=request)

    http = httpx.Client(event_hooks={"request": [fail_on_page_3]}, timeout=10)
    with client_for(imported, http_client=http) as client, pytest.raises(Exception, match="cable pulled"):
        incremental_module.incremental(client, imported)

    assert Customer.objects.get(number="10001").name == "Op pagina 1"  # page 1 committed
    assert state("customers").watermark == old  # not moved: pages 3… were not read


def test_it_never_imports_a_stock_item_and_removes_one_that_became_stock(imported, sandbox):
    sandbox.control.add_item(T, {"inventoryNumber": "VRD-9000", "description": "Ketel", "type": "FinishedGoodItem",
                                 "status": "Active", "baseUnit": "STK", "salesUnit": "STK", "defaultPrice": 900,
                                 "stockItem": True, "itemClass": {"id": "VOORRAAD", "description": "Voorraad"}})
    sandbox.control.change_item(T, "VRD-2001", {"description": "Gewijzigd voorraadartikel"})
    sandbox.control.change_item(T, "MAT-1001", {"stockItem": True, "type": "FinishedGoodItem"})
    sync.incremental(imported)
    assert not Item.objects.filter(number__in=["VRD-9000", "VRD-2001"]).exists()
    assert not Item.objects.filter(number="MAT-1001").exists()
    entry = LogEntry.objects.get(object_ref="MAT-1001")
    assert entry.user_message == "Artikel MAT-1001 verwijderd uit Werkbon: het is nu een voorraadartikel in Visma.net"


def test_it_deactivates_an_item_that_became_stock_while_an_open_work_order_uses_it(imported, sandbox):
    order = services.create_work_order(customer=Customer.objects.get(number="10002"))
    services.add_material_line(order, item=Item.objects.get(number="MAT-1001"), quantity=2)
    sandbox.control.change_item(T, "MAT-1001", {"stockItem": True})
    sync.incremental(imported)
    assert Item.objects.get(number="MAT-1001").status == "inactive"
    assert LogEntry.objects.get(object_ref="MAT-1001").level == LogLevel.WARNING


def test_it_follows_the_addresses_of_a_customer(imported, sandbox):
    sandbox.control.change_customer(T, "10001", {"deliveryAddress": {
        "addressLine1": "Havenweg 3", "postalCode": "1234 AB", "city": "Zaandam", "countryId": "NL"}})
    sync.incremental(imported)
    delivery = WorkAddress.objects.get(customer__number="10001", external_key="delivery")
    assert (delivery.street, delivery.house_number, delivery.city) == ("Havenweg", "3", "Zaandam")
    assert state("work_addresses").last_change_at is not None

    sandbox.control.change_customer(T, "10001", {"deliveryAddress": None})
    sync.incremental(imported)
    assert not WorkAddress.objects.filter(customer__number="10001", external_key="delivery").exists()


def test_it_adds_an_active_location_once_and_never_a_duplicate_address(imported, sandbox):
    main = WorkAddress.objects.get(customer__number="10001", external_key="main")
    sandbox.control.add_location(T, {"customer": "10001", "locationId": "WERF", "locationName": "Werf",
                                     "address": {"addressLine1": "Werfstraat 1", "postalCode": "9711 AA",
                                                 "city": "Groningen", "countryId": "NL"}, "active": True})
    sandbox.control.add_location(T, {"customer": "10001", "locationId": "KOPIE", "locationName": "Kantoor",
                                     "address": {"addressLine1": f"{main.street} {main.house_number}",
                                                 "postalCode": main.postal_code, "city": main.city,
                                                 "countryId": "NL"}, "active": True})
    sync.incremental(imported)
    sync.incremental(imported)
    keys = sorted(WorkAddress.objects.filter(customer__number="10001").values_list("external_key", flat=True))
    assert keys == ["location:WERF", "main"]
    assert LogEntry.objects.filter(table="work_address", level=LogLevel.INFO).count() == 1


def test_it_removes_an_inactive_locations_work_address_or_deactivates_it_when_used(imported, sandbox):
    for location_id in ("WERF", "LOODS"):
        sandbox.control.add_location(T, {"customer": "10001", "locationId": location_id, "locationName": location_id,
                                         "address": {"addressLine1": f"{location_id.title()}weg 1",
                                                     "postalCode": "9711 AA", "city": "Groningen",
                                                     "countryId": "NL"}, "active": True})
    sync.incremental(imported)
    used = WorkAddress.objects.get(external_key="location:LOODS")
    services.create_work_order(customer=used.customer, work_address=used)
    for location_id in ("WERF", "LOODS"):
        sandbox.control._call("POST", f"/companies/{T}/locations/10001/{location_id}/deactivate")
    sync.incremental(imported)
    assert not WorkAddress.objects.filter(external_key="location:WERF").exists()
    assert WorkAddress.objects.get(external_key="location:LOODS").is_active is False
    assert LogEntry.objects.filter(table="work_address", level=LogLevel.WARNING).count() == 1


def test_it_logs_each_change_but_caps_a_flood_with_a_summary(imported, sandbox):
    for number in range(19000, 19060):
        sandbox.control.add_customer(T, new_customer(str(number)))
    sync.incremental(imported)
    assert Customer.objects.filter(number__startswith="190").count() == 60
    customer_infos = LogEntry.objects.filter(table="customer", level=LogLevel.INFO)
    assert customer_infos.filter(params__count=10).count() == 1  # "10 more changes …"
    assert customer_infos.count() == 51


def test_it_records_when_it_ran_even_without_changes(imported, sandbox):
    before = timezone.now()
    sync.incremental(imported)
    assert all(s.last_run_at >= before for s in SyncState.objects.all())
    assert LogEntry.objects.count() == 0
