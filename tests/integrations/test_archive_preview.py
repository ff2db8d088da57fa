"""The archive confirmation while Visma.net is active (issue 11, office): the document type
from the settings and the lines the export itself builds. The last test archives and exports
to the sandbox and proves the confirmation showed exactly the lines that were sent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD
from vismanet_sandbox import demo
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.models import ExportRecord, ExportStatus, IntegrationStatus
from werkbon.workorders import services

from .conftest import archived_work_order, make_integration
from .test_export import TARGETS, configure, documents, run

pytestmark = pytest.mark.django_db


def confirmation(office, order):
    client = Client()
    assert client.login(username=office.username, password=PASSWORD)
    response = client.get(reverse("workorders:archive", args=[order.pk]))
    assert response.status_code == 200
    return response


def test_a_sales_order_with_time_materials_and_the_fixed_item(tenant_a, office_a, tech_a):
    make_integration(tenant_a, default_item_enabled=True, default_item=demo.ITEM_CALLOUT)
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a, archive=False, work=(120, 15), travel=(20,),
                                    materials=(("MAT-1001", "2"),))
    response = confirmation(office_a, order)
    preview = response.context["preview"]
    assert (preview.system, preview.document, preview.warehouse, preview.sent) == (
        "Visma.net", "Verkooporder (type SO)", "HOOFD", True)
    assert [(ln.item_number, ln.quantity, ln.unit) for ln in preview.lines] == [
        (demo.ITEM_WORK, Decimal("2.25"), "uur"), (demo.ITEM_TRAVEL, Decimal("0.33"), "uur"),
        ("MAT-1001", Decimal("2.000"), ""), (demo.ITEM_CALLOUT, Decimal(1), "")]
    assert preview.lines[0].description.startswith("Werktijd")
    assert preview.lines[-1].description.startswith("Vast artikel")
    assert preview.reference == f"Werkbon {order.number} / PO-88412"
    html = response.content.decode()
    assert "Daarna gaat hij naar Visma.net als: Verkooporder (type SO)." in html
    assert html.count('data-testid="archive-line"') == 4
    with tenant_context(tenant_a):
        assert not ExportRecord.objects.exists()  # looking sends nothing


def test_an_invoice_and_the_filter_word(tenant_a, office_a, tech_a):
    make_integration(tenant_a, target="customer_invoice", filter_word="garantie")
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a, archive=False, description="Lekkage (Garantie)")
    preview = confirmation(office_a, order).context["preview"]
    assert (preview.document, preview.warehouse, preview.sent) == ("Klantfactuur", "", False)
    assert preview.problems == ('De werkomschrijving bevat het filterwoord "garantie": de werkbon wordt '
                                'gearchiveerd maar niet naar Visma.net gestuurd.',)


def test_an_inactive_integration_shows_the_work_orders_own_lines(tenant_a, office_a, tech_a):
    integration = make_integration(tenant_a)
    integration.status = IntegrationStatus.INACTIVE
    integration.save(update_fields=["status"])
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a, archive=False)
    response = confirmation(office_a, order)
    assert response.context["preview"] is None
    assert len(response.context["lines"]) == 3


@pytest.mark.parametrize("target", TARGETS)
def test_the_confirmation_shows_exactly_what_is_sent(vismanet_integration, sandbox, tenant_a, office_a, tech_a,
                                                     target):
    configure(vismanet_integration, target=target, default_item_enabled=True, default_item=demo.ITEM_CALLOUT)
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a, archive=False, work=(135,), travel=(20,),
                                    materials=(("MAT-1001", "2"), ("KST-1003", "1.5")))
    preview = confirmation(office_a, order).context["preview"]
    with tenant_context(tenant_a):
        services.archive(order, user=office_a)
        record = ExportRecord.objects.get(work_order_number=order.number)
    record = run(record)
    assert record.status == ExportStatus.SENT
    [document] = documents(sandbox, target, record.marker)
    assert [(ln.item_number, float(ln.quantity)) for ln in preview.lines] == \
        [line[:2] for line in document["lines"]]
    assert (preview.description, preview.note) == (document["description"], document["note"])


def test_the_confirmation_warns_while_the_customer_is_on_hold_in_visma_net(imported, sandbox, tenant_a, office_a,
                                                                            tech_a):
    """Visma.net refuses a document for a customer on hold: the archive confirmation says so
    before the office archives (not only the failed export after it), and stops saying so once
    the customer is released there (the sync follows the status)."""
    from django.utils import timezone

    from werkbon.integrations.vismanet import sync
    from werkbon.workorders.models import Customer, WorkAddress

    number = demo.FIRST_CUSTOMER
    customer = Customer.objects.get(number=number)
    order = services.create_work_order(
        customer=customer, work_address=WorkAddress.objects.filter(customer=customer).first(),
        description="CV-ketel onderhoud", technicians=[tech_a], planned_start=timezone.now())
    services.add_time_entry(order, technician=tech_a, kind="work", minutes=60, date=timezone.localdate())
    services.complete(order, user=tech_a)
    warning = f"Klant {number} staat in Visma.net in de wacht: de export mislukt"

    assert not Customer.objects.get(number=number).on_hold
    assert warning not in confirmation(office_a, order).content.decode()
    sandbox.control.change_customer(demo.DEMO_TENANT_ID, number, {"status": "OnHold"})
    sync.incremental(imported)
    assert Customer.objects.get(number=number).on_hold
    response = confirmation(office_a, order)
    assert warning in response.content.decode()
    assert any(warning in problem for problem in response.context["preview"].problems)
    sandbox.control.change_customer(demo.DEMO_TENANT_ID, number, {"status": "Active"})
    sync.incremental(imported)
    assert not Customer.objects.get(number=number).on_hold
    assert warning not in confirmation(office_a, order).content.decode()
