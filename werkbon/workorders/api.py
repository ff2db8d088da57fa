"""Work-order endpoints of the JSON API (mounted at ``/api/v1/`` by :mod:`werkbon.api`).

Every query reads through the tenant-scoped managers, so another tenant's record is a 404
like one that does not exist. A technician sees only the work orders planned to them (the
rest are 404s) and gets a 403 for office actions. Every change is an action of
:mod:`werkbon.workorders.actions` (the rules of who may do what live there, shared with the
screens); refusals are 409s with the service's message (403/404/422 where the action says
so). Every action endpoint takes an optional ``Idempotency-Key`` (a UUID): sent again, the
action is applied once and answers as the first time. ``POST /actions`` applies a batch of
actions in order (the offline queue), one answer per action.
Every work order carries a ``version``: a change sent with an older one (``If-Match`` or the
body's ``version``) is refused with 412, so nothing made meanwhile is overwritten; the
correction (``PATCH``) needs it (428 without).

Units: minutes are whole minutes; hours are decimals with two places (as strings in
JSON), rounded once per total by :func:`werkbon.workorders.units.minutes_to_hours`;
quantities and prices are decimals as strings; prices in EUR; times ISO 8601 with offset
(shown in Europe/Amsterdam), dates ``YYYY-MM-DD``.
"""


import base64
import binascii
import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Body, Field, Header, Path, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    StringConstraints,
    WrapValidator,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from werkbon import api as werkbon_api
from werkbon.accounts.models import Role, User
from werkbon.accounts.tenancy import require_current_tenant
from werkbon.workorders import actions, limits, services
from werkbon.workorders.limits import (
    MAX_PLANNED_MINUTES,
    MAX_TIME_ENTRY_MINUTES,
)
from werkbon.workorders.models import (
    ADDRESS_FIELDS,
    AppliedAction,
    Customer,
    FilledForm,
    FormTemplate,
    InstalledObject,
    Item,
    MaterialLine,
    Signature,
    TimeEntry,
    TimeKind,
    WorkAddress,
    WorkOrder,
    WorkOrderPhoto,
)
from werkbon.workorders.units import minutes_to_hours

router = Router(tags=["work orders"])

# Marks an operation as office-only in the OpenAPI document; the isolation test reads it.
OFFICE_ONLY = {"x-werkbon-office-only": True}



_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse_nul(value: str) -> str:
    # PostgreSQL cannot store NUL in text, and a lone surrogate (JSON "\ud800") cannot be
    # encoded as UTF-8: both refused here (a 422) instead of failing on save (a 500).
    if "\x00" in value:
        raise PydanticCustomError("string_nul", "NUL characters are not allowed.")
    if _SURROGATE.search(value):
        raise PydanticCustomError("string_surrogate", "unpaired surrogate")
    return value


def _one_answer(value: Any, handler: Any) -> Any:
    """An answer value: text, a number, true/false or null; anything else (a list, an object)
    one error instead of one per member of the union. Text without NUL or lone surrogates."""
    if isinstance(value, str):
        _refuse_nul(value)
    try:
        return handler(value)
    except PydanticValidationError:
        raise PydanticCustomError("answer_type", "text, a number, true/false or null") from None


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
    created_by: str | None = Field(description="username of who made it (none: imported or "
                                   "older)")
    made_on_site: bool = Field(description="made by a technician on site")
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
    move_from: Username | None = Field(
        None, description="username of a technician planned on the order: move that technician's "
        "card to the one technician in `technicians` (the others stay); 422 on `move_from` when "
        "they are no longer planned on it (the planning board's drag and drop)")


