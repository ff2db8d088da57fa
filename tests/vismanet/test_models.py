from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError as PydanticValidationError

from vismanet import (
    Customer,
    CustomerStatus,
    InventoryItem,
    NewSalesOrderCustomer,
    NewSalesOrderLine,
    SalesOrder,
    SalesOrderSummary,
    Warehouse,
    parse_timestamp,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-03-04T10:15:30+01:00", datetime(2025, 3, 4, 9, 15, 30, tzinfo=UTC)),
        ("2025-03-04T10:15:30Z", datetime(2025, 3, 4, 10, 15, 30, tzinfo=UTC)),
        ("2025-03-04T10:15:30.47", datetime(2025, 3, 4, 10, 15, 30, 470000, tzinfo=UTC)),
        ("2025-03-04T10:15:30.1234567", datetime(2025, 3, 4, 10, 15, 30, 123456, tzinfo=UTC)),
        ("2025-03-04 10:15:30", datetime(2025, 3, 4, 10, 15, 30, tzinfo=UTC)),
        ("2025-03-04", datetime(2025, 3, 4, tzinfo=UTC)),
        (None, None),
    ],
)
def test_it_parses_timestamps_leniently_into_utc(raw, expected):
    parsed = parse_timestamp(raw)
    assert parsed == expected
    if parsed is not None:
        assert parsed.utcoffset().total_seconds() == 0


def test_it_keeps_unknown_fields_and_enum_values():
    customer = Customer.model_validate(
        {
            "number": "10023",
            "status": "Archived",
            "brandNewField": {"x": 1},
            "mainAddress": {"addressLine1": "Stationsweg 12", "country": {"id": "NL"}, "extra": 1},
            "lastModifiedDateTime": "2025-05-20T14:03:11.217",
            "sendDunningLettersViaEMail": True,
        }
    )
    assert customer.status == "Archived"
    assert not customer.is_active
    assert customer.model_extra["brandNewField"] == {"x": 1}
    assert customer.main_address.address_line1 == "Stationsweg 12"
    assert customer.main_address.country.id == "NL"
    assert customer.last_modified_date_time == datetime(2025, 5, 20, 14, 3, 11, 217000, tzinfo=UTC)


def test_it_compares_known_enum_values_with_plain_strings():
    assert Customer(status="Active").is_active
    assert CustomerStatus.ON_HOLD == "OnHold"


def test_it_reads_the_v3_status_as_an_object_or_a_string():
    assert (
        SalesOrder.model_validate({"status": {"description": "Hold", "hold": True}}).status_code
        == "Hold"
    )
    assert SalesOrder.model_validate({"status": "Open"}).status_code == "Open"
    summary = SalesOrderSummary.model_validate({"orderId": "1", "_links": {"self": {"href": "/x"}}})
    assert summary.links == {"self": {"href": "/x"}}


def test_it_tells_non_stock_items():
    assert InventoryItem(stock_item=False, type="FinishedGoodItem").is_non_stock
    assert not InventoryItem(stock_item=True, type="LaborItem").is_non_stock
    assert InventoryItem(type="LaborItem").is_non_stock
    assert not InventoryItem(type="FinishedGoodItem").is_non_stock


def test_it_reads_odd_wire_casing():
    assert Warehouse.model_validate({"warehouseID": "HOOFD"}).warehouse_id == "HOOFD"


def test_it_refuses_write_fields_the_api_would_reject():
    with pytest.raises(PydanticValidationError):
        NewSalesOrderCustomer(order="x" * 41)
    with pytest.raises(PydanticValidationError):
        NewSalesOrderLine(inventory_id="")
    with pytest.raises(PydanticValidationError):
        NewSalesOrderLine(inventory_id="A", quantityy=1)
