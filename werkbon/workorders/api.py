"""Work-order endpoints of the JSON API (mounted at ``/api/v1/`` by :mod:`werkbon.api`).

Every query reads through the tenant-scoped managers, so another tenant's record is a 404
like one that does not exist. A technician sees only the work orders planned to them (the
rest are 404s) and gets a 403 for office actions. Lifecycle changes go through
:mod:`werkbon.workorders.services`; their refusals are 409s with the service's message.
Every work order carries a ``version``: a change sent with an older one (``If-Match`` or the
body's ``version``) is refused with 412, so nothing made meanwhile is overwritten; the
correction (``PATCH``) needs it (428 without).

Units: minutes are whole minutes; hours are decimals with two places (as strings in
JSON), rounded once per total by :func:`werkbon.workorders.units.minutes_to_hours`;
quantities and prices are decimals as strings; prices in EUR; times ISO 8601 with offset
(shown in Europe/Amsterdam), dates ``YYYY-MM-DD``.
"""


import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import AfterValidator, AwareDatetime, StringConstraints
from pydantic_core import PydanticCustomError

from werkbon import api as werkbon_api
from werkbon.accounts.models import Role, User
from werkbon.accounts.tenancy import require_current_tenant
from werkbon.workorders import limits, services
from werkbon.workorders.limits import (
    MAX_PLANNED_MINUTES,
    MAX_TIME_ENTRY_MINUTES,
    entry_date_error,
)
from werkbon.workorders.models import (
    ADDRESS_FIELDS,
    Customer,
    FilledForm,
    FormAnswer,
    FormTemplate,
    Item,
    QuestionKind,
    TimeKind,
    WorkAddress,
    WorkOrder,
    WorkOrderStatus,
)
from werkbon.workorders.units import counted_quantity_problem, minutes_to_hours

router = Router(tags=["work orders"])

# Marks an operation as office-only in the OpenAPI document; the isolation test reads it.
OFFICE_ONLY = {"x-werkbon-office-only": True}



def _refuse_nul(value: str) -> str:
    # PostgreSQL cannot store NUL in text: refused here instead of failing on save.
    if "\x00" in value:
        raise PydanticCustomError("string_nul", "NUL characters are not allowed.")
    return value


def _date_in_window(value: dt.date) -> dt.date:
    if not limits.MIN_DATE <= value <= limits.MAX_DATE:
        raise PydanticCustomError("date_window", "date outside the window",
                                  {"min": limits.MIN_DATE.isoformat(),
                                   "max": limits.MAX_DATE.isoformat()})
    return value


def _datetime_in_window(value: dt.datetime) -> dt.datetime:
    # Compared in UTC and local time: 9999-12-31T23:30-05:00 is year 10000 in UTC.
    try:
        local = timezone.localtime(value)
    except OverflowError:
        local = None
    if local is None or not limits.MIN_DATE <= local.date() <= limits.MAX_DATE:
        raise PydanticCustomError("date_window", "date outside the window",
                                  {"min": limits.MIN_DATE.isoformat(),
                                   "max": limits.MAX_DATE.isoformat()})
    return value


def BoundedText(max_length: int, *, strip: bool = True, min_length: int = 0) -> Any:
    """A string of at most ``max_length`` characters without NUL (the shared limits)."""
    return Annotated[str, StringConstraints(strip_whitespace=strip, min_length=min_length,
                                            max_length=max_length), AfterValidator(_refuse_nul)]


Text = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_refuse_nul)]
WindowDate = Annotated[dt.date, AfterValidator(_date_in_window)]
WindowDatetime = Annotated[AwareDatetime, AfterValidator(_datetime_in_window)]
Id = Annotated[int, Field(ge=1, le=limits.MAX_ID)]
Username = BoundedText(limits.MAX_USERNAME_LENGTH)
SearchText = BoundedText(limits.MAX_SEARCH_LENGTH)
WorkOrderId = Annotated[int, Path(ge=1, le=limits.MAX_ID)]
CustomerId = Annotated[int, Path(ge=1, le=limits.MAX_ID)]


class Pagination(LimitOffsetPagination):
    """``limit`` (1 to :data:`~werkbon.workorders.limits.MAX_PAGE_SIZE`, default 100) and
    ``offset`` (0 to :data:`~werkbon.workorders.limits.MAX_OFFSET`); outside: a 422."""

    class Input(Schema):
        limit: int = Field(limits.MAX_PAGE_SIZE, ge=1, le=limits.MAX_PAGE_SIZE)
        offset: int = Field(0, ge=0, le=limits.MAX_OFFSET)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=limits.MAX_PAGE_SIZE, **kwargs)


# --- output schemas -------------------------------------------------------------------


