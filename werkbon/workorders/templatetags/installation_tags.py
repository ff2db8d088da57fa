"""``{% installations_card order %}``: the installations a work order is done on, the form to
name them and each one's service history; on the office detail and the technician's screen."""

from __future__ import annotations

from typing import Any

from django import template

from werkbon.workorders import actions, installations
from werkbon.workorders.forms import WorkOrderInstallationsForm
from werkbon.workorders.models import WorkOrder

register = template.Library()



@register.inclusion_tag("workorders/_installations_card.html", takes_context=True)
def installations_card(context: template.Context, order: WorkOrder) -> dict[str, Any]:
    request = context["request"]
    user = request.user
    is_office = bool(user.is_office)
    # Who may still change them: the action layer's rule (the office until archived, a
    # technician until the order is completed).
    can_change = actions.may(user, order, "installations.set")
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
