"""An order's full round trip: Visma.net sales order → work order → archived → written back
to that same sales order (issue 5 "Orders and quotes"), against the sandbox over HTTP."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from vismanet_sandbox import demo
from werkbon.integrations import tasks
from werkbon.integrations.models import ExportRecord, ExportStatus, LogEntry
from werkbon.integrations.vismanet.orders import import_orders
from werkbon.workorders import services
from werkbon.workorders.models import Item, MaterialLine, TimeKind

from .test_orders import linked_work_order, new_order, orders  # noqa: F401 (fixture)


def sales_orders(sandbox) -> list[dict]:
    return [o for o in sandbox.control.sales_orders(demo.DEMO_TENANT_ID) if o["type"] == "SO"]


def write_back(sandbox, work_order, order_id: str, technician, office) -> dict:
    """Complete and archive ``work_order`` and export it: it must be sent to the sales order
    it came from, without making a second one. Returns that sales order as the sandbox has it."""
    services.complete(work_order, user=technician)
    services.archive(work_order, user=office)
    count_before = len(sales_orders(sandbox))

    record = ExportRecord.objects.get(work_order_number=work_order.number)
    tasks.export_work_order(record.pk)
    record.refresh_from_db()
    assert record.status == ExportStatus.SENT, list(LogEntry.objects.values_list("message", "detail"))
    assert record.document_number == f"SO {order_id}"
    assert len(sales_orders(sandbox)) == count_before  # the same order, no second one
    return sandbox.control.sales_order(demo.DEMO_TENANT_ID, "SO", order_id)


@pytest.mark.django_db
def test_it_writes_a_work_order_back_to_the_sales_order_it_came_from(orders, sandbox, tech_a, office_a):  # noqa: F811
    order_id = new_order(orders, lines=[("MAT-1001", 4), ("MAT-1109", 1)])
    import_orders(orders)
    work_order = linked_work_order(order_id)
    services.plan(work_order, technicians=[tech_a], planned_start=timezone.now() + dt.timedelta(hours=1))
    from_order = {line.item.number: line for line in work_order.material_lines.all()}
    # The technician used 3 of the 4 planned, none of the other, and one item more.
    MaterialLine.objects.filter(pk=from_order["MAT-1001"].pk).update(quantity=Decimal(3))
    from_order["MAT-1109"].delete()
    services.add_material_line(work_order, item=Item.objects.get(number="KST-1135"), quantity=Decimal(2),
                               technician=tech_a)
    services.add_time_entry(work_order, technician=tech_a, kind=TimeKind.WORK, minutes=90,
                            date=timezone.localdate())
    order = write_back(sandbox, work_order, order_id, tech_a, office_a)
    lines = sorted((line["inventoryId"], line["quantity"]) for line in order["lines"])
    assert lines == [("ARBEID", 1.5), ("KST-1135", 2.0), ("MAT-1001", 3.0), ("MAT-1109", 0.0)]

    # The write-back changed the order in Visma.net: the next import says nothing about it.
    seen = set(LogEntry.objects.values_list("pk", flat=True))
    import_orders(orders)
    assert not LogEntry.objects.exclude(pk__in=seen).filter(level__in=["warning", "error"]).exists()
    assert work_order.material_lines.count() == 2


@pytest.mark.django_db
def test_it_puts_the_hours_on_the_orders_own_time_lines(orders, sandbox, tech_a, office_a):  # noqa: F811
    """No double billing: the order's planned ARBEID and REISTIJD lines get the hours actually
    registered; no second ARBEID/REISTIJD line, no second order."""
    order_id = new_order(orders, lines=[("ARBEID", 2), ("REISTIJD", 0.5), ("MAT-1001", 4)])
    before = {line["inventoryId"]: line["lineId"]
              for line in sandbox.control.sales_order(demo.DEMO_TENANT_ID, "SO", order_id)["lines"]}
    import_orders(orders)
    work_order = linked_work_order(order_id)
    assert [line.item.number for line in work_order.material_lines.all()] == ["MAT-1001"]
    assert "Gepland in Visma.net: 2,00 uur ARBEID" in work_order.description
    services.plan(work_order, technicians=[tech_a], planned_start=timezone.now() + dt.timedelta(hours=1))
    services.add_time_entry(work_order, technician=tech_a, kind=TimeKind.WORK, minutes=135,
                            date=timezone.localdate())
    services.add_time_entry(work_order, technician=tech_a, kind=TimeKind.TRAVEL, minutes=20,
                            date=timezone.localdate())
    order = write_back(sandbox, work_order, order_id, tech_a, office_a)
    lines = sorted((line["lineId"], line["inventoryId"], line["quantity"]) for line in order["lines"])
    assert lines == [(before["ARBEID"], "ARBEID", 2.25), (before["REISTIJD"], "REISTIJD", 0.33),
                     (before["MAT-1001"], "MAT-1001", 4.0)]  # the same line ids, nothing added


@pytest.mark.django_db
def test_it_sets_the_orders_time_line_to_zero_when_no_time_was_registered(orders, sandbox, tech_a,  # noqa: F811
                                                                          office_a):
    order_id = new_order(orders, lines=[("ARBEID", 2), ("REISTIJD", 0.5)])
    import_orders(orders)
    work_order = linked_work_order(order_id)
    services.plan(work_order, technicians=[tech_a], planned_start=timezone.now() + dt.timedelta(hours=1))
    services.add_time_entry(work_order, technician=tech_a, kind=TimeKind.WORK, minutes=60,
                            date=timezone.localdate())
    services.complete(work_order, user=tech_a)
    services.archive(work_order, user=office_a)
    tasks.export_work_order(ExportRecord.objects.get(work_order_number=work_order.number).pk)
    order = sandbox.control.sales_order(demo.DEMO_TENANT_ID, "SO", order_id)
    assert sorted((line["inventoryId"], line["quantity"]) for line in order["lines"]) == [
        ("ARBEID", 1.0), ("REISTIJD", 0.0)]