class CustomerRef(Schema):
    id: int
    number: str
    name: str


class WorkAddressOut(Schema):
    id: int
    customer_id: int
    name: str
    street: str
    house_number: str
    postal_code: str
    city: str
    country: str
    one_line: str
    is_active: bool


class TechnicianOut(Schema):
    username: str
    name: str
    default_warehouse: str


class WorkOrderSummaryOut(Schema):
    id: int
    number: int
    status: str
    customer: CustomerRef | None
    work_address: WorkAddressOut | None
    description: str
    customer_reference: str
    technicians: list[TechnicianOut]
    planned_start: dt.datetime | None = Field(description="ISO 8601, Europe/Amsterdam offset")
    planned_minutes: int
    version: int = Field(description="moves on by one with every change of the work order; send "
                         "it back (If-Match header or `version`) so a change made on an older "
                         "read is refused with 412 instead of overwriting")
    installation_ids: list[int] = Field(
        default_factory=list, description="the installations (objects) of its work address the "
        "work order is done on: `/installations/{id}`; set with PUT `.../installations`")


class TimeEntryOut(Schema):
    id: int
    technician: str = Field(description="username")
    kind: str = Field(description="work | travel")
    minutes: int
    date: dt.date


class MaterialLineOut(Schema):
    id: int
    item_number: str
    item_description: str = Field(description="as registered (kept when the item changes)")
    unit: str = Field(description="the unit the quantity was registered in")
    quantity: Decimal
    note: str
    technician: str | None = Field(description="username of who registered it")


class FormAnswerOut(Schema):
    question_id: int
    question: str
    kind: str
    value: str


class FilledFormOut(Schema):
    id: int
    template_id: int
    template_name: str
    filled_by: str | None
    filled_at: dt.datetime
    answers: list[FormAnswerOut]


class TotalsOut(Schema):
    work_minutes: int
    travel_minutes: int
    total_minutes: int
    work_hours: Decimal
    travel_hours: Decimal
    total_hours: Decimal


class WorkOrderOut(WorkOrderSummaryOut):
    completed_at: dt.datetime | None
    completed_by: str | None
    signed_by_name: str
    archived_at: dt.datetime | None
    time_entries: list[TimeEntryOut]
    material_lines: list[MaterialLineOut]
    forms: list[FilledFormOut]
    totals: TotalsOut


class CustomerOut(Schema):
    id: int
    number: str
    name: str
    status: str
    address_line1: str
    postal_code: str
    city: str
    country: str
    email: str
    phone: str


class CustomerDetailOut(CustomerOut):
    work_addresses: list[WorkAddressOut]


class ItemOut(Schema):
    id: int
    number: str
    description: str
    unit: str
    sales_price: Decimal | None = Field(
        description="EUR; null for a technician unless the company shows them prices")
    item_type: str = Field(description="non_stock | stock")
    status: str
    group: str | None


class FormQuestionOut(Schema):
    id: int
    position: int
    label: str
    kind: str = Field(description="text | number | yes_no | choice | photo")
    choices: list[str]
    required: bool


class FormTemplateOut(Schema):
    id: int
    name: str
    questions: list[FormQuestionOut]


# --- input schemas ----------------------------------------------------------------------


class WorkOrderIn(Schema):
    customer_number: BoundedText(limits.MAX_NUMBER_LENGTH, min_length=1)
    work_address_id: Id | None = Field(None, description="a work address of the customer")
    description: BoundedText(limits.MAX_DESCRIPTION_LENGTH, strip=False) = ""
    customer_reference: BoundedText(limits.MAX_REFERENCE_LENGTH) = ""
    technicians: list[Username] = Field(default_factory=list, description="usernames",
                                        max_length=limits.MAX_TECHNICIANS_PER_ORDER)
    planned_start: WindowDatetime | None = Field(
        None, description="ISO 8601 with offset, in 2000-2099")
    planned_minutes: int = Field(60, ge=1, le=MAX_PLANNED_MINUTES)


class PlanIn(Schema):
    technicians: list[Username] = Field(min_length=1, description="usernames",
                                        max_length=limits.MAX_TECHNICIANS_PER_ORDER)
    planned_start: WindowDatetime = Field(description="ISO 8601 with offset, in 2000-2099")
    planned_minutes: int | None = Field(None, ge=1, le=MAX_PLANNED_MINUTES)


class WorkOrderChangeIn(Schema):
    """A correction of a work order that is not archived; only the fields sent change."""

    version: int | None = Field(None, description="the `version` read; or send If-Match")
    customer_number: Annotated[Text, StringConstraints(min_length=1, max_length=30)] | None = None
    work_address_id: int | None = Field(None, description="a work address of the customer")
    description: Annotated[str, StringConstraints(max_length=10_000)] | None = None
    customer_reference: Annotated[Text, StringConstraints(max_length=100)] | None = None
    planned_minutes: int | None = Field(None, ge=1, le=MAX_PLANNED_MINUTES)


