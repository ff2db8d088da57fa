"""A work order's history never changes behind the office's back (issue 9, findings 1 and 2).

Visma.net is the master of customers, addresses and items, and they change while work orders
use them. Against the sandbox over HTTP on a real database (the demo company imported):

* an archived work order keeps its customer, work address, material lines and PDFs of the
  moment it was archived, and its export still carries that address;
* an open work order keeps the address, item description and unit that were agreed; the office
  gets a warning with the action and takes the new value with one click;
* a material line keeps the unit it was registered in: the PDF shows it, the export sends it,
  or refuses with the action when Visma.net no longer knows that unit for the item.

The rules are in docs/sync-rules.md ("Master data changes and work orders").
"""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from tests.conftest import PASSWORD
from vismanet_sandbox import demo
from werkbon.integrations import tasks
from werkbon.integrations.models import ExportRecord, ExportStatus, Integration, LogEntry, LogLevel
from werkbon.integrations.vismanet import sync
from werkbon.workorders import history, services
from werkbon.workorders.models import Customer, Item, MaterialLine, WorkAddress, WorkOrder

from .test_orders import orders  # noqa: F401 (fixture)

T = demo.DEMO_TENANT_ID
CUSTOMER = demo.FIRST_CUSTOMER  # 10001, main address Julianalaan 219, 9761 LG Groningen
ITEM = "MAT-1001"  # unit STK in the demo company
OLD_STREET = "Julianalaan 219"
pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def work_order_on(key: str, tech, office=None, *, materials=((ITEM, "2"),)) -> WorkOrder:
    """A planned work order of customer 10001 on its work address ``key`` with one hour of
    work and ``materials``; completed and archived when ``office`` is given."""
    customer = Customer.objects.get(number=CUSTOMER)
    address = WorkAddress.objects.get(customer=customer, external_key=key)
    order = services.create_work_order(customer=customer, work_address=address,
                                       description="CV-ketel onderhoud", customer_reference="PO-1",
                                       technicians=[tech], planned_start=timezone.now())
    services.add_time_entry(order, technician=tech, kind="work", minutes=60, date=timezone.localdate())
    for number, quantity in materials:
        services.add_material_line(order, item=Item.objects.get(number=number), quantity=Decimal(quantity),
                                   technician=tech)
    if office is not None:
        order = services.complete(order, user=tech)
        order = services.archive(order, user=office)
    return order


def office_client(client, office):
    assert client.login(username=office.username, password=PASSWORD)
    return client


def warnings() -> list[tuple[str, str]]:
    """The warning log entries as the office reads them (Dutch): (message, action)."""
    with translation.override("nl"):
        return [(e.user_message, e.user_action)
                for e in LogEntry.objects.filter(level=LogLevel.WARNING).order_by("id")]


def location(location_id: str, street: str) -> dict:
    """A new active location of customer 10001 for the sandbox's control API."""
    return {"customer": CUSTOMER, "locationId": location_id, "locationName": "Werf", "active": True,
            "address": {"addressLine1": street, "postalCode": "9711 AA", "city": "Groningen", "countryId": "NL"}}


# ---- finding 1: addresses rewrite history ----------------------------------------------------

