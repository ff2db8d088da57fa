"""Sales orders and quotes through the Sales Orders v3 API."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import httpx

from vismanet import _endpoints as ep
from vismanet._models._base import Accepted, Created
from vismanet._models.sales_orders import (
    NewSalesOrder,
    NewSalesOrderLine,
    SalesOrder,
    SalesOrderLine,
    SalesOrderLinePatch,
    SalesOrderPatch,
    SalesOrderSummary,
)
from vismanet._paging import Paginated, paginate_v3
from vismanet._resources._base import Resource, created_from, optional, parse_with_etag
from vismanet._time import format_v3_timestamp


def _accepted(response: httpx.Response) -> Accepted:
    return Accepted(etag=response.headers.get("ETag"))


class SalesOrders(Resource):
    """``client.sales_orders``: orders (``SO``) and quotes (``QT``) via v3.

    Modifications need the order's ETag (``SalesOrder.etag`` from ``get``) as ``if_match``;
    they answer 202 and may or may not return a new ETag, so ``get`` again before the next one.
    """

    def _change(
        self, endpoint: ep.Endpoint, order_type: str, order_id: str, *, if_match: str, **request: Any
    ) -> Accepted:
        """Send a modification of one order with ``If-Match``; its 202 as ``Accepted``."""
        response = self._transport.request(
            endpoint,
            path_params={"type": order_type, "orderId": order_id},
            if_match=if_match,
            **request,
        )
        return _accepted(response)

    def list(
        self,
        *,
        order_type: str | None = None,
        modified_since: datetime | None = None,
        order_by: str | None = "lastModified asc",
        customer_id: str | None = None,
        status: str | None = None,
        filter: str | None = None,
        page_size: int = 100,
        start_page: int = 1,
    ) -> Paginated[SalesOrderSummary]:
        """Orders of all types, or of one type (``"SO"``, ``"QT"``); lazily paged.

        Calls ``GET /api/v3/SalesOrders`` (contract ``salesorder_v3.list``) or, with
        ``order_type``, ``GET /api/v3/SalesOrders/{type}`` (``salesorder_v3.list_by_type``),
        with ``pageIndex`` (0-based) and ``pageSize``. ``modified_since`` must be aware; it is
        sent as ISO 8601 UTC with ``Z``. Keep ``order_by="lastModified asc"`` and use the
        largest ``last_modified`` seen as the next watermark.

        Args:
            filter: Matches ``orderId``.
            start_page: First page to fetch (1-based, sent as ``pageIndex`` = N − 1), e.g. to
                read a list one page per request.

        Raises:
            ValueError: ``modified_since`` is naive, or ``start_page`` < 1.
            ValidationError: 400 for a bad ``pageSize``/``orderBy``/``modifiedSince``.
            VismaNetError: any other subclass, while iterating.
        """
        params = optional(
            customerId=customer_id,
            status=status,
            modifiedSince=format_v3_timestamp(modified_since) if modified_since else None,
            orderBy=order_by,
            filter=filter,
        )
        if start_page < 1:
            raise ValueError("start_page is 1-based")
        endpoint = ep.SO_LIST_BY_TYPE if order_type else ep.SO_LIST
        return paginate_v3(
            self._transport,
            endpoint,
            parse=SalesOrderSummary.model_validate,
            page_size=page_size,
            path_params={"type": order_type} if order_type else None,
            params=params,
            start_page=start_page,
        )

    def get(self, order_type: str, order_id: str, *, expand: Collection[str] = ()) -> SalesOrder:
        """One order or quote, with its ETag (lines are never included: use ``lines``).

        Calls ``GET /api/v3/SalesOrders/{type}/{orderId}`` (contract ``salesorder_v3.get``).
        ``expand`` names sections (``"Customer"``, ``"Note"``, ``"Attachments"``, ``"All"``…);
        each is sent as its own ``expand`` parameter.

        Raises:
            NotFoundError: unknown order.
            VismaNetError: any other subclass.
        """
        response = self._transport.request(
            ep.SO_GET,
            path_params={"type": order_type, "orderId": order_id},
            params=[("expand", section) for section in expand],
        )
        return parse_with_etag(SalesOrder, response, ep.SO_GET)

    def lines(
        self, order_type: str, order_id: str, *, page_size: int = 1000
    ) -> Paginated[SalesOrderLine]:
        """The order's lines; lazily paged. Quantities are decimals (hours for time items).

        Calls ``GET /api/v3/SalesOrders/{type}/{orderId}/lines`` (contract
        ``salesorder_v3.lines.list``).

        Raises:
            NotFoundError: unknown order.
            VismaNetError: any other subclass, while iterating.
        """
        return paginate_v3(
            self._transport,
            ep.SO_LINES_LIST,
            parse=SalesOrderLine.model_validate,
            page_size=page_size,
            path_params={"type": order_type, "orderId": order_id},
        )

    def get_line(self, order_type: str, order_id: str, line_id: int) -> SalesOrderLine:
        """One line.

        Calls ``GET /api/v3/SalesOrders/{type}/{orderId}/lines/{lineId}`` (contract
        ``salesorder_v3.lines.get``).

        Raises:
            NotFoundError: unknown order or line.
            VismaNetError: any other subclass.
        """
        body = self._transport.request_json(
            ep.SO_LINES_GET,
            path_params={"type": order_type, "orderId": order_id, "lineId": line_id},
        )
        return SalesOrderLine.model_validate(body)

    def create(self, order: NewSalesOrder) -> Created:
        """Create an order or quote; returns its id (``Location``'s last segment).

        Calls ``POST /api/v3/SalesOrders`` (contract ``salesorder_v3.create``) with the
        unwrapped ``NewSalesOrderCommand``. Never retried after it may have reached Visma:
        there is no idempotency key. Then ``get(order.type, created.id)`` for the ETag.

        Raises:
            ValidationError: 400 with ``field_errors`` and ``error_codes`` such as
                ``1804-InventoryIdNotFound`` or ``1407-InvalidCustomerStatus``.
            ConflictError: 409.
            APIConnectionError, APITimeoutError, ServerError: with ``may_have_been_applied``
                True when the order may exist: search for it (e.g. ``list(filter=...)`` or by
                your description marker) before creating it again.
            UnexpectedResponseError: 201 without ``Location`` (the order exists).
            VismaNetError: any other subclass.
        """
        response = self._transport.request(ep.SO_CREATE, json=order.to_api())
        return created_from(response, ep.SO_CREATE)

    def patch(
        self, order_type: str, order_id: str, changes: SalesOrderPatch, *, if_match: str
    ) -> Accepted:
        """Change header fields; only the fields set in ``changes`` are sent.

        Calls ``PATCH /api/v3/SalesOrders/{type}/{orderId}`` with ``If-Match`` (contract
        ``salesorder_v3.patch``); 202.

        Raises:
            PreconditionError: 412, the ETag is stale (get the order again), or 428 (no
                If-Match). After an ambiguous earlier attempt, ``may_have_been_applied`` is set.
            ValidationError: 400 with ``field_errors`` and ``error_codes`` (``details[].code``).
            NotFoundError: unknown order.
            VismaNetError: any other subclass.
        """
        return self._change(
            ep.SO_PATCH,
            order_type,
            order_id,
            json=changes.to_api(),
            if_match=if_match,
        )

    def add_lines(
        self, order_type: str, order_id: str, lines: Sequence[NewSalesOrderLine], *, if_match: str
    ) -> Accepted:
        """Append lines. Quantities are decimals (2.5 = two and a half hours).

        Calls ``POST /api/v3/SalesOrders/{type}/{orderId}/lines`` with ``If-Match`` and body
        ``{"lines": [...]}`` (contract ``salesorder_v3.lines.add``); 202.

        Raises:
            PreconditionError: 412, the ETag is stale (get the order again), or 428 (no
                If-Match). After an ambiguous earlier attempt, ``may_have_been_applied`` is set.
            ValidationError: 400 with ``field_errors`` and ``error_codes`` (``details[].code``).
            NotFoundError: unknown order.
            VismaNetError: any other subclass.
        """
        return self._change(
            ep.SO_LINES_ADD,
            order_type,
            order_id,
            json={"lines": [line.to_api() for line in lines]},
            if_match=if_match,
        )

    def patch_lines(
        self,
        order_type: str,
        order_id: str,
        lines: Sequence[SalesOrderLinePatch],
        *,
        if_match: str,
    ) -> Accepted:
        """Change existing lines (by ``line_id``).

        Calls ``PATCH /api/v3/SalesOrders/{type}/{orderId}/lines`` with ``If-Match`` and body
        ``{"lines": [...]}`` (contract ``salesorder_v3.lines.patch``); 202.

        Raises:
            PreconditionError: 412, the ETag is stale (get the order again), or 428 (no
                If-Match). After an ambiguous earlier attempt, ``may_have_been_applied`` is set.
            ValidationError: 400 with ``field_errors`` and ``error_codes`` (``details[].code``).
            NotFoundError: unknown order.
            VismaNetError: any other subclass.
        """
        return self._change(
            ep.SO_LINES_PATCH,
            order_type,
            order_id,
            json={"lines": [line.to_api() for line in lines]},
            if_match=if_match,
        )

    def delete_lines(
        self, order_type: str, order_id: str, line_ids: Sequence[int], *, if_match: str
    ) -> Accepted:
        """Delete lines (at most 1000 per call).

        Calls ``DELETE /api/v3/SalesOrders/{type}/{orderId}/lines?ids=1,2`` with ``If-Match``
        (contract ``salesorder_v3.lines.delete``); ids are comma-separated as the spec text
        says; 202. Raises ``ValueError`` for an empty list or more than 1000 ids.

        Raises:
            PreconditionError: 412, the ETag is stale (get the order again), or 428 (no
                If-Match). After an ambiguous earlier attempt, ``may_have_been_applied`` is set.
            ValidationError: 400 with ``field_errors`` and ``error_codes`` (``details[].code``).
            NotFoundError: unknown order.
            VismaNetError: any other subclass.
        """
        if not 0 < len(line_ids) <= 1000:
            raise ValueError("delete between 1 and 1000 lines per call")
        return self._change(
            ep.SO_LINES_DELETE,
            order_type,
            order_id,
            params=[("ids", ",".join(str(i) for i in line_ids))],
            if_match=if_match,
        )

    def delete(self, order_type: str, order_id: str, *, if_match: str) -> Accepted:
        """Delete an order or quote.

        Calls ``DELETE /api/v3/SalesOrders/{type}/{orderId}`` with ``If-Match`` (contract
        ``salesorder_v3.delete``); 202.

        Raises:
            PreconditionError: 412, the ETag is stale (get the order again), or 428 (no
                If-Match). After an ambiguous earlier attempt, ``may_have_been_applied`` is set.
            ValidationError: 400 with ``field_errors`` and ``error_codes`` (``details[].code``).
            NotFoundError: unknown order.
            VismaNetError: any other subclass.
        """
        return self._change(
            ep.SO_DELETE,
            order_type,
            order_id,
            if_match=if_match,
        )