class TimeEntryIn(Schema):
    kind: Literal["work", "travel"]
    minutes: int = Field(ge=1, le=MAX_TIME_ENTRY_MINUTES, description="whole minutes")
    date: dt.date = Field(description="not in the future, at most a year back")
    technician: Username | None = Field(
        None, description="username of a technician planned on the work order; a technician "
        "registers only for themselves (default: the caller); the office names one (default: "
        "the only planned technician)")


class MaterialLineIn(Schema):
    item_number: BoundedText(limits.MAX_NUMBER_LENGTH, min_length=1)
    quantity: Decimal = Field(gt=0, max_digits=limits.MAX_QUANTITY_DIGITS,
                              decimal_places=limits.MAX_QUANTITY_DECIMAL_PLACES,
                              description="in the item's unit, more than 0")
    note: BoundedText(limits.MAX_NOTE_LENGTH, strip=False) = ""


class AnswerIn(Schema):
    question_id: Id
    value: str | bool | int | float | None = Field(
        None, description="text; number; yes_no as true/false or \"yes\"/\"no\"; "
        "choice as one of the question's choices. Photos are added in the app.")


class FilledFormIn(Schema):
    template_id: Id
    answers: list[AnswerIn] = Field(default_factory=list, max_length=limits.MAX_ANSWERS_PER_FORM)


class CompleteIn(Schema):
    signed_by_name: BoundedText(limits.MAX_SIGNED_BY_LENGTH) = Field(
        "", description="who signed off at the customer; default: the caller's name")
    customer_email: BoundedText(limits.MAX_EMAIL_LENGTH) = Field(
        "", description="where the signed work order is e-mailed when the company e-mails work "
        "orders (issue 11); default: the customer's e-mail address. Not an e-mail address: 409 with the reason")


class WorkOrderFilters(Schema):
    status: Literal["open", "planned", "completed", "archived"] | None = None
    technician: Username | None = Field(None, description="username")
    customer: BoundedText(limits.MAX_NUMBER_LENGTH) | None = Field(
        None, description="customer number")
    planned_from: WindowDate | None = Field(
        None, description="planned on or after (local date, 2000-2099)")
    planned_to: WindowDate | None = Field(
        None, description="planned on or before (local date, 2000-2099)")


# --- helpers ---------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    return werkbon_api.current_user(request)


def _office(request: HttpRequest) -> User:
    return werkbon_api.require_office(request)


def _field_error(field: str, message: str) -> Exception:
    return werkbon_api.FieldErrors({field: [message]})


class _Mapped:
    """A queryset that ninja's pagination can count and slice, turning the rows of the
    slice into response dicts (only the page is read and converted)."""

    def __init__(self, queryset: QuerySet, convert: Any) -> None:
        self.queryset = queryset
        self.convert = convert

    def all(self) -> "_Mapped":
        return self

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, page: slice) -> list[Any]:
        return [self.convert(row) for row in self.queryset[page]]


def _visible_orders(user: User) -> QuerySet[WorkOrder]:
    """The work orders ``user`` may see: all of the tenant for the office, a technician's own."""
    orders = WorkOrder.objects.select_related("customer", "work_address")
    if not user.is_office:
        orders = orders.filter(technicians=user)
    return orders.prefetch_related("technicians", "installations")


def _order(request: HttpRequest, work_order_id: WorkOrderId) -> WorkOrder:
    return get_object_or_404(_visible_orders(_user(request)), pk=work_order_id)


def _refuse_technician_on_closed(user: User, order: WorkOrder) -> None:
    # Same rule as the technician screens: once completed, the office reviews the order.
    if user.is_technician and order.status == WorkOrderStatus.COMPLETED:
        raise services.LifecycleError(_("This work order is completed; the office reviews it now."))


def _technicians(field: str, usernames: list[str]) -> list[User]:
    """Technicians of the current tenant by username; 422 naming the unknown ones."""
    tenant = require_current_tenant()
    wanted = list(dict.fromkeys(u.strip() for u in usernames if u.strip()))
    found = {
        u.username: u
        for u in User.objects.filter(tenant=tenant, role=Role.TECHNICIAN, is_active=True,
                                     username__in=wanted)
    }
    missing = [u for u in wanted if u not in found]
    if missing:
        raise _field_error(field, _("Unknown technician: %(names)s") % {"names": ", ".join(missing)})
    return [found[u] for u in wanted]


