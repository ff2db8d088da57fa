"""Forms of the work-order screens.

Every form reads through the tenant-scoped managers, so a choice of another tenant's
record is simply not a valid choice. Dates and times are local (Europe/Amsterdam);
:func:`local_datetime` turns them into an aware datetime that Django stores in UTC.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db.models import Q
from django.forms.utils import flatatt
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from werkbon.accounts.models import Role, User
from werkbon.accounts.tenancy import require_current_tenant
from werkbon.workorders import limits
from werkbon.workorders.limits import (
    MAX_PLANNED_MINUTES,
    MAX_TIME_ENTRY_MINUTES,
    date_window_error,
    entry_date_error,
)
from werkbon.workorders.models import (
    Customer,
    FormQuestion,
    FormTemplate,
    InstalledObject,
    Item,
    ItemGroup,
    QuestionKind,
    TimeKind,
    WorkAddress,
    WorkOrder,
    WorkOrderStatus,
)
from werkbon.workorders.numbers import local_number
from werkbon.workorders.photos import prepare_photo
from werkbon.workorders.units import counted_quantity_problem


def date_input() -> forms.DateInput:
    """A browser date picker. Its value must be ISO (YYYY-MM-DD) whatever the language:
    a Dutch "25-11-2026" makes the browser show an empty field."""
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class WindowDateField(forms.DateField):
    """A date within :data:`~werkbon.workorders.limits.MIN_DATE` to ``MAX_DATE``: a year 1
    or 9999 is a typo, and cannot be turned into UTC."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and (error := date_window_error(value)):
            raise ValidationError(error, code="date_window")


def time_input() -> forms.TimeInput:
    return forms.TimeInput(format="%H:%M", attrs={"type": "time"})


def technicians_of_current_tenant():
    """The active technicians of the current tenant (User is not tenant-scoped itself)."""
    return User.objects.filter(
        tenant=require_current_tenant(), role=Role.TECHNICIAN, is_active=True
    ).order_by("first_name", "last_name", "username")


def id_out_of_range(value: Any) -> bool:
    """Whether ``value`` (a posted id) is a number beyond what the database stores
    (:data:`limits.MAX_ID`): looking it up would overflow (a 500) instead of "not found"."""
    text = str(value).strip()
    if len(text) > 25:
        return True
    try:
        return abs(int(text)) > limits.MAX_ID
    except ValueError:
        return False


class BoundedModelChoiceField(forms.ModelChoiceField):
    """A model choice whose posted id is bounded: an id beyond :data:`limits.MAX_ID` is an
    invalid choice (with the field's message), not an OverflowError."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and id_out_of_range(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                                  params={"value": str(value)[:30]})
        return super().to_python(value)


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A multiple model choice with bounded ids (see :class:`BoundedModelChoiceField`)."""

    def _check_values(self, value: Any) -> Any:
        with contextlib.suppress(TypeError):
            for pk in value:
                if id_out_of_range(pk):
                    raise ValidationError(self.error_messages["invalid_choice"],
                                          code="invalid_choice", params={"value": str(pk)[:30]})
        return super()._check_values(value)


def small_id(value: Any) -> bool:
    """Whether ``value`` is a posted id that can be looked up (ASCII digits, within MAX_ID).
    ASCII only: ``str.isdigit`` also accepts "²", which ``int()`` refuses (a 500)."""
    text = str(value)
    return bool(value) and text.isascii() and text.isdigit() and not id_out_of_range(value)


