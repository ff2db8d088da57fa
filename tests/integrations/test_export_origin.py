"""Work orders made from a Visma.net sales order or quote (issue 5, manual 5.10): the export
writes back to the originating order, or refers to the quote, without duplicating a line."""

from __future__ import annotations

import pytest

from vismanet import NewSalesOrder, NewSalesOrderCustomer, NewSalesOrderLine
from vismanet_sandbox import demo
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.models import ExportRecord, ExportStatus, ExternalLink, LogEntry, LogLevel
from werkbon.integrations.vismanet.client import client_for
from werkbon.workorders import services
from werkbon.workorders.models import MaterialLine

from .conftest import archived_work_order
from .test_export import TENANT, configure, documents, run


def link_order(work_order, order_type: str, order_id: str, external_type: str = "sales_order") -> None:
    ExternalLink.objects.create(kind="vismanet", local_type="work_order", local_id=work_order.pk,
                                external_type=external_type, external_id=f"{order_type}/{order_id}",
                                data={"order_type": order_type, "order_id": order_id, "last_modified": None})


def link_line(material_line_pk: int, order_type: str, order_id: str, line_id: int) -> None:
    ExternalLink.objects.create(kind="vismanet", local_type="material_line", local_id=material_line_pk,
                                external_type="order_line", external_id=f"{order_type}/{order_id}/{line_id}",
                                data={"line_id": line_id})


def work_order_from_so_000101(office, tech):
    """Like the order import makes it: SO 000101's lines (1 ARBEID 0.5, 2 REISTIJD 4) are
    planned time, not material lines; the technician added MAT-1001 × 2 and registered
    90 min work and 30 min travel."""
    order = archived_work_order(office, tech, work=(90,), travel=(30,), archive=False,
                                materials=(("MAT-1001", "2"),))
    link_order(order, "SO", "000101")
    return services.archive(order, user=office), list(order.material_lines.order_by("id"))


def legacy_work_order_from_so_000101(office, tech):
    """As an earlier version imported SO 000101: its time lines as linked material lines;
    the technician changed line 1 to 1.5, removed line 2, added MAT-1001 × 2 and registered
    90 min work and 30 min travel."""
    order = archived_work_order(office, tech, work=(90,), travel=(30,), archive=False,
                                materials=(("ARBEID", "1.5"), ("REISTIJD", "4"), ("MAT-1001", "2")))
    lines = list(order.material_lines.order_by("id"))
    link_order(order, "SO", "000101")
    link_line(lines[0].pk, "SO", "000101", 1)
    link_line(lines[1].pk, "SO", "000101", 2)
    MaterialLine.objects.filter(pk=lines[1].pk).delete()
    return services.archive(order, user=office), lines


def order_lines(sandbox) -> list[tuple]:
    order = sandbox.control.sales_order(TENANT, "SO", "000101")
    return [(ln["lineId"], ln["inventoryId"], ln["quantity"], ln.get("note")) for ln in order["lines"]]


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["sales_order", "customer_invoice"])
def test_it_writes_back_to_the_originating_sales_order(vismanet_integration, sandbox, tenant_a, office_a, tech_a,
                                                       target):
    configure(vismanet_integration, target=target, default_item_enabled=True, default_item=demo.ITEM_CALLOUT)
    orders_before = len(sandbox.control.sales_orders(TENANT))
    with tenant_context(tenant_a):
        order, lines = work_order_from_so_000101(office_a, tech_a)
        record = run(ExportRecord.objects.get(work_order_number=order.number))
    assert record.status == ExportStatus.SENT
    assert record.document_number == "SO 000101" and record.document_type == "sales_order"
    n = order.number
    assert order_lines(sandbox) == [
        (1, "ARBEID", 1.5, None), (2, "REISTIJD", 0.5, None),  # the hours on the order's own time lines
        (3, "MAT-1001", 2.0, f"Werkbon {n} [m{lines[0].pk}]"), (4, demo.ITEM_CALLOUT, 1.0, f"Werkbon {n} [default]"),
    ]
    assert len(sandbox.control.sales_orders(TENANT)) == orders_before  # no second order
    assert sandbox.control.invoices(TENANT) == []
    assert [a["name"] for a in sandbox.control.attachments(TENANT)] == [f"werkbon-{n}.pdf"]
    info = LogEntry.all_tenants.get(export=record, level=LogLevel.INFO)
    assert info.params["changed"] == 2 and info.params["added"] == 2