def _planned_technician(order: WorkOrder, username: str | None) -> User:
    """The technician the office books time for: one planned on the order (the time is
    theirs, not the office user's); without a name, the only planned one."""
    planned = list(order.technicians.filter(is_active=True).order_by("username"))
    if username:
        match = [t for t in planned if t.username == username.strip()]
        if not match:
            raise _field_error("technician", _(
                "%(name)s is not planned on work order %(number)s; choose one of: %(planned)s."
            ) % {"name": username, "number": order.number,
                 "planned": ", ".join(t.username for t in planned) or "—"})
        return match[0]
    if len(planned) == 1:
        return planned[0]
    if not planned:
        raise _field_error("technician", _(
            "Work order %(number)s has no planned technician: plan it first.")
            % {"number": order.number})
    raise _field_error("technician", _(
        "Work order %(number)s has several technicians; say whose time it is: %(planned)s.")
        % {"number": order.number, "planned": ", ".join(t.username for t in planned)})


def _address_out(address: WorkAddress | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return {
        "id": address.pk, "customer_id": address.customer_id, "name": address.name,
        "street": address.street, "house_number": address.house_number,
        "postal_code": address.postal_code, "city": address.city, "country": address.country,
        "one_line": address.one_line(), "is_active": address.is_active,
    }


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value) if value is not None else None


def _agreed_address_out(order: WorkOrder) -> dict[str, Any] | None:
    """The work order's own copy of its work address, with the id of the address it came from."""
    address, agreed = order.work_address, order.address
    if address is None or agreed is None:
        return None
    return {**_address_out(address), **{name: getattr(agreed, name) for name in ADDRESS_FIELDS},  # type: ignore[dict-item]
            "one_line": agreed.one_line()}


def _summary(order: WorkOrder) -> dict[str, Any]:
    customer = order.customer
    return {
        "id": order.pk,
        "number": order.number,
        "status": order.status,
        # As agreed on the work order (as archived): never what the master data says now.
        "customer": {"id": customer.pk, "number": order.display_customer_number,
                     "name": order.display_customer_name}
        if customer else None,
        "work_address": _agreed_address_out(order),
        "description": order.description,
        "customer_reference": order.customer_reference,
        "technicians": [
            {"username": t.username, "name": t.display_name,
             "default_warehouse": t.default_warehouse}
            for t in order.technicians.all()
        ],
        "planned_start": _local(order.planned_start),
        "planned_minutes": order.planned_minutes,
        "version": order.version,
        "installation_ids": [i.pk for i in order.installations.all()],
    }


def _time_entry_out(entry: Any) -> dict[str, Any]:
    return {"id": entry.pk, "technician": entry.technician.username, "kind": entry.kind,
            "minutes": entry.minutes, "date": entry.date}


def _material_line_out(line: Any) -> dict[str, Any]:
    return {
        "id": line.pk, "item_number": line.item_number, "item_description": line.description,
        "unit": line.unit, "quantity": line.quantity, "note": line.note,
        "technician": line.technician.username if line.technician else None,
    }


def _filled_form_out(filled: FilledForm) -> dict[str, Any]:
    return {
        "id": filled.pk, "template_id": filled.template_id, "template_name": filled.template.name,
        "filled_by": filled.filled_by.username if filled.filled_by else None,
        "filled_at": _local(filled.filled_at),
        "answers": [
            {"question_id": a.question_id, "question": a.question.label, "kind": a.question.kind,
             "value": a.value}
            for a in filled.answers.all()
        ],
    }


def _time_entries(order: WorkOrder) -> list[Any]:
    return list(order.time_entries.select_related("technician"))


def _material_lines(order: WorkOrder) -> list[Any]:
    return list(order.material_lines.select_related("item", "technician"))


def _forms(order: WorkOrder) -> list[FilledForm]:
    return list(
        order.forms.select_related("template", "filled_by").prefetch_related("answers__question")
    )


def _detail(order: WorkOrder) -> dict[str, Any]:
    """The full work order as :class:`WorkOrderOut` (re-read, so it reflects the last change)."""
    order = _visible_orders_for_detail().get(pk=order.pk)
    entries = _time_entries(order)
    work = sum(e.minutes for e in entries if e.kind == TimeKind.WORK)
    travel = sum(e.minutes for e in entries if e.kind == TimeKind.TRAVEL)
    return {
        **_summary(order),
        "completed_at": _local(order.completed_at),
        "completed_by": order.completed_by.username if order.completed_by else None,
        "signed_by_name": order.signed_by_name,
        "archived_at": _local(order.archived_at),
        "time_entries": [_time_entry_out(e) for e in entries],
        "material_lines": [_material_line_out(m) for m in _material_lines(order)],
        "forms": [_filled_form_out(f) for f in _forms(order)],
        "totals": {
            "work_minutes": work, "travel_minutes": travel, "total_minutes": work + travel,
            "work_hours": minutes_to_hours(work), "travel_hours": minutes_to_hours(travel),
            "total_hours": minutes_to_hours(work + travel),
        },
    }