class TechnicianChoiceField(BoundedModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class TechnicianMultipleChoiceField(BoundedModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class _LocalizedMinValueValidator(MinValueValidator):
    """Django's minimum check, with the limit written as the language writes numbers
    ("0,001" in Dutch, not "0.001")."""

    def __call__(self, value: Any) -> None:
        if self.compare(self.clean(value), self.limit_value):
            raise ValidationError(
                _("Enter a value of at least %(limit)s."), code=self.code,
                params={"limit": number_format(self.limit_value), "value": value},
            )


class LocalizedDecimalField(forms.DecimalField):
    """A decimal that accepts a comma or a dot as the decimal sign ("1,5" and "1.5")."""

    widget = forms.TextInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.validators = [
            _LocalizedMinValueValidator(v.limit_value) if type(v) is MinValueValidator else v
            for v in self.validators
        ]

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            value = value.strip().replace(" ", "")
            if "," in value and "." in value:
                # "1.234,5" (Dutch thousands separator) → "1234.5"
                value = value.replace(".", "").replace(",", ".")
            else:
                value = value.replace(",", ".")
        return super().to_python(value)

    def prepare_value(self, value: Any) -> Any:
        # A stored number is shown again as the language writes it ("1,6", not "1.600");
        # what the user typed (a string) is shown as typed.
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            return local_number(value)
        return value

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        # A text input with a decimal keyboard: a number input refuses "1,5" in some
        # browsers, and one without step="any" refuses 1.6 ("nearest valid values 1 and 2").
        return {"inputmode": "decimal"}


def local_datetime(date: dt.date, time: dt.time) -> dt.datetime:
    """An aware datetime for a local (Europe/Amsterdam) date and time. A time that occurs
    twice (the hour before summer time ends) is its first occurrence, still summer time
    (fold 0); a time that does not exist (the hour summer time starts) is shifted by the
    zone: screens refuse it first (:func:`local_time_problem`)."""
    return timezone.make_aware(dt.datetime.combine(date, time), timezone.get_current_timezone())


def local_time_problem(date: dt.date, time: dt.time) -> str | None:
    """A Dutch-able message when ``date time`` does not exist on the local clock (the clock
    jumps from 02:00 to 03:00 when summer time starts), else None."""
    naive = dt.datetime.combine(date, time)
    aware = local_datetime(date, time)
    if timezone.localtime(aware.astimezone(dt.UTC)).replace(tzinfo=None) != naive:
        return str(_("%(time)s does not exist on %(date)s: the clocks go forward an hour that "
                     "night (summer time). Choose another time.")
                   % {"time": time.strftime("%H:%M"), "date": date.strftime("%d-%m-%Y")})
    return None


def local_time_ambiguous(date: dt.date, time: dt.time) -> bool:
    """Whether ``date time`` occurs twice (the night summer time ends); the first occurrence
    (summer time) is meant."""
    naive = dt.datetime.combine(date, time)
    zone = timezone.get_current_timezone()
    return naive.replace(tzinfo=zone).utcoffset() != naive.replace(tzinfo=zone, fold=1).utcoffset()


CUSTOMER_OPTIONS_SHOWN = 500  # customers in the work-order list's customer filter


class QuickSelect(forms.Select):
    """A ``<select>`` drawn in Python, one ``format_html`` per option (Django's select
    renders a template per option: ~0.1 ms each, 50 ms for 500 customers). Same markup:
    ``name``, the widget's attributes, ``selected`` on the chosen value."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None,
               renderer: Any = None) -> str:
        chosen = {str(v) for v in self.format_value(value)}
        options = "".join(
            format_html('<option value="{}"{}>{}</option>', option, mark_safe(" selected")
                        if str(option) in chosen else "", label)
            for option, label in self.choices)
        return format_html('<select name="{}"{}>{}</select>', name,
                           flatatt(self.build_attrs(self.attrs, attrs)), mark_safe(options))  # noqa: S308


class WorkOrderFilterForm(forms.Form):
    # What the search looks in: werkbon/workorders/search.py.
    q = forms.CharField(label=_("Search"), required=False,
                        max_length=limits.MAX_SEARCH_LENGTH, widget=forms.TextInput(attrs={
        "type": "search", "data-testid": "work-order-q",
        "placeholder": _("number, customer, reference, address or material")}))
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[("", _("All statuses")), *WorkOrderStatus.choices],
    )
    technician = TechnicianChoiceField(
        label=_("Technician"), queryset=User.objects.none(), required=False,
        empty_label=_("All technicians"),
    )
    customer = BoundedModelChoiceField(
        label=_("Customer"), queryset=Customer.all_tenants.none(), required=False,
        empty_label=_("All customers"),
    )
    date_from = WindowDateField(label=_("From"), required=False, widget=date_input())
    date_to = WindowDateField(label=_("To"), required=False, widget=date_input())
    # Filled by an accounting integration (external.register_billing); without one no order is invoiced.
    billing = forms.ChoiceField(label=_("Invoicing"), required=False, choices=[
        ("", _("Invoiced or not")), ("invoiced", _("invoiced")), ("not_invoiced", _("not yet invoiced"))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = technicians_of_current_tenant()
        field = self.fields["customer"]
        field.queryset = Customer.objects.all()  # validation: any customer of the tenant
        # The options: the first CUSTOMER_OPTIONS_SHOWN customers by name (one query, drawn
        # in Python), and the chosen one; a tenant with 50,000 customers finds the others
        # with the search box, which looks in customer names and numbers (issue 14).
        rows = Customer.objects.values_list("pk", "number", "name")  # as str(customer), no instances
        shown = list(rows[:CUSTOMER_OPTIONS_SHOWN])
        chosen = self.data.get("customer") if self.is_bound else None
        if small_id(chosen) and all(str(pk) != str(chosen) for pk, _n, _m in shown):
            shown.extend(rows.filter(pk=int(str(chosen))))
        field.widget = QuickSelect(choices=[("", field.empty_label),
                                            *((pk, f"{number} {name}") for pk, number, name in shown)])


class WorkOrderForm(forms.Form):
    """Create (and plan) a work order; also used to correct one that is not archived."""

    customer = BoundedModelChoiceField(label=_("Customer"), queryset=Customer.all_tenants.none())
    work_address = BoundedModelChoiceField(
        label=_("Work address"), queryset=WorkAddress.all_tenants.none(), required=False,
    )
    description = forms.CharField(
        label=_("Work description"), required=False, max_length=limits.MAX_DESCRIPTION_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    customer_reference = forms.CharField(label=_("Customer reference"), required=False,
                                         max_length=limits.MAX_REFERENCE_LENGTH)
    technicians = TechnicianMultipleChoiceField(
        label=_("Technicians"), queryset=User.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    planned_date = WindowDateField(label=_("Planned date"), required=False,
                                   widget=date_input())
    planned_time = forms.TimeField(label=_("Planned time"), required=False,
                                   widget=time_input())
    planned_minutes = forms.IntegerField(label=_("Planned duration (minutes)"), min_value=1,
                                         max_value=MAX_PLANNED_MINUTES, initial=60)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.filter(status="active")
        self.fields["technicians"].queryset = technicians_of_current_tenant()
        customer_id = self.data.get("customer") if self.is_bound else self.initial.get("customer")
        customer_id = getattr(customer_id, "pk", customer_id)
        addresses = WorkAddress.objects.filter(is_active=True)
        self.fields["work_address"].queryset = (
            addresses.filter(customer_id=customer_id)
            if small_id(customer_id)
            else addresses.none()
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        date, time = data.get("planned_date"), data.get("planned_time")
        if time and not date:
            self.add_error("planned_date", _("Give a date with the time."))
        if date and time and (problem := local_time_problem(date, time)):
            self.add_error("planned_time", problem)
        address, customer = data.get("work_address"), data.get("customer")
        if address and customer and address.customer_id != customer.pk:
            self.add_error("work_address", _("The work address does not belong to this customer."))
        return data

    @property
    def planned_start(self) -> dt.datetime | None:
        date = self.cleaned_data.get("planned_date")
        if not date:
            return None
        return local_datetime(date, self.cleaned_data.get("planned_time") or dt.time(8, 0))


class WorkOrderEditForm(WorkOrderForm):
    """Correct a work order that is not archived (planning goes through the planning board).

    ``version`` carries the work order's version the form was opened on, so a stale form is
    refused (``services.ensure_current``). The order's current customer and work address stay
    valid choices even when they were set inactive since; other inactive ones are not offered.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, order: WorkOrder, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("technicians", "planned_date", "planned_time"):
            del self.fields[name]
        self.fields["customer"].queryset = Customer.objects.filter(
            Q(status="active") | Q(pk=order.customer_id))
        customer_id = self.data.get("customer") if self.is_bound else self.initial.get("customer")
        customer_id = getattr(customer_id, "pk", customer_id)
        addresses = WorkAddress.objects.filter(Q(is_active=True) | Q(pk=order.work_address_id))
        self.fields["work_address"].queryset = (
            addresses.filter(customer_id=customer_id)
            if small_id(customer_id)
            else addresses.none()
        )


class PlanForm(forms.Form):
    """Plan or move a work order from the planning board."""

    technician = TechnicianChoiceField(label=_("Technician"), queryset=User.objects.none())
    date = WindowDateField(label=_("Date"), widget=date_input())
    time = forms.TimeField(label=_("Time"), widget=time_input(),
                           initial=dt.time(8, 0))
    minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=1,
                                 max_value=MAX_PLANNED_MINUTES, required=False)
    # The work order's version the card or form was opened on (optional): a move of an order
    # that changed since is refused (services.plan → StaleWorkOrderError).
    version = forms.IntegerField(label=_("Version"), widget=forms.HiddenInput, min_value=1,
                                 max_value=2**31 - 1, required=False)
    # The technician whose card was moved (the board's cards): that technician is replaced by
    # ``technician``, the order's other technicians stay. Without it, ``technician`` only.
    source = forms.IntegerField(label=_("Technician"), widget=forms.HiddenInput, min_value=1,
                                max_value=limits.MAX_ID, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = technicians_of_current_tenant()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date") and data.get("time") and (
                problem := local_time_problem(data["date"], data["time"])):
            self.add_error("time", problem)
        return data

    @property
    def ambiguous(self) -> bool:
        """Whether the chosen time occurs twice that night (the first is used)."""
        return local_time_ambiguous(self.cleaned_data["date"], self.cleaned_data["time"])

    @property
    def planned_start(self) -> dt.datetime:
        return local_datetime(self.cleaned_data["date"], self.cleaned_data["time"])


CHOOSE_KIND = _("Choose work time or travel time.")


class TimeEntryForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=TimeKind.choices, initial=TimeKind.WORK,
                             error_messages={"required": CHOOSE_KIND, "invalid_choice": CHOOSE_KIND})
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=MAX_TIME_ENTRY_MINUTES,
                                 widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    # entry_date_error bounds it (at most a year back, not in the future)
    date = forms.DateField(label=_("Date"), widget=date_input())

    def __init__(self, *args: Any, unchanged_date: dt.date | None = None, **kwargs: Any) -> None:
        """``unchanged_date``: the date of the entry being corrected; keeping it is allowed
        even when it is older than the limit."""
        super().__init__(*args, **kwargs)
        self.unchanged_date = unchanged_date
        self.fields["date"].initial = timezone.localdate()

    def clean_date(self) -> dt.date:
        date = self.cleaned_data["date"]
        if date != self.unchanged_date and (error := entry_date_error(date)):
            raise ValidationError(error)
        return date


