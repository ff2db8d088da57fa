"""The settings form of the Visma.net integration (manual 5.3–5.11, wording from the manual).

Every field of :class:`~werkbon.integrations.vismanet.config.VismaNetSettings`; item and
warehouse fields are text inputs with suggestions read from Visma.net (non-stock active
items, warehouses), so nothing has to be imported first. ``to_settings()`` gives the
validated settings document; the checks against Visma.net are run by the view.
"""

from __future__ import annotations

from typing import Any

import pydantic
from django import forms
from django.utils.translation import gettext_lazy as _

from werkbon.integrations.vismanet.config import (
    ImageOption,
    NotesOption,
    OrderImportOption,
    PdfOption,
    ReferenceOption,
    TargetOption,
    VismaNetSettings,
)

YES_NO = (("1", _("Yes")), ("0", _("No")))


def _yes_no(label: Any, help_text: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, help_text=help_text, choices=YES_NO,
                                  coerce=lambda value: value == "1", initial="0")


def _code(label: Any, help_text: Any, datalist: str = "") -> forms.CharField:
    attrs = {"autocomplete": "off", "list": datalist} if datalist else {"autocomplete": "off"}
    return forms.CharField(label=label, help_text=help_text, required=False, max_length=30,
                           widget=forms.TextInput(attrs=attrs))


# Fields that apply only for some answers to other questions: field -> the (question, answers)
# of which one must hold. The page hides them otherwise (``integrations/settings-form.js``);
# the form then ignores what they hold (``NOT_APPLYING_VALUE``), so a hidden value is never
# checked nor saved (issue 15). The order import of sales orders reads the sales order type.
_ORDERS = (OrderImportOption.SALES_ORDERS.value, OrderImportOption.QUOTES.value)
_SALES_ORDER = (TargetOption.SALES_ORDER.value,)
APPLIES_WHEN: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "default_item": (("default_item_enabled", ("1",)),),
    "order_import_filter_word": (("order_import", _ORDERS),),
    "order_import_lines": (("order_import", _ORDERS),),
    "sales_order_type": (("target", _SALES_ORDER),
                         ("order_import", (OrderImportOption.SALES_ORDERS.value,))),
    "warehouse_per_user": (("target", _SALES_ORDER),),
    "default_warehouse": (("target", _SALES_ORDER),),
}
NOT_APPLYING_VALUE: dict[str, Any] = {
    "default_item": "", "order_import_filter_word": "", "order_import_lines": False,
    "sales_order_type": "SO", "warehouse_per_user": False, "default_warehouse": "",
}

# A short name per setting, where the question itself would be too long or would repeat the
# message: the list of problems above the form ("Standaardmagazijn: Kies het standaard
# magazijn …") and the log's Table column ("Instellingen Artikel werktijd").
SHORT_LABELS: dict[str, Any] = {
    "company": _("Company / administration"),
    "work_time_item": _("Work-time item"),
    "travel_time_item": _("Travel-time item"),
    "hour_unit_confirmed": _("Unit of the time items"),
    "default_item_enabled": _("Add a default item"),
    "default_item": _("Default item"),
    "filter_word": _("Filter word"),
    "notes": _("Memo/note field"),
    "customer_reference": _("Customer reference"),
    "pdfs": _("Documents"),
    "images": _("Images"),
    "order_import": _("Fetch orders/quotes"),
    "order_import_filter_word": _("Filter word for orders/quotes"),
    "order_import_lines": _("Order lines"),
    "target": _("Archived work order becomes"),
    "sales_order_type": _("Order type"),
    "warehouse_per_user": _("Warehouse per user"),
    "default_warehouse": _("Default warehouse"),
    "sync_interval_seconds": _("Fetch interval"),
    "terms": _("Terms of use"),
}