class WorkOrderChangeIn(Schema):
    """A correction of a work order that is not archived; only the fields sent change."""

    version: int | None = Field(None, description="the `version` read; or send If-Match")
    customer_number: Annotated[Text, StringConstraints(min_length=1, max_length=limits.MAX_NUMBER_LENGTH)] | None = None
    work_address_id: int | None = Field(None, description="a work address of the customer")
    description: Annotated[str, StringConstraints(max_length=limits.MAX_DESCRIPTION_LENGTH)] | None = None
    customer_reference: Annotated[Text, StringConstraints(max_length=limits.MAX_REFERENCE_LENGTH)] | None = None
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
    value: Annotated[str | bool | int | float | None, WrapValidator(_one_answer)] = Field(
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


def _listed(order: WorkOrder, listed: str, relation: str) -> Any:
    """The related rows prefetched into the list ``listed`` (the list endpoint), else the
    relation's (prefetched) rows."""
    rows = getattr(order, listed, None)
    return rows if rows is not None else getattr(order, relation).all()


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
            for t in _listed(order, "technician_list", "technicians")
        ],
        "planned_start": _local(order.planned_start),
        "planned_minutes": order.planned_minutes,
        "version": order.version,
        "installation_ids": [i.pk for i in _listed(order, "installation_list", "installations")],
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
        "created_by": order.created_by.username if order.created_by else None,
        "made_on_site": order.made_on_site,
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
    return WorkOrder.objects.select_related("customer", "work_address", "completed_by",
                                            "created_by") \
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


# --- actions (werkbon/workorders/actions.py) --------------------------------------------------

ClientId = Annotated[UUID, Field(description="a UUID the client made for this one action; "
                                 "sent again, the action is applied once")]
IdempotencyKey = Annotated[UUID | None, Header(
    alias="Idempotency-Key", description="optional client id (a UUID) of this action: sent "
    "again (a retry, a double tap), the action is applied once and the first result returned")]


def _apply(request: HttpRequest, name: str, order: WorkOrder | None, client_id: UUID | None,
           **payload: Any) -> actions.Outcome:
    """Apply action ``name`` for the caller, with the If-Match version when sent."""
    return actions.apply(name, user=_user(request), work_order=order, client_id=client_id,
                         version=_expected_version(request), **payload)


def _made(model: type, outcome: actions.Outcome) -> Any:
    """The row the action made, read back (also when an earlier apply of the same client id
    made it: the answer is the same)."""
    row = model.objects.filter(pk=outcome.result.get("id")).first()
    if row is None:
        raise actions.ActionRefused(_("This action was applied before; what it made was "
                                      "deleted since."))
    return row


def _time_kwargs(payload: "TimeEntryIn") -> dict[str, Any]:
    return {"kind": payload.kind, "minutes": payload.minutes, "date": payload.date,
            "technician": payload.technician}


def _material_kwargs(payload: "MaterialLineIn") -> dict[str, Any]:
    return {"item": payload.item_number, "quantity": payload.quantity, "note": payload.note}


def _form_kwargs(payload: "FilledFormIn") -> dict[str, Any]:
    return {"template": payload.template_id,
            "answers": [(a.question_id, a.value) for a in payload.answers]}


def _plan_kwargs(payload: "PlanIn") -> dict[str, Any]:
    return {"technicians": payload.technicians, "planned_start": payload.planned_start,
            "planned_minutes": payload.planned_minutes, "move_from": payload.move_from}


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
    # No DISTINCT: each filter on technicians joins one (order, technician) pair, so an order
    # is one row; the count is then an index-only COUNT of the tenant's rows, not a sort of
    # every column (issue 14). The page's technicians and installation ids as plain lists
    # (to_attr): a related manager's queryset per order cost more than the rows.
    orders = orders.prefetch_related(None).prefetch_related(
        Prefetch("technicians", to_attr="technician_list"),
        Prefetch("installations", queryset=InstalledObject.objects.only("id"), to_attr="installation_list"))
    return _Mapped(orders, _summary)


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
    technicians = actions.technicians_by_username(payload.technicians)
    order = services.create_work_order(
        customer=customer, work_address=address, description=payload.description,
        customer_reference=payload.customer_reference, technicians=technicians,
        planned_start=payload.planned_start, planned_minutes=payload.planned_minutes,
        created_by=_user(request),
    )
    return Status(201, _detail(order))


