"""The action layer: every technician and office action on work orders, by a stable name,
shared by the screens, the JSON API and its batch endpoint (the offline queue of issue 12).

An action is a service function registered under a name (``time.add``, ``material.correct``,
``workorder.complete``, …; :data:`REGISTRY`). :func:`apply` runs it for a user:

1. **Who may** (written once, :func:`refusal`): the office may act on any work order of its
   tenant; a technician only on work orders planned to them (others are "not found", so their
   existence does not leak), only while the order is open or planned ("completed: the office
   reviews it now"), and never an office action. An archived order refuses every change.
2. **Once per client id**: with a ``client_id`` (a UUID the form or API client made for one
   intended action) the action is applied at most once. The first apply stores an
   :class:`~werkbon.workorders.models.AppliedAction` (tenant, user, client id, action, work
   order, a small JSON result such as ``{"id": 12}``) in the same transaction as the change;
   a second apply with that id returns that result and changes nothing, also when two requests
   race (the unique constraint decides; the loser reads the winner's row). The same id used
   for another action, work order or user is refused. A refused action stores nothing, so
   its id may be sent again once the cause is gone.
3. **Stale reads**: with ``version`` (the work order's version the client read) a change made
   on an older read is refused (:class:`~werkbon.workorders.services.StaleWorkOrderError`).

Refusals are :class:`ActionRefused` (a :class:`~werkbon.workorders.services.LifecycleError`)
with a message for the user and an HTTP-like ``status``: 403 not allowed, 404 not found (or
not yours), 409 a work-order rule, 422 invalid input (``field`` names it).

Registering another service is one line::

    actions.register("photo.add", photos.add_photo)

The service is called as ``service(work_order, user=user, **payload)`` (``user`` only when
the service takes it; without ``work_order`` for ``needs_order=False``), and its return
value becomes the stored result (``{"id": value.pk}`` by default).
"""

from __future__ import annotations

import datetime as dt
import inspect
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from werkbon.accounts.models import Role, User
from werkbon.accounts.tenancy import require_current_tenant
from werkbon.workorders import attachments, limits, services
from werkbon.workorders.limits import entry_date_error
from werkbon.workorders.models import (
    AppliedAction,
    Customer,
    FilledForm,
    FormTemplate,
    InstalledObject,
    Item,
    MaterialLine,
    TimeEntry,
    WorkAddress,
    WorkOrder,
    WorkOrderPhoto,
    WorkOrderStatus,
)
from werkbon.workorders.photos import prepare_photo
from werkbon.workorders.units import counted_quantity_problem

# Until completed, the order's technicians may still add and correct their registrations.
OPEN_STATUSES = (WorkOrderStatus.OPEN, WorkOrderStatus.PLANNED)
# A client id is a UUID: 32 hex digits, with or without the four hyphens (and braces).
MAX_CLIENT_ID_LENGTH = 38
MAX_ACTION_NAME_LENGTH = 50


class ActionRefused(services.LifecycleError):
    """An action was refused; ``str(error)`` is the reason for the user.

    ``status``: 403 (not allowed), 404 (not found or not yours), 409 (a work-order rule),
    422 (invalid input; ``field`` names the input)."""

    def __init__(self, message: str, *, status: int = 409, field: str | None = None) -> None:
        super().__init__(message)
        self.status = 422 if field else status
        self.field = field


def _not_found() -> ActionRefused:
    return ActionRefused(_("Not found."), status=404)


def _office_only() -> ActionRefused:
    return ActionRefused(_("Only the office can do this."), status=403)


# --- the registry ----------------------------------------------------------------------------


def _default_result(value: Any) -> dict[str, Any]:
    pk = getattr(value, "pk", None)
    return {"id": pk} if pk is not None else {}


