"""Sales orders and quotes through the Sales Orders v3 API (bodies are never value-wrapped)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator

from vismanet._models._base import ApiModel, AttachmentRef, IdDescription, RequestModel
from vismanet._time import DocumentDate, UtcDatetime


class OrderStatus(StrEnum):
    """Known status codes of orders and quotes (``status`` stays a plain string)."""

    OPEN = "Open"
    HOLD = "Hold"
    CREDIT_HOLD = "CreditHold"
    COMPLETED = "Completed"
    CANCELLED = "Cancelled"
    BACK_ORDER = "BackOrder"
    SHIPPING = "Shipping"
    INVOICED = "Invoiced"
    PENDING_APPROVAL = "PendingApproval"
    VOIDED = "Voided"


# ---- read side -------------------------------------------------------------------------------


class SalesOrderSummary(ApiModel):
    """``SalesOrderListDto``: one row of a v3 list (no lines). Key: (``type``, ``order_id``)."""

    order_id: str | None = None
    type: str | None = None
    status: str | None = None
    date: UtcDatetime = None
    request_on: UtcDatetime = None
    shipping_scheduled_date: UtcDatetime = None
    last_modified: UtcDatetime = None
    customer_id: str | None = None
    customer_name: str | None = None
    customer_order: str | None = None
    customer_ref_no: str | None = None
    location: str | None = None
    description: str | None = None
    currency: str | None = None
    order_qty: float | None = None
    order_total: float | None = None
    links: dict[str, Any] | None = Field(default=None, alias="_links")


class SalesOrderStatusInfo(ApiModel):
    """``status`` of a v3 order: ``description`` is the status code, e.g. ``"Open"``."""

    description: str | None = None
    hold: bool | None = None
    cancelled: bool | None = None


class V3Address(ApiModel):
    id: int | str | None = None
    line1: str | None = None
    line2: str | None = None
    line3: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: dict[str, Any] | None = None
    county: dict[str, Any] | None = None
    overrides_default: bool | None = None


class V3Contact(ApiModel):
    id: int | str | None = None
    name: str | None = None
    attention: str | None = None
    email: str | None = None
    phone1: str | None = None
    phone2: str | None = None
    fax: str | None = None
    overrides_default: bool | None = None


class V3Party(ApiModel):
    address: V3Address | None = None
    contact: V3Contact | None = None


class SalesOrderCustomer(ApiModel):
    id: str | None = None
    internal_id: int | None = None
    name: str | None = None
    contact_id: int | None = None
    order: str | None = None
    ref_no: str | None = None
    location: dict[str, Any] | None = None
    tax_zone: IdDescription | None = None


class SalesOrder(ApiModel):
    """``SalesOrderDto`` (v3 get). Sections appear only when expanded; lines never do.

    ``etag`` is the response's ``ETag`` header: pass it as ``if_match`` to modifications.
    """

    type: str | None = None
    order_id: str | None = None
    status: SalesOrderStatusInfo | None = None
    date: UtcDatetime = None
    request_on: UtcDatetime = None
    cancel_by: UtcDatetime = None
    last_modified: UtcDatetime = None
    created_by: str | None = None
    currency_id: str | None = None
    description: str | None = None
    note: str | None = None
    order_qty: float | None = None
    customer: SalesOrderCustomer | None = None
    billing: V3Party | None = None
    shipping: dict[str, Any] | None = None
    financial_information: dict[str, Any] | None = None
    payment_settings: dict[str, Any] | None = None
    freight: dict[str, Any] | None = None
    totals: dict[str, Any] | None = None
    branch: IdDescription | None = None
    project: dict[str, Any] | None = None
    sales_person: IdDescription | None = None
    owner: dict[str, Any] | None = None
    origin: dict[str, Any] | None = None
    original_order_id: str | None = None
    original_order_type: str | None = None
    print_: dict[str, Any] | None = Field(default=None, alias="print")
    attachments: list[AttachmentRef] | None = None
    version: str | None = None
    etag: str | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _status_from_string(cls, value: Any) -> Any:
        # Tolerate a plain status code where the spec promises an object.
        return {"description": value} if isinstance(value, str) else value

    @property
    def status_code(self) -> str | None:
        """The status code (``"Open"``, ``"Hold"``…), whichever shape the API sent."""
        return self.status.description if self.status else None


class LineInventory(ApiModel):
    id: str | None = None
    description: str | None = None
    base_unit: str | None = None


class SalesOrderLine(ApiModel):
    """``SalesOrderLineDto``. Quantities are decimal numbers (hours for time items)."""

    line_id: int | None = None
    sort_order: int | None = None
    line_type: str | None = None
    inventory: LineInventory | None = None
    description: str | None = None
    quantity: float | None = None
    open_quantity: float | None = None
    billed_quantity: float | None = None
    unit_of_measure: str | None = None
    unit_price: float | None = None
    unit_cost: float | None = None
    extended_price: float | None = None
    discount_percent: float | None = None
    discount_amount: float | None = None
    has_manual_price: bool | None = None
    warehouse_id: str | None = None
    warehouse_location: IdDescription | None = None
    operation: str | None = None
    request_date: UtcDatetime = None
    ship_date: UtcDatetime = None
    completed: bool | None = None
    note: str | None = None
    attachments: list[AttachmentRef] | None = None


# ---- write side (NewSalesOrderCommand, PatchSalesOrderCommand, line DTOs) -------------------


class NewSalesOrderCustomer(RequestModel):
    id: str | None = None
    location_id: str | None = None
    contact_id: int | None = None
    gln: str | None = None
    order: str | None = Field(default=None, max_length=40)
    ref_no: str | None = Field(default=None, max_length=40)
    terms_id: str | None = None


class NewSalesOrderAddress(RequestModel):
    line1: str | None = Field(default=None, max_length=50)
    line2: str | None = Field(default=None, max_length=50)
    line3: str | None = Field(default=None, max_length=50)
    postal_code: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=50)
    country_id: str | None = Field(default=None, max_length=2)
    state_id: str | None = Field(default=None, max_length=50)
    overrides_default: bool | None = None  # patch only


class NewSalesOrderContact(RequestModel):
    name: str | None = Field(default=None, max_length=255)
    attention: str | None = Field(default=None, max_length=255)
    email: str | None = Field(default=None, max_length=255)
    phone1: str | None = Field(default=None, max_length=50)
    overrides_default: bool | None = None  # patch only


class NewSalesOrderBilling(RequestModel):
    address: NewSalesOrderAddress | None = None
    contact: NewSalesOrderContact | None = None


class NewSalesOrderShipping(RequestModel):
    address: NewSalesOrderAddress | None = None
    contact: NewSalesOrderContact | None = None
    preferred_warehouse_id: str | None = Field(default=None, max_length=30)
    ship_via_id: str | None = Field(default=None, max_length=15)
    terms_id: str | None = Field(default=None, max_length=15)
    zone_id: str | None = Field(default=None, max_length=15)
    fob_point_id: str | None = Field(default=None, max_length=15)
    rule: str | None = None
    priority: int | None = None
    scheduled_date: DocumentDate | None = None
    ship_separately: bool | None = None
    residential_delivery: bool | None = None
    saturday_delivery: bool | None = None
    insurance: bool | None = None
    intrastat_transaction_type_id: int | None = None


class NewSalesOrderFinancialInformation(RequestModel):
    invoice_date: DocumentDate | None = None
    due_date: DocumentDate | None = None
    cash_discount_date: DocumentDate | None = None
    invoice_id: str | None = Field(default=None, max_length=15)
    invoice_separately: bool | None = None
    post_period: str | None = Field(default=None, max_length=6)


class NewSalesOrderPaymentSettings(RequestModel):
    payment_method_id: str | None = None
    cash_account_id: str | None = Field(default=None, max_length=10)
    payment_reference: str | None = Field(default=None, max_length=40)


class NewSalesOrderFreight(RequestModel):
    cost: float | None = None
    premium_amount: float | None = None
    tax_category_id: str | None = Field(default=None, max_length=10)


class NewSalesOrderPrint(RequestModel):
    description_on_invoice: bool | None = None
    note_on_external_documents: bool | None = None
    note_on_internal_documents: bool | None = None


class _LineFields(RequestModel):
    quantity: float | None = None
    unit_price: float | None = None
    has_manual_price: bool | None = None
    unit_of_measure: str | None = Field(default=None, max_length=6)
    warehouse_id: str | None = None
    warehouse_location_id: str | None = None
    description: str | None = Field(default=None, max_length=256)
    note: str | None = Field(default=None, max_length=2048)
    unit_cost: float | None = None
    discount_percent: float | None = Field(default=None, ge=-100, le=100)
    discount_amount: float | None = None
    discount_code: str | None = Field(default=None, max_length=10)
    has_manual_discount: bool | None = None
    operation: str | None = None
    request_date: DocumentDate | None = None
    ship_date: DocumentDate | None = None
    shipping_rule: str | None = None
    branch_id: str | None = Field(default=None, max_length=30)
    sales_person_id: str | None = Field(default=None, max_length=15)
    sales_account_id: str | None = Field(default=None, max_length=10)
    subaccount: dict[str, str] | None = None
    tax_category_id: str | None = None
    project_task_id: str | None = Field(default=None, max_length=30)
    reason_code: str | None = None
    external_link: str | None = Field(default=None, max_length=255)
    commissionable: bool | None = None
    purchase_order_source: str | None = None
    supplier_id: str | None = None
    supplier_price: float | None = None
    overship_threshold: float | None = Field(default=None, ge=100, le=999)
    undership_threshold: float | None = Field(default=None, ge=0, le=100)


class NewSalesOrderLine(_LineFields):
    """``NewSalesOrderLineDto``. ``quantity`` is a decimal (2.5 = two and a half hours);
    omit ``unit_price`` to let Visma's price rules decide."""

    inventory_id: str = Field(min_length=1)