@router.get("/work-orders/{work_order_id}", response=_responses(WorkOrderOut),
            summary="A work order with its time entries, material lines and forms")
def get_work_order(request: HttpRequest, work_order_id: WorkOrderId) -> Any:
    return _detail(_order(request, work_order_id))


@router.post("/work-orders/{work_order_id}/plan", response=_responses(WorkOrderOut, changes=True),
             summary="Plan or move a work order", openapi_extra=OFFICE_ONLY)
def plan_work_order(request: HttpRequest, work_order_id: WorkOrderId, payload: PlanIn,
                    idempotency_key: IdempotencyKey = None) -> Any:
    """Office (action ``workorder.plan``). Sets the technicians and start; an open order
    becomes planned."""
    _office(request)
    order = _order(request, work_order_id)
    _apply(request, "workorder.plan", order, idempotency_key, **_plan_kwargs(payload))
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
def complete_work_order(request: HttpRequest, work_order_id: WorkOrderId, payload: CompleteIn,
                        idempotency_key: IdempotencyKey = None) -> Any:
    """Action ``workorder.complete``."""
    order = _order(request, work_order_id)
    _apply(request, "workorder.complete", order, idempotency_key,
           signed_by_name=payload.signed_by_name, customer_email=payload.customer_email)
    return _detail(order)


@router.post("/work-orders/{work_order_id}/reopen",
             response=_responses(WorkOrderOut, changes=True),
             summary="Send a completed work order back to the technicians",
             openapi_extra=OFFICE_ONLY)
def reopen_work_order(request: HttpRequest, work_order_id: WorkOrderId,
                      idempotency_key: IdempotencyKey = None) -> Any:
    """Office (action ``workorder.reopen``)."""
    _office(request)
    order = _order(request, work_order_id)
    _apply(request, "workorder.reopen", order, idempotency_key)
    return _detail(order)


@router.post("/work-orders/{work_order_id}/archive",
             response=_responses(WorkOrderOut, changes=True),
             summary="Archive a completed work order", openapi_extra=OFFICE_ONLY)
def archive_work_order(request: HttpRequest, work_order_id: WorkOrderId,
                       idempotency_key: IdempotencyKey = None) -> Any:
    """Office (action ``workorder.archive``). Only a completed work order can be archived
    (409 otherwise); an archived order refuses every change with a 409."""
    _office(request)
    order = _order(request, work_order_id)
    _apply(request, "workorder.archive", order, idempotency_key)
    return _detail(order)


# --- time entries and material lines ------------------------------------------------------


@router.get("/work-orders/{work_order_id}/time-entries", response=_responses(list[TimeEntryOut]),
            summary="Time entries of a work order")
def list_time_entries(request: HttpRequest, work_order_id: WorkOrderId) -> Any:
    return [_time_entry_out(e) for e in _time_entries(_order(request, work_order_id))]


@router.post("/work-orders/{work_order_id}/time-entries",
             response=_responses(TimeEntryOut, changes=True, created=True),
             summary="Register work or travel time")
def add_time_entry(request: HttpRequest, work_order_id: WorkOrderId, payload: TimeEntryIn,
                   idempotency_key: IdempotencyKey = None) -> Any:
    """Action ``time.add``."""
    order = _order(request, work_order_id)
    outcome = _apply(request, "time.add", order, idempotency_key, **_time_kwargs(payload))
    entry = _made(TimeEntry, outcome)
    return Status(201, _time_entry_out(entry))


@router.get("/work-orders/{work_order_id}/material-lines",
            response=_responses(list[MaterialLineOut]), summary="Material lines of a work order")
def list_material_lines(request: HttpRequest, work_order_id: WorkOrderId) -> Any:
    return [_material_line_out(m) for m in _material_lines(_order(request, work_order_id))]


@router.post("/work-orders/{work_order_id}/material-lines",
             response=_responses(MaterialLineOut, changes=True, created=True),
             summary="Register an item used")