def test_an_archived_work_order_keeps_its_customer_address_lines_and_pdf_whatever_changes_in_visma_net(
        imported, sandbox, client, office_a, tech_a):
    sandbox.control.add_location(T, location("WERF", "Werfstraat 1"))
    sync.incremental(imported)
    on_main = work_order_on("main", tech_a, office_a)
    on_location = work_order_on("location:WERF", tech_a, office_a)
    office = office_client(client, office_a)
    before = {order.pk: (history.archived_content(order), office.get(reverse("workorders:pdf", args=[order.pk])).content,
                         office.get(reverse("workorders:detail", args=[order.pk])).content.decode())
              for order in (on_main, on_location)}
    assert before[on_main.pk][0].pdfs["work_order"] == before[on_main.pk][1]  # the stored bytes are served
    assert OLD_STREET in before[on_main.pk][2] and "Werfstraat 1" in before[on_location.pk][2]

    sandbox.control.change_customer(T, CUSTOMER, {
        "name": "Nieuwe Naam B.V.",
        "mainAddress": {"addressLine1": "Nieuwe Markt 5", "postalCode": "9712 AB", "city": "Groningen",
                        "countryId": "NL"}})
    sandbox.control.change_location(T, CUSTOMER, "WERF", {"address": {
        "addressLine1": "Havenkade 7", "postalCode": "9711 AA", "city": "Groningen", "countryId": "NL"}})
    sandbox.control.change_item(T, ITEM, {"description": "Slang (nieuw)", "baseUnit": "DOOS", "salesUnit": "DOOS",
                                          "purchaseUnit": "DOOS"})
    sync.incremental(imported)
    # Werkbon follows Visma.net for its master data ...
    assert WorkAddress.objects.get(customer__number=CUSTOMER, external_key="main").street == "Nieuwe Markt"
    assert WorkAddress.objects.get(external_key="location:WERF").street == "Havenkade"
    assert Item.objects.get(number=ITEM).unit == "DOOS"
    assert Customer.objects.get(number=CUSTOMER).name == "Nieuwe Naam B.V."
    # ... and the archived work orders are what they were when they were archived.
    for order in (on_main, on_location):
        content, pdf, _page = before[order.pk]
        order.refresh_from_db()
        assert history.archived_content(order) == content
        assert office.get(reverse("workorders:pdf", args=[order.pk])).content == pdf
        now = office.get(reverse("workorders:detail", args=[order.pk])).content.decode()
        assert "Nieuwe Markt" not in now and "Havenkade" not in now and "Nieuwe Naam" not in now
        assert "DOOS" not in now and "Slang (nieuw)" not in now
    assert content.customer_name != "Nieuwe Naam B.V." and content.lines[0].unit == "STK"
    assert "Julianalaan" in before[on_main.pk][0].work_address
    # Nobody needs to check an archived work order: no warning about them.
    assert not [m for m, _a in warnings() if "werkbon" in m.lower()], warnings()


@pytest.mark.parametrize(("key", "change", "new_street", "what"), [
    ("delivery", {"deliveryAddress": {"addressLine1": "Zeeweg 30", "postalCode": "1234 AB", "city": "Zaandam",
                                      "countryId": "NL"}}, "Zeeweg", "het afleveradres van klant 10001"),
    ("location:WERF", None, "Havenkade", "het adres van locatie WERF van klant 10001"),
])
def test_an_open_work_order_keeps_its_address_warns_and_takes_the_new_one_with_one_click(
        imported, sandbox, client, office_a, tech_a, key, change, new_street, what):
    sandbox.control.change_customer(T, CUSTOMER, {"deliveryAddress": {
        "addressLine1": "Havenweg 3", "postalCode": "1234 AB", "city": "Zaandam", "countryId": "NL"}})
    sandbox.control.add_location(T, location("WERF", "Werfstraat 1"))
    sync.incremental(imported)
    order = work_order_on(key, tech_a)
    agreed = order.address.one_line()
    LogEntry.objects.all().delete()

    if change is not None:
        sandbox.control.change_customer(T, CUSTOMER, change)
    else:
        sandbox.control.change_location(T, CUSTOMER, "WERF", {"address": {
            "addressLine1": "Havenkade 7", "postalCode": "9711 AA", "city": "Groningen", "countryId": "NL"}})
    sync.incremental(imported)
    order.refresh_from_db()
    assert order.address.one_line() == agreed  # kept what was agreed
    assert new_street not in pdf_text(history.work_order_pdf(order))
    assert (f"Controleer werkbon {order.number}: {what} is gewijzigd in Visma.net",
            "Open de werkbon en neem het nieuwe adres over met één klik, of laat het afgesproken adres staan.") \
        in warnings()

    office = office_client(client, office_a)
    page = office.get(reverse("workorders:detail", args=[order.pk])).content.decode()
    assert 'data-testid="take-new-address"' in page and new_street in page
    assert "Gewijzigde stamgegevens" in page and "Nieuw werkadres overnemen" in page
    response = office.post(reverse("workorders:take_new_address", args=[order.pk]))
    assert response.status_code == 302
    order.refresh_from_db()
    assert new_street in order.address.one_line()
    assert new_street in pdf_text(history.work_order_pdf(order))
    page = office.get(reverse("workorders:detail", args=[order.pk])).content.decode()
    assert 'data-testid="take-new-address"' not in page


