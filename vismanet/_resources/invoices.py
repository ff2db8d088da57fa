"""Customer invoices (ERP API)."""

from __future__ import annotations

from datetime import datetime

from vismanet import _endpoints as ep
from vismanet._models._base import Created
from vismanet._models.invoices import CustomerInvoice, NewCustomerInvoice
from vismanet._paging import Paginated, paginate_erp
from vismanet._resources._base import (
    Condition,
    Resource,
    created_from,
    delta_params,
    flag,
    optional,
    parse_with_etag,
)


class CustomerInvoices(Resource):
    """``client.customer_invoices``: customer invoices (``CustomerInvoiceDto``)."""

    def create(self, invoice: NewCustomerInvoice) -> Created:
        """Create an invoice; returns its number (``Location``'s last segment) and ETag.

        Calls ``POST /v2/customerinvoice`` (contract ``customerinvoice.create``) with the
        value-wrapped ``CustomerInvoiceUpdateDto``. Quantities are decimals (hours for time
        items). Never retried after it may have reached Visma: there is no idempotency key.

        Raises:
            ValidationError: 400 (Exception envelope: ``message``, ``error_code``).
            APIConnectionError, APITimeoutError, ServerError: with ``may_have_been_applied``
                True when the invoice may exist: look it up with
                ``list(customer_ref_number=...)`` / ``list(external_reference=...)`` before
                creating it again.
            UnexpectedResponseError: 201 without ``Location`` (the invoice exists).
            VismaNetError: any other subclass.
        """
        response = self._transport.request(ep.INVOICE_CREATE, json=invoice.to_api())
        return created_from(response, ep.INVOICE_CREATE)

    def get(self, invoice_number: str) -> CustomerInvoice:
        """One invoice by number (``referenceNumber``), with its ETag.

        Calls ``GET /v1/customerinvoice/{invoiceNumber}`` (contract ``customerinvoice.get``).
        Dates are aware UTC datetimes.

        Raises:
            NotFoundError: unknown invoice.
            VismaNetError: any other subclass.
        """
        response = self._transport.request(
            ep.INVOICE_GET, path_params={"invoiceNumber": invoice_number}
        )
        return parse_with_etag(CustomerInvoice, response, ep.INVOICE_GET)

    def list(
        self,
        *,
        customer_ref_number: str | None = None,
        external_reference: str | None = None,
        customer: str | None = None,
        status: str | None = None,
        last_modified: datetime | None = None,
        last_modified_condition: Condition = ">=",
        expand_attachments: bool = False,
        page_size: int = 1000,
        extra_params: dict[str, str] | None = None,
    ) -> Paginated[CustomerInvoice]:
        """Invoices matching the filters; lazily paged.

        Calls ``GET /v1/customerinvoice`` (contract ``customerinvoice.list``). Use
        ``customer_ref_number`` / ``external_reference`` to find an invoice you created by
        the marker you put on it. The delta filter works as in ``Customers.list`` (aware
        datetime, sent in UTC).

        Args:
            customer: Customer number.
            expand_attachments: Sends ``expandAttachments=true`` so ``attachments`` is filled.
            extra_params: Further query parameters from the contract, sent as given.

        Raises:
            ValueError: naive datetime or unknown condition.
            VismaNetError: any subclass, while iterating.
        """
        params = [
            *optional(
                customerRefNumber=customer_ref_number,
                externalReference=external_reference,
                customer=customer,
                status=status,
            ),
            *delta_params(last_modified, last_modified_condition),
            *([("expandAttachments", flag(True))] if expand_attachments else []),
            *(extra_params or {}).items(),
        ]
        return paginate_erp(
            self._transport,
            ep.INVOICE_LIST,
            parse=CustomerInvoice.model_validate,
            page_size=page_size,
            params=params,
        )