def _visible_orders_for_detail() -> QuerySet[WorkOrder]:
    return WorkOrder.objects.select_related("customer", "work_address", "completed_by") \
        .prefetch_related("technicians", "installations")


def _responses(ok: Any, *, changes: bool = False, created: bool = False) -> dict[int, Any]:
    errors = werkbon_api.CHANGE_ERROR_RESPONSES if changes else werkbon_api.ERROR_RESPONSES
    if changes:
        errors = {**errors, 412: werkbon_api.ErrorOut}
    return {201 if created else 200: ok, **errors}


def _expected_version(request: HttpRequest, body_version: int | None = None) -> str | None:
    """The version the client read: ``If-Match`` (quotes and ``W/`` allowed) or the body's."""
    header = request.headers.get("If-Match")
    if header is not None:
        return header.strip().removeprefix("W/").strip('"')
    return None if body_version is None else str(body_version)


def _locked_current(request: HttpRequest, order: WorkOrder,
                    body_version: int | None = None, *, required: bool = False) -> WorkOrder:
    """The order locked (inside a transaction), refused with 412 when the client read an
    older version, and with 428 when ``required`` and no version was sent."""
    expected = _expected_version(request, body_version)
    locked = services.lock(order)
    if expected is None:
        if required:
            raise HttpError(428, _("Send the version of the work order you read (the If-Match "
                                   "header or the field version), so a change made meanwhile "
                                   "is not overwritten."))
        return locked
    try:
        services.ensure_current(locked, expected)
    except services.StaleWorkOrderError as error:
        raise HttpError(412, str(error)) from error
    return locked


# --- work orders -------------------------------------------------------------------------


@router.get("/work-orders", response=_responses(list[WorkOrderSummaryOut]),
            summary="List work orders")
@paginate(Pagination)
def list_work_orders(request: HttpRequest, filters: Query[WorkOrderFilters]) -> Any:
    """Newest first; ``limit``/``offset`` paginate (``{"items": [...], "count": n}``).
    A technician gets only the work orders planned to them."""
    orders = _visible_orders(_user(request))
    if filters.status:
        orders = orders.filter(status=filters.status)
    if filters.technician:
        orders = orders.filter(technicians__username=filters.technician)
    if filters.customer:
        orders = orders.filter(customer__number=filters.customer)
    if filters.planned_from:
        orders = orders.filter(planned_start__gte=_local_midnight(filters.planned_from))
    if filters.planned_to:
        orders = orders.filter(
            planned_start__lt=_local_midnight(filters.planned_to + dt.timedelta(days=1)))
    return _Mapped(orders.distinct(), _summary)


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@router.post("/work-orders", response=_responses(WorkOrderOut, created=True),
             summary="Create a work order", openapi_extra=OFFICE_ONLY)
def create_work_order(request: HttpRequest, payload: WorkOrderIn) -> Any:
    """Office. Planned at once when it has technicians and a start."""
    _office(request)
    customer = Customer.objects.filter(number=payload.customer_number).first()
    if customer is None:
        raise _field_error("customer_number", _("Unknown customer number: %(number)s")
                           % {"number": payload.customer_number})
    if not customer.is_active:
        raise _field_error("customer_number", _("Customer %(number)s is inactive.")
                           % {"number": customer.number})
    address = None
    if payload.work_address_id is not None:
        address = WorkAddress.objects.filter(pk=payload.work_address_id, customer=customer).first()
        if address is None:
            raise _field_error("work_address_id",
                               _("This customer has no work address with this id."))
    technicians = _technicians("technicians", payload.technicians)
    order = services.create_work_order(
        customer=customer, work_address=address, description=payload.description,
        customer_reference=payload.customer_reference, technicians=technicians,
        planned_start=payload.planned_start, planned_minutes=payload.planned_minutes,
    )
    return Status(201, _detail(order))


@router.get("/work-orders/{work_order_id}", response=_responses(WorkOrderOut),
            summary="A work order with its time entries, material lines and forms")
def get_work_order(request: HttpRequest, work_order_id: WorkOrderId) -> Any:
    return _detail(_order(request, work_order_id))


@router.post("/work-orders/{work_order_id}/plan", response=_responses(WorkOrderOut, changes=True),
             summary="Plan or move a work order", openapi_extra=OFFICE_ONLY)
