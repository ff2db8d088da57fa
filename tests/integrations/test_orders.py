"""Visma.net orders and quotes as work orders (manual 5.10), against the sandbox over HTTP.

Customers and items are put in Werkbon directly (as the import would have), so these tests
exercise only the order import. Orders are created and changed through the v3 API.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Max
from django.utils import timezone, translation

from vismanet import (
    NewSalesOrder,
    NewSalesOrderAddress,
    NewSalesOrderCustomer,
    NewSalesOrderLine,
    NewSalesOrderShipping,
    SalesOrderLinePatch,
    SalesOrderPatch,
)
from vismanet_sandbox import demo
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations import tasks
from werkbon.integrations.models import ExternalLink, Integration, LogEntry, SyncState
from werkbon.integrations.vismanet.client import client_for
from werkbon.integrations.vismanet.orders import import_orders
from werkbon.workorders import services
from werkbon.workorders.models import (
    Customer,
    Item,
    ItemType,
    MaterialLine,
    WorkAddress,
    WorkOrder,
    WorkOrderStatus,
)

from .conftest import make_integration

SEED_SO_CUSTOMERS = ["10001", "10016", "10029", "10043", "10059", "10072", "10088", "10102", "10115", "10130"]
SEED_QT_CUSTOMERS = ["10143", "10158", "10173", "10186", "10201"]
ITEMS = ["ARBEID", "REISTIJD", "VOORRIJDEN", "KST-1135", "MAT-1085", "SRV-1070", "SRV-1006",
         "DEC-1100", "KST-1003", "MAT-1109", "DEC-1136", "SRV-1046", "MAT-1001"]


def add_customer(number: str, **extra: object) -> Customer:
    customer = Customer.objects.create(number=number, name=f"Klant {number}", address_line1="Julianalaan 219",
                                       postal_code="9761 LG", city="Groningen", **extra)
    WorkAddress.objects.create(customer=customer, street="Julianalaan", house_number="219",
                               postal_code="9761 LG", city="Groningen", external_key="main")
    return customer


def add_local_records(customers: list[str]) -> None:
    """What the customer and item import would have stored."""
    for number in customers:
        add_customer(number)
    for number in ITEMS:
        Item.objects.create(number=number, description=number, item_type=ItemType.NON_STOCK)


def order_integration(tenant, **settings: object) -> Integration:
    return make_integration(tenant, **{"order_import": "sales_orders", **settings})


@pytest.fixture
def orders(tenant_a, connect_integration):
    """Tenant A's integration importing sales orders, connected, with the local records."""
    integration = order_integration(tenant_a)
    connect_integration(integration)
    with tenant_context(tenant_a):
        add_local_records(SEED_SO_CUSTOMERS + SEED_QT_CUSTOMERS)
        yield integration


def configure(integration: Integration, **changes: object) -> Integration:
    integration.settings = {**integration.settings, **changes}
    integration.save(update_fields=["settings"])
    return integration


def new_order(integration: Integration, customer: str = "10001", description: str = "Werkbon lekkage",
              lines: list[tuple[str, float]] | None = None, order_type: str = "SO", **extra: object) -> str:
    order = NewSalesOrder(
        type=order_type,
        customer=NewSalesOrderCustomer(id=customer, ref_no="J. de Vries", location_id=extra.pop("location_id", None)),
        description=description,
        order_lines=[NewSalesOrderLine(inventory_id=item, quantity=qty, warehouse_id="HOOFD")
                     for item, qty in (lines if lines is not None else [("MAT-1001", 2)])],
        **extra,
    )
    with client_for(integration) as client:
        return client.sales_orders.create(order).id


def change_order(integration: Integration, order_id: str, order_type: str = "SO", **changes: object) -> None:
    with client_for(integration) as client:
        etag = client.sales_orders.get(order_type, order_id).etag
        client.sales_orders.patch(order_type, order_id, SalesOrderPatch(**changes), if_match=etag)


def linked_work_order(order_id: str, external_type: str = "sales_order", order_type: str = "SO") -> WorkOrder:
    link = ExternalLink.objects.get(external_type=external_type, external_id=f"{order_type}/{order_id}")
    return WorkOrder.objects.get(pk=link.local_id)


