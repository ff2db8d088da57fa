"""The technician's offline data (issue 12): what the phone app keeps in IndexedDB.

:func:`offline_data` builds one JSON-ready dict for a technician of the current tenant:

* ``user``: ``{"id", "tenant", "name"}``; the app partitions its browser storage by the
  pair ``(tenant, id)``, so another user on the same phone never sees these data;
* ``orders``: the open work orders planned to the technician up to the end of the
  ``limits.OFFLINE_DAYS_AHEAD``-th day after today (today and the next seven days, plus
  open orders whose day has passed and orders without a planned start), soonest first,
  at most ``limits.MAX_OFFLINE_ORDERS``; each with customer (number, name, phone and the
  e-mail address "Gereed melden" fills in), work address (the order's own
  copy), description, installations at the work address (with their history, see
  :func:`installations_for`), and what is registered so far (time, materials, forms);
* ``items``: the active items, at most ``limits.MAX_OFFLINE_ITEMS`` (number, description,
  unit; no prices: a technician's screens show none), searched on the phone;
* ``templates``: the active form templates with their questions;
* ``customers`` (only when the tenant lets technicians make work orders on site,
  ``Tenant.technicians_create_work_orders``): the active customers
  (``actions.on_site_customers``), at most ``limits.MAX_OFFLINE_CUSTOMERS``, each
  ``{"number", "name", "addresses": [{"id", "name", "one_line"}]}`` with at most
  ``limits.MAX_OFFLINE_ADDRESSES_PER_CUSTOMER`` active work addresses; the app queues
  ``workorder.create_on_site`` with them; otherwise ``[]`` and that action is not offered;
* ``actions``: the action names the batch endpoint applies for a technician (the app
  offers only those; ``form.photos`` when a queued ``form.save`` may carry photos);
* ``customer_mail``: whether the company e-mails the signed work order to the customer
  (``Tenant.customer_mail_enabled``); then "Gereed melden" asks for the address, as the web
  page does, and queues it with ``workorder.complete`` as ``customer_email``;
* ``limits``: the input limits the phone checks before queueing (the server checks again).

The body is versioned by its SHA-256 (:func:`etag`): the view answers ``304 Not
Modified`` to a matching ``If-None-Match``, so a refresh without changes costs a few bytes.
No ``generated_at`` is inside the body, for the same reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from werkbon.accounts.models import User
from werkbon.workorders import installations as installation_rules
from werkbon.workorders import limits
from werkbon.workorders.models import (
    FilledForm,
    FormTemplate,
    InstalledObject,
    Item,
    WorkAddress,
    WorkOrder,
    WorkOrderStatus,
)

OPEN_STATUSES = (WorkOrderStatus.OPEN, WorkOrderStatus.PLANNED)
FORMAT_VERSION = 1  # bumped when the shape changes; the app refetches everything


def installations_for(address_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The installations ("objecten") at the given work addresses, by work-address id.

    Each: ``{"id", "name", "brand", "model", "serial_number", "year_installed", "is_active",
    "history"}``. ``history``: the installation's service history, the last
    ``limits.OFFLINE_HISTORY_PER_INSTALLATION`` work orders done on it (``{"date", "text"}``,
    last first, :func:`werkbon.workorders.installations.service_history`).
    """
    result: dict[int, list[dict[str, Any]]] = {}
    for obj in InstalledObject.objects.filter(work_address_id__in=address_ids).order_by("name", "id"):
        history = [{
            "date": entry.date.isoformat() if entry.date else "",
            "text": f"{entry.order.number}: {entry.description[:200]}",
        } for entry in installation_rules.service_history(
            obj, limit=limits.OFFLINE_HISTORY_PER_INSTALLATION)]
        result.setdefault(obj.work_address_id, []).append({
            "id": obj.pk,
            "name": obj.name,
            "brand": obj.brand,
            "model": obj.model,
            "serial_number": obj.serial_number,
            "year_installed": obj.year_installed,
            "is_active": obj.is_active,
            "history": history,
        })
    return result


def _orders(user: User) -> list[WorkOrder]:
    end = timezone.localdate() + dt.timedelta(days=limits.OFFLINE_DAYS_AHEAD + 1)
    end_dt = timezone.make_aware(dt.datetime.combine(end, dt.time.min))
    forms = Prefetch("forms", queryset=FilledForm.objects.select_related("template")
                     .prefetch_related("answers"))
    queryset = (
        WorkOrder.objects.filter(technicians=user, status__in=OPEN_STATUSES)
        .exclude(planned_start__gte=end_dt)
        .select_related("customer")
        .prefetch_related("time_entries__technician", "material_lines", forms)
        .order_by("planned_start", "number")
    )
    return list(queryset[: limits.MAX_OFFLINE_ORDERS])