def test_the_export_of_a_work_order_archived_before_an_address_change_carries_the_old_address(
        imported, sandbox, office_a, tech_a):
    order = work_order_on("main", tech_a, office_a)
    stored_pdf = history.archived_content(order).pdfs["work_order"]
    record = ExportRecord.objects.get(work_order_number=order.number)
    sandbox.control.change_customer(T, CUSTOMER, {"mainAddress": {
        "addressLine1": "Nieuwe Markt 5", "postalCode": "9712 AB", "city": "Groningen", "countryId": "NL"}})
    sync.incremental(imported)

    tasks.export_work_order(record.pk)
    record = ExportRecord.objects.get(pk=record.pk)
    assert record.status == ExportStatus.SENT, list(LogEntry.objects.values_list("message", "params"))
    [document] = [o for o in sandbox.control.sales_orders(T) if ours(o["customer"].get("order"), order.number)]
    assert document["note"].startswith(f"Werkadres: {OLD_STREET}, 9761 LG Groningen\n"), document["note"]
    assert "Nieuwe Markt" not in document["note"]
    [attachment] = [a for a in sandbox.control.attachments(T) if a["name"] == f"werkbon-{order.number}.pdf"]
    assert hashlib.sha256(sandbox.control.attachment_bytes(T, attachment["id"])).digest() == \
        hashlib.sha256(stored_pdf).digest()


# ---- finding 2: a unit change changes the bill -------------------------------------------------

def test_a_material_line_keeps_the_unit_it_was_registered_in_warns_and_takes_the_new_one_with_one_click(
        imported, sandbox, client, office_a, tech_a):
    order = work_order_on("main", tech_a)
    [line] = order.material_lines.all()
    assert (line.item_number, line.unit, line.quantity) == (ITEM, "STK", Decimal(2))
    LogEntry.objects.all().delete()

    sandbox.control.change_item(T, ITEM, {"description": "Flexibele slang (doos van 10)", "baseUnit": "DOOS",
                                          "salesUnit": "DOOS", "purchaseUnit": "DOOS"})
    sync.incremental(imported)
    line.refresh_from_db()
    assert (line.unit, line.quantity, line.description) == ("STK", Decimal(2), 'Flexibele slang 1/2" 22 cm')
    text = pdf_text(history.work_order_pdf(order))
    assert "STK" in text and "DOOS" not in text
    found = warnings()
    assert (f"Controleer werkbon {order.number}: de eenheid van artikel {ITEM} is in Visma.net gewijzigd van STK "
            "in DOOS",
            "Controleer de hoeveelheid en neem de nieuwe eenheid over met één klik op de werkbon, of laat de "
            "geregistreerde eenheid staan.") in found, found
    assert any(m == f"Controleer werkbon {order.number}: de omschrijving van artikel {ITEM} is gewijzigd in "
               "Visma.net" for m, _a in found), found

    office = office_client(client, office_a)
    page = office.get(reverse("workorders:detail", args=[order.pk])).content.decode()
    assert f'data-testid="take-new-item-{line.pk}"' in page
    assert "2 STK geregistreerd; de eenheid is nu DOOS: controleer de hoeveelheid." in page
    office.post(reverse("workorders:take_new_item_values", args=[order.pk, line.pk]))
    line.refresh_from_db()
    assert (line.unit, line.description, line.quantity) == ("DOOS", "Flexibele slang (doos van 10)", Decimal(2))


