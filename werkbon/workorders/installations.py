"""Installations ("objecten", manual 4.3) at a work address, and their service history.

Business rules shared by the office screens (``views/installations.py``), the technician's
work-order screen and the API (``api_installations.py``). Every function reads through the
tenant-scoped managers and raises :class:`~werkbon.workorders.services.LifecycleError` with
a message for the user when a rule is broken. Linking installations to a work order is
:func:`werkbon.workorders.services.set_installations`.

Service history: the work orders done on an installation are the ones that name it and are
completed or archived (open and planned ones are not done yet).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from werkbon.accounts.models import User
from werkbon.workorders import limits
from werkbon.workorders.models import (
    InstalledObject,
    MaterialLine,
    TimeEntry,
    TimeKind,
    WorkAddress,
    WorkOrder,
    WorkOrderStatus,
)
from werkbon.workorders.services import LifecycleError
from werkbon.workorders.units import minutes_to_hours

# The fields the office (screen and API) may set; ``work_address`` only when adding.
EDITABLE_FIELDS = ("name", "brand", "model", "serial_number", "year_installed", "notes")
DONE_STATUSES = (WorkOrderStatus.COMPLETED, WorkOrderStatus.ARCHIVED)
# How many work orders of the history the technician's phone screen shows per installation.
HISTORY_ON_PHONE = 10


def visible_installations(user: User) -> QuerySet[InstalledObject]:
    """The installations ``user`` may read: all of the tenant for the office; for a
    technician those at the work address of, or named on, a work order planned to them."""
    installations = InstalledObject.objects.select_related("work_address__customer")
    if user.is_office:
        return installations
    return installations.filter(
        Q(work_address__work_orders__technicians=user) | Q(work_orders__technicians=user)
    ).distinct()


def year_error(year: int | None) -> str | None:
    """Why ``year`` is not a valid year installed, or None (also for no year)."""
    latest = limits.max_installation_year()
    if year is None or limits.MIN_INSTALLATION_YEAR <= year <= latest:
        return None
    return _("Enter a year from %(min)s to %(max)s.") % {
        "min": limits.MIN_INSTALLATION_YEAR, "max": latest}


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """The editable values stripped and checked against the limits (LifecycleError)."""
    lengths = {"name": limits.MAX_INSTALLATION_NAME_LENGTH,
               "notes": limits.MAX_INSTALLATION_NOTES_LENGTH}
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        if name not in EDITABLE_FIELDS:
            raise LifecycleError(_("An installation has no field %(name)s.") % {"name": name})
        if name == "year_installed":
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise LifecycleError(_("Enter the year as a number, e.g. 2019."))
            if error := year_error(value):
                raise LifecycleError(error)
            cleaned[name] = value
            continue
        text = "" if value is None else str(value)
        text = text if name == "notes" else text.strip()
        if "\x00" in text:
            raise LifecycleError(_("NUL characters are not allowed."))
        if len(text) > lengths.get(name, limits.MAX_INSTALLATION_FIELD_LENGTH):
            raise LifecycleError(_("%(field)s can be at most %(max)s characters.") % {
                "field": InstalledObject._meta.get_field(name).verbose_name,
                "max": lengths.get(name, limits.MAX_INSTALLATION_FIELD_LENGTH)})
        cleaned[name] = text
    if "name" in cleaned and not cleaned["name"]:
        raise LifecycleError(_("Give the installation a name, e.g. CV-ketel."))
    return cleaned


@transaction.atomic
def create_installation(*, work_address: WorkAddress, name: str, brand: str = "",
                        model: str = "", serial_number: str = "",
                        year_installed: int | None = None, notes: str = "") -> InstalledObject:
    """Add an installation to ``work_address`` (of the current tenant). Texts are bounded by
    the ``MAX_INSTALLATION_*`` limits, the year by ``MIN_INSTALLATION_YEAR`` to next year."""
    address = WorkAddress.objects.filter(pk=work_address.pk).first()
    if address is None:
        raise LifecycleError(_("This work address does not exist."))
    values = _clean({"name": name, "brand": brand, "model": model, "serial_number": serial_number,
                     "year_installed": year_installed, "notes": notes})
    return InstalledObject.objects.create(work_address=address, **values)


@transaction.atomic
def update_installation(installation: InstalledObject, **values: Any) -> InstalledObject:
    """Change the fields given (``EDITABLE_FIELDS``; the work address never changes: the
    history stays with the place). Raises LifecycleError for an unknown field or a value
    outside the limits."""
    cleaned = _clean(values)
    locked = InstalledObject.objects.select_for_update().get(pk=installation.pk)
    for name, value in cleaned.items():
        setattr(locked, name, value)
    locked.save()
    return locked


@transaction.atomic
def set_installation_active(installation: InstalledObject, *, active: bool) -> InstalledObject:
    """(De)activate: an inactive installation keeps its history but cannot be named on more
    work orders."""
    locked = InstalledObject.objects.select_for_update().get(pk=installation.pk)
    locked.is_active = active
    locked.save(update_fields=["is_active", "updated_at"])
    return locked


@transaction.atomic
def delete_installation(installation: InstalledObject) -> None:
    """Delete an installation no work order names; one that is named is refused with the
    number of work orders (plural forms through ngettext) and the way out: deactivate it, so
    the history stays, or, when it is inactive already, that nothing more is needed."""
    locked = InstalledObject.objects.select_for_update().get(pk=installation.pk)
    used = WorkOrder.all_tenants.filter(installations=locked).count()
    if used:
        values = {"name": locked.name, "count": used}
        if locked.is_active:
            raise LifecycleError(ngettext(
                "%(name)s is named on %(count)s work order and cannot be deleted; deactivate "
                "it instead, so its service history stays.",
                "%(name)s is named on %(count)s work orders and cannot be deleted; deactivate "
                "it instead, so its service history stays.", used) % values)
        raise LifecycleError(ngettext(
            "%(name)s is named on %(count)s work order and cannot be deleted. It is already "
            "inactive: it can no longer be named on work orders and its service history stays.",
            "%(name)s is named on %(count)s work orders and cannot be deleted. It is already "
            "inactive: it can no longer be named on work orders and its service history stays.",
            used) % values)
    locked.delete()


@dataclass
class HistoryEntry:
    """One work order done on an installation, as the history shows it.

    ``date``: the local date it was completed; ``technicians``: display names (planned and
    who registered time); ``work_minutes``/``work_hours``: the work time (hours rounded by
    :func:`~werkbon.workorders.units.minutes_to_hours`); ``materials``: its material lines
    (number, description, quantity and unit as registered)."""

    order: WorkOrder
    date: Any
    technicians: list[str]
    description: str
    work_minutes: int
    work_hours: Any
    materials: list[MaterialLine] = field(default_factory=list)


def done_orders(installation: InstalledObject) -> QuerySet[WorkOrder]:
    """The work orders done on ``installation`` (completed or archived), last completed first."""
    return (
        WorkOrder.objects.filter(installations=installation, status__in=DONE_STATUSES)
        .order_by("-completed_at", "-number")
    )


def service_history(installation: InstalledObject, *, limit: int | None = None) -> list[HistoryEntry]:
    """The installation's service history (:class:`HistoryEntry`, last completed first), at
    most ``limit`` work orders."""
    orders = done_orders(installation).prefetch_related(
        "technicians",
        Prefetch("time_entries", queryset=TimeEntry.objects.select_related("technician")),
        Prefetch("material_lines", queryset=MaterialLine.objects.order_by("id")),
    )
    if limit is not None:
        orders = orders[:limit]
    entries = []
    for order in orders:
        names = [t.display_name for t in order.technicians.all()]
        for entry in order.time_entries.all():
            if entry.technician.display_name not in names:
                names.append(entry.technician.display_name)
        work = sum(e.minutes for e in order.time_entries.all() if e.kind == TimeKind.WORK)
        entries.append(HistoryEntry(
            order=order,
            date=timezone.localdate(order.completed_at) if order.completed_at else None,
            technicians=names, description=order.description, work_minutes=work,
            work_hours=minutes_to_hours(work), materials=list(order.material_lines.all()),
        ))
    return entries


def choices_for(order: WorkOrder) -> list[InstalledObject]:
    """The installations that may be named on ``order``: the active ones of its work address
    and the ones it names already."""
    if order.work_address_id is None:
        return []
    return list(InstalledObject.objects.filter(work_address_id=order.work_address_id).filter(
        Q(is_active=True) | Q(work_orders=order)).distinct().order_by("name", "id"))
