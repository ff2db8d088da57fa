"""The work-order lifecycle, shared by the screens and the API (manual 2.2–2.4, 3.4).

open → planned → completed ("gereed gemeld") → archived. Archiving is allowed only from
completed, and an archived work order is read-only everywhere. Every function raises
:class:`LifecycleError` with a message for the user when a rule is broken.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from werkbon.accounts.models import Tenant, User
from werkbon.accounts.tenancy import require_current_tenant
from werkbon.workorders import answers, history
from werkbon.workorders.limits import (
    MAX_EMAIL_LENGTH,
    MAX_INSTALLATIONS_PER_ORDER,
    MAX_PLANNED_MINUTES,
    MAX_TIME_ENTRY_MINUTES,
)
from werkbon.workorders.models import (
    Customer,
    FilledForm,
    FormAnswer,
    FormQuestion,
    FormTemplate,
    InstalledObject,
    Item,
    MaterialLine,
    QuestionKind,
    Signature,
    TimeEntry,
    TimeKind,
    WorkAddress,
    WorkOrder,
    WorkOrderSequence,
    WorkOrderStatus,
)
from werkbon.workorders.signals import work_order_archived, work_order_completed
from werkbon.workorders.units import counted_quantity_problem


class LifecycleError(Exception):
    """A work-order rule was broken; ``str(error)`` is a message for the user."""


class AnswersError(LifecycleError):
    """Answers of a custom form that break its rules: ``errors`` maps ``answers.<index>.value``
    (or ``answers.<index>.question_id``, or ``answers`` for a required question left empty) to
    messages for the user."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for messages in errors.values() for m in messages))
        self.errors = errors


class StaleWorkOrderError(LifecycleError):
    """The work order changed since the form or API client read it (``WorkOrder.version``)."""


def ensure_current(work_order: WorkOrder, version: object) -> None:
    """Refuse a change made on an older ``version`` of the work order (read it under the
    lock). Raises StaleWorkOrderError with a message naming the work order and the action."""
    if work_order.is_stale(version):
        raise StaleWorkOrderError(
            _("Work order %(number)s was changed by someone else (or by the link with the "
              "accounting system) after you opened it, so your changes were not saved. Open the "
              "work order again and make your changes once more.")
            % {"number": work_order.number}
        )


def next_work_order_number(tenant: Tenant) -> int:
    """The next number of the tenant's sequence (gap-free under concurrent use)."""
    with transaction.atomic():
        sequence, _created = WorkOrderSequence.objects.select_for_update().get_or_create(
            tenant=tenant
        )
        number = sequence.next_number
        sequence.next_number = number + 1
        sequence.save(update_fields=["next_number"])
    return number


def ensure_editable(work_order: WorkOrder) -> None:
    if work_order.status == WorkOrderStatus.ARCHIVED:
        raise LifecycleError(
            _("Work order %(number)s is archived and can no longer be changed.")
            % {"number": work_order.number}
        )


@transaction.atomic
def create_work_order(
    *,
    customer: Customer | None,
    work_address: WorkAddress | None = None,
    description: str = "",
    customer_reference: str = "",
    technicians: list[User] | None = None,
    planned_start: dt.datetime | None = None,
    planned_minutes: int = 60,
    created_by: User | None = None,
) -> WorkOrder:
    """Create a work order with the tenant's next number; planned when it has a date and a
    technician. ``created_by``: who made it (an office user, or a technician on site)."""
    tenant = require_current_tenant()
    if work_address is not None and customer is not None and work_address.customer_id != customer.pk:
        raise LifecycleError(_("The work address does not belong to this customer."))
    _check_planned_minutes(planned_minutes)
    work_order = WorkOrder.objects.create(
        number=next_work_order_number(tenant),
        customer=customer,
        work_address=work_address,
        description=description,
        customer_reference=customer_reference,
        planned_start=planned_start,
        planned_minutes=planned_minutes,
        created_by=created_by,
    )
    if technicians:
        work_order.technicians.set(technicians)
    _update_planned_status(work_order)
    return work_order