@dataclass(frozen=True)
class Action:
    """A registered action. ``office_only``: refused to technicians. ``needs_order``: acts on
    one work order (the rules above apply to it). ``technicians_while_open``: a technician may
    do it only while the order is open or planned."""

    name: str
    service: Callable[..., Any]
    office_only: bool = False
    needs_order: bool = True
    technicians_while_open: bool = True
    result: Callable[[Any], dict[str, Any]] = _default_result

    def call(self, order: WorkOrder | None, user: User, payload: dict[str, Any]) -> Any:
        parameters = inspect.signature(self.service).parameters
        takes_user = "user" in parameters or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
        kwargs = {**payload, **({"user": user} if takes_user else {})}
        if self.needs_order:
            return self.service(order, **kwargs)
        return self.service(**kwargs)


REGISTRY: dict[str, Action] = {}


def register(name: str, service: Callable[..., Any], *, office_only: bool = False,
             needs_order: bool = True, technicians_while_open: bool = True,
             result: Callable[[Any], dict[str, Any]] | None = None) -> Action:
    """Register ``service`` as action ``name`` (a stable name such as ``photo.add``)."""
    if len(name) > MAX_ACTION_NAME_LENGTH:
        raise ValueError(f"action name longer than {MAX_ACTION_NAME_LENGTH}: {name}")
    action = Action(name, service, office_only=office_only, needs_order=needs_order,
                    technicians_while_open=technicians_while_open,
                    result=result or _default_result)
    REGISTRY[name] = action
    return action


def get(name: str) -> Action:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ActionRefused(_("Unknown action: %(name)s") % {"name": str(name)[:MAX_ACTION_NAME_LENGTH]},
                            field="action") from None


# --- who may do what (written once) ---------------------------------------------------------


def visible_orders(user: User) -> QuerySet[WorkOrder]:
    """The work orders ``user`` may see: all of the tenant for the office, a technician's own
    (planned to them)."""
    orders = WorkOrder.objects.all()
    if not user.is_office:
        orders = orders.filter(technicians=user)
    return orders


def is_planned_to(order: WorkOrder, user: User) -> bool:
    return order.technicians.filter(pk=user.pk).exists()


def refusal(user: User, order: WorkOrder | None, name: str) -> ActionRefused | None:
    """Why ``user`` may not do action ``name`` on ``order`` now, or None when they may.

    The one place of the rule: office on any order of the tenant; a technician only on orders
    planned to them, only while open or planned; office actions only for the office; nothing
    changes an archived order."""
    action = get(name)
    if action.office_only and not user.is_office:
        return _office_only()
    if order is None:
        return None
    if not user.is_office and not is_planned_to(order, user):
        return _not_found()
    if order.status == WorkOrderStatus.ARCHIVED:
        return ActionRefused(_("Work order %(number)s is archived and can no longer be changed.")
                             % {"number": order.number})
    if (not user.is_office and action.technicians_while_open
            and order.status not in OPEN_STATUSES):
        return ActionRefused(_("This work order is completed; the office reviews it now."))
    return None


def may(user: User, order: WorkOrder | None, name: str) -> bool:
    """Whether :func:`refusal` lets ``user`` do ``name`` on ``order`` (for showing buttons)."""
    return refusal(user, order, name) is None


# --- client ids ------------------------------------------------------------------------------


def parse_client_id(value: object) -> uuid.UUID | None:
    """The client id as a UUID; None for None or blank. Anything else than a UUID (at most
    :data:`MAX_CLIENT_ID_LENGTH` characters) is refused (422, field ``client_id``)."""
    if value is None or value == "":
        return None
    if isinstance(value, uuid.UUID):
        return value
    text = str(value).strip()
    if len(text) <= MAX_CLIENT_ID_LENGTH:
        try:
            return uuid.UUID(text)
        except ValueError:
            pass
    raise ActionRefused(_("The client id must be a UUID, such as %(example)s.")
                        % {"example": "0b6f3c1e-8a4d-4c2e-9f1a-2d3b4c5d6e7f"}, field="client_id")


