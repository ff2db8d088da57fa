"""Every client operation once, as the integration uses them; shared by the contract tests.

Each step asserts its outcome, so a broken operation fails here and not only in the traffic
check. Write steps make a marked order and invoice (``werkbon-contract-<stamp>``) and delete the
order again at the end (Visma.net has no invoice delete for released invoices; the invoice is
left on hold).
"""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from vismanet import (
    NewCustomerInvoice,
    NewCustomerInvoiceLine,
    NewSalesOrder,
    NewSalesOrderCustomer,
    NewSalesOrderLine,
    NotFoundError,
    SalesOrderLinePatch,
    SalesOrderPatch,
    VismaNetClient,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Written:
    order_type: str
    order_id: str
    invoice_number: str
    order_attachment: str
    invoice_attachment: str


def marker() -> str:
    return "werkbon-contract-" + datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:18]


def read_everything(client: VismaNetClient, *, context_list: bool = True) -> None:
    """All read operations; ``context_list=False`` skips the legacy company list."""
    if context_list:
        # Legacy endpoint, unconfirmed on the new host: a 404 is tolerated as documented.
        with contextlib.suppress(NotFoundError):
            assert client.companies.list(), "context.list returned no company"
    organizations = client.companies.organizations()
    assert organizations and organizations[0].name
    assert client.companies.branches()

    first_two_pages = list(itertools.islice(client.customers.list(page_size=50), 60))
    assert len(first_two_pages) == 60
    assert len({c.number for c in first_two_pages}) == 60
    since = datetime.now(UTC) - timedelta(days=3650)
    changed = list(itertools.islice(client.customers.list(last_modified=since, page_size=20), 5))
    assert changed and all(c.last_modified_date_time >= since for c in changed)

    customer = client.customers.get(first_two_pages[0].number)
    assert customer.number == first_two_pages[0].number
    assert customer.etag
    if customer.internal_id is not None:
        assert client.customers.get_by_internal_id(customer.internal_id).number == customer.number
    # A number no ERP path can carry is looked up through v3 (customer_v3.list); none exists.
    with contextlib.suppress(NotFoundError):
        client.customers.get(f"{customer.number}/?")

    locations = list(client.customer_locations.list_for_customer(customer.number))
    assert locations, "a customer has at least its MAIN location"
    location = client.customer_locations.get(customer.number, locations[0].location_id)
    assert location.location_id == locations[0].location_id
    assert list(itertools.islice(client.customer_locations.list(page_size=20), 3))

    items = list(itertools.islice(client.inventory.list(page_size=40), 45))
    assert len(items) == 45
    item = client.inventory.get(items[0].inventory_number)
    assert item.inventory_number == items[0].inventory_number
    if item.inventory_id is not None:
        by_id = client.inventory.get_by_internal_id(item.inventory_id)
        assert by_id.inventory_number == item.inventory_number

    classes = list(client.item_classes.list())
    assert classes
    assert client.item_classes.get(classes[0].id).id == classes[0].id
    warehouses = list(client.warehouses.list())
    assert warehouses
    assert client.warehouses.get(warehouses[0].warehouse_id).warehouse_id == warehouses[0].warehouse_id
    types = {t.order_type for t in client.sales_order_types.list()}
    assert {"SO"} <= types

    orders = list(itertools.islice(
        client.sales_orders.list(modified_since=since, order_by="lastModified asc", page_size=5), 12
    ))
    modified = [o.last_modified for o in orders]
    assert modified == sorted(modified), "orderBy=lastModified asc"
    by_type = list(itertools.islice(client.sales_orders.list(order_type="SO", page_size=5), 8))
    assert by_type and {o.type for o in by_type} == {"SO"}
    order = client.sales_orders.get("SO", by_type[0].order_id)
    assert order.order_id == by_type[0].order_id and order.etag
    lines = list(client.sales_orders.lines("SO", order.order_id))
    if lines:
        line = client.sales_orders.get_line("SO", order.order_id, lines[0].line_id)
        assert line.line_id == lines[0].line_id

    # A fresh sandbox has no invoices; a real company usually has (get/download then run too).
    invoices = list(itertools.islice(client.customer_invoices.list(expand_attachments=True,
                                                                   page_size=5), 5))
    if invoices:
        assert client.customer_invoices.get(invoices[0].reference_number).reference_number
        attached = [a for i in invoices for a in i.attachments or []]
        if attached:
            assert client.attachments.download(attached[0].id).content is not None


