"""Units of the work-time and travel-time items (issue 8, "Units"): time is booked in hours,
so the settings check warns when such an item's unit does not look like an hour unit, saving
then needs an explicit confirmation, and the export's log line says which unit was used.
Against the sandbox over HTTP."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.integrations.test_activation import GOOD_SETTINGS
from vismanet_sandbox import demo
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations import tasks
from werkbon.integrations.models import ExportRecord, ExportStatus, LogEntry
from werkbon.integrations.vismanet import checks
from werkbon.integrations.vismanet.client import client_for

from .conftest import archived_work_order

pytestmark = pytest.mark.django_db

T = demo.DEMO_TENANT_ID
PIECE_ITEM = "MONTAGE-ST"


@pytest.fixture
def piece_item(sandbox):
    sandbox.control.add_item(T, {"inventoryNumber": PIECE_ITEM, "description": "Montage per stuk",
                                 "type": "ServiceItem", "status": "Active", "stockItem": False,
                                 "baseUnit": "STK", "salesUnit": "STK", "defaultPrice": 25})
    return PIECE_ITEM


@pytest.mark.parametrize("unit", ["UUR", "uur", "U", "h", "Hr", "HRS", "hour", "Hours", "TIME", "timer",
                                  "UREN", "uur.", " UUR ", "TIM", "STD", "Timmar"])
def test_it_takes_these_units_for_hours(unit):
    assert checks.looks_like_hours(unit)


@pytest.mark.parametrize("unit", ["STK", "ST", "M", "KG", "PCS", "DAG", "MIN", "T", "", None])
def test_it_does_not_take_these_units_for_hours(unit):
    assert not checks.looks_like_hours(unit)


def test_the_check_warns_about_a_time_item_whose_unit_is_not_hours(vismanet_integration, in_tenant_a, piece_item):
    with client_for(vismanet_integration) as client:
        for check in (checks.check_work_time_item, checks.check_travel_time_item):
            result = check(client, piece_item)
            assert not result.ok
            assert result.params == {"item": PIECE_ITEM, "unit": "STK"}
            with translation.override("nl"):
                assert result.message.startswith(
                    "Artikel MONTAGE-ST heeft eenheid STK; dat lijkt geen uureenheid")
            confirmed = check(client, piece_item, hours_confirmed=True)
            assert confirmed.ok
            with translation.override("nl"):
                assert "STK" in confirmed.message and "bevestigd" in confirmed.message
        assert checks.check_work_time_item(client, "ARBEID").ok  # UUR needs no confirmation


def test_saving_a_time_item_in_another_unit_needs_the_confirmation(office, vismanet_integration, piece_item):
    changed = {**GOOD_SETTINGS, "work_time_item": PIECE_ITEM}
    changed.pop("terms")
    refused = office.post("/integraties/vismanet/wijzigen/", changed)
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Artikel MONTAGE-ST heeft eenheid STK" in page
    assert 'name="hour_unit_confirmed"' in page
    vismanet_integration.refresh_from_db()
    assert vismanet_integration.settings["work_time_item"] == "ARBEID"

    saved = office.post("/integraties/vismanet/wijzigen/", {**changed, "hour_unit_confirmed": "on"})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    vismanet_integration.refresh_from_db()
    assert vismanet_integration.settings["work_time_item"] == PIECE_ITEM


def test_the_export_log_line_says_which_unit_the_time_was_booked_in(vismanet_integration, tenant_a, office_a, tech_a):
    with tenant_context(tenant_a):
        from werkbon.workorders.models import Item

        for number in (demo.ITEM_WORK, demo.ITEM_TRAVEL):
            Item.objects.get_or_create(number=number, defaults={"description": number, "unit": "UUR"})
        order = archived_work_order(office_a, tech_a)
        record = ExportRecord.objects.get(work_order_number=order.number)
    tasks.export_work_order(record.pk)
    record.refresh_from_db()
    assert record.status == ExportStatus.SENT
    with tenant_context(tenant_a):
        entry = LogEntry.objects.get(export=record, message__startswith="Work order %(number)s was sent")
    with translation.override("nl"):
        assert entry.user_message == (
            f"Werkbon {order.number} is naar Visma.net verstuurd als {record.document_number}; "
            "werk- en reistijd in uren, eenheid per artikel: ARBEID: UUR, REISTIJD: UUR.")