def new_client_id() -> str:
    """A fresh client id for a form (one per render: a double submit is applied once)."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Outcome:
    """What :func:`apply` did: ``result`` (the stored JSON result), ``value`` (what the
    service returned; None when ``already_applied``)."""

    name: str
    result: dict[str, Any]
    value: Any
    already_applied: bool


def _order_pk(work_order: WorkOrder | int | None) -> int | None:
    return work_order.pk if isinstance(work_order, WorkOrder) else work_order


def _earlier(client_id: uuid.UUID, user: User, action: Action,
             work_order: WorkOrder | int | None) -> Outcome | None:
    """The outcome of the earlier apply of ``client_id``, or None; refused when the id was
    used for another action, work order or user."""
    record = AppliedAction.objects.filter(client_id=client_id).first()
    if record is None:
        return None
    same = record.user_id == user.pk and record.action == action.name and (
        not action.needs_order or record.work_order_id == _order_pk(work_order))
    if not same:
        raise ActionRefused(_("This client id was already used for another action or work "
                              "order. Make a new client id for every action."), field="client_id")
    return Outcome(action.name, record.result, None, True)


class _Claimed(Exception):
    """Another request stored this client id first (unique constraint)."""


def apply(name: str, *, user: User, work_order: WorkOrder | int | None = None,
          client_id: object = None, version: object = None, **payload: Any) -> Outcome:
    """Apply action ``name`` for ``user`` (see the module text): at most once per
    ``client_id``, refused with :class:`ActionRefused` (or another LifecycleError of the
    service) when a rule says no. ``payload``: the action's keyword arguments."""
    action = get(name)
    cid = parse_client_id(client_id)
    for _attempt in range(2):
        if cid is not None and (earlier := _earlier(cid, user, action, work_order)):
            return earlier
        try:
            return _apply_once(action, user, work_order, cid, version, payload)
        except _Claimed:
            continue  # another request stored this id first: answer with its result
    raise ActionRefused(_("This action is being applied by another request; send it again."))


def _apply_once(action: Action, user: User, work_order: WorkOrder | int | None,
                cid: uuid.UUID | None, version: object, payload: dict[str, Any]) -> Outcome:
    with transaction.atomic():
        order = None
        if action.needs_order:
            pk = _order_pk(work_order)
            if pk is None:
                raise ActionRefused(_("Say which work order."), field="work_order")
            if not visible_orders(user).filter(pk=pk).exists():
                raise _not_found()
            order = services.lock(WorkOrder(pk=pk))
            if version is not None:
                services.ensure_current(order, version)
        if refused := refusal(user, order, action.name):
            raise refused
        record = None
        if cid is not None:
            try:
                with transaction.atomic():
                    record = AppliedAction.objects.create(
                        user=user, client_id=cid, action=action.name, work_order=order)
            except IntegrityError as error:
                raise _Claimed from error
        value = action.call(order, user, payload)
        result = action.result(value)
        if record is not None:
            record.result = result
            if record.work_order_id is None and isinstance(value, WorkOrder):
                record.work_order = value
            record.save(update_fields=["result", "work_order"])
    return Outcome(action.name, result, value, False)


# --- the actions ---------------------------------------------------------------------------


def _own_record(user: User, record: TimeEntry | MaterialLine | WorkOrderPhoto) -> None:
    # The one own-only rule: a technician changes only what they registered (time, material,
    # photos); the office any (until archived, refusal()).
    owner = record.added_by_id if isinstance(record, WorkOrderPhoto) else record.technician_id
    if not user.is_office and owner != user.pk:
        raise ActionRefused(_("You can only change what you registered yourself."), status=403)


def _record(model: type, order: WorkOrder, record: object) -> Any:
    pk = getattr(record, "pk", record)
    found = model.objects.filter(pk=pk, work_order=order).first() if isinstance(pk, int) else None
    if found is None:
        raise _not_found()
    return found