def ours(marker: str | None, number: int) -> bool:
    """Whether a document's marker is the export's for work order ``number`` ("Werkbon 12",
    or with the tenant's token, "Werkbon 12 (K7Q2M9-4QXA)")."""
    return (marker or "") == f"Werkbon {number}" or (marker or "").startswith(f"Werkbon {number} (")


def sales_order_of(sandbox, number: int) -> dict:
    [document] = [o for o in sandbox.control.sales_orders(T) if ours(o["customer"].get("order"), number)]
    return document


def invoice_of(sandbox, number: int) -> dict:
    [document] = [i for i in sandbox.control.invoices(T) if ours(i.get("externalReference"), number)]
    return document


@pytest.mark.parametrize("target", ["sales_order", "customer_invoice"])
def test_the_export_sends_the_unit_a_material_line_was_registered_in(imported, sandbox, office_a, tech_a, target):
    Integration.objects.filter(pk=imported.pk).update(settings={**imported.settings, "target": target})
    order = work_order_on("main", tech_a, office_a)
    # The sales unit changes after the work was registered; Visma.net still knows STK (base unit).
    sandbox.control.change_item(T, ITEM, {"salesUnit": "DOOS", "purchaseUnit": "DOOS"})
    record = ExportRecord.objects.get(work_order_number=order.number)
    tasks.export_work_order(record.pk)
    record.refresh_from_db()
    assert record.status == ExportStatus.SENT, list(LogEntry.objects.values_list("message", "params"))
    if target == "sales_order":
        lines = [(ln["inventoryId"], ln["quantity"], ln["unitOfMeasure"]) for ln in sales_order_of(sandbox, order.number)["lines"]]
    else:
        lines = [(ln["inventoryNumber"], ln["quantity"], ln["uom"]) for ln in invoice_of(sandbox, order.number)["lines"]]
    assert (ITEM, 2.0, "STK") in lines, lines
    assert history.registered_lines(order) == ((f"m{order.material_lines.get().pk}", ITEM, Decimal(2), "STK"),)


def test_the_export_refuses_a_unit_visma_net_no_longer_knows_with_the_action(imported, sandbox, office_a, tech_a):
    order = work_order_on("main", tech_a, office_a)
    sandbox.control.change_item(T, ITEM, {"baseUnit": "DOOS", "salesUnit": "DOOS", "purchaseUnit": "DOOS"})
    record = ExportRecord.objects.get(work_order_number=order.number)
    tasks.export_work_order(record.pk)
    record.refresh_from_db()
    assert record.status == ExportStatus.FAILED
    assert not [o for o in sandbox.control.sales_orders(T) if ours(o["customer"].get("order"), order.number)]
    with translation.override("nl"):
        [entry] = LogEntry.objects.filter(level=LogLevel.ERROR, export=record)
        assert entry.user_message == (f"Artikel {ITEM} staat op werkbon {order.number} in de eenheid STK, maar "
                                      "Visma.net kent die eenheid niet (meer) voor dit artikel (wel: DOOS).")
        assert entry.user_action == ("Voeg de eenheid STK weer toe aan het artikel in Visma.net (basis-, verkoop- "
                                     "of inkoopeenheid) en klik daarna op Opnieuw.")
    assert MaterialLine.objects.get(work_order=order).unit == "STK"  # the quantity is never sent in another unit


def test_the_mapping_sends_each_material_line_in_its_registered_unit_and_checks_those_units():
    from werkbon.integrations.vismanet.config import VismaNetSettings
    from werkbon.integrations.vismanet.mapping import outbound

    from .conftest import DEFAULT_SETTINGS

    facts = outbound.WorkOrderFacts(number=12, customer_number=CUSTOMER, work_minutes=60, materials=(
        outbound.MaterialFact("m1", ITEM, Decimal(2), "", "STK"), outbound.MaterialFact("m2", "KST-1003", Decimal(1))))
    plan = outbound.plan_document(facts, VismaNetSettings.model_validate(DEFAULT_SETTINGS))
    assert plan.item_units == {ITEM: ["STK"]}  # the work-time line and a line without a unit: Visma.net's own
    order = outbound.to_sales_order(plan, order_type="SO", warehouse="HOOFD")
    assert [(ln.inventory_id, ln.quantity, ln.unit_of_measure) for ln in order.order_lines] == [
        (demo.ITEM_WORK, 1.0, None), (ITEM, 2.0, "STK"), ("KST-1003", 1.0, None)]
    invoice = outbound.to_customer_invoice(plan)
    assert [(ln.inventory_number, ln.quantity, ln.uom) for ln in invoice.invoice_lines] == [
        (demo.ITEM_WORK, 1.0, None), (ITEM, 2.0, "STK"), ("KST-1003", 1.0, None)]