def messages(level: str | None = None) -> list[str]:
    """The log's messages as an English user reads them."""
    entries = LogEntry.objects.order_by("id")
    with translation.override("en"):
        return [entry.user_message for entry in (entries.filter(level=level) if level else entries)]


def forget_watermark(integration: Integration) -> None:
    SyncState.objects.filter(integration=integration).update(watermark=None)


@pytest.mark.django_db
def test_it_makes_one_work_order_of_an_order_seen_three_times(orders):
    order_id = new_order(orders)
    for _ in range(3):
        forget_watermark(orders)  # force a full re-read each time
        import_orders(orders)
    links = ExternalLink.objects.filter(external_type="sales_order", external_id=f"SO/{order_id}")
    assert links.count() == 1
    assert WorkOrder.objects.count() == len(SEED_SO_CUSTOMERS) + 1  # the ten seeded orders and ours
    assert ExternalLink.objects.filter(external_type="sales_order").count() == WorkOrder.objects.count()
    work_order = linked_work_order(order_id)
    assert work_order.status == WorkOrderStatus.OPEN
    assert work_order.customer.number == "10001"
    assert work_order.description == "Werkbon lekkage"
    assert work_order.customer_reference == "J. de Vries"
    assert work_order.work_address.external_key == "main"
    assert work_order.material_lines.count() == 1
    assert sum(1 for text in messages() if f"SO {order_id} from Visma.net became work order" in text) == 1


@pytest.mark.django_db
def test_it_takes_the_watermark_from_visma_net_last_modified(orders, sandbox):
    import_orders(orders)
    state = SyncState.objects.get(integration=orders, table="orders:SO")
    newest = max(order["lastModifiedDateTime"] for order in sandbox.control.sales_orders(demo.DEMO_TENANT_ID)
                 if order["type"] == "SO")
    assert state.watermark == dt.datetime.fromisoformat(newest).replace(tzinfo=dt.UTC)
    assert state.watermark < timezone.now() - dt.timedelta(days=1)  # the seed's clock, not ours


@pytest.mark.django_db
def test_it_imports_only_orders_whose_description_contains_the_filter_word(orders):
    configure(orders, order_import_filter_word="WERKBON")
    import_orders(orders)
    imported = {link.external_id for link in ExternalLink.objects.filter(external_type="sales_order")}
    assert imported == {"SO/000101", "SO/000102", "SO/000103"}  # 000103 says "werkbon" in lower case
    skipped = [text for text in messages("info") if "does not contain the filter word" in text]
    assert len(skipped) == 7
    import_orders(orders)  # the overlap re-reads them: no second entry
    assert len([text for text in messages("info") if "filter word" in text]) == 7
    order_id = new_order(orders, description="Vervangen kraan")
    import_orders(orders)
    assert not ExternalLink.objects.filter(external_id=f"SO/{order_id}").exists()


@pytest.mark.django_db
def test_it_takes_order_lines_as_material_lines(orders):
    order_id = new_order(orders, lines=[("ARBEID", 1.5), ("MAT-1001", 3), ("VRD-2001", 2), ("MAT-1005", 1)])
    import_orders(orders)
    work_order = linked_work_order(order_id)
    lines = {line.item.number: line.quantity for line in work_order.material_lines.all()}
    assert lines == {"MAT-1001": Decimal("3")}  # ARBEID is planned time, not material
    warnings = messages("warning")
    assert any(f"Line 3 of order SO {order_id} was skipped: item VRD-2001 is a stock item" in w for w in warnings)
    assert any(f"Line 4 of order SO {order_id} was skipped: item MAT-1005 is not in Werkbon" in w for w in warnings)
    for line in work_order.material_lines.all():
        link = ExternalLink.objects.get(local_type="material_line", local_id=line.pk)
        assert link.external_type == "order_line"
        assert link.external_id == f"SO/{order_id}/{link.data['line_id']}"