def planned_technician(order: WorkOrder, technician: User | str | None) -> User:
    """The technician the office books time for: one planned on the order (by user or
    username; the time is theirs, not the office user's); without one, the only planned one.
    Raises ActionRefused (422, field ``technician``)."""
    planned = list(order.technicians.filter(is_active=True).order_by("username"))
    if technician:
        username = technician.username if isinstance(technician, User) else technician.strip()
        match = [t for t in planned if t.username == username]
        if not match:
            raise ActionRefused(_(
                "%(name)s is not planned on work order %(number)s; choose one of: %(planned)s."
            ) % {"name": username, "number": order.number,
                 "planned": ", ".join(t.username for t in planned) or "—"}, field="technician")
        return match[0]
    if len(planned) == 1:
        return planned[0]
    if not planned:
        raise ActionRefused(_("Work order %(number)s has no planned technician: plan it first.")
                            % {"number": order.number}, field="technician")
    raise ActionRefused(_(
        "Work order %(number)s has several technicians; say whose time it is: %(planned)s."
    ) % {"number": order.number, "planned": ", ".join(t.username for t in planned)},
        field="technician")


def _time_technician(order: WorkOrder, user: User, technician: User | str | None) -> User:
    """Whose time: a technician registers only their own; the office names a planned one."""
    if user.is_office:
        return planned_technician(order, technician)
    name = technician.username if isinstance(technician, User) else technician
    if name and name != user.username:
        raise ActionRefused(_("A technician registers only their own time."), status=403)
    return user


def _check_date(date: dt.date, unchanged: dt.date | None = None) -> None:
    if date != unchanged and (error := entry_date_error(date)):
        raise ActionRefused(error, field="date")


def add_time(order: WorkOrder, *, user: User, kind: str, minutes: int, date: dt.date,
             technician: User | str | None = None) -> TimeEntry:
    """``time.add``: ``minutes`` (whole, 1 to a day) of ``kind`` (work | travel) on ``date``
    (not in the future, at most a year back) for ``technician`` (default: the caller; the
    office: the only planned technician)."""
    who = _time_technician(order, user, technician)
    _check_date(date)
    return services.add_time_entry(order, technician=who, kind=kind, minutes=minutes, date=date)


def correct_time(order: WorkOrder, *, user: User, entry: TimeEntry | int, kind: str,
                 minutes: int, date: dt.date, technician: User | str | None = None) -> TimeEntry:
    """``time.correct``: change a time entry; a technician only their own, and keeps it theirs.
    The entry's own date may stay even when older than the limit."""
    found: TimeEntry = _record(TimeEntry, order, entry)
    _own_record(user, found)
    who = None
    if user.is_office and technician and not (
            isinstance(technician, User) and technician.pk == found.technician_id):
        who = planned_technician(order, technician)
    _check_date(date, unchanged=found.date)
    return services.correct_time_entry(found, kind=kind, minutes=minutes, date=date,
                                       technician=who)


def delete_time(order: WorkOrder, *, user: User, entry: TimeEntry | int) -> TimeEntry:
    """``time.delete``: delete a time entry (a technician only their own)."""
    found: TimeEntry = _record(TimeEntry, order, entry)
    _own_record(user, found)
    pk = found.pk
    services.delete_time_entry(found)
    found.pk = pk
    return found


def _item(item: Item | str, *, current: Item | None = None) -> Item:
    if isinstance(item, Item):
        found: Item | None = item
    else:
        found = Item.objects.filter(number=str(item).strip()).first()
        if found is None:
            raise ActionRefused(_("Unknown item number: %(number)s") % {"number": item},
                                field="item_number")
    assert found is not None
    if not found.is_active and (current is None or found.pk != current.pk):
        raise ActionRefused(_("Item %(number)s is inactive.") % {"number": found.number},
                            field="item_number")
    return found


def _check_quantity(item: Item, quantity: Decimal) -> None:
    if problem := counted_quantity_problem(item.number, item.unit, quantity):
        raise ActionRefused(problem, field="quantity")


def add_material(order: WorkOrder, *, user: User, item: Item | str, quantity: Decimal,
                 note: str = "") -> MaterialLine:
    """``material.add``: ``quantity`` (in the item's unit; whole for pieces) of an active item
    (an Item or its number), registered by the caller."""
    found = _item(item)
    _check_quantity(found, quantity)
    return services.add_material_line(order, item=found, quantity=quantity, note=note,
                                      technician=user)


