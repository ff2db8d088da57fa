"""Inventory items, item classes, warehouses and sales-order types (ERP API)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from vismanet import _endpoints as ep
from vismanet._errors import NotFoundError
from vismanet._models.inventory import InventoryItem, ItemClass, SalesOrderType, Warehouse
from vismanet._paging import Paginated, paginate_erp
from vismanet._resources._base import (
    Condition,
    Resource,
    delta_params,
    flag,
    optional,
    parse_with_etag,
)

# The spec warns these default to true server-side; the client always sends each one.
INVENTORY_EXPAND_FLAGS = (
    "expandCrossReference",
    "expandAttachment",
    "expandAttribute",
    "expandWarehouseDetail",
    "expandAccountInformation",
    "expandInventoryUnits",
    "expandSupplierDetails",
    "expandSalesCategories",
    "expandNote",
)


class Inventory(Resource):
    """``client.inventory``: items of every type (``InventoryDto``).

    The client returns stock and non-stock items alike; filter with ``InventoryItem.is_non_stock``
    or pass ``inventory_types``.
    """

    def list(
        self,
        *,
        last_modified: datetime | None = None,
        last_modified_condition: Condition = ">=",
        status: str | None = None,
        inventory_types: Sequence[str] | None = None,
        expand: Collection[str] = (),
        page_size: int = 1000,
        start_page: int = 1,
    ) -> Paginated[InventoryItem]:
        """All items, or those changed relative to ``last_modified``; lazily paged.

        Calls ``GET /v1/inventory`` (contract ``inventory.list``; ``pageSize`` max 5000). The
        delta filter and ``start_page`` work as in ``Customers.list`` (aware datetime, sent
        in UTC).

        Args:
            status: e.g. ``"Active"``.
            inventory_types: e.g. ``["NonStockItem", "LaborItem"]``; sent once per value.
            expand: Names from ``INVENTORY_EXPAND_FLAGS`` to send as ``true``; all others are
                sent as ``false`` to keep pages small.

        Raises:
            ValueError: unknown expand flag, naive datetime or unknown condition.
            VismaNetError: any subclass, while iterating.
        """
        unknown = set(expand) - set(INVENTORY_EXPAND_FLAGS)
        if unknown:
            raise ValueError(f"unknown expand flags: {sorted(unknown)}")
        params = [
            *delta_params(last_modified, last_modified_condition),
            *optional(status=status),
            *(("inventoryTypes", kind) for kind in inventory_types or ()),
            *((name, flag(name in expand)) for name in INVENTORY_EXPAND_FLAGS),
        ]
        return paginate_erp(
            self._transport,
            ep.INVENTORY_LIST,
            parse=InventoryItem.model_validate,
            page_size=page_size,
            params=params,
            start_page=start_page,
        )

    def get(self, inventory_number: str) -> InventoryItem:
        """One item by item number.

        Calls ``GET /v1/inventory/{inventoryNumber}`` (contract ``inventory.get``). A number
        the ERP path cannot carry (``/``, ``&``, ``%``, ``?`` …, see ``segment_is_safe``) is
        looked up by query instead: ``GET /v1/inventory?inventoryNumber=<number>``
        (``inventory.list``, nothing expanded) for its ``inventoryId``, then
        ``GET /v1/inventory/internal/{inventoryId}`` (``inventory.get_internal``).

        Raises:
            NotFoundError: unknown item.
            VismaNetError: any other subclass.
        """
        if not ep.segment_is_safe(inventory_number, ep.INVENTORY_GET.base):
            for item in self._listed(inventory_number):
                if item.inventory_number == inventory_number and item.inventory_id is not None:
                    return self.get_by_internal_id(item.inventory_id)
            raise NotFoundError(
                f"No item with number {inventory_number!r}.",
                operation=ep.INVENTORY_LIST.name,
                method=ep.INVENTORY_LIST.method,
            )
        response = self._transport.request(
            ep.INVENTORY_GET, path_params={"inventoryNumber": inventory_number}
        )
        return parse_with_etag(InventoryItem, response, ep.INVENTORY_GET)

    def _listed(self, inventory_number: str) -> Paginated[InventoryItem]:
        """Items whose number matches ``inventory_number`` as the list filter applies it."""
        params = [
            ("inventoryNumber", inventory_number),
            *((name, flag(False)) for name in INVENTORY_EXPAND_FLAGS),
        ]
        return paginate_erp(
            self._transport,
            ep.INVENTORY_LIST,
            parse=InventoryItem.model_validate,
            page_size=100,
            params=params,
        )

    def get_by_internal_id(self, inventory_id: int) -> InventoryItem:
        """One item by internal ``inventoryId``.

        Calls ``GET /v1/inventory/internal/{inventoryId}`` (contract ``inventory.get_internal``).

        Raises:
            NotFoundError: unknown item.
            VismaNetError: any other subclass.
        """
        response = self._transport.request(
            ep.INVENTORY_GET_INTERNAL, path_params={"inventoryId": inventory_id}
        )
        return parse_with_etag(InventoryItem, response, ep.INVENTORY_GET_INTERNAL)


class ItemClasses(Resource):
    """``client.item_classes``: item classes (item groups). They carry no modified time."""

    def list(self, *, page_size: int = 1000, start_page: int = 1) -> Paginated[ItemClass]:
        """All item classes; lazily paged (``start_page`` as in ``Customers.list``).

        Calls ``GET /v1/inventory/itemClass`` (contract ``itemclass.list``).

        Raises:
            ValueError: ``start_page`` < 1.
            VismaNetError: any subclass, while iterating.
        """
        return paginate_erp(
            self._transport,
            ep.ITEMCLASS_LIST,
            parse=ItemClass.model_validate,
            page_size=page_size,
            start_page=start_page,
        )

    def get(self, item_class_id: str) -> ItemClass:
        """One item class.

        Calls ``GET /v1/inventory/itemclass/{itemClassNumber}`` (contract ``itemclass.get``);
        an id the path cannot carry is looked for in ``list()`` instead.

        Raises:
            NotFoundError: unknown class.
            VismaNetError: any other subclass.
        """
        if not ep.segment_is_safe(item_class_id, ep.ITEMCLASS_GET.base):
            for item_class in self.list():
                if item_class.id == item_class_id:
                    return item_class
            raise NotFoundError(
                f"No item class {item_class_id!r}.",
                operation=ep.ITEMCLASS_LIST.name,
                method=ep.ITEMCLASS_LIST.method,
            )
        body = self._transport.request_json(
            ep.ITEMCLASS_GET, path_params={"itemClassNumber": item_class_id}
        )
        return ItemClass.model_validate(body)


class Warehouses(Resource):
    """``client.warehouses``: warehouses (``WarehouseDto``)."""

    def list(
        self, *, active: bool | None = None, branch: str | None = None, page_size: int = 1000
    ) -> Paginated[Warehouse]:
        """All warehouses, optionally only active ones or one branch's; lazily paged.

        Calls ``GET /v1/warehouse`` (contract ``warehouse.list``).

        Raises:
            VismaNetError: any subclass, while iterating.
        """
        params = optional(active=None if active is None else flag(active), branch=branch)
        return paginate_erp(
            self._transport,
            ep.WAREHOUSE_LIST,
            parse=Warehouse.model_validate,
            page_size=page_size,
            params=params,
        )

    def get(self, warehouse_id: str) -> Warehouse:
        """One warehouse.

        Calls ``GET /v1/warehouse/{warehouseId}`` (contract ``warehouse.get``); an id the
        path cannot carry is looked for in ``list()`` instead.

        Raises:
            NotFoundError: unknown warehouse.
            VismaNetError: any other subclass.
        """
        if not ep.segment_is_safe(warehouse_id, ep.WAREHOUSE_GET.base):
            for warehouse in self.list():
                if warehouse.warehouse_id == warehouse_id:
                    return warehouse
            raise NotFoundError(
                f"No warehouse {warehouse_id!r}.",
                operation=ep.WAREHOUSE_LIST.name,
                method=ep.WAREHOUSE_LIST.method,
            )
        body = self._transport.request_json(
            ep.WAREHOUSE_GET, path_params={"warehouseId": warehouse_id}
        )
        return Warehouse.model_validate(body)


class SalesOrderTypes(Resource):
    """``client.sales_order_types``: order types, to validate a configured ``SO``/``QT``."""

    def list(self, *, page_size: int = 1000) -> Paginated[SalesOrderType]:
        """All sales-order types; lazily paged.

        Calls ``GET /v1/salesordertype`` (contract ``salesordertype.list``).

        Raises:
            VismaNetError: any subclass, while iterating.
        """
        return paginate_erp(
            self._transport,
            ep.SALESORDERTYPE_LIST,
            parse=SalesOrderType.model_validate,
            page_size=page_size,
        )