def plan_work_order(request: HttpRequest, work_order_id: WorkOrderId, payload: PlanIn) -> Any:
    """Office. Sets the technicians and start; an open order becomes planned."""
    _office(request)
    order = _order(request, work_order_id)
    technicians = _technicians("technicians", payload.technicians)
    with transaction.atomic():
        order = _locked_current(request, order)
        services.plan(order, technicians=technicians, planned_start=payload.planned_start,
                      planned_minutes=payload.planned_minutes)
    return _detail(order)


@router.patch("/work-orders/{work_order_id}", response=_responses(WorkOrderOut, changes=True),
              summary="Correct a work order (customer, work address, description, reference, "
                      "duration)", openapi_extra=OFFICE_ONLY)
def change_work_order(request: HttpRequest, work_order_id: int, payload: WorkOrderChangeIn) -> Any:
    """Office, not when archived (409). Needs the `version` read (If-Match or the field;
    428 without): when the work order changed since, nothing is saved (412). The order's
    current customer and work address stay valid when they were set inactive since; another
    inactive customer or work address is refused (422)."""
    _office(request)
    order = _order(request, work_order_id)
    sent = payload.model_fields_set
    with transaction.atomic():
        locked = _locked_current(request, order, payload.version, required=True)
        services.ensure_editable(locked)
        customer = locked.customer
        if "customer_number" in sent and payload.customer_number is not None:
            customer = Customer.objects.filter(number=payload.customer_number).first()
            if customer is None:
                raise _field_error("customer_number", _("Unknown customer number: %(number)s")
                                   % {"number": payload.customer_number})
            if not customer.is_active and customer.pk != locked.customer_id:
                raise _field_error("customer_number", _("Customer %(number)s is inactive.")
                                   % {"number": customer.number})
        address = locked.work_address if customer == locked.customer else None
        if "work_address_id" in sent:
            address = None
            if payload.work_address_id is not None:
                address = WorkAddress.objects.filter(pk=payload.work_address_id,
                                                     customer=customer).first()
                if address is None or (not address.is_active
                                       and address.pk != locked.work_address_id):
                    raise _field_error("work_address_id",
                                       _("This customer has no work address with this id."))
        locked.customer, locked.work_address = customer, address
        for name in ("description", "customer_reference", "planned_minutes"):
            value = getattr(payload, name)
            if name in sent and value is not None:
                setattr(locked, name, value)
        locked.save()
    return _detail(locked)


@router.post("/work-orders/{work_order_id}/complete",
             response=_responses(WorkOrderOut, changes=True),
             summary="Report a work order completed (gereed melden)")
def complete_work_order(request: HttpRequest, work_order_id: WorkOrderId, payload: CompleteIn) -> Any:
    user = _user(request)
    order = _order(request, work_order_id)
    with transaction.atomic():
        order = _locked_current(request, order)
        services.complete(order, user=user, signed_by_name=payload.signed_by_name,
                          customer_email=payload.customer_email)
    return _detail(order)


@router.post("/work-orders/{work_order_id}/reopen",
             response=_responses(WorkOrderOut, changes=True),
             summary="Send a completed work order back to the technicians",
             openapi_extra=OFFICE_ONLY)
def reopen_work_order(request: HttpRequest, work_order_id: WorkOrderId) -> Any:
    _office(request)
    order = _order(request, work_order_id)
    with transaction.atomic():
        order = _locked_current(request, order)
        services.reopen(order)
    return _detail(order)


@router.post("/work-orders/{work_order_id}/archive",
             response=_responses(WorkOrderOut, changes=True),
             summary="Archive a completed work order", openapi_extra=OFFICE_ONLY)
def archive_work_order(request: HttpRequest, work_order_id: WorkOrderId) -> Any:
    """Office. Only a completed work order can be archived (409 otherwise); an archived
    order refuses every change with a 409."""
    user = _office(request)
    order = _order(request, work_order_id)
    with transaction.atomic():
        order = _locked_current(request, order)
        services.archive(order, user=user)
    return _detail(order)


# --- time entries and material lines ------------------------------------------------------


@router.get("/work-orders/{work_order_id}/time-entries", response=_responses(list[TimeEntryOut]),
            summary="Time entries of a work order")
def list_time_entries(request: HttpRequest, work_order_id: WorkOrderId) -> Any:
    return [_time_entry_out(e) for e in _time_entries(_order(request, work_order_id))]


@router.post("/work-orders/{work_order_id}/time-entries",
             response=_responses(TimeEntryOut, changes=True, created=True),
             summary="Register work or travel time")