def correct_material(order: WorkOrder, *, user: User, line: MaterialLine | int,
                     item: Item | str, quantity: Decimal, note: str = "") -> MaterialLine:
    """``material.correct``: change a material line (a technician only their own)."""
    found: MaterialLine = _record(MaterialLine, order, line)
    _own_record(user, found)
    new_item = _item(item, current=found.item)
    _check_quantity(new_item, quantity)
    return services.correct_material_line(found, item=new_item, quantity=quantity, note=note)


def delete_material(order: WorkOrder, *, user: User, line: MaterialLine | int) -> MaterialLine:
    """``material.delete``: delete a material line (a technician only their own)."""
    found: MaterialLine = _record(MaterialLine, order, line)
    _own_record(user, found)
    pk = found.pk
    services.delete_material_line(found)
    found.pk = pk
    return found


def save_form(order: WorkOrder, *, user: User, template: FormTemplate | int,
              answers: list[tuple[int, object]] | None = None,
              photos: dict[int, object] | None = None,
              photo_bytes: list[tuple[int, bytes]] | None = None) -> FilledForm:
    """``form.save``: fill in or change a custom form (:func:`services.save_form`).

    ``photos``: question id → a photo already checked (``photos.prepare_photo``);
    ``photo_bytes``: ``(question id, the image's bytes)`` as the API receives them, decoded
    only here, after the caller may act and the client id is new, and only when each is
    for a photo question of the template, once (else AnswersError, field ``photos.<id>``)."""
    if not isinstance(template, FormTemplate):
        template_pk = template
        found = FormTemplate.objects.filter(pk=template_pk, is_active=True).first() \
            if isinstance(template_pk, int) else None
        if found is None:
            raise ActionRefused(_("Unknown form template."), field="template_id")
        template = found
    if photo_bytes:
        if errors := services.form_photo_errors(template, [pk for pk, _data in photo_bytes]):
            raise services.AnswersError(errors)
        photos = dict(photos or {})
        for question_id, data in photo_bytes:
            try:
                photos[question_id] = prepare_photo(ContentFile(data, name="foto"))
            except ValidationError as error:
                raise services.AnswersError({f"photos.{question_id}": error.messages}) from error
    return services.save_form(order, user=user, template=template, answers_given=answers,
                              photos=photos)


def complete(order: WorkOrder, *, user: User, signed_by_name: str = "",
             customer_email: str | None = None) -> WorkOrder:
    """``workorder.complete``: report the order completed, with who signed off and where the
    signed work order is e-mailed (``services.complete``)."""
    return services.complete(order, user=user, signed_by_name=signed_by_name,
                             customer_email=customer_email)


def technicians_by_username(usernames: list[User | str]) -> list[User]:
    """Active technicians of the current tenant by user or username (422 naming unknown ones)."""
    tenant = require_current_tenant()
    wanted = [u.username if isinstance(u, User) else str(u).strip() for u in usernames]
    wanted = list(dict.fromkeys(u for u in wanted if u))
    found = {u.username: u for u in User.objects.filter(
        tenant=tenant, role=Role.TECHNICIAN, is_active=True, username__in=wanted)}
    if missing := [u for u in wanted if u not in found]:
        raise ActionRefused(_("Unknown technician: %(names)s") % {"names": ", ".join(missing)},
                            field="technicians")
    return [found[u] for u in wanted]


