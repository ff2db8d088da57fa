"""Customers and customer locations (ERP API)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from vismanet._models._base import (
    ApiModel,
    AttributeValue,
    ErpAddress,
    ErpContact,
    IdDescription,
    Metadata,
    NumberName,
)
from vismanet._time import UtcDatetime


class CustomerStatus(StrEnum):
    """Known values of ``Customer.status`` (the field itself stays a plain string)."""

    ACTIVE = "Active"
    ON_HOLD = "OnHold"
    CREDIT_HOLD = "CreditHold"
    INACTIVE = "Inactive"
    ONE_TIME = "OneTime"


class CustomerLocationRef(ApiModel):
    country_id: str | None = None
    id: str | None = None
    name: str | None = None


class Customer(ApiModel):
    """``CustomerDto``. ``number`` is the key used in paths; timestamps are aware UTC.

    ``etag`` is the response's ``ETag`` header on ``get`` (not part of the body).
    """

    internal_id: int | None = None
    number: str | None = None
    name: str | None = None
    status: str | None = None
    main_address: ErpAddress | None = None
    invoice_address: ErpAddress | None = None
    delivery_address: ErpAddress | None = None
    main_contact: ErpContact | None = None
    invoice_contact: ErpContact | None = None
    delivery_contact: ErpContact | None = None
    account_reference: str | None = None
    parent_record: NumberName | None = None
    customer_class: IdDescription | None = None
    credit_terms: IdDescription | None = None
    currency_id: str | None = None
    credit_verification: str | None = None
    credit_limit: float | None = None
    credit_days_past_due: int | None = None
    vat_registration_id: str | None = None
    corporate_id: str | None = None
    gln: str | None = None
    vat_zone: IdDescription | None = None
    location: CustomerLocationRef | None = None
    price_class: IdDescription | None = None
    invoice_to_default_location: bool | None = None
    statement_type: str | None = None
    print_invoices: bool | None = None
    accept_auto_invoices: bool | None = None
    send_invoices_by_email: bool | None = None
    attributes: list[AttributeValue] | None = None
    default_payment_method_id: str | None = None
    last_modified_date_time: UtcDatetime = None
    created_date_time: UtcDatetime = None
    time_stamp: str | None = None
    error_info: str | None = None
    metadata: Metadata | None = None
    etag: str | None = None

    @property
    def is_active(self) -> bool:
        return self.status == CustomerStatus.ACTIVE


class BAccountRef(ApiModel):
    internal_id: int | None = None
    number: str | None = None
    name: str | None = None


class CustomerLocation(ApiModel):
    """``LocationDto`` (a work address). Key: (``baccount.number``, ``location_id``)."""

    baccount: BAccountRef | None = None
    location_id: str | None = None
    location_name: str | None = None
    active: bool | None = None
    address: ErpAddress | None = None
    contact: ErpContact | None = None
    vat_registration_id: str | None = None
    vat_zone: IdDescription | None = None
    edi_code: str | None = None
    gln: str | None = None
    corporate_id: str | None = None
    last_modified_date_time: UtcDatetime = None
    peppol_scheme: Any = None
    internal_id: int | None = None
    error_info: str | None = None
    metadata: Metadata | None = None