def test_the_write_back_puts_a_material_lines_registered_unit_on_the_order_line_it_came_from(
        orders, sandbox, tech_a, office_a):  # noqa: F811
    from werkbon.integrations.vismanet.orders import import_orders

    from .test_orders import linked_work_order, new_order

    Item.objects.filter(number=ITEM).update(unit="STK")  # as the item import stores it
    order_id = new_order(orders, lines=[(ITEM, 4)])  # 4 STK, the item's sales unit
    import_orders(orders)
    work_order = linked_work_order(order_id)
    [line] = work_order.material_lines.all()
    assert (line.quantity, line.unit) == (Decimal(4), "STK")
    # Visma.net sells the item per box now; the office checks the work order and takes it.
    sandbox.control.change_item(T, ITEM, {"salesUnit": "DOOS"})
    Item.objects.filter(number=ITEM).update(unit="DOOS")
    history.take_new_item_values(work_order, line)
    services.plan(work_order, technicians=[tech_a], planned_start=timezone.now())
    services.complete(work_order, user=tech_a)
    services.archive(work_order, user=office_a)
    record = ExportRecord.objects.get(work_order_number=work_order.number)
    tasks.export_work_order(record.pk)
    record.refresh_from_db()
    assert record.status == ExportStatus.SENT, list(LogEntry.objects.values_list("message", "params"))
    order = sandbox.control.sales_order(T, "SO", order_id)
    assert [(ln["inventoryId"], ln["quantity"], ln["unitOfMeasure"]) for ln in order["lines"]] == [(ITEM, 4.0, "DOOS")]


def test_a_material_line_made_from_an_order_line_is_registered_in_that_lines_unit(
        orders, sandbox, tech_a, office_a):  # noqa: F811
    from vismanet import NewSalesOrder, NewSalesOrderCustomer, NewSalesOrderLine
    from werkbon.integrations.vismanet.client import client_for
    from werkbon.integrations.vismanet.orders import import_orders

    from .test_orders import linked_work_order

    Item.objects.filter(number=ITEM).update(unit="STK")  # the item's sales unit
    sandbox.control.change_item(T, ITEM, {"purchaseUnit": "DOOS"})  # Visma.net knows DOOS for it too
    with client_for(orders) as client:  # the office sells 4 boxes on the order
        order_id = client.sales_orders.create(NewSalesOrder(
            type="SO", customer=NewSalesOrderCustomer(id=CUSTOMER), description="Dozen slangen",
            order_lines=[NewSalesOrderLine(inventory_id=ITEM, quantity=4, unit_of_measure="DOOS",
                                           warehouse_id="HOOFD")])).id
    import_orders(orders)
    work_order = linked_work_order(order_id)
    [line] = work_order.material_lines.all()
    assert (line.quantity, line.unit) == (Decimal(4), "DOOS")
    services.plan(work_order, technicians=[tech_a], planned_start=timezone.now())
    services.complete(work_order, user=tech_a)
    services.archive(work_order, user=office_a)
    record = ExportRecord.objects.get(work_order_number=work_order.number)
    tasks.export_work_order(record.pk)
    record.refresh_from_db()
    assert record.status == ExportStatus.SENT, list(LogEntry.objects.values_list("message", "params"))
    order = sandbox.control.sales_order(T, "SO", order_id)
    assert [(ln["inventoryId"], ln["quantity"], ln["unitOfMeasure"]) for ln in order["lines"]] == [(ITEM, 4.0, "DOOS")]