@pytest.mark.django_db
def test_it_keeps_a_sales_orders_time_lines_out_of_the_material_lines_and_shows_the_planned_hours(orders):
    order_id = new_order(orders, description="Werkbon storing",
                         lines=[("ARBEID", 2), ("REISTIJD", 0.5), ("MAT-1001", 3)])
    import_orders(orders)
    work_order = linked_work_order(order_id)
    assert {line.item.number: line.quantity for line in work_order.material_lines.all()} == {"MAT-1001": Decimal(3)}
    assert work_order.description == ("Werkbon storing\n\nGepland in Visma.net: 2,00 uur ARBEID\n"
                                      "Gepland in Visma.net: 0,50 uur REISTIJD")
    # No link to the time lines: the export finds them by re-reading the order.
    links = ExternalLink.objects.filter(external_type="order_line", external_id__startswith=f"SO/{order_id}/")
    assert [link.external_id for link in links] == [f"SO/{order_id}/3"]
    assert not messages("warning")  # expected lines, not skipped ones
    forget_watermark(orders)
    import_orders(orders)  # re-read: nothing changes
    work_order.refresh_from_db()
    assert work_order.material_lines.count() == 1
    assert work_order.description.endswith("0,50 uur REISTIJD")


@pytest.mark.django_db
def test_it_leaves_out_the_lines_when_that_setting_is_off(orders):
    configure(orders, order_import_lines=False)
    order_id = new_order(orders, lines=[("MAT-1001", 3)])
    import_orders(orders)
    assert linked_work_order(order_id).material_lines.count() == 0
    assert not ExternalLink.objects.filter(external_type="order_line").exists()


@pytest.mark.django_db
def test_it_imports_quotes_as_work_orders(orders):
    configure(orders, order_import="quotes")
    quote_id = new_order(orders, order_type="QT", description="Offerte dakgoot")
    import_orders(orders)
    links = ExternalLink.objects.filter(local_type="work_order")
    assert {link.external_type for link in links} == {"quote"}
    assert {link.external_id for link in links} == {f"QT/{n}" for n in
                                                    ("000201", "000202", "000203", "000204", "000205", quote_id)}
    work_order = linked_work_order(quote_id, "quote", "QT")
    assert work_order.description == "Offerte dakgoot"
    quoted = linked_work_order("000201", "quote", "QT")
    # The quote's ARBEID and REISTIJD lines are planned hours (in the description), not material.
    assert sorted(quoted.material_lines.values_list("item__number", "quantity")) == [
        ("DEC-1100", Decimal(2)), ("KST-1003", Decimal(4))]
    assert "ARBEID" in quoted.description and "REISTIJD" in quoted.description
    assert any(f"QT {quote_id} from Visma.net became work order {work_order.number}" in m for m in messages())


@pytest.mark.django_db
def test_it_updates_an_open_work_order_when_the_order_changes(orders, tech_a):
    order_id = new_order(orders, lines=[("MAT-1001", 2), ("ARBEID", 1)])
    import_orders(orders)
    work_order = linked_work_order(order_id)
    own_line = services.add_material_line(work_order, item=Item.objects.get(number="VOORRIJDEN"),
                                          quantity=Decimal(1), technician=tech_a)
    with client_for(orders) as client:
        etag = client.sales_orders.get("SO", order_id).etag
        accepted = client.sales_orders.patch("SO", order_id, SalesOrderPatch(description="Werkbon lekkage keuken",
                                                                               customer={"ref_no": "P. Bakker"}),
                                             if_match=etag)
        etag = accepted.etag or client.sales_orders.get("SO", order_id).etag
        accepted = client.sales_orders.patch_lines("SO", order_id, [SalesOrderLinePatch(line_id=1, quantity=5)],
                                                   if_match=etag)
        etag = accepted.etag or client.sales_orders.get("SO", order_id).etag
        accepted = client.sales_orders.delete_lines("SO", order_id, [2], if_match=etag)
        etag = accepted.etag or client.sales_orders.get("SO", order_id).etag
        client.sales_orders.add_lines("SO", order_id, [NewSalesOrderLine(inventory_id="MAT-1109", quantity=1,
                                                                         warehouse_id="HOOFD")], if_match=etag)
    import_orders(orders)
    work_order.refresh_from_db()
    assert work_order.description == "Werkbon lekkage keuken"
    assert work_order.customer_reference == "P. Bakker"
    lines = {line.item.number: line.quantity for line in work_order.material_lines.all()}
    assert lines == {"MAT-1001": Decimal(5), "VOORRIJDEN": Decimal(1), "MAT-1109": Decimal(1)}
    assert MaterialLine.objects.filter(pk=own_line.pk).exists()  # the technician's line stays
    assert not ExternalLink.objects.filter(external_id=f"SO/{order_id}/2").exists()
    assert any(f"Work order {work_order.number} was updated: order SO {order_id} changed" in m for m in messages())
    assert WorkOrder.objects.filter(pk=work_order.pk).count() == 1