class OfficeTimeEntryForm(TimeEntryForm):
    """The office also says whose time it is: a technician planned on the order (the time
    is theirs, never the office user's); one planned technician is chosen already."""

    technician = TechnicianChoiceField(
        label=_("Technician"), queryset=User.objects.none(),
        error_messages={"required": _("Choose the technician whose time it is."),
                        "invalid_choice": _("Choose a technician planned on this work order.")},
    )

    def __init__(self, *args: Any, order: WorkOrder, current: User | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        planned = Q(planned_work_orders=order)
        if current is not None:  # a correction keeps its technician available
            planned |= Q(pk=current.pk)
        technicians = technicians_of_current_tenant().filter(planned).distinct()
        field = self.fields["technician"]
        field.queryset = technicians  # validation
        prefetched = getattr(order, "_prefetched_objects_cache", {}).get("technicians")
        if current is None and prefetched is not None:
            # The order's technicians were read with it (the detail page): the options are
            # those that are active technicians of the tenant, in the same order, no query.
            tenant = require_current_tenant()
            found = [user for user in prefetched
                     if user.role == Role.TECHNICIAN and user.is_active and user.tenant_id == tenant.pk]
        else:
            found = list(technicians)  # one query: the options are these rows (not asked again)
        empty = [("", field.empty_label)] if field.empty_label is not None else []
        field.choices = [*empty, *((user.pk, field.label_from_instance(user)) for user in found)]
        if current is None and len(found) == 1:
            field.initial = found[0].pk


ITEM_OPTIONS_SHOWN = 50  # items in the material form's select before a search


class MaterialLineForm(forms.Form):
    item = BoundedModelChoiceField(
        label=_("Item"), queryset=Item.all_tenants.none(),
        error_messages={
            "required": _("Choose an item from the list (search by number or description)."),
            "invalid_choice": _("This item does not exist or is inactive; choose one from the list."),
        },
    )
    quantity = LocalizedDecimalField(label=_("Quantity"), max_digits=12, decimal_places=3,
                                     min_value=Decimal("0.001"))
    note = forms.CharField(label=_("Note"), required=False, max_length=limits.MAX_NOTE_LENGTH)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = Item.objects.filter(status="active")

    @cached_property
    def item_options(self) -> list[Item]:
        """The items the select starts with: the first :data:`ITEM_OPTIONS_SHOWN` active
        items by number (one query); the item search fills the select with the matches, so
        a catalogue of 20,000 items is not one select on every work order (issue 14)."""
        return list(Item.objects.filter(status="active").order_by("number")[:ITEM_OPTIONS_SHOWN])

    def clean(self) -> dict[str, Any]:
        """An item counted in pieces takes a whole number (the service's own rule)."""
        cleaned = super().clean() or {}
        item, quantity = cleaned.get("item"), cleaned.get("quantity")
        problem = counted_quantity_problem(item.number, item.unit, quantity) \
            if item is not None and quantity is not None else None
        if problem:
            self.add_error("quantity", problem)
        return cleaned


class CompleteForm(forms.Form):
    signed_by_name = forms.CharField(label=_("Signed off by"), required=False,
                                     max_length=limits.MAX_SIGNED_BY_LENGTH)
    # Issue 11: where the signed work order is e-mailed (when the company has that on); the
    # customer's own address is filled in, and the technician may correct it on site.
    customer_email = forms.EmailField(label=_("E-mail work order to"), required=False,
                                      max_length=limits.MAX_EMAIL_LENGTH)


# Numbers are keys in the accounting system too: no markup or other odd characters, and
# "arbeid" is the same number as "ARBEID" there (its keys are case-insensitive).
number_characters = RegexValidator(
    r"^[0-9A-Za-z][0-9A-Za-z ._/+-]*$",
    _("Use only letters, digits, spaces and . - _ / + (starting with a letter or digit)."),
)


def _clean_number(form: forms.ModelForm, field: str = "number") -> str:
    number = form.cleaned_data[field].strip()
    number_characters(number)
    return number


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["number", "name", "status", "address_line1", "address_line2", "postal_code",
                  "city", "country", "email", "phone"]

    def clean_number(self) -> str:
        number = _clean_number(self)
        clash = Customer.objects.filter(number__iexact=number).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(_("A customer with this number already exists."))
        return number


class WorkAddressForm(forms.ModelForm):
    class Meta:
        model = WorkAddress
        fields = ["name", "street", "house_number", "postal_code", "city", "country"]


class ItemForm(forms.ModelForm):
    sales_price = LocalizedDecimalField(label=_("Sales price (EUR)"), max_digits=12,
                                        decimal_places=2, min_value=Decimal("0"))
    # Declared so that the class does not query the tenant-scoped manager at import time.
    group = BoundedModelChoiceField(label=_("Item group"), queryset=ItemGroup.all_tenants.none(),
                                   required=False)

    class Meta:
        model = Item
        fields = ["number", "description", "unit", "sales_price", "item_type", "status", "group"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = ItemGroup.objects.all()

    def clean_number(self) -> str:
        number = _clean_number(self)
        if Item.objects.filter(number__iexact=number).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("An item with this number already exists."))
        return number


class ItemGroupForm(forms.ModelForm):
    class Meta:
        model = ItemGroup
        fields = ["code", "description"]

    def clean_code(self) -> str:
        code = _clean_number(self, "code")
        if ItemGroup.objects.filter(code__iexact=code).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("An item group with this code already exists."))
        return code