def _check_planned_minutes(minutes: int | None) -> None:
    if minutes is not None and not 1 <= minutes <= MAX_PLANNED_MINUTES:
        raise LifecycleError(
            _("The planned duration must be between 1 and %(max)s minutes.")
            % {"max": MAX_PLANNED_MINUTES}
        )


def _update_planned_status(work_order: WorkOrder) -> None:
    if work_order.status not in (WorkOrderStatus.OPEN, WorkOrderStatus.PLANNED):
        return
    planned = work_order.planned_start is not None and work_order.technicians.exists()
    status = WorkOrderStatus.PLANNED if planned else WorkOrderStatus.OPEN
    if work_order.status != status:
        work_order.status = status
        work_order.save(update_fields=["status", "updated_at"])


@transaction.atomic
def plan(
    work_order: WorkOrder,
    *,
    technicians: list[User],
    planned_start: dt.datetime,
    planned_minutes: int | None = None,
    version: object | None = None,
) -> WorkOrder:
    """Plan (or move) a work order: technicians and start time (aware datetime).

    ``version``: the ``WorkOrder.version`` the caller read (a planning-board card); when given
    and the order changed since, StaleWorkOrderError. Double-booking a technician is allowed
    (the board warns). Raises LifecycleError for an archived or completed order, a technician
    of another tenant or a duration out of bounds."""
    work_order = lock(work_order)
    ensure_editable(work_order)
    if version is not None:
        ensure_current(work_order, version)
    if work_order.status == WorkOrderStatus.COMPLETED:
        raise LifecycleError(_("A completed work order cannot be planned again."))
    tenant = require_current_tenant()
    if any(t.tenant_id != tenant.pk for t in technicians):
        raise LifecycleError(_("Technicians must belong to your company."))
    _check_planned_minutes(planned_minutes)
    work_order.planned_start = planned_start
    if planned_minutes is not None:
        work_order.planned_minutes = planned_minutes
    work_order.save(update_fields=["planned_start", "planned_minutes", "updated_at"])
    work_order.technicians.set(technicians)
    _update_planned_status(work_order)
    return work_order


def lock(work_order: WorkOrder) -> WorkOrder:
    """Re-read the work order under a row lock (call inside a transaction)."""
    return WorkOrder.objects.select_for_update().get(pk=work_order.pk)


@transaction.atomic
def add_time_entry(
    work_order: WorkOrder, *, technician: User, kind: str, minutes: int, date: dt.date
) -> TimeEntry:
    """Register ``minutes`` (whole minutes, at least 1) of work or travel time."""
    work_order = lock(work_order)
    ensure_editable(work_order)
    _check_time(kind, minutes)
    return TimeEntry.objects.create(
        work_order=work_order, technician=technician, kind=kind, minutes=minutes, date=date
    )


@transaction.atomic
def add_material_line(
    work_order: WorkOrder, *, item: Item, quantity: Decimal, note: str = "",
    technician: User | None = None,
) -> MaterialLine:
    """Register ``quantity`` (in the item's unit, more than 0; a whole number for an item
    counted in pieces, :func:`~werkbon.workorders.units.counted_quantity_problem`) of an item
    used: the line keeps that unit (and the item's number and description) whatever changes
    later. Raises LifecycleError with the reason."""
    work_order = lock(work_order)
    ensure_editable(work_order)
    if quantity <= 0:
        raise LifecycleError(_("Quantity must be more than 0."))
    if not item.is_active:
        raise LifecycleError(_("Item %(number)s is inactive.") % {"number": item.number})
    if problem := counted_quantity_problem(item.number, item.unit, quantity):
        raise LifecycleError(problem)
    return MaterialLine.objects.create(
        work_order=work_order, item=item, quantity=quantity, note=note, technician=technician
    )


