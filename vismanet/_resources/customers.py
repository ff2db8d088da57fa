"""Customers and their locations (ERP API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vismanet import _endpoints as ep
from vismanet._errors import NotFoundError
from vismanet._models.customers import Customer, CustomerLocation
from vismanet._paging import Paginated, paginate_erp, paginate_v3
from vismanet._resources._base import Condition, Resource, delta_params, optional, parse_with_etag


class Customers(Resource):
    """``client.customers``: ERP customers (``CustomerDto``)."""

    def list(
        self,
        *,
        last_modified: datetime | None = None,
        last_modified_condition: Condition = ">=",
        status: str | None = None,
        name: str | None = None,
        page_size: int = 1000,
        start_page: int = 1,
        extra_params: dict[str, str] | None = None,
    ) -> Paginated[Customer]:
        """All customers, or those changed relative to ``last_modified``; lazily paged.

        Calls ``GET /v1/customer`` (contract ``customer.list``) with ``pageNumber``/``pageSize``.
        ``last_modified`` must be an aware datetime; it is sent in UTC as
        ``lastModifiedDateTime=yyyy-MM-ddTHH:mm:ss.fff`` together with
        ``lastModifiedDateTimeCondition`` (``>``, ``>=``, ``<``, ``<=``). Use ``>=`` from your
        high-water mark minus a few minutes and dedupe by ``number``: ERP page order is not
        guaranteed and rows may repeat or shift while paging. Deletions are invisible here.

        Args:
            status: e.g. ``"Active"``; ``None`` for all.
            name: Name filter as the API applies it.
            page_size: Requested size; the server may clamp it (handled).
            start_page: First ``pageNumber`` to fetch (1-based), e.g. to resume a long read
                without fetching the pages before it again; same ``page_size`` needed.
            extra_params: Further query parameters from the contract, sent as given.

        Raises:
            ValueError: ``last_modified`` is naive, the condition is unknown or
                ``start_page`` < 1.
            VismaNetError: any subclass, while iterating.
        """
        params = [
            *delta_params(last_modified, last_modified_condition),
            *optional(status=status, name=name),
            *(extra_params or {}).items(),
        ]
        return paginate_erp(
            self._transport,
            ep.CUSTOMER_LIST,
            parse=Customer.model_validate,
            page_size=page_size,
            params=params,
            start_page=start_page,
        )

    def get(self, number: str) -> Customer:
        """One customer by customer number, with its ETag.

        Calls ``GET /v1/customer/{customerCd}`` (contract ``customer.get``). A number the
        ERP path cannot carry (``/``, ``&``, ``%``, ``?`` …, see ``segment_is_safe``) is
        looked up by query instead: ``GET /api/v3/Customers?filter=<number>`` (contract
        ``customer_v3.list``, needs the Sales Orders read scope) for its ``internalId``,
        then ``GET /v1/customer/internal/{internalId}`` (``customer.get_internal``).

        Raises:
            NotFoundError: no customer with this number.
            VismaNetError: any other subclass.
        """
        if not ep.segment_is_safe(number, ep.CUSTOMER_GET.base):
            return self.get_by_internal_id(self._internal_id_of(number))
        response = self._transport.request(ep.CUSTOMER_GET, path_params={"customerCd": number})
        return parse_with_etag(Customer, response, ep.CUSTOMER_GET)

    def _internal_id_of(self, number: str) -> int:
        """The ``internalId`` of the customer whose number is exactly ``number`` (v3 filter)."""

        def parse(record: Any) -> Any:
            return record

        records = paginate_v3(
            self._transport,
            ep.CUSTOMER_V3_LIST,
            parse=parse,
            page_size=100,
            params=[("filter", number)],
        )
        for record in records:
            if isinstance(record, dict) and record.get("id") == number:
                internal_id = record.get("internalId")
                if isinstance(internal_id, int):
                    return internal_id
        raise NotFoundError(
            f"No customer with number {number!r}.",
            operation=ep.CUSTOMER_V3_LIST.name,
            method=ep.CUSTOMER_V3_LIST.method,
        )

    def get_by_internal_id(self, internal_id: int) -> Customer:
        """One customer by ``internalId``.

        Calls ``GET /v1/customer/internal/{internalId}`` (contract ``customer.get_internal``).

        Raises:
            NotFoundError: unknown id.
            VismaNetError: any other subclass.
        """
        response = self._transport.request(
            ep.CUSTOMER_GET_INTERNAL, path_params={"internalId": internal_id}
        )
        return parse_with_etag(Customer, response, ep.CUSTOMER_GET_INTERNAL)


class CustomerLocations(Resource):
    """``client.customer_locations``: work addresses (ERP ``LocationDto``)."""

    def list_for_customer(
        self,
        customer_number: str,
        *,
        last_modified: datetime | None = None,
        last_modified_condition: Condition = ">=",
        page_size: int = 1000,
    ) -> Paginated[CustomerLocation]:
        """Locations of one customer; lazily paged.

        Calls ``GET /v1/location/{bAccountId}`` (contract ``customer_location.list``); the delta
        filter works as in ``Customers.list`` (aware datetime, sent in UTC).

        Raises:
            UnaddressableError: a customer number the path cannot carry (use ``list`` and
                filter on ``baccount.number``); nothing is sent.
            NotFoundError: unknown customer.
            VismaNetError: any other subclass, while iterating.
        """
        return paginate_erp(
            self._transport,
            ep.CUSTOMER_LOCATION_LIST,
            parse=CustomerLocation.model_validate,
            page_size=page_size,
            path_params={"bAccountId": customer_number},
            params=delta_params(last_modified, last_modified_condition),
        )

    def list(
        self,
        *,
        last_modified: datetime | None = None,
        last_modified_condition: Condition = ">=",
        page_size: int = 1000,
        start_page: int = 1,
    ) -> Paginated[CustomerLocation]:
        """Locations of all business accounts (customers *and suppliers*); lazily paged.

        Calls ``GET /v1/location`` (contract ``location.list``); the delta filter and
        ``start_page`` work as in ``Customers.list``. Keep only the accounts you know as
        customers.

        Raises:
            VismaNetError: any subclass, while iterating.
        """
        return paginate_erp(
            self._transport,
            ep.LOCATION_LIST,
            parse=CustomerLocation.model_validate,
            page_size=page_size,
            params=delta_params(last_modified, last_modified_condition),
            start_page=start_page,
        )

    def get(self, customer_number: str, location_id: str) -> CustomerLocation:
        """One location.

        Calls ``GET /v1/location/{bAccountId}/{locationId}`` (contract
        ``customer_location.get``).

        Raises:
            UnaddressableError: a number the path cannot carry; nothing is sent.
            NotFoundError: unknown customer or location.
            VismaNetError: any other subclass.
        """
        body = self._transport.request_json(
            ep.CUSTOMER_LOCATION_GET,
            path_params={"bAccountId": customer_number, "locationId": location_id},
        )
        return CustomerLocation.model_validate(body)
