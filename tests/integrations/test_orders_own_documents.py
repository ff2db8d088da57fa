"""Issue 8, finding 1: a sales order that Werkbon itself made (by exporting a work order) never
comes back as a work order, whatever the filter word. Sandbox over HTTP, real database.

Recognised by the marker in the order's customer-order field (any text starting with
"Werkbon ", the old "Werkbon 12" and a marker that also names the tenant) and by the local
record of the documents the export made (``ExportRecord.document_number``), so an order
whose marker the office removed in Visma.net does not come back either.
"""

from __future__ import annotations

import pytest

from vismanet import SalesOrderPatch
from vismanet_sandbox import demo
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations import tasks
from werkbon.integrations.models import ExportRecord, ExportStatus, ExternalLink, LogEntry
from werkbon.integrations.vismanet.client import client_for
from werkbon.integrations.vismanet.orders import import_orders
from werkbon.workorders.models import WorkOrder

from .conftest import archived_work_order
from .test_orders import configure, forget_watermark, linked_work_order, new_order

pytestmark = pytest.mark.django_db


def exported_order(integration, office, technician) -> tuple[WorkOrder, str]:
    """Archive a work order and export it as a sales order; returns it and the order id."""
    work_order = archived_work_order(office, technician, description="Werkbon: CV-ketel onderhoud")
    record = ExportRecord.objects.get(work_order_number=work_order.number)
    tasks.export_work_order(record.pk)
    record.refresh_from_db()
    assert record.status == ExportStatus.SENT, list(LogEntry.objects.values_list("message", "detail"))
    order_type, order_id = record.document_number.split(" ", 1)
    assert order_type == "SO"
    return work_order, order_id


def imported_ids() -> set[str]:
    return set(ExternalLink.objects.filter(local_type="work_order").values_list("external_id", flat=True))


@pytest.mark.parametrize("filter_word", ["", "werkbon"])
def test_an_order_werkbon_exported_is_never_imported_as_a_work_order(vismanet_integration, tenant_a, office_a,
                                                                     tech_a, filter_word):
    with tenant_context(tenant_a):
        work_order, order_id = exported_order(vismanet_integration, office_a, tech_a)
        configure(vismanet_integration, order_import="sales_orders", order_import_filter_word=filter_word)
        import_orders(vismanet_integration)
        forget_watermark(vismanet_integration)
        import_orders(vismanet_integration)  # a full re-read as well
        assert f"SO/{order_id}" not in imported_ids()
        # Only the exported work order and the work orders of the company's other orders.
        assert WorkOrder.objects.count() == 1 + len(imported_ids())
        assert WorkOrder.objects.filter(customer__number=demo.FIRST_CUSTOMER).exclude(
            pk=work_order.pk).count() == len({"SO/000101"} & imported_ids())
        assert not LogEntry.objects.filter(object_ref=f"SO {order_id}").exists()


def test_an_exported_order_without_its_marker_is_still_not_imported(vismanet_integration, tenant_a, office_a,
                                                                     tech_a):
    """The office cleared the customer-order field in Visma.net: the export's own record still
    says the order is Werkbon's."""
    with tenant_context(tenant_a):
        _work_order, order_id = exported_order(vismanet_integration, office_a, tech_a)
        with client_for(vismanet_integration) as client:
            etag = client.sales_orders.get("SO", order_id).etag
            client.sales_orders.patch("SO", order_id, SalesOrderPatch(customer={"order": ""}), if_match=etag)
        configure(vismanet_integration, order_import="sales_orders")
        import_orders(vismanet_integration)
        assert f"SO/{order_id}" not in imported_ids()


@pytest.mark.parametrize("marker", ["Werkbon 12", "Werkbon T2 12", "werkbon acme-7 3"])
def test_an_order_with_another_werkbons_marker_is_not_imported(vismanet_integration, tenant_a, marker):
    """Another Werkbon account on the same company (old or new marker form) made this order."""
    with tenant_context(tenant_a):
        from .test_orders import add_local_records

        add_local_records(["10001"])
        configure(vismanet_integration, order_import="sales_orders")
        theirs = new_order(vismanet_integration, description="Werkbon 12 - onderhoud")
        ours = new_order(vismanet_integration, description="Werkbon lekkage")
        with client_for(vismanet_integration) as client:
            etag = client.sales_orders.get("SO", theirs).etag
            client.sales_orders.patch("SO", theirs, SalesOrderPatch(customer={"order": marker}), if_match=etag)
        import_orders(vismanet_integration)
        assert f"SO/{theirs}" not in imported_ids()
        assert linked_work_order(ours).description == "Werkbon lekkage"