class SalesOrderLinePatch(_LineFields):
    """``PatchSalesOrderLineDto``: ``line_id`` plus the fields to change."""

    line_id: int
    sort_order: int | None = None


class _OrderHeaderFields(RequestModel):
    description: str | None = Field(default=None, max_length=255)
    note: str | None = Field(default=None, max_length=2048)
    date: DocumentDate | None = None
    request_on: DocumentDate | None = None
    cancel_by: DocumentDate | None = None
    branch_id: str | None = Field(default=None, max_length=30)
    currency_id: str | None = Field(default=None, max_length=5)
    tax_zone_id: str | None = None
    project_id: str | None = Field(default=None, max_length=30)
    sales_person_id: str | None = Field(default=None, max_length=15)
    owner_id: str | None = None
    original_order_type: str | None = Field(default=None, max_length=2)
    original_order_id: str | None = Field(default=None, max_length=15)
    billing: NewSalesOrderBilling | None = None
    shipping: NewSalesOrderShipping | None = None
    financial_information: NewSalesOrderFinancialInformation | None = None
    payment_settings: NewSalesOrderPaymentSettings | None = None
    freight: NewSalesOrderFreight | None = None
    print_: NewSalesOrderPrint | None = Field(default=None, alias="print")
    use_replacement_cost_for_margin_and_profit: bool | None = None


class NewSalesOrder(_OrderHeaderFields):
    """``NewSalesOrderCommand``: ``type`` (``"SO"``, ``"QT"``) and ``customer`` are required.

    ``status`` may be ``"Open"`` or ``"Hold"`` (omit for the order type's default). Dates are
    calendar dates, sent without a zone.
    """

    type: str = Field(min_length=1)
    customer: NewSalesOrderCustomer
    order_id: str | None = Field(default=None, max_length=15)
    status: str | None = None
    order_lines: list[NewSalesOrderLine] | None = None


class SalesOrderPatch(_OrderHeaderFields):
    """``PatchSalesOrderCommand``: only the fields you set change.

    ``status`` may be ``"Open"``, ``"Hold"`` or ``"BackOrder"``.
    """

    customer: NewSalesOrderCustomer | None = None
    status: str | None = None
