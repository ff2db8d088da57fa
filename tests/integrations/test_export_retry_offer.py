"""Retry ("Opnieuw") is offered only when a retry makes sense: on a failed export, which a
person must act on. Not while the export is queued (right after archiving, or waiting for an
automatic next attempt) or being sent, neither on the work-order page nor in the log."""

from __future__ import annotations

import pytest

from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.log import log
from werkbon.integrations.models import (
    ExportRecord,
    ExportStatus,
    Integration,
    IntegrationKind,
    IntegrationStatus,
    LogLevel,
    LogTable,
)
from werkbon.workorders import services
from werkbon.workorders.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def exported(tenant_a):
    """A work order with its export record and an error entry of an earlier failure."""
    integration = Integration.all_tenants.create(tenant=tenant_a, kind=IntegrationKind.VISMANET,
                                                 status=IntegrationStatus.ACTIVE, company_name="Demo B.V.")
    with tenant_context(tenant_a):
        order = services.create_work_order(customer=Customer.objects.create(number="C1", name="Klant"))
        record = ExportRecord.objects.create(kind=IntegrationKind.VISMANET, work_order=order,
                                             work_order_number=order.number)
        log(integration, LogLevel.ERROR, LogTable.WORK_ORDER, "Customer is inactive",
            action="Activate it, then press Retry", export=record)
    return order, record


def offers(office, order) -> dict[str, bool]:
    detail = office.get(f"/werkorders/{order.pk}/").content.decode()
    log_page = office.get("/integraties/logging/").content.decode()
    listed = office.get("/werkorders/").content.decode()
    return {"panel": 'data-testid="export-retry"' in detail, "log": 'data-testid="retry"' in log_page,
            "list": "Opnieuw" in listed}


@pytest.mark.parametrize("status, last_error", [
    (ExportStatus.QUEUED, ""),  # just archived: "In de wachtrij"
    (ExportStatus.SENDING, ""),
    (ExportStatus.QUEUED, "503 Service Unavailable"),  # waiting for its automatic next attempt
    (ExportStatus.ATTACHMENTS_PENDING, "503 Service Unavailable"),
    (ExportStatus.SENT, ""),
])
def test_no_retry_is_offered_while_the_export_is_on_its_way_or_done(office, exported, status, last_error):
    order, record = exported
    ExportRecord.all_tenants.filter(pk=record.pk).update(status=status, last_error=last_error)
    detail = office.get(f"/werkorders/{order.pk}/").content.decode()
    assert 'data-testid="export-status"' in detail  # the panel is there, without the button
    assert offers(office, order) == {"panel": False, "log": False, "list": False}


def test_retry_is_offered_on_a_failed_export_on_the_page_and_in_the_log(office, exported):
    order, record = exported
    ExportRecord.all_tenants.filter(pk=record.pk).update(status=ExportStatus.FAILED, last_error="inactive")
    assert offers(office, order) == {"panel": True, "log": True, "list": False}