def plan(order: WorkOrder, *, user: User, technicians: list[User | str],
         planned_start: dt.datetime, planned_minutes: int | None = None,
         move_from: User | str | None = None) -> WorkOrder:
    """``workorder.plan`` (office): technicians (users or usernames) and an aware start.

    ``move_from`` (a technician planned on the order, user or username): the move of that
    technician's card on the planning board: they are replaced by the one technician of
    ``technicians``, the order's other technicians stay (the start moves for all). Refused
    (422, field ``move_from``) when they are no longer planned on the order."""
    if not technicians:
        raise ActionRefused(_("Choose at least one technician."), field="technicians")
    chosen = technicians_by_username(technicians)
    if move_from is not None:
        name = move_from.username if isinstance(move_from, User) else str(move_from).strip()
        current = list(order.technicians.order_by("first_name", "last_name", "username"))
        if not any(t.username == name for t in current):
            raise ActionRefused(_(
                "%(name)s is no longer planned on work order %(number)s; reload the planning "
                "and try again.") % {"name": name, "number": order.number}, field="move_from")
        if len(chosen) != 1:
            raise ActionRefused(_("Move a card to one technician."), field="technicians")
        moved = [chosen[0] if t.username == name else t for t in current]
        chosen = list({t.pk: t for t in moved}.values())
    return services.plan(order, technicians=chosen,
                         planned_start=planned_start, planned_minutes=planned_minutes)


def archive(order: WorkOrder, *, user: User) -> WorkOrder:
    """``workorder.archive`` (office): archive a completed order."""
    return services.archive(order, user=user)


def reopen(order: WorkOrder, *, user: User) -> WorkOrder:
    """``workorder.reopen`` (office): send a completed order back to the technicians."""
    return services.reopen(order)


def on_site_customers() -> QuerySet[Customer]:
    """The customers a technician may make a work order for: the tenant's active ones."""
    return Customer.objects.filter(status="active")


def create_on_site(*, user: User, customer: Customer | int | str,
                   work_address: WorkAddress | int | None = None,
                   new_address: dict[str, str] | None = None, description: str = "",
                   customer_reference: str = "", planned_minutes: int = 60) -> WorkOrder:
    """``workorder.create_on_site`` (a technician, when the tenant allows it): a work order
    for an active customer of the tenant (a Customer, its id, or its number) and one of its
    active work addresses, or a new work address for that customer (``new_address``: street,
    house_number, postal_code, city, name; bounded by the model's field lengths), planned on
    the technician for now (today). The order records who made it (``created_by``)."""
    if user.is_office:
        raise ActionRefused(_("The office makes work orders on the work-order page."), status=403)
    tenant = require_current_tenant()
    if not tenant.technicians_create_work_orders:
        raise ActionRefused(_("Your company does not let technicians make work orders on "
                              "site. Ask the office."), status=403)
    if isinstance(customer, Customer):
        customer = customer.pk
    found = on_site_customers().filter(
        Q(pk=customer) if isinstance(customer, int) else Q(number=str(customer).strip())).first()
    if found is None:
        raise ActionRefused(_("Choose an active customer of your company."), field="customer")
    address = None
    if work_address is not None and new_address:
        raise ActionRefused(_("Choose a work address or enter a new one, not both."),
                            field="work_address")
    if work_address is not None:
        pk = getattr(work_address, "pk", work_address)
        address = WorkAddress.objects.filter(pk=pk, customer=found, is_active=True).first() \
            if isinstance(pk, int) else None
        if address is None:
            raise ActionRefused(_("This customer has no work address with this id."),
                                field="work_address")
    elif new_address:
        address = _new_address(found, new_address)
    if len(description) > limits.MAX_DESCRIPTION_LENGTH or len(customer_reference) > limits.MAX_REFERENCE_LENGTH:
        raise ActionRefused(_("The text is too long."), field="description")
    return services.create_work_order(
        customer=found, work_address=address, description=description,
        customer_reference=customer_reference, technicians=[user],
        planned_start=timezone.now().replace(second=0, microsecond=0),
        planned_minutes=planned_minutes, created_by=user,
    )


NEW_ADDRESS_FIELDS = ("name", "street", "house_number", "postal_code", "city")