@pytest.mark.django_db
def test_it_puts_the_hours_on_the_time_lines_of_a_work_order_imported_by_an_earlier_version(
        vismanet_integration, sandbox, tenant_a, office_a, tech_a):
    """Time lines an earlier version imported as linked material lines are superseded by the
    registered hours: not written as material, no extra time line."""
    with tenant_context(tenant_a):
        order, lines = legacy_work_order_from_so_000101(office_a, tech_a)
        record = run(ExportRecord.objects.get(work_order_number=order.number))
    assert record.status == ExportStatus.SENT
    n = order.number
    assert order_lines(sandbox) == [
        (1, "ARBEID", 1.5, None), (2, "REISTIJD", 0.5, None),
        (3, "MAT-1001", 2.0, f"Werkbon {n} [m{lines[2].pk}]"),
    ]


@pytest.mark.django_db
def test_it_never_duplicates_a_written_back_line_after_a_lost_answer(vismanet_integration, sandbox, tenant_a,
                                                                     office_a, tech_a, settings):
    settings.VISMANET_EXPORT_RETRY_WINDOW_SECONDS = 0
    sandbox.control.fault("drop_after_write", method="POST", path="SalesOrders/SO/000101/lines", count=1)
    with tenant_context(tenant_a):
        order, _lines = work_order_from_so_000101(office_a, tech_a)
        record = run(ExportRecord.objects.get(work_order_number=order.number))
    assert record.status == ExportStatus.QUEUED  # ambiguous: the lines may have been added
    assert len(order_lines(sandbox)) == 3  # it was
    record = run(record)
    assert record.status == ExportStatus.SENT
    assert len(order_lines(sandbox)) == 3  # re-read and recognised by its tag: nothing added twice


@pytest.mark.django_db
def test_it_never_duplicates_a_time_line_it_added_to_an_order_without_one(vismanet_integration, sandbox,
                                                                          tenant_a, office_a, tech_a, settings):
    settings.VISMANET_EXPORT_RETRY_WINDOW_SECONDS = 0
    with client_for(vismanet_integration) as client:
        order_id = client.sales_orders.create(NewSalesOrder(
            type="SO", customer=NewSalesOrderCustomer(id=demo.FIRST_CUSTOMER), description="Werkbon kraan",
            order_lines=[NewSalesOrderLine(inventory_id="MAT-1001", quantity=2, warehouse_id="HOOFD")])).id
    sandbox.control.fault("drop_after_write", method="POST", path=f"SalesOrders/SO/{order_id}/lines", count=1)
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a, work=(135,), travel=(20,), materials=(), archive=False)
        link_order(order, "SO", order_id)
        order = services.archive(order, user=office_a)
        record = run(ExportRecord.objects.get(work_order_number=order.number))
        assert record.status == ExportStatus.QUEUED  # ambiguous: the time lines may have been added
        record = run(record)
    assert record.status == ExportStatus.SENT
    lines = sandbox.control.sales_order(TENANT, "SO", order_id)["lines"]
    n = order.number
    assert [(ln["inventoryId"], ln["quantity"], ln.get("note")) for ln in lines] == [
        ("MAT-1001", 2.0, None), ("ARBEID", 2.25, f"Werkbon {n} [work]"), ("REISTIJD", 0.33, f"Werkbon {n} [travel]")]


@pytest.mark.django_db
def test_it_refuses_to_write_back_to_a_closed_order(vismanet_integration, sandbox, tenant_a, office_a, tech_a,
                                                     monkeypatch):
    from werkbon.integrations.vismanet.export import write_back

    # The sandbox cannot complete an order; SO 000101 is Hold, so treat Hold as closed here.
    monkeypatch.setattr(write_back, "CLOSED_ORDER_STATUSES", {"hold"})
    with tenant_context(tenant_a):
        order, _lines = work_order_from_so_000101(office_a, tech_a)
        record = run(ExportRecord.objects.get(work_order_number=order.number))
    assert record.status == ExportStatus.FAILED
    (entry,) = LogEntry.all_tenants.filter(export=record, level=LogLevel.ERROR)
    assert entry.params["status"] == "Hold" and "press Retry" in entry.action


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["sales_order", "customer_invoice"])
def test_it_makes_a_new_document_that_refers_to_the_quote(vismanet_integration, sandbox, tenant_a, office_a, tech_a,
                                                          target):
    configure(vismanet_integration, target=target)
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a, archive=False)
        link_order(order, "QT", "000201", external_type="quote")
        services.archive(order, user=office_a)
        record = run(ExportRecord.objects.get(work_order_number=order.number))
    assert record.status == ExportStatus.SENT
    (doc,) = documents(sandbox, target, record.marker)
    if target == "sales_order":
        assert doc["original"] == ("QT", "000201")
    assert "offerte QT 000201" in doc["description"]
    quote = sandbox.control.sales_order(TENANT, "QT", "000201")
    assert len(quote["lines"]) == 4  # the quote itself is left alone
