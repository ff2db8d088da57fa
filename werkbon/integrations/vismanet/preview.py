"""What archiving a work order will send to Visma.net, for the archive confirmation (registered
through ``werkbon.workorders.external.register_document_preview``, so the work-order app never
imports us).

The lines come from the export's own code (``document.gather_facts`` and
``outbound.plan_document``, the same calls ``document.make_document`` makes), so the preview
cannot differ from what is sent: work and travel time as hours on the configured items,
every material line in its registered unit, the fixed item × 1; the description, note and
customer reference as fitted to Visma.net's fields. Nothing is asked of Visma.net.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from werkbon.integrations.models import Integration
from werkbon.integrations.vismanet.activation import settings_of
from werkbon.integrations.vismanet.config import TargetOption
from werkbon.integrations.vismanet.export import document, preflight
from werkbon.integrations.vismanet.export.outbox import KIND, kept_out_by
from werkbon.integrations.vismanet.export.outcome import PermanentFailure
from werkbon.integrations.vismanet.mapping import outbound
from werkbon.workorders.external import DocumentPreview, PreviewLine
from werkbon.workorders.models import Item, WorkOrder

SYSTEM = "Visma.net"


def _descriptions(work_order: WorkOrder, plan: outbound.DocumentPlan) -> dict[str, str]:
    """Each line key's description: the material line's own, else the item's (one query)."""
    names = {f"m{line.pk}": line.description for line in work_order.material_lines.all()}
    items = dict(Item.objects.filter(number__in=plan.item_numbers).values_list("number", "description"))
    fixed = {outbound.WORK_KEY: _("Work time"), outbound.TRAVEL_KEY: _("Travel time"),
             outbound.DEFAULT_KEY: _("Fixed item")}
    result = {}
    for line in plan.lines:
        label = names.get(line.key) or items.get(line.item_number, "")
        if line.key in fixed:
            label = f"{fixed[line.key]}: {label}" if label else fixed[line.key]
        result[line.key] = label
    return result


def document_preview(work_order: object) -> DocumentPreview | None:
    """The preview of ``work_order``'s document while the tenant's Visma.net integration is
    active (tenant context required), else None."""
    if not isinstance(work_order, WorkOrder):
        return None
    integration = Integration.objects.filter(kind=KIND).first()
    if integration is None or not integration.is_active:
        return None
    settings = settings_of(integration)
    if settings is None:
        return DocumentPreview(SYSTEM, "", problems=(_(
            "The Visma.net settings are incomplete: the export will fail until they are completed "
            "on the integration page."),))
    plan = outbound.plan_document(document.gather_facts(work_order), settings)
    problems = []
    if word := kept_out_by(integration, work_order.description):
        problems.append(_('The work description contains the filter word "%(word)s": the work order '
                          'is archived but not sent to Visma.net.') % {"word": word})
    if not plan.customer_number:
        problems.append(_("The work order has no customer: the export will fail until a customer "
                          "is chosen."))
    elif work_order.customer is not None and work_order.customer.on_hold:
        problems.append(_("Customer %(number)s is on hold in Visma.net: the export will fail until "
                          "the customer is released there (or choose another customer).")
                        % {"number": work_order.customer.number})
    warehouse = ""
    if settings.target == TargetOption.SALES_ORDER:
        label = _("Sales order (type %(type)s)") % {"type": settings.sales_order_type}
        try:
            warehouse = preflight.choose_warehouse(work_order, settings)
        except PermanentFailure:
            problems.append(_("No warehouse is known for the lines: set a default warehouse in the "
                              "Visma.net settings or for the technician."))
    else:
        label = _("Customer invoice")
    names = _descriptions(work_order, plan)
    hours = _("hours")
    lines = tuple(
        PreviewLine(line.item_number, names.get(line.key, ""), line.quantity,
                    hours if line.key in (outbound.WORK_KEY, outbound.TRAVEL_KEY) else line.unit,
                    line.note)
        for line in plan.lines
    )
    return DocumentPreview(
        SYSTEM, label, lines, customer=plan.customer_number or "", description=plan.description,
        reference=plan.reference or "", note=plan.note or "", warehouse=warehouse,
        problems=tuple(problems), sent=not word,
    )