def _order(order: WorkOrder, user: User, installations: dict[int, list[dict[str, Any]]]) -> dict[str, Any]:
    address = order.address
    customer = order.customer
    entries = list(order.time_entries.all())[: limits.MAX_OFFLINE_LINES_PER_ORDER]
    lines = list(order.material_lines.all())[: limits.MAX_OFFLINE_LINES_PER_ORDER]
    return {
        "id": order.pk,
        "number": order.number,
        "status": order.status,
        "version": order.version,
        "planned_start": order.planned_start.isoformat() if order.planned_start else None,
        "planned_minutes": order.planned_minutes,
        "description": order.description,
        "customer_reference": order.customer_reference,
        "customer": {
            "number": customer.number if customer else order.display_customer_number,
            "name": customer.name if customer else order.display_customer_name,
            "phone": customer.phone if customer else "",
            "email": customer.email if customer else "",
        },
        "address": {
            "name": address.name if address else "",
            "one_line": address.one_line() if address else "",
        },
        "installations": installations.get(order.work_address_id or 0, []),
        "time_entries": [{
            "id": entry.pk,
            "kind": entry.kind,
            "minutes": entry.minutes,
            "date": entry.date.isoformat(),
            "technician": entry.technician.display_name if entry.technician else "",
            "own": entry.technician_id == user.pk,
        } for entry in entries],
        "material_lines": [{
            "id": line.pk,
            "item_id": line.item_id,
            "item_number": line.item_number,
            "description": line.description,
            "unit": line.unit,
            "quantity": str(line.quantity),
            "note": line.note,
            "own": line.technician_id == user.pk,
        } for line in lines],
        "forms": [{
            "id": filled.pk,
            "template_id": filled.template_id,
            "name": filled.template.name,
            "answers": {str(answer.question_id): answer.value for answer in filled.answers.all()},
        } for filled in order.forms.all()],
    }


def on_site_customers(user: User) -> list[dict[str, Any]]:
    """The customers offered offline for a work order made on site (shape in the module
    text); ``[]`` when the technician's tenant does not allow it."""
    from werkbon.workorders import actions

    tenant = user.tenant
    if tenant is None or not tenant.technicians_create_work_orders:
        return []
    customers = list(actions.on_site_customers().order_by("name", "number")
                     .only("id", "number", "name")[: limits.MAX_OFFLINE_CUSTOMERS])
    addresses: dict[int, list[dict[str, Any]]] = {}
    for address in (WorkAddress.objects.filter(customer__in=[c.pk for c in customers], is_active=True)
                    .order_by("customer_id", "name", "pk")):
        rows = addresses.setdefault(address.customer_id, [])
        if len(rows) < limits.MAX_OFFLINE_ADDRESSES_PER_CUSTOMER:
            rows.append({"id": address.pk, "name": address.name, "one_line": address.one_line()})
    return [{"number": c.number, "name": c.name, "addresses": addresses.get(c.pk, [])}
            for c in customers]


def queueable_actions() -> list[str]:
    """The actions a technician's queue may hold: those the batch endpoint
    (``POST /api/v1/actions``) applies and that are not office-only."""
    from werkbon.workorders import actions
    from werkbon.workorders.api import BATCH_PAYLOADS

    names = sorted(name for name in BATCH_PAYLOADS
                   if name in actions.REGISTRY and not actions.REGISTRY[name].office_only)
    if "photos" in BATCH_PAYLOADS["form.save"][0].model_fields:
        names.append("form.photos")
    return names


def offline_data(user: User) -> dict[str, Any]:
    """The technician's offline data (shape in the module text); call inside the tenant."""
    orders = _orders(user)
    installations = installations_for(sorted({o.work_address_id for o in orders if o.work_address_id}))
    items = (Item.objects.filter(status="active").order_by("number")
             .values_list("id", "number", "description", "unit")[: limits.MAX_OFFLINE_ITEMS])
    templates = FormTemplate.objects.filter(is_active=True).prefetch_related("questions")
    customers = on_site_customers(user)
    names = queueable_actions()
    if not customers:
        names = [name for name in names if name != "workorder.create_on_site"]
    return {
        "format": FORMAT_VERSION,
        "user": {"id": user.pk, "tenant": user.tenant_id, "name": user.display_name},
        # Whether "Gereed melden" asks where the signed work order is e-mailed (issue 11).
        "customer_mail": bool(user.tenant.customer_mail_enabled),
        "orders": [_order(order, user, installations) for order in orders],
        "items": [list(row) for row in items],
        "templates": [{
            "id": template.pk,
            "name": template.name,
            "questions": [{
                "id": question.pk,
                "label": question.label,
                "kind": question.kind,
                "choices": question.choice_list,
                "required": question.required,
            } for question in template.questions.all()],
        } for template in templates],
        "customers": customers,
        "actions": names,
        "limits": {
            "max_minutes": limits.MAX_TIME_ENTRY_MINUTES,
            "max_note": limits.MAX_NOTE_LENGTH,
            "max_answer": limits.MAX_ANSWER_LENGTH,
            "max_signed_by": limits.MAX_SIGNED_BY_LENGTH,
            "max_email": limits.MAX_EMAIL_LENGTH,
            "max_photo_bytes": limits.MAX_PHOTO_BYTES,
            "max_entry_age_days": limits.MAX_ENTRY_AGE_DAYS,
            "max_description": limits.MAX_DESCRIPTION_LENGTH,
        },
    }


def encode(data: dict[str, Any]) -> bytes:
    """The body as compact UTF-8 JSON (stable key order, so equal data give equal bytes)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def etag(body: bytes) -> str:
    """A strong ETag for ``body``: ``"<first 32 hex digits of its SHA-256>"``."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