class FormTemplateForm(forms.ModelForm):
    class Meta:
        model = FormTemplate
        fields = ["name", "is_active"]


class FormQuestionForm(forms.ModelForm):
    class Meta:
        model = FormQuestion
        fields = ["label", "kind", "choices", "required", "position"]
        widgets = {"choices": forms.Textarea(attrs={"rows": 3})}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == QuestionKind.CHOICE:
            options = [line for line in (data.get("choices") or "").splitlines() if line.strip()]
            if len(options) < 2:
                self.add_error("choices", _("A choice question needs at least two choices."))
        return data


class PhotoField(forms.FileField):
    """A photo answer: cleans to the re-encoded photo to store, named at random
    (:func:`werkbon.workorders.photos.prepare_photo`), or ``False`` when "clear" is ticked."""

    def clean(self, data: Any, initial: Any = None) -> Any:
        value = super().clean(data, initial)
        if isinstance(value, UploadedFile):
            return prepare_photo(value)
        return value


class FilledFormForm(forms.Form):
    """One field per question of a form template, filled from the existing answers."""

    def __init__(self, *args: Any, template: FormTemplate, answers: dict[int, Any],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = list(template.questions.all())
        for question in self.questions:
            answer = answers.get(question.pk)
            value = answer.value if answer is not None else ""
            name = self.field_name(question)
            required = question.required
            if question.kind == QuestionKind.NUMBER:
                field: forms.Field = LocalizedDecimalField(
                    max_digits=limits.MAX_ANSWER_DIGITS,
                    decimal_places=limits.MAX_ANSWER_DECIMAL_PLACES, required=required,
                )
            elif question.kind == QuestionKind.YES_NO:
                # A required question has no "—" (no answer) option: nothing is chosen
                # until the technician picks yes or no.
                blank = [] if required else [("", "—")]
                field = forms.ChoiceField(
                    choices=[*blank, ("yes", _("Yes")), ("no", _("No"))],
                    required=required, widget=forms.RadioSelect,
                )
            elif question.kind == QuestionKind.CHOICE:
                field = forms.ChoiceField(
                    choices=[("", "—"), *[(c, c) for c in question.choice_list]],
                    required=required,
                )
            elif question.kind == QuestionKind.PHOTO:
                has_photo = answer is not None and bool(answer.photo)
                field = PhotoField(
                    required=required and not has_photo,
                    widget=forms.ClearableFileInput(attrs={"accept": "image/*",
                                                           "capture": "environment"}),
                )
            else:
                field = forms.CharField(required=required, max_length=limits.MAX_ANSWER_LENGTH,
                                        widget=forms.Textarea(attrs={"rows": 2}))
            field.label = question.label
            self.fields[name] = field
            if question.kind == QuestionKind.NUMBER and value:
                with contextlib.suppress(InvalidOperation):
                    value = Decimal(value)  # stored with a point; shown as the language writes it
            if question.kind != QuestionKind.PHOTO:
                self.initial[name] = value

    @staticmethod
    def field_name(question: FormQuestion) -> str:
        return f"q{question.pk}"

    def answer_value(self, question: FormQuestion) -> str:
        value = self.cleaned_data.get(self.field_name(question))
        if value is None:
            return ""
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        return str(value)



class InstallationForm(forms.ModelForm):
    """An installation's fields (werkbon/workorders/installations.py checks them again):
    texts bounded by the ``MAX_INSTALLATION_*`` limits, the year from 1900 to next year."""

    year_installed = forms.IntegerField(
        label=_("Year installed"), required=False, min_value=limits.MIN_INSTALLATION_YEAR,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}))

    class Meta:
        model = InstalledObject
        fields = ["name", "brand", "model", "serial_number", "year_installed", "notes"]
        labels = {"name": _("Name"), "brand": _("Brand"), "model": _("Type"),
                  "serial_number": _("Serial number"), "notes": _("Notes")}
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        latest = limits.max_installation_year()
        year = self.fields["year_installed"]
        year.max_value = latest
        year.widget.attrs.update(min=limits.MIN_INSTALLATION_YEAR, max=latest)
        year.validators = [v for v in year.validators if not isinstance(v, MaxValueValidator)]
        year.validators.append(MaxValueValidator(latest))
        self.fields["name"].widget.attrs["placeholder"] = _("e.g. CV-ketel")