def checked_customer_email(value: str | None) -> str:
    """``value`` stripped, or ``""`` for none; raises LifecycleError (with the action) when it
    is not one e-mail address of at most MAX_EMAIL_LENGTH characters."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        if len(value) > MAX_EMAIL_LENGTH:
            raise ValidationError("too long")
        validate_email(value)
    except ValidationError:
        raise LifecycleError(
            _("%(address)s is not a valid e-mail address. Correct it, or leave it empty to use "
              "the customer's own address.") % {"address": value[:80]}
        ) from None
    return value


@transaction.atomic
def complete(
    work_order: WorkOrder, *, user: User, signed_by_name: str = "", customer_email: str | None = None
) -> WorkOrder:
    """Report a work order completed ("gereed melden"). ``signed_by_name`` defaults to the
    signer of the customer's signature (``attachments.capture_signature``), else the user.
    When the tenant requires a signature (``Tenant.signature_required``) an order without
    one is refused with the action.

    ``customer_email``: where the signed work order is e-mailed when the company has that on
    (issue 11; the customer's own address when empty). Listeners of ``work_order_completed``
    get it (checked, ``""`` for none) and run inside this transaction."""
    customer_email = checked_customer_email(customer_email)
    work_order = lock(work_order)
    ensure_editable(work_order)
    if work_order.status == WorkOrderStatus.COMPLETED:
        raise LifecycleError(_("This work order is already completed."))
    signature = Signature.objects.filter(work_order=work_order).first()
    if signature is None and work_order.tenant.signature_required:
        raise LifecycleError(
            _("Work order %(number)s cannot be reported completed without the customer's "
              "signature: let the customer sign first.") % {"number": work_order.number})
    # open → planned → completed: who did the work, and when, comes from the planning.
    if work_order.status != WorkOrderStatus.PLANNED:
        raise LifecycleError(
            _("Work order %(number)s is not planned yet: plan it (technician and date) "
              "before reporting it completed.") % {"number": work_order.number}
        )
    work_order.status = WorkOrderStatus.COMPLETED
    work_order.completed_at = timezone.now()
    work_order.completed_by = user
    work_order.signed_by_name = (signed_by_name or (signature.signer_name if signature else "")
                                 or user.display_name)
    work_order.save(
        update_fields=["status", "completed_at", "completed_by", "signed_by_name", "updated_at"]
    )
    work_order_completed.send(sender=WorkOrder, work_order=work_order, user=user,
                              customer_email=customer_email)
    return work_order


@transaction.atomic
def reopen(work_order: WorkOrder) -> WorkOrder:
    """Send a completed work order back to the technicians (office correction)."""
    work_order = lock(work_order)
    ensure_editable(work_order)
    if work_order.status != WorkOrderStatus.COMPLETED:
        raise LifecycleError(_("Only a completed work order can be reopened."))
    work_order.status = WorkOrderStatus.OPEN
    work_order.completed_at = None
    work_order.save(update_fields=["status", "completed_at", "updated_at"])
    _update_planned_status(work_order)
    return work_order


@transaction.atomic
def archive(work_order: WorkOrder, *, user: User) -> WorkOrder:
    """Archive a completed work order (manual 3.4): from now on it is immutable, its customer
    and PDFs kept as they are now (:func:`history.store_at_archive`). Listeners of
    ``work_order_archived`` run inside this transaction."""
    work_order = lock(work_order)
    if work_order.status == WorkOrderStatus.ARCHIVED:
        raise LifecycleError(_("This work order is already archived."))
    if work_order.status != WorkOrderStatus.COMPLETED:
        raise LifecycleError(
            _("Only a completed work order can be archived. Work order %(number)s is %(status)s.")
            % {"number": work_order.number, "status": work_order.get_status_display().lower()}
        )
    work_order.status = WorkOrderStatus.ARCHIVED
    work_order.archived_at = timezone.now()
    work_order.archived_by = user
    work_order.save(update_fields=["status", "archived_at", "archived_by", "updated_at"])
    history.store_at_archive(work_order)
    work_order_archived.send(sender=WorkOrder, work_order=work_order, user=user)
    return work_order


def _check_time(kind: str, minutes: int) -> None:
    if kind not in TimeKind.values:
        raise LifecycleError(_("Unknown kind of time: %(kind)s") % {"kind": kind})
    if minutes < 1:
        raise LifecycleError(_("Minutes must be at least 1."))
    if minutes > MAX_TIME_ENTRY_MINUTES:
        raise LifecycleError(_("One time entry can be at most %(max)s minutes (a day).")
                             % {"max": MAX_TIME_ENTRY_MINUTES})


@transaction.atomic
def correct_time_entry(entry: TimeEntry, *, kind: str, minutes: int, date: dt.date,
                       technician: User | None = None) -> TimeEntry:
    """Change a time entry (kind, whole minutes, date; the technician when given) of an order
    that is not archived."""
    ensure_editable(lock(entry.work_order))
    _check_time(kind, minutes)
    entry.kind, entry.minutes, entry.date = kind, minutes, date
    if technician is not None:
        entry.technician = technician
    entry.save()
    return entry


@transaction.atomic
def delete_time_entry(entry: TimeEntry) -> None:
    """Delete a time entry of an order that is not archived."""
    ensure_editable(lock(entry.work_order))
    entry.delete()


@transaction.atomic
def correct_material_line(line: MaterialLine, *, item: Item, quantity: Decimal,
                          note: str = "") -> MaterialLine:
    """Change a material line (item, quantity in the item's unit, note) of an order that is
    not archived; the same rules as :func:`add_material_line`."""
    ensure_editable(lock(line.work_order))
    if quantity <= 0:
        raise LifecycleError(_("Quantity must be more than 0."))
    if item.pk != line.item_id and not item.is_active:
        raise LifecycleError(_("Item %(number)s is inactive.") % {"number": item.number})
    if problem := counted_quantity_problem(item.number, item.unit, quantity):
        raise LifecycleError(problem)
    line.item, line.quantity, line.note = item, quantity, note
    line.save()
    return line


@transaction.atomic
def delete_material_line(line: MaterialLine) -> None:
    """Delete a material line of an order that is not archived."""
    ensure_editable(lock(line.work_order))
    line.delete()


def form_photo_errors(template: FormTemplate, question_ids: list[int],
                      questions: dict[int, FormQuestion] | None = None) -> dict[str, list[str]]:
    """Why photos for ``question_ids`` cannot be part of ``template``, per ``photos.<id>``
    (empty when they can): each must be a photo question of the template, once (so at most
    as many photos as the template has photo questions)."""
    if questions is None:
        questions = {q.pk: q for q in template.questions.all()}
    errors: dict[str, list[str]] = {}
    seen: set[int] = set()
    for question_id in question_ids:
        question = questions.get(question_id)
        if question is None:
            message = _("Question %(id)s is not part of the form.") % {"id": question_id}
        elif question.kind != QuestionKind.PHOTO:
            message = _("Question %(label)s does not take a photo.") % {"label": question.label}
        elif question_id in seen:
            message = _("Question %(label)s takes one photo.") % {"label": question.label}
        else:
            seen.add(question_id)
            continue
        errors.setdefault(f"photos.{question_id}", []).append(message)
    return errors


@transaction.atomic
def save_form(
    work_order: WorkOrder, *, user: User, template: FormTemplate,
    answers_given: list[tuple[int, object]] | None = None,
    photos: dict[int, object] | None = None,
) -> FilledForm:
    """Fill in (or change) ``template`` on ``work_order``: one filled form per template.

    ``answers_given``: ``(question id, raw value)`` pairs, checked and stored by
    :func:`werkbon.workorders.answers.answer_value` (the one set of limits of screens and
    API); ``photos``: question id → an uploaded photo already checked and re-encoded
    (:func:`werkbon.workorders.photos.prepare_photo`), or ``False`` to remove the photo.
    Questions left out keep their answer; every required question must have one afterwards.
    Raises :class:`AnswersError` (per answer) or LifecycleError (archived)."""
    work_order = lock(work_order)
    ensure_editable(work_order)
    if not template.is_active:
        raise LifecycleError(_("Unknown form template."))
    questions = {q.pk: q for q in template.questions.all()}
    errors: dict[str, list[str]] = {}
    values: dict[int, str] = {}
    for index, (question_id, raw) in enumerate(answers_given or []):
        question = questions.get(question_id)
        if question is None:
            errors.setdefault(f"answers.{index}.question_id", []).append(
                _("This question is not part of the form."))
            continue
        value, error = answers.answer_value(question, raw)
        if error:
            errors.setdefault(f"answers.{index}.value", []).append(error)
        elif value is not None:
            values[question.pk] = value
    errors.update(form_photo_errors(template, list(photos or {}), questions=questions))
    photos = dict(photos or {})
    existing = FilledForm.objects.filter(work_order=work_order, template=template).first()
    stored = {a.question_id: a for a in (existing.answers.all() if existing else [])}
    answered = {pk for pk, a in stored.items() if a.value or a.photo}
    answered |= {pk for pk, photo in photos.items() if photo}
    answered -= {pk for pk, photo in photos.items() if photo is False}
    answered -= {pk for pk, v in values.items() if not v}
    answered |= {pk for pk, v in values.items() if v}
    if not errors:
        for question in questions.values():
            if question.required and question.pk not in answered:
                errors.setdefault("answers", []).append(
                    _("Question %(label)s must be answered.") % {"label": question.label})
    if errors:
        raise AnswersError(errors)
    filled, _created = FilledForm.objects.get_or_create(
        work_order=work_order, template=template, defaults={"filled_by": user})
    filled.filled_by = user
    filled.save()
    for question_id, value in values.items():
        FormAnswer.objects.update_or_create(
            form=filled, question=questions[question_id], defaults={"value": value})
    for question_id, photo in photos.items():
        answer, _new = FormAnswer.objects.get_or_create(form=filled, question=questions[question_id])
        if photo is False:
            answer.photo.delete(save=False)
            answer.photo = ""
        elif photo:
            answer.photo = photo
        answer.value = answer.photo.name.rsplit("/", 1)[-1] if answer.photo else ""
        answer.save()
    return filled


def total_minutes(work_order: WorkOrder, kind: str) -> int:
    """The sum of the work order's ``kind`` minutes (work or travel)."""
    return sum(entry.minutes for entry in work_order.time_entries.all() if entry.kind == kind)


@transaction.atomic
def set_installations(
    work_order: WorkOrder, *, installations: list[InstalledObject], version: object | None = None,
) -> WorkOrder:
    """Name the installations the work order is done on (replacing the ones named before).

    Each must be an installation of the work order's own work address (so of its tenant);
    one that is inactive only when the order names it already; at most
    ``MAX_INSTALLATIONS_PER_ORDER``. Refused on an archived work order (who may name them:
    action ``installations.set``, :func:`werkbon.workorders.actions.refusal`). With
    ``version`` (the one read), a change made meanwhile refuses it (StaleWorkOrderError).
    The work order's version moves on. Raises LifecycleError with the reason."""
    work_order = lock(work_order)
    ensure_editable(work_order)
    if version is not None:
        ensure_current(work_order, version)
    wanted = list(dict.fromkeys(installations))
    if len(wanted) > MAX_INSTALLATIONS_PER_ORDER:
        raise LifecycleError(_("A work order can name at most %(max)s installations.")
                             % {"max": MAX_INSTALLATIONS_PER_ORDER})
    current = set(work_order.installations.values_list("pk", flat=True))
    for installation in wanted:
        if (installation.tenant_id != work_order.tenant_id
                or work_order.work_address_id is None
                or installation.work_address_id != work_order.work_address_id):
            raise LifecycleError(
                _("%(name)s is not an installation at the work address of work order "
                  "%(number)s.") % {"name": installation.name, "number": work_order.number})
        if not installation.is_active and installation.pk not in current:
            raise LifecycleError(_("%(name)s is inactive and cannot be named on a work order.")
                                 % {"name": installation.name})
    work_order.installations.set(wanted)
    work_order.save(update_fields=["updated_at"])
    return work_order


def drop_installations_of_other_addresses(work_order: WorkOrder) -> None:
    """Forget the installations the work order names that are not at its work address (any
    more): an installation belongs to one place. Runs after every save that changed the
    work address (screens, API, order import; ``apps.py`` connects it), also without a
    tenant context."""
    links = InstalledObject.work_orders.through.objects.filter(workorder_id=work_order.pk)
    if work_order.work_address_id is not None:
        links = links.exclude(installedobject__work_address_id=work_order.work_address_id)
    links.delete()