def add_material_line(request: HttpRequest, work_order_id: WorkOrderId, payload: MaterialLineIn,
                      idempotency_key: IdempotencyKey = None) -> Any:
    """Action ``material.add``."""
    order = _order(request, work_order_id)
    outcome = _apply(request, "material.add", order, idempotency_key,
                     **_material_kwargs(payload))
    line = _made(MaterialLine, outcome)
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


@router.post("/work-orders/{work_order_id}/forms",
             response=_responses(FilledFormOut, changes=True),
             summary="Fill in (or change) a form on a work order")
def submit_form(request: HttpRequest, work_order_id: WorkOrderId, payload: FilledFormIn,
                idempotency_key: IdempotencyKey = None) -> Any:
    """Action ``form.save``. One filled form per template per work order: submitting again
    changes its answers. Questions left out keep their answer (required ones must have one).
    The same rules and limits as the screen (:func:`werkbon.workorders.services.save_form`)."""
    order = _order(request, work_order_id)
    outcome = _apply(request, "form.save", order, idempotency_key, **_form_kwargs(payload))
    return _filled_form_out(
        FilledForm.objects.select_related("template", "filled_by")
        .prefetch_related("answers__question").get(pk=outcome.result["id"])
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


# --- the customer's signature and the work order's photos (issue 11) -------------------------

# "data:image/png;base64," before the base64 is accepted (what a canvas gives).
_DATA_URL = re.compile(r"^data:image/[a-z0-9.+-]{1,20};base64,", re.IGNORECASE)


def _base64_chars(max_bytes: int) -> int:
    """The length of the base64 text of ``max_bytes`` bytes (padded)."""
    return (max_bytes + 2) // 3 * 4


def _decoded(value: str, max_bytes: int, too_large: str) -> bytes:
    """The bytes of base64 ``value`` (optionally a data URL), at most ``max_bytes``; else a
    422 with a message for the user (pydantic error ``image_base64`` / ``image_too_large``)."""
    text = _DATA_URL.sub("", value.strip(), count=1)
    if len(text) > _base64_chars(max_bytes):
        raise PydanticCustomError("image_too_large", too_large)
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise PydanticCustomError("image_base64", _(
            "The image is not valid base64: send the file's bytes base64-encoded.")) from None
    if not data:
        raise PydanticCustomError("image_base64", _("Send an image."))
    if len(data) > max_bytes:
        raise PydanticCustomError("image_too_large", too_large)
    return data


def _image_text(value: Any) -> Any:
    """An image as the offline queue sends a file (``{"name", "content_type", "data"}``, data
    base64) or as base64 text: the base64 text."""
    if isinstance(value, dict) and isinstance(value.get("data"), str):
        return value["data"]
    return value


def _signature_image(value: str) -> bytes:
    return _decoded(value, limits.MAX_SIGNATURE_BYTES, _(
        "The signature is too large (at most %(megabytes)s MB).")
        % {"megabytes": limits.MAX_SIGNATURE_BYTES // (1024 * 1024)})


def _photo_image(value: str) -> bytes:
    return _decoded(value, limits.MAX_PHOTO_BYTES, _(
        "The photo is too large (at most %(megabytes)s MB).")
        % {"megabytes": limits.MAX_PHOTO_BYTES // (1024 * 1024)})


class SignatureIn(Schema):
    signer_name: BoundedText(limits.MAX_SIGNER_NAME_LENGTH, min_length=1) = Field(
        description="the name of the customer who signed")
    image: Annotated[str, BeforeValidator(_image_text), AfterValidator(_signature_image)] = Field(
        description="the drawing as a PNG (the canvas), base64 (a `data:image/png;base64,` URL "
        f"is accepted too); at most {limits.MAX_SIGNATURE_BYTES} bytes. An empty canvas, or "
        "anything that is not an image, is refused with 422",
        json_schema_extra={"maxLength": _base64_chars(limits.MAX_SIGNATURE_BYTES) + 40})


class PhotoIn(Schema):
    image: Annotated[str, BeforeValidator(_image_text), AfterValidator(_photo_image)] = Field(
        description="a JPEG, PNG, GIF or WebP, base64 (a data URL is accepted too); at most "
        f"{limits.MAX_PHOTO_BYTES} bytes, and the whole request at most the request limit "
        "(2.5 MB: 413 above it; scale photos down on the phone, Werkbon stores at most "
        f"{limits.MAX_PHOTO_EDGE} px anyway). Stored re-encoded, without metadata",
        json_schema_extra={"maxLength": _base64_chars(limits.MAX_PHOTO_BYTES) + 40})
    caption: BoundedText(limits.MAX_CAPTION_LENGTH, strip=False) = ""


class InstallationIdsIn(Schema):
    installation_ids: list[Id] = Field(max_length=limits.MAX_INSTALLATIONS_PER_ORDER,
                                       description="installations of the work order's work "
                                                   "address; an empty list names none")


class PhotoRefIn(Schema):
    photo_id: Id


class SignatureOut(Schema):
    signer_name: str
    signed_at: dt.datetime = Field(description="ISO 8601, Europe/Amsterdam offset")
    width: int = Field(description="pixels of the stored PNG")
    height: int
    sha256: str = Field(description="of the stored PNG (Werkbon's own encoding)")


class PhotoOut(Schema):
    id: int
    caption: str
    size: int = Field(description="bytes of the stored (re-encoded) image")
    sha256: str
    added_by: str | None = Field(description="username")
    added_at: dt.datetime


def _signature_kwargs(payload: SignatureIn) -> dict[str, Any]:
    return {"signer_name": payload.signer_name, "image_bytes": payload.image}


def _photo_kwargs(payload: PhotoIn) -> dict[str, Any]:
    return {"image_bytes": payload.image, "caption": payload.caption}


def _signature_out(signature: Signature) -> dict[str, Any]:
    return {"signer_name": signature.signer_name, "signed_at": _local(signature.signed_at),
            "width": signature.width, "height": signature.height, "sha256": signature.sha256}


def _photo_out(photo: WorkOrderPhoto) -> dict[str, Any]:
    return {"id": photo.pk, "caption": photo.caption, "size": photo.size, "sha256": photo.sha256,
            "added_by": photo.added_by.username if photo.added_by else None,
            "added_at": _local(photo.added_at)}


def _image_responses(ok: Any, *, created: bool = False) -> dict[int, Any]:
    # 413: a body over the request limit (DATA_UPLOAD_MAX_MEMORY_SIZE), before it is read.
    return {**_responses(ok, changes=True, created=created), 413: werkbon_api.ErrorOut}


PhotoId = Annotated[int, Path(ge=1, le=limits.MAX_ID)]


@router.get("/work-orders/{work_order_id}/signature", response=_responses(SignatureOut),
            summary="The customer's signature of a work order (404 when not signed)")
def get_signature(request: HttpRequest, work_order_id: WorkOrderId) -> Any:
    """Who signed and when; the image itself is on the work order's page and in its PDF."""
    order = _order(request, work_order_id)
    return _signature_out(get_object_or_404(Signature.objects.all(), work_order=order))


@router.get("/work-orders/{work_order_id}/photos", response=_responses(list[PhotoOut]),
            summary="The photos of a work order")
def list_photos(request: HttpRequest, work_order_id: WorkOrderId) -> Any:
    order = _order(request, work_order_id)
    photos = WorkOrderPhoto.objects.filter(work_order=order).select_related("added_by").order_by("id")
    return [_photo_out(p) for p in photos]


@router.get("/work-orders/{work_order_id}/photos/{photo_id}", response=_responses(PhotoOut),
            summary="A photo of a work order (its caption, size and checksum)")
def get_photo(request: HttpRequest, work_order_id: WorkOrderId, photo_id: PhotoId) -> Any:
    order = _order(request, work_order_id)
    return _photo_out(get_object_or_404(WorkOrderPhoto.objects.select_related("added_by"),
                                        work_order=order, pk=photo_id))


@router.put("/work-orders/{work_order_id}/signature", response=_image_responses(SignatureOut),
            summary="Store the customer's signature")
def put_signature(request: HttpRequest, work_order_id: WorkOrderId, payload: SignatureIn,
                  idempotency_key: IdempotencyKey = None) -> Any:
    """Action ``signature.capture``: before completion (409 after); signing again replaces
    it. A technician only on a work order planned to them (404 otherwise). Stored is
    Werkbon's own PNG (grey on white, scaled down, no metadata)."""
    order = _order(request, work_order_id)
    outcome = _apply(request, "signature.capture", order, idempotency_key,
                     **_signature_kwargs(payload))
    return _signature_out(_made(Signature, outcome))


@router.post("/work-orders/{work_order_id}/photos", response=_image_responses(PhotoOut, created=True),
             summary="Add a photo to a work order")
def add_photo(request: HttpRequest, work_order_id: WorkOrderId, payload: PhotoIn,
              idempotency_key: IdempotencyKey = None) -> Any:
    """Action ``photo.add`` (one photo; several: one request or batch action each). The
    office until archived, a technician until completed (409 after); at most
    ``MAX_PHOTOS_PER_WORK_ORDER`` photos per work order (409)."""
    order = _order(request, work_order_id)
    outcome = _apply(request, "photo.add", order, idempotency_key, **_photo_kwargs(payload))
    photo = _made(WorkOrderPhoto, outcome)
    return Status(201, _photo_out(photo))


@router.delete("/work-orders/{work_order_id}/photos/{photo_id}",
               response={204: None, **_responses(None, changes=True)},
               summary="Delete a photo of a work order")
def delete_photo(request: HttpRequest, work_order_id: WorkOrderId,
                 photo_id: PhotoId, idempotency_key: IdempotencyKey = None) -> Any:
    """Action ``photo.delete``: as adding (the office until archived, a technician until
    completed). A photo the work order does not have is a 404; sent again with the same
    ``Idempotency-Key``, a 204 as the first time."""
    order = _order(request, work_order_id)
    outcome = _apply(request, "photo.delete", order, idempotency_key, photo=photo_id)
    if not outcome.result.get("deleted"):
        raise actions.ActionRefused(_("Not found."), status=404)
    return Status(204, None)


# --- work orders made on site, and the batch of actions (the offline queue) ----------------


class NewWorkAddressIn(Schema):
    name: BoundedText(255) = ""
    street: BoundedText(255, min_length=1)
    house_number: BoundedText(20) = ""
    postal_code: BoundedText(20) = ""
    city: BoundedText(100) = ""


class OnSiteWorkOrderIn(Schema):
    customer_number: BoundedText(limits.MAX_NUMBER_LENGTH, min_length=1) = Field(
        description="an active customer of the company")
    work_address_id: Id | None = Field(None, description="an active work address of the customer")
    new_address: NewWorkAddressIn | None = Field(
        None, description="or a new work address for the customer")
    description: BoundedText(limits.MAX_DESCRIPTION_LENGTH, strip=False) = ""
    customer_reference: BoundedText(limits.MAX_REFERENCE_LENGTH) = ""
    planned_minutes: int = Field(60, ge=1, le=MAX_PLANNED_MINUTES)


def _on_site_kwargs(payload: OnSiteWorkOrderIn) -> dict[str, Any]:
    return {"customer": payload.customer_number, "work_address": payload.work_address_id,
            "new_address": payload.new_address.model_dump() if payload.new_address else None,
            "description": payload.description, "customer_reference": payload.customer_reference,
            "planned_minutes": payload.planned_minutes}


@router.post("/on-site-work-orders", response=_responses(WorkOrderOut, changes=True, created=True),
             summary="Make a work order on site (technician)")
def create_on_site(request: HttpRequest, payload: OnSiteWorkOrderIn,
                   idempotency_key: IdempotencyKey = None) -> Any:
    """Technician (action ``workorder.create_on_site``), when the company allows it: a work
    order for an active customer and one of its work addresses (or a new one), planned on the
    caller for today. 403 for the office or when the company does not allow it."""
    outcome = _apply(request, "workorder.create_on_site", None, idempotency_key,
                     **_on_site_kwargs(payload))
    return Status(201, _detail(WorkOrder.objects.get(pk=outcome.result["id"])))


class TimeEntryChangeIn(TimeEntryIn):
    time_entry_id: Id


class TimeEntryRefIn(Schema):
    time_entry_id: Id


class MaterialLineChangeIn(MaterialLineIn):
    material_line_id: Id


class MaterialLineRefIn(Schema):
    material_line_id: Id


class NoPayloadIn(Schema):
    pass


# Action name → (payload schema, the action's keyword arguments from it), for the batch.
BATCH_PAYLOADS: dict[str, tuple[type[Schema], Any]] = {
    "time.add": (TimeEntryIn, _time_kwargs),
    "time.correct": (TimeEntryChangeIn, lambda p: {**_time_kwargs(p), "entry": p.time_entry_id}),
    "time.delete": (TimeEntryRefIn, lambda p: {"entry": p.time_entry_id}),
    "material.add": (MaterialLineIn, _material_kwargs),
    "material.correct": (MaterialLineChangeIn,
                         lambda p: {**_material_kwargs(p), "line": p.material_line_id}),
    "material.delete": (MaterialLineRefIn, lambda p: {"line": p.material_line_id}),
    "form.save": (FilledFormIn, _form_kwargs),
    "workorder.complete": (CompleteIn, lambda p: {"signed_by_name": p.signed_by_name,
                                                  "customer_email": p.customer_email}),
    "workorder.create_on_site": (OnSiteWorkOrderIn, _on_site_kwargs),
    "workorder.plan": (PlanIn, _plan_kwargs),
    "workorder.archive": (NoPayloadIn, lambda p: {}),
    "workorder.reopen": (NoPayloadIn, lambda p: {}),
    "signature.capture": (SignatureIn, _signature_kwargs),
    "photo.add": (PhotoIn, _photo_kwargs),
    "photo.delete": (PhotoRefIn, lambda p: {"photo": p.photo_id}),
    "installations.set": (InstallationIdsIn, lambda p: {"installations": p.installation_ids}),
}


class ActionIn(Schema):
    client_id: ClientId
    action: BoundedText(actions.MAX_ACTION_NAME_LENGTH, min_length=1) = Field(
        description="time.add | time.correct | time.delete | material.add | material.correct | "
        "material.delete | form.save | workorder.complete | workorder.create_on_site | "
        "workorder.plan | workorder.archive | workorder.reopen | signature.capture | photo.add | "
        "photo.delete | installations.set")
    work_order: Id | UUID | None = Field(
        None, description="the work order's id, or the client_id of the "
        "workorder.create_on_site action that made it (earlier in this batch or before); "
        "none for workorder.create_on_site")
    version: int | None = Field(None, ge=1, description="optional: the work order's version "
                                "read; a change made on an older read is refused")
    payload: dict[str, Any] = Field(default_factory=dict, description="the action's input, as "
                                    "the single endpoint's body (plus time_entry_id or "
                                    "material_line_id for a correction or deletion)")


class ActionResultOut(Schema):
    client_id: UUID
    action: str
    status: Literal["applied", "already_applied", "refused"]
    result: dict[str, Any] | None = Field(description="e.g. {\"id\": 12}; the first result "
                                          "when already applied")
    code: int = Field(description="as the single endpoint would answer: 200, 201, or the "
                      "refusal's 403/404/409/412/422")
    detail: str | None = Field(description="why it was refused, for the user")
    errors: dict[str, list[str]] | None = Field(description="per input field, when invalid")


def _batch_order(user: User, work_order: int | UUID | None) -> int | None:
    """A work order id, or the one an earlier workorder.create_on_site of ``user`` made."""
    if not isinstance(work_order, UUID):
        return work_order
    record = AppliedAction.objects.filter(client_id=work_order, user=user,
                                          action="workorder.create_on_site").first()
    if record is None or record.work_order_id is None:
        raise actions.ActionRefused(_("The work order made on site with this client id is not "
                                      "known (yet)."), field="work_order")
    return record.work_order_id


def _refused(item: ActionIn, code: int, detail: str,
             errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"client_id": item.client_id, "action": item.action, "status": "refused",
            "result": None, "code": code, "detail": detail, "errors": errors}


def _apply_one(request: HttpRequest, item: ActionIn) -> dict[str, Any]:
    user = _user(request)
    entry = BATCH_PAYLOADS.get(item.action)
    if entry is None:
        return _refused(item, 422, _("Unknown action: %(name)s") % {"name": item.action},
                        {"action": [_("Unknown action: %(name)s") % {"name": item.action}]})
    schema, to_kwargs = entry
    try:
        payload = schema.model_validate(item.payload)
    except PydanticValidationError as error:
        errors: dict[str, list[str]] = {}
        for problem in error.errors():
            field = ".".join(str(p) for p in problem.get("loc", ())) or "__all__"
            errors.setdefault(f"payload.{field}", []).append(werkbon_api.error_message(problem))
        # ``detail`` is for the technician (the offline queue shows it): the messages only;
        # ``errors`` names the fields for programs.
        messages = list(dict.fromkeys(m for ms in errors.values() for m in ms))
        return _refused(item, 422, " ".join(messages), errors)
    try:
        outcome = actions.apply(item.action, user=user,
                                work_order=_batch_order(user, item.work_order),
                                client_id=item.client_id, version=item.version,
                                **to_kwargs(payload))
    except services.StaleWorkOrderError as error:
        return _refused(item, 412, str(error))
    except services.AnswersError as error:
        return _refused(item, 422, str(error), error.errors)
    except actions.ActionRefused as error:
        return _refused(item, error.status, str(error),
                        {error.field: [str(error)]} if error.field else None)
    except services.LifecycleError as error:
        return _refused(item, 409, str(error))
    created = item.action in {"time.add", "material.add", "workorder.create_on_site", "photo.add"}
    return {"client_id": item.client_id, "action": item.action,
            "status": "already_applied" if outcome.already_applied else "applied",
            "result": outcome.result, "code": 201 if created else 200, "detail": None,
            "errors": None}


@router.post("/actions", response={**_image_responses(list[ActionResultOut]),
                                    422: werkbon_api.BatchValidationErrorOut},
             tags=["actions"], url_name="apply_actions",
             summary="Apply a batch of actions in order (the offline queue)")
def apply_actions(request: HttpRequest, payload: list[ActionIn] = Body(...)) -> Any:  # noqa: B008
    """Applies each action in the order sent, each in its own transaction, and answers one
    result per action in the same order: ``applied``, ``already_applied`` (its client id was
    applied before: nothing changed, the first result is returned) or ``refused`` (with the
    reason for the user in ``detail``; nothing changed). A refused action does not stop the
    ones after it. The same rules as the single endpoints (werkbon/workorders/actions.py).

    Header ``X-Werkbon-Queue-Owner`` (optional, the offline app sends it): the user id of
    the queue's owner on the phone. When it is not the logged-in user (another user logged
    in on the same phone) the whole batch is refused with 409 and nothing is applied, so a
    queue is never booked under someone else's name. Without the header: as before."""
    owner = request.headers.get("X-Werkbon-Queue-Owner")
    if owner is not None and owner.strip() != str(_user(request).pk):
        raise HttpError(409, _("These actions were made by another user on this phone; they "
                               "are sent only when that user logs in again."))
    if len(payload) > limits.MAX_ACTIONS_PER_BATCH:
        message = _("Send at most %(max)s actions at once.") % {"max": limits.MAX_ACTIONS_PER_BATCH}
        raise werkbon_api.FieldErrors({"__all__": [message]}, detail=message)
    return [_apply_one(request, item) for item in payload]


# The offline queue's payloads with images (issue 12): form photos, photo.add,
# signature.capture; they extend BATCH_PAYLOADS above.
from werkbon.workorders import offline_payloads  # noqa: E402, F401
