"""Customer invoices (ERP API). Create bodies use the ``{"value": ...}`` wrapper."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field

from vismanet._models._base import (
    ApiModel,
    AttachmentRef,
    ErpWriteModel,
    IdDescription,
    Metadata,
    NumberName,
)
from vismanet._time import DocumentDate, UtcDatetime


class InvoiceStatus(StrEnum):
    """Known values of ``CustomerInvoice.status``."""

    HOLD = "Hold"
    BALANCED = "Balanced"
    VOIDED = "Voided"
    SCHEDULED = "Scheduled"
    OPEN = "Open"
    CLOSED = "Closed"
    PENDING_PRINT = "PendingPrint"
    PENDING_EMAIL = "PendingEmail"
    CREDIT_HOLD = "CreditHold"
    CC_HOLD = "CcHold"
    RESERVED = "Reserved"


class CustomerInvoiceLine(ApiModel):
    """``CustomerInvoiceLineDto``."""

    line_number: int | None = None
    inventory_number: str | None = None
    description: str | None = None
    quantity: float | None = None
    unit_price: float | None = None
    unit_price_in_currency: float | None = None
    amount: float | None = None
    amount_in_currency: float | None = None
    uom: str | None = None
    discount_percent: float | None = None
    discount_amount: float | None = None
    account: dict[str, Any] | None = None
    vat_code: IdDescription | None = None
    branch_number: NumberName | None = None
    note: str | None = None
    so_order_type: str | None = None
    so_order_nbr: str | None = None
    so_shipment_nbr: str | None = None
    item_type: str | None = None
    attachments: list[AttachmentRef] | None = None


class CustomerInvoice(ApiModel):
    """``CustomerInvoiceDto``. ``reference_number`` is the invoice number used in paths.

    ``etag`` is the response's ``ETag`` header on ``get``.
    """

    reference_number: str | None = None
    document_type: str | None = None
    status: str | None = None
    hold: bool | None = None
    customer: NumberName | None = None
    document_date: UtcDatetime = None
    orig_invoice_date: UtcDatetime = None
    document_due_date: UtcDatetime = None
    post_period: str | None = None
    financial_period: str | None = None
    currency_id: str | None = None
    amount: float | None = None
    amount_in_currency: float | None = None
    balance: float | None = None
    vat_total: float | None = None
    detail_total: float | None = None
    customer_ref_number: str | None = None
    external_reference: str | None = None
    invoice_text: str | None = None
    note: str | None = None
    location: dict[str, Any] | None = None
    branch_number: NumberName | None = None
    credit_terms: IdDescription | None = None
    payment_method: IdDescription | None = None
    invoice_address: dict[str, Any] | None = None
    invoice_contact: dict[str, Any] | None = None
    attachments: list[AttachmentRef] | None = None
    invoice_lines: list[CustomerInvoiceLine] | None = None
    send_to_auto_invoice: bool | None = None
    last_modified_date_time: UtcDatetime = None
    created_date_time: UtcDatetime = None
    time_stamp: str | None = None
    error_info: str | None = None
    metadata: Metadata | None = None
    etag: str | None = None


class InvoiceAddressUpdate(ErpWriteModel):
    """Wrapped billing address; set ``override_address`` to replace the customer's."""

    override_address: bool | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    address_line3: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country_id: str | None = None
    county: str | None = None


class InvoiceContactUpdate(ErpWriteModel):
    """Wrapped invoice contact; set ``override_contact`` to replace the customer's."""

    override_contact: bool | None = None
    name: str | None = None
    attention: str | None = None
    email: str | None = None
    phone1: str | None = None


class SubaccountSegment(ApiModel):
    segment_id: int | str
    segment_value: str


class NewCustomerInvoiceLine(ErpWriteModel):
    """``CustomerInvoiceLinesUpdateDto``. ``quantity`` is a decimal (2.5 = two and a half
    hours). With ``inventory_number`` set, account, VAT and price default from the item."""

    unwrapped: ClassVar[frozenset[str]] = frozenset({"operation", "subaccount"})

    operation: str = "Insert"
    line_number: int | None = None
    inventory_number: str | None = None
    description: str | None = None
    quantity: float | None = None
    unit_price_in_currency: float | None = None
    manual_amount_in_currency: float | None = None
    uom: str | None = None
    account_number: str | None = None
    subaccount: list[SubaccountSegment] | None = None
    vat_code_id: str | None = None
    discount_percent: float | None = None
    discount_amount_in_currency: float | None = None
    manual_discount: bool | None = None
    discount_code: str | None = None
    salesperson: str | None = None
    branch_number: str | None = None
    note: str | None = None
    term_start_date: DocumentDate | None = None
    term_end_date: DocumentDate | None = None
    task_id: str | None = None
    item_type: str | None = None


class NewCustomerInvoice(ErpWriteModel):
    """``CustomerInvoiceUpdateDto`` for ``POST /v2/customerinvoice``.

    Scalars are sent as ``{"value": ...}``; ``invoice_lines`` is a plain array. Keep ``hold``
    true to let the office review the invoice in Visma.net. Put a marker you can search for
    (``customer_ref_number`` or ``external_reference``) on it so an ambiguous failure can be
    resolved by ``customer_invoices.list(...)`` instead of creating it twice.
    """

    unwrapped: ClassVar[frozenset[str]] = frozenset({"invoice_lines", "tax_detail_lines"})

    customer_number: str
    document_date: DocumentDate | None = None
    hold: bool | None = None
    customer_ref_number: str | None = None
    external_reference: str | None = None
    invoice_text: str | None = None
    note: str | None = None
    location_id: str | None = None
    branch_number: str | None = None
    currency_id: str | None = None
    credit_terms_id: str | None = None
    payment_method_id: str | None = None
    document_due_date: DocumentDate | None = None
    cash_discount_date: DocumentDate | None = None
    financial_period: str | None = None
    post_period: str | None = None
    salesperson: str | None = None
    sales_person_id: int | None = Field(default=None, alias="salesPersonID")
    project: str | None = None
    contact: int | None = None
    billing_address: InvoiceAddressUpdate | None = None
    invoice_contact: InvoiceContactUpdate | None = None
    send_to_auto_invoice: bool | None = None
    dont_print: bool | None = None
    dont_email: bool | None = None
    reference_number: str | None = None
    override_number_series: bool | None = None
    invoice_lines: list[NewCustomerInvoiceLine]
    tax_detail_lines: list[dict[str, Any]] | None = None