def write_everything(
    client: VismaNetClient, *, customer: str, item: str, warehouse: str, order_type: str = "SO"
) -> Written:
    """Create, change and delete an order; create an invoice; attach files to both."""
    mark = marker()
    created = client.sales_orders.create(NewSalesOrder(
        type=order_type,
        customer=NewSalesOrderCustomer(id=customer, order=mark[:40], ref_no="Contract test"),
        description=f"Werkbon {mark} - contract test",
        note="Created by the Werkbon contract tests",
        status="Hold",
        date=date.today(),
        order_lines=[NewSalesOrderLine(inventory_id=item, quantity=2.5, unit_price=62.5,
                                       has_manual_price=True, warehouse_id=warehouse,
                                       description="Arbeid")],
    ))
    order_id = created.id
    assert order_id
    order = client.sales_orders.get(order_type, order_id)
    assert order.description == f"Werkbon {mark} - contract test"
    assert order.etag

    client.sales_orders.add_lines(order_type, order_id, [
        NewSalesOrderLine(inventory_id=item, quantity=0.5, warehouse_id=warehouse,
                          description="Reistijd"),
        NewSalesOrderLine(inventory_id=item, quantity=1, warehouse_id=warehouse,
                          description="Te verwijderen"),
    ], if_match=order.etag)
    lines = list(client.sales_orders.lines(order_type, order_id))
    assert [line.quantity for line in lines] == [2.5, 0.5, 1]

    order = client.sales_orders.get(order_type, order_id)
    client.sales_orders.patch_lines(order_type, order_id, [
        SalesOrderLinePatch(line_id=lines[1].line_id, quantity=0.75),
    ], if_match=order.etag)
    order = client.sales_orders.get(order_type, order_id)
    client.sales_orders.delete_lines(order_type, order_id, [lines[2].line_id], if_match=order.etag)
    lines = list(client.sales_orders.lines(order_type, order_id))
    assert [line.quantity for line in lines] == [2.5, 0.75]

    order = client.sales_orders.get(order_type, order_id)
    client.sales_orders.patch(order_type, order_id, SalesOrderPatch(note="Gewijzigd"),
                              if_match=order.etag)
    assert client.sales_orders.get(order_type, order_id, expand=["Note"]).note == "Gewijzigd"

    order_attachment = client.attachments.upload_to_sales_order(
        order_type, order_id, filename=f"{mark}.pdf", content=PDF
    ).id
    assert order_attachment
    refs = client.attachments.list_for_sales_order(order_type, order_id)
    assert order_attachment in {ref.id for ref in refs}

    invoice = client.customer_invoices.create(NewCustomerInvoice(
        customer_number=customer, document_date=date.today(), hold=True,
        customer_ref_number=mark[:40], external_reference=f"werkbon:{mark}"[:40],
        invoice_text=f"Werkbon {mark}",
        invoice_lines=[NewCustomerInvoiceLine(inventory_number=item, quantity=2.5,
                                              unit_price_in_currency=62.5, description="Arbeid")],
    ))
    assert invoice.id
    read_back = client.customer_invoices.get(invoice.id)
    assert read_back.customer_ref_number == mark[:40]
    assert read_back.etag
    by_ref = list(client.customer_invoices.list(customer_ref_number=mark[:40]))
    by_external = list(client.customer_invoices.list(external_reference=f"werkbon:{mark}"[:40]))
    assert [i.reference_number for i in by_ref] == [invoice.id]
    assert [i.reference_number for i in by_external] == [invoice.id]

    invoice_attachment = client.attachments.upload_to_customer_invoice(
        invoice.id, filename=f"{mark}.pdf", content=PDF
    ).id
    assert invoice_attachment
    refs = client.attachments.list_for_customer_invoice(invoice.id)
    assert invoice_attachment in {ref.id for ref in refs}
    downloaded = client.attachments.download(invoice_attachment)
    assert downloaded.content == PDF
    assert client.attachments.download(order_attachment).content == PDF

    order = client.sales_orders.get(order_type, order_id)
    client.sales_orders.delete(order_type, order_id, if_match=order.etag)
    try:
        client.sales_orders.get(order_type, order_id)
    except NotFoundError:
        pass
    else:
        raise AssertionError("the deleted order is still there")
    return Written(order_type, order_id, invoice.id, order_attachment, invoice_attachment)