def add_time_entry(request: HttpRequest, work_order_id: WorkOrderId, payload: TimeEntryIn) -> Any:
    user = _user(request)
    order = _order(request, work_order_id)
    if user.is_office:
        technician = _planned_technician(order, payload.technician)
    else:
        if payload.technician and payload.technician != user.username:
            raise HttpError(403, _("A technician registers only their own time."))
        technician = user
    if error := entry_date_error(payload.date):
        raise _field_error("date", error)
    _refuse_technician_on_closed(user, order)
    entry = services.add_time_entry(order, technician=technician, kind=payload.kind,
                                    minutes=payload.minutes, date=payload.date)
    return Status(201, _time_entry_out(entry))


@router.get("/work-orders/{work_order_id}/material-lines",
            response=_responses(list[MaterialLineOut]), summary="Material lines of a work order")
def list_material_lines(request: HttpRequest, work_order_id: WorkOrderId) -> Any:
    return [_material_line_out(m) for m in _material_lines(_order(request, work_order_id))]


@router.post("/work-orders/{work_order_id}/material-lines",
             response=_responses(MaterialLineOut, changes=True, created=True),
             summary="Register an item used")
def add_material_line(request: HttpRequest, work_order_id: WorkOrderId, payload: MaterialLineIn) -> Any:
    user = _user(request)
    order = _order(request, work_order_id)
    item = Item.objects.filter(number=payload.item_number).first()
    if item is None:
        raise _field_error("item_number", _("Unknown item number: %(number)s")
                           % {"number": payload.item_number})
    if not item.is_active:
        raise _field_error("item_number", _("Item %(number)s is inactive.")
                           % {"number": item.number})
    if problem := counted_quantity_problem(item.number, item.unit, payload.quantity):
        raise _field_error("quantity", problem)
    _refuse_technician_on_closed(user, order)
    line = services.add_material_line(order, item=item, quantity=payload.quantity,
                                      note=payload.note, technician=user)
    return Status(201, _material_line_out(line))


# --- forms ----------------------------------------------------------------------------


@router.get("/form-templates", response=_responses(list[FormTemplateOut]),
            summary="Active form templates with their questions")
def list_form_templates(request: HttpRequest) -> Any:
    templates = FormTemplate.objects.filter(is_active=True).prefetch_related("questions")
    return [
        {"id": t.pk, "name": t.name, "questions": [
            {"id": q.pk, "position": q.position, "label": q.label, "kind": q.kind,
             "choices": q.choice_list, "required": q.required}
            for q in t.questions.all()
        ]}
        for t in templates
    ]


@router.get("/work-orders/{work_order_id}/forms", response=_responses(list[FilledFormOut]),
            summary="Filled-in forms of a work order")
def list_forms(request: HttpRequest, work_order_id: WorkOrderId) -> Any:
    return [_filled_form_out(f) for f in _forms(_order(request, work_order_id))]


