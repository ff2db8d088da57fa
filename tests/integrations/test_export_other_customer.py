"""When the office picks another customer for a failed export (issue 15), the work address
does not silently become empty: it stays on the work order (the work was done there) and the
answer says so, naming the address and that it belonged to the previous customer."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD
from vismanet_sandbox import demo
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.models import ExportRecord, ExportStatus
from werkbon.integrations.vismanet import export
from werkbon.workorders.models import WorkOrder

from .conftest import archived_work_order, local_customer
from .test_export import TENANT, run

pytestmark = pytest.mark.django_db

OTHER_CUSTOMER = "10002"


@pytest.fixture
def failed_export(vismanet_integration, sandbox, tenant_a, office_a, tech_a):
    sandbox.control.deactivate_customer(TENANT, demo.FIRST_CUSTOMER)
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a)
        local_customer(OTHER_CUSTOMER, name="Andere klant")
        record = run(ExportRecord.objects.get(work_order_number=order.number))
    assert record.status == ExportStatus.FAILED
    assert order.work_address is not None
    return order, record


def test_choosing_another_customer_keeps_the_work_address_and_says_so(failed_export, office_a, tenant_a):
    order, _record = failed_export
    office = Client()
    assert office.login(username=office_a.username, password=PASSWORD)

    response = office.post(reverse("integrations:vismanet_export_retry", args=[order.pk]),
                           {"customer": OTHER_CUSTOMER}, headers={"HX-Request": "true"})

    assert response.status_code == 200, response.content.decode()[:2000]
    with tenant_context(tenant_a):
        saved = WorkOrder.objects.select_related("customer", "work_address").get(pk=order.pk)
    assert saved.customer.number == OTHER_CUSTOMER
    assert saved.work_address_id == order.work_address_id  # not silently emptied
    notice = response.content.decode()
    assert "Het werkadres blijft Kerkstraat 1, 3511 AB Utrecht" in notice
    assert f"klant {demo.FIRST_CUSTOMER}" in notice


def test_set_customer_returns_the_kept_work_address(failed_export, tenant_a):
    order, record = failed_export
    with tenant_context(tenant_a):
        kept = export.set_customer(record, local_customer(OTHER_CUSTOMER))
        assert kept is not None and kept.pk == order.work_address_id
        assert WorkOrder.objects.get(pk=order.pk).work_address_id == order.work_address_id