class SettingsForm(forms.Form):
    """The Visma.net settings page (manual 5): items, warehouse, target document and filters.

    A valid form holds the validated ``VismaNetSettings``; ``require_terms`` adds the terms box.
    A field of :data:`APPLIES_WHEN` whose question has another answer is ignored.
    """

    # Work time first: it is on every work order; travel time is the extra.
    work_time_item = _code(
        _("On which item in your accounting software do you want to register work time?"),
        _("Choose from the non-stock items. Four hours of work time become 4 × this item. "
          "Leave empty to not send work time."), "vismanet-items")
    travel_time_item = _code(
        _("On which item in your accounting software do you want to register travel time?"),
        _("Choose from the non-stock items. Two hours of travel time become 2 × this item. "
          "Leave empty to not send travel time."), "vismanet-items")
    # Time is sent in hours: needed only when the check says a time item's unit does not
    # look like hours (checks.looks_like_hours); not stored.
    hour_unit_confirmed = forms.BooleanField(
        label=_("The unit of the work-time and travel-time items counts hours"),
        help_text=_("Tick this only when the check says an item's unit does not look like hours "
                    "and that unit does count hours."), required=False)
    default_item_enabled = _yes_no(
        _("Automatically add a default item?"),
        _("A fixed item on every sales order or customer invoice, for example a call-out fee."))
    default_item = _code(_("Item number in your accounting software"),
                         _("The default item, added once to every document."), "vismanet-items")
    filter_word = forms.CharField(
        label=_("An optional filter word, for work orders you do NOT want to send to your accounting software"),
        help_text=_("A work order whose work description contains this word is not sent after archiving."),
        required=False, max_length=200, strip=False)
    notes = forms.ChoiceField(
        label=_("What do you want in the memo/note field in your accounting software?"),
        help_text=_("Shown on the sales order or customer invoice under Notes."),
        widget=forms.RadioSelect, initial=NotesOption.WORK_ADDRESS_AND_DESCRIPTION.value,
        choices=[(NotesOption.WORK_ADDRESS.value, _("Work address")),
                 (NotesOption.WORK_ADDRESS_AND_DESCRIPTION.value, _("Work address and work description")),
                 (NotesOption.DESCRIPTION.value, _("Work description")),
                 (NotesOption.NOTHING.value, _("Nothing"))])
    customer_reference = forms.ChoiceField(
        label=_("What do you want as customer reference in your accounting software?"),
        help_text=_("Placed in the customer reference of the document in Visma.net."),
        widget=forms.RadioSelect, initial=ReferenceOption.BOTH.value,
        choices=[(ReferenceOption.WORK_ORDER_NUMBER.value, _("Work order number")),
                 (ReferenceOption.CUSTOMER_REFERENCE.value, _("Customer reference")),
                 (ReferenceOption.BOTH.value, _("Work order number and customer reference")),
                 (ReferenceOption.NOTHING.value, _("Nothing"))])
    pdfs = forms.ChoiceField(
        label=_("Which documents do you want in your accounting software?"),
        help_text=_("The PDFs are attached to the sales order or customer invoice."),
        widget=forms.RadioSelect, initial=PdfOption.WORK_ORDER.value,
        choices=[(PdfOption.WORK_ORDER.value, _("Only the work order PDF")),
                 (PdfOption.WORK_ORDER_AND_FORMS.value, _("Work order PDF and custom forms (PDF)")),
                 (PdfOption.FORMS.value, _("Only the custom forms (PDF)")),
                 (PdfOption.NOTHING.value, _("Nothing"))])
    images = forms.ChoiceField(
        label=_("Which images of the work order do you want in your accounting software?"),
        help_text=_("Attached beside the PDFs as PNG or JPEG files: the customer's signature "
                    "(handtekening-12.png) and the photos taken on the work order (foto-12-1.jpg)."),
        widget=forms.RadioSelect, initial=ImageOption.SIGNATURE.value, required=False,  # absent: default
        choices=[(ImageOption.SIGNATURE.value, _("Only the customer's signature")),
                 (ImageOption.SIGNATURE_AND_PHOTOS.value, _("The customer's signature and the photos")),
                 (ImageOption.NOTHING.value, _("Nothing"))])
    order_import = forms.ChoiceField(
        label=_("Do you want to fetch orders/quotes from your accounting software as work orders?"),
        help_text=_("Sales orders have order type SO in Visma.net, quotes QT."),
        widget=forms.RadioSelect, initial=OrderImportOption.NOTHING.value,
        choices=[(OrderImportOption.SALES_ORDERS.value, _("Sales order")),
                 (OrderImportOption.QUOTES.value, _("Quote")),
                 (OrderImportOption.NOTHING.value, _("Nothing"))])
    order_import_filter_word = forms.CharField(
        label=_("Enter an optional filter word"),
        help_text=_("Only orders whose description contains this word become work orders."),
        required=False, max_length=200, strip=False)
    order_import_lines = _yes_no(
        _("Do you want to take the order lines over as used items on the work order?"),
        _("The items on the order in Visma.net become material lines of the work order."))
    target = forms.ChoiceField(
        label=_("What should an archived work order become in your accounting system?"),
        help_text=_("For a sales order a few more settings follow."),
        widget=forms.RadioSelect, initial=TargetOption.SALES_ORDER.value,
        choices=[(TargetOption.SALES_ORDER.value, _("Sales order")),
                 (TargetOption.CUSTOMER_INVOICE.value, _("Invoice"))])
    sales_order_type = forms.CharField(
        label=_("Order type of the sales orders"), help_text=_("Usually SO."),
        initial="SO", required=False, max_length=2)
    warehouse_per_user = _yes_no(
        _("Do you want to book the sales order on a warehouse per user?"),
        _("Each technician's work orders are booked on that user's default warehouse."))
    default_warehouse = _code(_("Choose the default warehouse to book items from."),
                              _("Required when the sales order is not booked per user."),
                              "vismanet-warehouses")
    sync_interval_seconds = forms.IntegerField(
        label=_("How often are changes fetched from Visma.net (seconds)?"),
        help_text=_("Default 60 seconds."), initial=60, min_value=2, max_value=3600)

    def __init__(self, *args: Any, require_terms: bool = False,
                 warehouses: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if warehouses:
            # A pick list of Visma.net's active warehouses; a saved code that is not in it
            # stays selectable (the check says what is wrong with it). Without the list
            # (Visma.net unreachable) the field stays free text.
            current = (self.data.get(self.add_prefix("default_warehouse")) if self.is_bound
                       else self.initial.get("default_warehouse")) or ""
            choices = [("", "—"), *((code, f"{code} — {description}" if description else code)
                                    for code, description in warehouses)]
            if current and current not in {code for code, _d in warehouses}:
                choices.append((current, current))
            self.fields["default_warehouse"].widget = forms.Select(choices=choices)
        if require_terms:
            self.fields["terms"] = forms.BooleanField(
                label=_("I agree to the terms of use of this integration"), required=True,
                error_messages={"required": _("Accept the terms of use to activate the integration.")})

    @classmethod
    def initial_from(cls, settings: VismaNetSettings | None) -> dict[str, Any]:
        """Initial form data from saved settings: booleans as ``"1"``/``"0"``, None as ``""``."""
        if settings is None:
            return {}
        data = settings.model_dump(mode="json")
        for name in ("default_item_enabled", "order_import_lines", "warehouse_per_user"):
            data[name] = "1" if data[name] else "0"
        return {key: ("" if value is None else value) for key, value in data.items()}

    def clean(self) -> dict[str, Any]:
        """Trim and upper-case codes, check the filter words and the fields the target needs, then
        validate the whole document as ``VismaNetSettings`` (errors become form errors).
        """
        cleaned = super().clean() or {}
        for name in self.not_applying():
            self.errors.pop(name, None)
            cleaned[name] = NOT_APPLYING_VALUE[name]
        for name in ("travel_time_item", "work_time_item", "default_item", "default_warehouse",
                     "sales_order_type"):
            if name in cleaned:
                cleaned[name] = (cleaned[name] or "").strip().upper() if name == "sales_order_type" \
                    else (cleaned[name] or "").strip()
        for name in ("filter_word", "order_import_filter_word"):
            value = cleaned.get(name) or ""
            if value != value.strip():
                self.add_error(name, _("Remove the spaces before or after the filter word."))
            elif len(value) > 100:
                self.add_error(name, _("At most 100 characters."))
        if "images" in cleaned and not cleaned["images"]:  # a client from before issue 11
            cleaned["images"] = ImageOption.SIGNATURE.value
        if cleaned.get("default_item_enabled") and not cleaned.get("default_item"):
            self.add_error("default_item", _("Choose the default item, or switch the default item off."))
        target = cleaned.get("target")
        if target == TargetOption.SALES_ORDER.value:
            if not cleaned.get("sales_order_type"):
                self.add_error("sales_order_type", _("Enter the order type of the sales orders (usually SO)."))
            if not cleaned.get("warehouse_per_user") and not cleaned.get("default_warehouse"):
                self.add_error("default_warehouse", _("Choose the default warehouse to book items from."))
        if not self.errors:
            try:
                self._settings = VismaNetSettings.model_validate(self._document(cleaned))
            except pydantic.ValidationError as error:
                self.add_error(None, _("These settings are not valid: %(error)s")
                               % {"error": "; ".join(e["msg"] for e in error.errors())})
        return cleaned

    def answer(self, question: str) -> str:
        """The answer to ``question`` as posted (bound) or as initially shown."""
        field = self.fields[question]
        if self.is_bound:
            value = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(question))
        else:
            value = self.initial.get(question, field.initial)
        return "" if value is None else str(value)

    def not_applying(self) -> list[str]:
        """The fields of :data:`APPLIES_WHEN` that do not apply to the current answers."""
        return [name for name, conditions in APPLIES_WHEN.items() if name in self.fields
                and not any(self.answer(question) in answers for question, answers in conditions)]

    @staticmethod
    def _document(cleaned: dict[str, Any]) -> dict[str, Any]:
        fields = VismaNetSettings.model_fields
        document = {key: cleaned[key] for key in fields if key in cleaned}
        for key in ("travel_time_item", "work_time_item", "default_item", "default_warehouse"):
            document[key] = document.get(key) or None
        if not document.get("sales_order_type"):
            document["sales_order_type"] = "SO"  # unused for invoices, but the model needs one
        return document

    def to_settings(self) -> VismaNetSettings:
        """The validated settings; call after ``is_valid()`` returned True."""
        return self._settings
