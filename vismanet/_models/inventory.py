"""Inventory items, item classes, warehouses and sales-order types (ERP API)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from vismanet._models._base import (
    ApiModel,
    AttachmentRef,
    AttributeValue,
    IdDescription,
    Metadata,
    NumberName,
)
from vismanet._time import UtcDatetime


class ItemType(StrEnum):
    """Known values of ``InventoryItem.type`` / ``ItemClass.type``."""

    NON_STOCK_ITEM = "NonStockItem"
    LABOR_ITEM = "LaborItem"
    SERVICE_ITEM = "ServiceItem"
    CHARGE_ITEM = "ChargeItem"
    EXPENSE_ITEM = "ExpenseItem"
    FINISHED_GOOD_ITEM = "FinishedGoodItem"
    COMPONENT_PART_ITEM = "ComponentPartItem"
    SUBASSEMBLY_ITEM = "SubassemblyItem"


NON_STOCK_TYPES = frozenset(
    {
        ItemType.NON_STOCK_ITEM,
        ItemType.LABOR_ITEM,
        ItemType.SERVICE_ITEM,
        ItemType.CHARGE_ITEM,
        ItemType.EXPENSE_ITEM,
    }
)


class ItemStatus(StrEnum):
    """Known values of ``InventoryItem.status``."""

    ACTIVE = "Active"
    NO_SALES = "NoSales"
    NO_PURCHASES = "NoPurchases"
    NO_REQUEST = "NoRequest"
    INACTIVE = "Inactive"
    MARKED_FOR_DELETION = "MarkedForDeletion"
    UNKNOWN = "Unknown"


class ItemClassRef(ApiModel):
    id: str | None = None
    description: str | None = None
    type: str | None = None


class InventoryItem(ApiModel):
    """``InventoryDto``. Key: ``inventory_number``. Note ``timestamp`` is lower-case here."""

    inventory_id: int | None = None
    inventory_number: str | None = None
    status: str | None = None
    type: str | None = None
    description: str | None = None
    body: str | None = None
    item_class: ItemClassRef | None = None
    posting_class: IdDescription | None = None
    vat_code: IdDescription | None = None
    lot_serial_class: IdDescription | None = None
    default_price: float | None = None
    recommended_price: float | None = None
    pending_cost: float | None = None
    current_cost: float | None = None
    last_cost: float | None = None
    base_unit: str | None = None
    sales_unit: str | None = None
    purchase_unit: str | None = None
    stock_item: bool | None = None
    kit_item: bool | None = None
    default_warehouse: IdDescription | None = None
    attachments: list[AttachmentRef] | None = None
    attributes: list[AttributeValue] | None = None
    price_class: IdDescription | None = None
    note: str | None = None
    last_modified_date_time: UtcDatetime = None
    timestamp: str | None = None
    error_info: str | None = None
    metadata: Metadata | None = None
    etag: str | None = None

    @property
    def is_non_stock(self) -> bool:
        """``stockItem == false``; falls back to the item type when the flag is absent."""
        if self.stock_item is not None:
            return not self.stock_item
        return self.type in NON_STOCK_TYPES


class ItemClass(ApiModel):
    """``ItemClassDto`` (no ``lastModifiedDateTime``: re-read in full)."""

    id: str | None = None
    description: str | None = None
    type: str | None = None
    attributes: list[dict[str, Any]] | None = None
    error_info: str | None = None
    metadata: Metadata | None = None


class Warehouse(ApiModel):
    """``WarehouseDto``. Note the wire name ``warehouseID``."""

    warehouse_id: str | None = Field(default=None, alias="warehouseID")
    description: str | None = None
    active: bool | None = None
    branch: NumberName | None = None
    address: dict[str, Any] | None = None
    contact: dict[str, Any] | None = None
    timestamp: str | None = None
    metadata: Metadata | None = None


class SalesOrderType(ApiModel):
    """``SalesOrderTypeDto``: validate a configured order type (``SO``, ``QT``) against it."""

    order_type: str | None = None
    active: bool | None = None
    description: str | None = None
    behavior: str | None = None
    default_operation: str | None = None
    customer_document_type: str | None = None
    error_info: str | None = None
    metadata: Metadata | None = None