def _answer_value(question: Any, raw: Any) -> tuple[str | None, str | None]:
    """``(stored value, error)`` for one answer, stored as the screens store it."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return "", (_("This question must be answered.") if question.required else None)
    if question.kind == QuestionKind.NUMBER:
        if isinstance(raw, bool):
            return None, _("Enter a number.")
        text = str(raw).strip().replace(",", ".")
        if len(text) > 2 * limits.MAX_ANSWER_DIGITS:
            return None, _("Enter at most %(max)s digits in total.") % {
                "max": limits.MAX_ANSWER_DIGITS}
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None, _("Enter a number.")
        return _bounded_number(number)
    if question.kind == QuestionKind.YES_NO:
        text = str(raw).strip().lower() if not isinstance(raw, bool) else ("yes" if raw else "no")
        mapping = {"yes": "yes", "no": "no", "ja": "yes", "nee": "no", "true": "yes", "false": "no"}
        if text not in mapping:
            return None, _("Answer yes or no.")
        return mapping[text], None
    if question.kind == QuestionKind.CHOICE:
        text = str(raw).strip()
        if text not in question.choice_list:
            return None, _("Choose one of: %(choices)s.") % {"choices": ", ".join(question.choice_list)}
        return text, None
    if question.kind == QuestionKind.PHOTO:
        return None, _("Photos are added in the app, not through the API.")
    text = str(raw)
    if len(text) > limits.MAX_ANSWER_LENGTH:
        return None, _("Enter at most %(max)s characters.") % {"max": limits.MAX_ANSWER_LENGTH}
    if "\x00" in text:
        return None, _("NUL characters are not allowed.")
    return text, None


def _bounded_number(number: Decimal) -> tuple[str | None, str | None]:
    """A number answer within the shared limits, normalised as the screens store it."""
    if not number.is_finite():
        return None, _("Enter a number.")
    error = limits.answer_number_error(number)
    if error:
        return None, error
    return format(number.normalize(), "f"), None


@router.post("/work-orders/{work_order_id}/forms",
             response=_responses(FilledFormOut, changes=True),
             summary="Fill in (or change) a form on a work order")
def submit_form(request: HttpRequest, work_order_id: WorkOrderId, payload: FilledFormIn) -> Any:
    """One filled form per template per work order: submitting again changes its answers.
    Questions left out keep their answer (required ones must have one)."""
    user = _user(request)
    order = _order(request, work_order_id)
    template = FormTemplate.objects.filter(pk=payload.template_id, is_active=True).first()
    if template is None:
        raise _field_error("template_id", _("Unknown form template."))
    questions = {q.pk: q for q in template.questions.all()}
    errors: dict[str, list[str]] = {}
    values: dict[int, str] = {}
    for index, answer in enumerate(payload.answers):
        question = questions.get(answer.question_id)
        field = f"answers.{index}.value"
        if question is None:
            errors.setdefault(f"answers.{index}.question_id", []).append(
                _("This question is not part of the form."))
            continue
        value, error = _answer_value(question, answer.value)
        if error:
            errors.setdefault(field, []).append(error)
        elif value is not None:
            values[question.pk] = value
    existing = FilledForm.objects.filter(work_order=order, template=template).first()
    answered = {
        a.question_id for a in (existing.answers.all() if existing else []) if a.value or a.photo
    } | {pk for pk, v in values.items() if v}
    for question in questions.values():
        if question.required and question.pk not in answered and not errors:
            errors.setdefault("answers", []).append(
                _("Question %(label)s must be answered.") % {"label": question.label})
    if errors:
        raise werkbon_api.FieldErrors(errors)
    _refuse_technician_on_closed(user, order)
    with transaction.atomic():
        services.ensure_editable(services.lock(order))
        filled, _created = FilledForm.objects.get_or_create(
            work_order=order, template=template, defaults={"filled_by": user})
        filled.filled_by = user
        filled.save()
        for question_id, value in values.items():
            FormAnswer.objects.update_or_create(
                form=filled, question=questions[question_id], defaults={"value": value})
    return _filled_form_out(
        FilledForm.objects.select_related("template", "filled_by")
        .prefetch_related("answers__question").get(pk=filled.pk)
    )


# --- reference data ------------------------------------------------------------------------


def _search(queryset: QuerySet, q: str | None, *fields: str) -> QuerySet:
    if not q or not q.strip():
        return queryset
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__icontains": q.strip()})
    return queryset.filter(condition)


@router.get("/customers", response=_responses(list[CustomerOut]), tags=["reference data"],
            summary="Find customers by number, name or city", openapi_extra=OFFICE_ONLY)
@paginate(Pagination)
def list_customers(request: HttpRequest, q: SearchText | None = None,
                   status: Literal["active", "inactive"] | None = None) -> Any:
    _office(request)
    customers = _search(Customer.objects.all(), q, "number", "name", "city")
    if status:
        customers = customers.filter(status=status)
    return customers


@router.get("/customers/{customer_id}", response=_responses(CustomerDetailOut),
            tags=["reference data"], summary="A customer with its work addresses",
            openapi_extra=OFFICE_ONLY)
def get_customer(request: HttpRequest, customer_id: CustomerId) -> Any:
    _office(request)
    customer = get_object_or_404(Customer.objects.all(), pk=customer_id)
    return {
        **{f: getattr(customer, f) for f in CustomerOut.model_fields},
        "work_addresses": [_address_out(a) for a in customer.work_addresses.all()],
    }


@router.get("/items", response=_responses(list[ItemOut]), tags=["reference data"],
            summary="Find items by number or description")
@paginate(Pagination)
def list_items(request: HttpRequest, q: SearchText | None = None,
               status: Literal["active", "inactive"] | None = None) -> Any:
    items = _search(Item.objects.select_related("group"), q, "number", "description")
    if status:
        items = items.filter(status=status)
    show_prices = _user(request).sees_prices
    return _Mapped(items, lambda i: {
        "id": i.pk, "number": i.number, "description": i.description, "unit": i.unit,
        "sales_price": i.sales_price if show_prices else None,
        "item_type": i.item_type, "status": i.status,
        "group": i.group.code if i.group else None,
    })


@router.get("/technicians", response=_responses(list[TechnicianOut]), tags=["reference data"],
            summary="The technicians of the company (usernames for planning)",
            openapi_extra=OFFICE_ONLY)
def list_technicians(request: HttpRequest) -> Any:
    _office(request)
    users = User.objects.filter(tenant=require_current_tenant(), role=Role.TECHNICIAN, is_active=True)
    return [{"username": u.username, "name": u.display_name,
             "default_warehouse": u.default_warehouse} for u in users]