def _new_address(customer: Customer, data: dict[str, str]) -> WorkAddress:
    values = {}
    for name in NEW_ADDRESS_FIELDS:
        value = str(data.get(name) or "").strip()
        max_length = WorkAddress._meta.get_field(name).max_length
        if (max_length is not None and len(value) > max_length) or "\x00" in value:
            raise ActionRefused(_("Enter at most %(max)s characters.") % {"max": max_length},
                                field=f"new_address.{name}")
        values[name] = value
    if not values["street"]:
        raise ActionRefused(_("Enter the street of the new work address."),
                            field="new_address.street")
    return WorkAddress.objects.create(customer=customer, **values)


class _InputRefused:
    """Turns :class:`werkbon.workorders.attachments.InvalidInput` into a 422 naming the field."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: BaseException | None, traceback: Any) -> None:
        if isinstance(error, attachments.InvalidInput):
            raise ActionRefused(str(error), field=error.field) from error


def capture_signature(order: WorkOrder, *, user: User, signer_name: str,
                      image_bytes: bytes) -> Any:
    """``signature.capture``: the customer's signature (``image_bytes``: the canvas as PNG, at
    most ``MAX_SIGNATURE_BYTES``) and the signer's name; before completion, also by the office
    (:func:`werkbon.workorders.attachments.capture_signature`). Signing again replaces it."""
    with _InputRefused():
        return attachments.capture_signature(order, user=user, signer_name=signer_name,
                                             image_bytes=image_bytes)


def add_photo(order: WorkOrder, *, user: User, image_bytes: bytes, caption: str = "") -> Any:
    """``photo.add``: one photo (``image_bytes``, at most ``MAX_PHOTO_BYTES``) with a caption;
    the office until archived, a technician until completed
    (:func:`werkbon.workorders.attachments.add_photo`). Several photos: one action each."""
    with _InputRefused():
        return attachments.add_photo(order, user=user, image_bytes=image_bytes, caption=caption)


def delete_photo(order: WorkOrder, *, user: User, photo: int) -> bool:
    """``photo.delete``: delete photo ``photo`` (its id) of the order; False when it has no
    such photo (deleted already). Who may: as ``photo.add``, and a technician only the photos
    they added (403, as time and material lines)."""
    found = WorkOrderPhoto.objects.filter(pk=photo, work_order=order).first()
    if found is not None:
        _own_record(user, found)
    return attachments.delete_photo(order, user=user, photo_id=photo)


def set_installations(order: WorkOrder, *, user: User,
                      installations: list[InstalledObject | int]) -> WorkOrder:
    """``installations.set``: name the installations (objects or ids) the order is done on,
    replacing the list (:func:`werkbon.workorders.services.set_installations`): the office
    until archived, a technician until completed. An id that is no installation of the
    tenant is refused (422, field ``installation_ids``)."""
    wanted = list(dict.fromkeys(getattr(i, "pk", i) for i in installations))
    found = {i.pk: i for i in InstalledObject.objects.filter(
        pk__in=[pk for pk in wanted if isinstance(pk, int)])}
    if missing := [str(pk) for pk in wanted if pk not in found]:
        raise ActionRefused(_("Unknown installation: %(ids)s") % {"ids": ", ".join(missing)},
                            field="installation_ids")
    return services.set_installations(order, installations=[found[pk] for pk in wanted])


def _order_result(order: WorkOrder) -> dict[str, Any]:
    return {"id": order.pk, "number": order.number, "status": order.status}


register("time.add", add_time)
register("time.correct", correct_time)
register("time.delete", delete_time)
register("material.add", add_material)
register("material.correct", correct_material)
register("material.delete", delete_material)
register("form.save", save_form)
register("workorder.complete", complete, result=_order_result)
register("workorder.create_on_site", create_on_site, needs_order=False, result=_order_result)
register("workorder.plan", plan, office_only=True, result=_order_result)
register("workorder.archive", archive, office_only=True, result=_order_result)
register("workorder.reopen", reopen, office_only=True, result=_order_result)
register("signature.capture", capture_signature)
register("photo.add", add_photo)
register("photo.delete", delete_photo, result=lambda deleted: {"deleted": bool(deleted)})
register("installations.set", set_installations, result=_order_result)
