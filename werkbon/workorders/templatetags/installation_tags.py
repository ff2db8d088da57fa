"""``{% installations_card order %}``: the installations a work order is done on, the form to
name them and each one's service history; on the office detail and the technician's screen."""

from __future__ import annotations

from typing import Any

from django import template

from werkbon.workorders import installations
from werkbon.workorders.forms import WorkOrderInstallationsForm
from werkbon.workorders.models import WorkOrder, WorkOrderStatus

register = template.Library()

# Who may still change the installations: the office until archived, a technician until
# the order is completed (the same rule as services.set_installations).
_TECHNICIAN_STATUSES = (WorkOrderStatus.OPEN, WorkOrderStatus.PLANNED)


@register.inclusion_tag("workorders/_installations_card.html", takes_context=True)
def installations_card(context: template.Context, order: WorkOrder) -> dict[str, Any]:
    request = context["request"]
    user = request.user
    is_office = bool(user.is_office)
    can_change = not order.is_archived if is_office else order.status in _TECHNICIAN_STATUSES
    choices = installations.choices_for(order) if can_change else []
    linked = list(order.installations.order_by("name", "id"))
    limit = None if is_office else installations.HISTORY_ON_PHONE
    return {
        "order": order,
        "is_office": is_office,
        "linked": [(item, installations.service_history(item, limit=limit)) for item in linked],
        "form": WorkOrderInstallationsForm(order=order, choices=choices, prefix="inst")
        if choices else None,
        "has_address": order.work_address_id is not None,
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
