"""The settings of the Visma.net integration (manual 5.2–5.11, 6.1–6.4), as one document.

Stored in ``Integration.settings`` (JSON) and validated by :class:`VismaNetSettings`
before it is saved. Each setting is also checked against Visma.net before the wizard can
finish (see ``checks.py``). Changes apply from the moment they are saved, never
retroactively: the export reads the settings when it builds the document.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class NotesOption(StrEnum):
    """What goes into the document's note (manual 5.7)."""

    WORK_ADDRESS = "work_address"
    WORK_ADDRESS_AND_DESCRIPTION = "work_address_and_description"
    DESCRIPTION = "description"
    NOTHING = "nothing"


class ReferenceOption(StrEnum):
    """What goes into the customer reference (manual 5.8)."""

    WORK_ORDER_NUMBER = "work_order_number"
    CUSTOMER_REFERENCE = "customer_reference"
    BOTH = "both"
    NOTHING = "nothing"


class PdfOption(StrEnum):
    """Which PDFs are attached to the document (manual 5.9)."""

    WORK_ORDER = "work_order"
    WORK_ORDER_AND_FORMS = "work_order_and_forms"
    FORMS = "forms"
    NOTHING = "nothing"


class ImageOption(StrEnum):
    """Which images of the work order are attached beside the PDFs (issue 11): the
    customer's signature (``handtekening-12.png``) and/or the work-order photos."""

    SIGNATURE = "signature"
    SIGNATURE_AND_PHOTOS = "signature_and_photos"
    NOTHING = "nothing"


class OrderImportOption(StrEnum):
    """Which Visma.net orders come in as work orders (manual 5.10)."""

    SALES_ORDERS = "sales_orders"
    QUOTES = "quotes"
    NOTHING = "nothing"


class TargetOption(StrEnum):
    """What an archived work order becomes in Visma.net (manual 5.11)."""

    SALES_ORDER = "sales_order"
    CUSTOMER_INVOICE = "customer_invoice"


class VismaNetSettings(BaseModel):
    """All settings; item numbers and warehouse ids are Visma.net's own keys."""

    model_config = ConfigDict(extra="forbid", use_enum_values=False)

    travel_time_item: str | None = Field(default=None, max_length=30)  # None: not sent
    work_time_item: str | None = Field(default=None, max_length=30)  # None: not sent
    default_item_enabled: bool = False
    default_item: str | None = Field(default=None, max_length=30)  # × 1 on every document
    filter_word: str = Field(default="", max_length=100)  # in the description: not sent
    notes: NotesOption = NotesOption.WORK_ADDRESS_AND_DESCRIPTION
    customer_reference: ReferenceOption = ReferenceOption.BOTH
    pdfs: PdfOption = PdfOption.WORK_ORDER
    images: ImageOption = ImageOption.SIGNATURE
    order_import: OrderImportOption = OrderImportOption.NOTHING
    order_import_filter_word: str = Field(default="", max_length=100)
    order_import_lines: bool = True
    target: TargetOption = TargetOption.SALES_ORDER
    sales_order_type: str = Field(default="SO", min_length=1, max_length=2)
    warehouse_per_user: bool = False
    default_warehouse: str | None = Field(default=None, max_length=30)
    sync_interval_seconds: int = Field(default=60, ge=2, le=3600)

    @model_validator(mode="after")
    def _consistent(self) -> VismaNetSettings:
        if self.default_item_enabled and not self.default_item:
            raise ValueError("default_item is required when default_item_enabled is on")
        if (
            self.target == TargetOption.SALES_ORDER
            and not self.warehouse_per_user
            and not self.default_warehouse
        ):
            raise ValueError("default_warehouse is required for sales orders without warehouse per user")
        return self