class WorkOrderInstallationsForm(forms.Form):
    """The installations named on a work order: those of its work address
    (:func:`werkbon.workorders.installations.choices_for`)."""

    installations = BoundedModelMultipleChoiceField(
        label=_("Installations"), queryset=InstalledObject.all_tenants.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose installations at the work address of this "
                                            "work order."),
                        "invalid_pk_value": _("Choose installations at the work address of this "
                                              "work order.")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=limits.MAX_ID,
                                 required=False)

    def __init__(self, *args: Any, order: WorkOrder, choices: list[InstalledObject],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["installations"].queryset = InstalledObject.objects.filter(
            pk__in=[c.pk for c in choices]).order_by("name", "id")
        self.fields["installations"].label_from_instance = lambda obj: (
            obj.one_line() if obj.is_active else f"{obj.one_line()} ({_('out of use')})")
        self.initial.setdefault("installations",
                                list(order.installations.values_list("pk", flat=True)))
        self.initial.setdefault("version", order.version)


class WorkOrderSearchForm(forms.Form):
    """A technician's search in their own work orders (werkbon/workorders/search.py)."""

    q = forms.CharField(label=_("Search my work orders"), required=False,
                        max_length=limits.MAX_SEARCH_LENGTH, widget=forms.TextInput(attrs={
        "type": "search", "data-testid": "my-search",
        "placeholder": _("number, customer, reference, address or material")}))


class OnSiteWorkOrderForm(forms.Form):
    """A work order a technician makes on site: an active customer of the company, one of its
    active work addresses or a new one (street at least), what is to be done."""

    customer = BoundedModelChoiceField(
        label=_("Customer"), queryset=Customer.all_tenants.none(),
        error_messages={"invalid_choice": _("Choose an active customer of your company.")})
    work_address = BoundedModelChoiceField(
        label=_("Work address"), queryset=WorkAddress.all_tenants.none(), required=False,
        error_messages={"invalid_choice": _("This customer has no work address with this id.")})
    street = forms.CharField(label=_("or a new work address: street"), required=False,
                             max_length=255)
    house_number = forms.CharField(label=_("House number"), required=False, max_length=20)
    postal_code = forms.CharField(label=_("Postal code"), required=False, max_length=20)
    city = forms.CharField(label=_("City"), required=False, max_length=100)
    description = forms.CharField(
        label=_("Work description"), required=False, max_length=limits.MAX_DESCRIPTION_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}))
    customer_reference = forms.CharField(label=_("Customer reference"), required=False,
                                         max_length=limits.MAX_REFERENCE_LENGTH)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from werkbon.workorders.actions import on_site_customers

        super().__init__(*args, **kwargs)
        customers = on_site_customers()
        self.fields["customer"].queryset = customers
        self.fields["customer"].widget.attrs.update({
            "data-testid": "on-site-customer", "hx-target": "#id_work_address",
            "hx-get": reverse("workorders:on_site_address_options"),
            "hx-trigger": "change", "hx-swap": "innerHTML"})
        customer_id = self.data.get("customer") if self.is_bound else None
        addresses = WorkAddress.objects.filter(is_active=True, customer__in=customers)
        self.fields["work_address"].queryset = (
            addresses.filter(customer_id=customer_id)
            if small_id(customer_id)
            else addresses.none())
        self.fields["work_address"].widget.attrs["data-testid"] = "on-site-address"
        self.fields["street"].widget.attrs["data-testid"] = "on-site-street"
        self.fields["description"].widget.attrs["data-testid"] = "on-site-description"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("work_address") and (data.get("street") or "").strip():
            self.add_error("street", _("Choose a work address or enter a new one, not both."))
        new = any((data.get(n) or "").strip() for n in ("house_number", "postal_code", "city"))
        if new and not (data.get("street") or "").strip():
            self.add_error("street", _("Enter the street of the new work address."))
        return data

    def new_address(self) -> dict[str, str] | None:
        """The new work address entered, or None."""
        street = (self.cleaned_data.get("street") or "").strip()
        if not street:
            return None
        return {name: (self.cleaned_data.get(name) or "").strip()
                for name in ("street", "house_number", "postal_code", "city")}
