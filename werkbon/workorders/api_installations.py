"""Installation endpoints of the JSON API (``/api/v1/installations``, mounted by
:mod:`werkbon.api`): the installations ("objecten") at work addresses, their service
history, and naming them on a work order.

The office reads and writes every installation of its tenant. A technician reads only the
installations at the work address of, or named on, a work order planned to them (others
are 404s), and may name installations on such a work order until it is completed. Rules
and limits are those of :mod:`werkbon.workorders.installations` and
:func:`werkbon.workorders.services.set_installations` (refusals: 409 with the message).
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from werkbon import api as werkbon_api
from werkbon.workorders import actions, installations, limits
from werkbon.workorders.api import (
    OFFICE_ONLY,
    BoundedText,
    Id,
    IdempotencyKey,
    InstallationIdsIn,
    Pagination,
    SearchText,
    WorkOrderId,
    WorkOrderOut,
    _detail,
    _expected_version,
    _Mapped,
    _order,
    _responses,
)
from werkbon.workorders.models import InstalledObject, WorkAddress

router = Router(tags=["installations"])

InstallationId = Annotated[int, Path(ge=1, le=limits.MAX_ID)]


def _year(value: int | None) -> int | None:
    if error := installations.year_error(value):
        raise PydanticCustomError("year_window", error)
    return value


Year = Annotated[int, Field(ge=limits.MIN_INSTALLATION_YEAR, le=9999), AfterValidator(_year)]
Name = BoundedText(limits.MAX_INSTALLATION_NAME_LENGTH, min_length=1)
Short = BoundedText(limits.MAX_INSTALLATION_FIELD_LENGTH)
Notes = BoundedText(limits.MAX_INSTALLATION_NOTES_LENGTH, strip=False)


class MaterialOut(Schema):
    item_number: str
    description: str
    quantity: Decimal
    unit: str


class HistoryEntryOut(Schema):
    work_order_id: int
    number: int
    status: str = Field(description="completed | archived")
    date: dt.date | None = Field(description="the day it was completed (Europe/Amsterdam)")
    technicians: list[str] = Field(description="names: planned, and who registered time")
    description: str
    work_minutes: int
    work_hours: Decimal
    materials: list[MaterialOut]


class InstallationOut(Schema):
    id: int
    work_address_id: int
    customer_id: int
    name: str
    brand: str
    type: str
    serial_number: str
    year_installed: int | None
    notes: str
    is_active: bool


class InstallationDetailOut(InstallationOut):
    history: list[HistoryEntryOut] = Field(
        description="the work orders done on it (completed or archived), last completed first; "
                    "at most 100")


class InstallationIn(Schema):
    work_address_id: Id
    name: Name
    brand: Short = ""
    type: Short = ""
    serial_number: Short = ""
    year_installed: Year | None = Field(None, description="1900 to next year")
    notes: Notes = ""


class InstallationChangeIn(Schema):
    """Only the fields sent change; ``is_active`` false deactivates."""

    name: Name | None = None
    brand: Short | None = None
    type: Short | None = None
    serial_number: Short | None = None
    year_installed: Year | None = Field(None, description="1900 to next year; null clears it")
    notes: Notes | None = None
    is_active: bool | None = None


class InstallationFilters(Schema):
    work_address_id: Id | None = None
    q: SearchText | None = Field(None, description="in name, brand, type and serial number")
    active: bool | None = None


class WorkOrderInstallationsIn(InstallationIdsIn):
    version: int | None = Field(None, description="the `version` read; or send If-Match")


def _out(item: InstalledObject) -> dict[str, Any]:
    return {
        "id": item.pk, "work_address_id": item.work_address_id,
        "customer_id": item.work_address.customer_id, "name": item.name, "brand": item.brand,
        "type": item.model, "serial_number": item.serial_number,
        "year_installed": item.year_installed, "notes": item.notes, "is_active": item.is_active,
    }


def _detail_out(item: InstalledObject) -> dict[str, Any]:
    history = installations.service_history(item, limit=100)
    return {**_out(item), "history": [{
        "work_order_id": entry.order.pk, "number": entry.order.number,
        "status": entry.order.status, "date": entry.date, "technicians": entry.technicians,
        "description": entry.description, "work_minutes": entry.work_minutes,
        "work_hours": entry.work_hours,
        "materials": [{"item_number": m.item_number, "description": m.description,
                       "quantity": m.quantity, "unit": m.unit} for m in entry.materials],
    } for entry in history]}


def _installation(request: HttpRequest, installation_id: int) -> InstalledObject:
    visible = installations.visible_installations(werkbon_api.current_user(request))
    return get_object_or_404(visible, pk=installation_id)


def _values(payload: Schema, sent: set[str]) -> dict[str, Any]:
    names = {"name": "name", "brand": "brand", "type": "model", "serial_number": "serial_number",
             "year_installed": "year_installed", "notes": "notes"}
    values = {}
    for field, model_field in names.items():
        value = getattr(payload, field)
        if field in sent and (value is not None or field == "year_installed"):
            values[model_field] = value
    return values


@router.get("/installations", response=_responses(list[InstallationOut]),
            summary="List installations (objects)")
@paginate(Pagination)
def list_installations(request: HttpRequest, filters: Query[InstallationFilters]) -> Any:
    """By name. A technician gets only those at the work addresses of (or named on) work
    orders planned to them."""
    rows = installations.visible_installations(werkbon_api.current_user(request))
    if filters.work_address_id is not None:
        rows = rows.filter(work_address_id=filters.work_address_id)
    if filters.active is not None:
        rows = rows.filter(is_active=filters.active)
    if filters.q:
        q = filters.q
        rows = rows.filter(Q(name__icontains=q) | Q(brand__icontains=q) | Q(model__icontains=q)
                           | Q(serial_number__icontains=q))
    return _Mapped(rows.order_by("name", "id"), _out)


@router.get("/installations/{installation_id}", response=_responses(InstallationDetailOut),
            summary="An installation with its service history")
def get_installation(request: HttpRequest, installation_id: InstallationId) -> Any:
    return _detail_out(_installation(request, installation_id))


@router.post("/installations", response=_responses(InstallationDetailOut, changes=True, created=True),
             summary="Add an installation to a work address", openapi_extra=OFFICE_ONLY)
def create_installation(request: HttpRequest, payload: InstallationIn) -> Any:
    werkbon_api.require_office(request)
    address = WorkAddress.objects.filter(pk=payload.work_address_id).first()
    if address is None:
        raise werkbon_api.FieldErrors({"work_address_id": [_("This work address does not exist.")]})
    item = installations.create_installation(
        work_address=address, name=payload.name, brand=payload.brand, model=payload.type,
        serial_number=payload.serial_number, year_installed=payload.year_installed,
        notes=payload.notes)
    return Status(201, _detail_out(item))


@router.patch("/installations/{installation_id}",
              response=_responses(InstallationDetailOut, changes=True),
              summary="Change or (de)activate an installation", openapi_extra=OFFICE_ONLY)
def change_installation(request: HttpRequest, installation_id: InstallationId,
                        payload: InstallationChangeIn) -> Any:
    werkbon_api.require_office(request)
    item = _installation(request, installation_id)
    sent = set(payload.model_fields_set)
    with transaction.atomic():
        if values := _values(payload, sent):
            item = installations.update_installation(item, **values)
        if "is_active" in sent and payload.is_active is not None:
            item = installations.set_installation_active(item, active=payload.is_active)
    return _detail_out(_installation(request, installation_id))


@router.delete("/installations/{installation_id}",
               response={204: None, **werkbon_api.CHANGE_ERROR_RESPONSES},
               summary="Delete an installation no work order names", openapi_extra=OFFICE_ONLY)
def delete_installation(request: HttpRequest, installation_id: InstallationId) -> Any:
    """Office. One that a work order names is refused (409): deactivate it instead."""
    werkbon_api.require_office(request)
    installations.delete_installation(_installation(request, installation_id))
    return Status(204, None)


@router.put("/work-orders/{work_order_id}/installations",
            response=_responses(WorkOrderOut, changes=True),
            summary="Name the installations a work order is done on")
def set_work_order_installations(request: HttpRequest, work_order_id: WorkOrderId,
                                 payload: WorkOrderInstallationsIn,
                                 idempotency_key: IdempotencyKey = None) -> Any:
    """Action ``installations.set``: replaces the list. Office until archived; a technician
    on a work order planned to them until it is completed (409 otherwise). An id that is not
    an installation of the work order's own work address is refused (422 when unknown, 409
    when elsewhere)."""
    order = _order(request, work_order_id)
    actions.apply("installations.set", user=werkbon_api.current_user(request), work_order=order,
                  client_id=idempotency_key, version=_expected_version(request, payload.version),
                  installations=list(payload.installation_ids))
    return _detail(order)