@pytest.mark.django_db
def test_it_warns_instead_of_updating_a_planned_work_order(orders, tech_a):
    order_id = new_order(orders)
    import_orders(orders)
    work_order = linked_work_order(order_id)
    services.plan(work_order, technicians=[tech_a], planned_start=timezone.now() + dt.timedelta(days=1))
    change_order(orders, order_id, description="Werkbon heel iets anders")
    import_orders(orders)
    import_orders(orders)  # the same change read again: still one warning
    work_order.refresh_from_db()
    assert work_order.status == WorkOrderStatus.PLANNED
    assert work_order.description == "Werkbon lekkage"
    warnings = [m for m in messages("warning") if "after the work order was planned" in m]
    assert warnings == [f"Order SO {order_id} changed in Visma.net after the work order was planned: "
                        f"check work order {work_order.number}."]


@pytest.mark.django_db
def test_it_says_nothing_when_an_archived_work_orders_order_changes(orders, tech_a, office_a):
    order_id = new_order(orders)
    import_orders(orders)
    work_order = linked_work_order(order_id)
    # an imported order is open: only a planned one can be completed
    services.plan(work_order, technicians=[tech_a], planned_start=timezone.now())
    services.complete(work_order, user=tech_a)
    services.archive(work_order, user=office_a)
    seen = set(LogEntry.objects.values_list("pk", flat=True))
    change_order(orders, order_id, description="Werkbon: teruggeschreven")  # like the export's write-back
    import_orders(orders)
    assert not LogEntry.objects.exclude(pk__in=seen).exists()
    assert ExternalLink.objects.get(external_id=f"SO/{order_id}").data["last_modified"] is not None


@pytest.mark.django_db
def test_it_waits_for_a_customer_that_is_not_in_werkbon_yet(orders):
    configure(orders, order_import_filter_word="nieuwe klant")
    order_id = new_order(orders, customer="10002", description="Nieuwe klant: storing")
    import_orders(orders)
    import_orders(orders)
    assert not ExternalLink.objects.filter(external_type="sales_order").exists()
    waiting = [m for m in messages("warning") if "customer 10002" in m]
    assert waiting == [f"Order SO {order_id} is for customer 10002, which is not (or not active) in Werkbon: "
                       "the work order is made as soon as the customer has been imported."]
    state = SyncState.objects.get(integration=orders, table="orders:SO")
    assert state.watermark is not None  # the order does not hold the watermark back
    add_customer("10002")  # the customer import brings it
    import_orders(orders)
    assert linked_work_order(order_id).customer.number == "10002"
    assert not ExternalLink.objects.filter(external_type="pending_order").exists()


@pytest.mark.django_db
def test_it_uses_the_delivery_location_and_address_as_work_address(orders):
    customer = Customer.objects.get(number="10001")
    location = WorkAddress.objects.create(customer=customer, street="Dorpsstraat", house_number="94a",
                                          postal_code="6711 AA", city="Ede", external_key="location:LOC01")
    address = NewSalesOrderAddress(line1="Industrieweg 7", postal_code="3542 AD", city="Utrecht", country_id="NL")
    typed = new_order(orders, shipping=NewSalesOrderShipping(address=address))
    typed_again = new_order(orders, shipping=NewSalesOrderShipping(address=address))
    same_as_location = new_order(orders, shipping=NewSalesOrderShipping(address=NewSalesOrderAddress(
        line1="Dorpsstraat 94 A", postal_code="6711AA", city="EDE", country_id="NL")))
    import_orders(orders)
    made = linked_work_order(typed).work_address
    assert (made.street, made.house_number, made.postal_code, made.city) == ("Industrieweg", "7", "3542 AD", "Utrecht")
    assert made.customer == customer
    assert linked_work_order(typed_again).work_address == made  # no duplicate
    assert linked_work_order(same_as_location).work_address == location
    assert WorkAddress.objects.filter(customer=customer).count() == 3


@pytest.mark.django_db
def test_it_logs_one_error_when_a_user_must_reconnect(orders, sandbox):
    sandbox.control.expire_tokens(revoke_refresh_tokens=True)
    import_orders(orders)
    import_orders(orders)
    errors = messages("error")
    assert errors == ["Visma.net asks for a new sign-in: orders are not imported until Visma.net is connected "
                      "again."]


@pytest.mark.django_db
def test_it_logs_an_error_with_detail_when_visma_net_fails(orders, sandbox):
    sandbox.control.fault("status", status=500, method="GET", path="/api/v3/SalesOrders", count=None)
    import_orders(orders)
    entry = LogEntry.objects.get(level="error")
    assert entry.table == "order"
    assert messages("error")[0].startswith("Importing orders from Visma.net failed")
    with translation.override("nl"):
        assert entry.user_message.startswith("Het overhalen van orders uit Visma.net is mislukt")
    assert "ServerError" in entry.detail
    assert not WorkOrder.objects.exists()
    assert SyncState.objects.get(integration=orders, table="orders:SO").watermark is None


@pytest.mark.django_db
def test_it_stops_quietly_when_rate_limited(orders, sandbox):
    sandbox.control.fault("status", status=429, retryAfter=120, path="/api/v3/SalesOrders", count=None)
    import_orders(orders)
    assert not LogEntry.objects.filter(level="error").exists()
    orders.refresh_from_db()
    assert orders.paused_until is not None and orders.paused_until > timezone.now()


@pytest.mark.django_db
def test_it_imports_nothing_when_the_setting_says_nothing(orders, sandbox):
    configure(orders, order_import="nothing")
    sandbox.control.clear_requests()
    import_orders(orders)
    assert not WorkOrder.objects.exists()
    assert sandbox.control.request_count(path="SalesOrders") == 0


@pytest.mark.django_db
def test_it_keeps_the_work_order_numbers_gap_free(orders):
    import_orders(orders)
    numbers = WorkOrder.objects.aggregate(Max("number"))["number__max"]
    assert numbers == WorkOrder.objects.count()


@pytest.mark.django_db
def test_it_runs_after_each_incremental_sync(orders):
    """The scheduled job (adapter.incremental_sync) imports orders after the other tables."""
    configure(orders, order_import_filter_word="werkbon")
    tasks.sync_incremental(orders.pk)
    assert {link.external_id for link in ExternalLink.objects.filter(external_type="sales_order")} == {
        "SO/000101", "SO/000102", "SO/000103"}


@pytest.mark.django_db
def test_it_imports_an_order_whose_texts_hold_a_nul(orders):
    """PostgreSQL refuses a NUL in text: the order still becomes a work order (cleaned), once,
    and the next run does not see it as changed."""
    order_id = new_order(orders, description="Werkbon\x00 lekkage", note="Sleutel\x00 bij de buren")
    import_orders(orders)
    work_order = linked_work_order(order_id)
    assert work_order.description == "Werkbon lekkage\n\nSleutel bij de buren"
    forget_watermark(orders)
    import_orders(orders)
    assert ExternalLink.objects.filter(external_type="sales_order", external_id=f"SO/{order_id}").count() == 1
    assert not [text for text in messages("warning") if f"SO {order_id}" in text]


@pytest.mark.django_db
def test_an_order_whose_customer_number_no_database_stores_is_refused_once_with_a_dutch_action(
        orders, monkeypatch):
    """Cleaned, the customer number would name another customer: the order is not imported;
    one warning (not one per run) says what to do, and the other orders go on."""
    from vismanet._resources.sales_orders import SalesOrders

    order_id = new_order(orders)
    real_get = SalesOrders.get

    def with_nul(self, order_type, wanted, **kwargs):
        order = real_get(self, order_type, wanted, **kwargs)
        if wanted == order_id:
            order.customer.id = "100\x0001"
        return order

    monkeypatch.setattr(SalesOrders, "get", with_nul)
    for _ in range(2):
        forget_watermark(orders)
        import_orders(orders)
    assert not ExternalLink.objects.filter(external_id=f"SO/{order_id}").exists()
    assert ExternalLink.objects.filter(external_type="sales_order").count() == len(SEED_SO_CUSTOMERS)
    entries = LogEntry.objects.filter(object_ref=f"SO {order_id}", level="warning")
    assert entries.count() == 1
    with translation.override("nl"):
        assert entries.get().user_message.endswith("bevat een teken dat niet kan worden opgeslagen.")
