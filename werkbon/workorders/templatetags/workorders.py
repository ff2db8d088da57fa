"""Template filters of the work-order screens."""

from __future__ import annotations

from django import template

from werkbon.workorders.numbers import local_number

register = template.Library()


@register.filter
def quantity(value: object) -> str:
    """A quantity without trailing zeros, with the language's decimal sign: 2.500 → "2,5"
    in Dutch, "2.5" in English; 10.000 → "10" (not "1E+1")."""
    return local_number(value)


@register.simple_tag
def client_id_field() -> str:
    """A hidden ``client_id`` (a new UUID per render) for a form that applies an action: the
    same form sent twice (a double tap, a resend) is applied once (werkbon/workorders/actions.py)."""
    from django.utils.html import format_html

    from werkbon.workorders.actions import new_client_id

    return format_html('<input type="hidden" name="client_id" value="{}">', new_client_id())


@register.simple_tag(takes_context=True)
def planning_card(context: template.Context, card: object, technician_pk: int, day_iso: str,
                  options: str) -> str:
    """One card of the planning board (werkbon/workorders/views/planning.py): the order's
    times, number and customer, and for the first card of a planned order its Move form
    (``options``: the technician ``<option>``s, this row's selected). Made in Python rather
    than in the template: a busy week has about 200 cards and a template spends ~0.5 ms on
    each (issue 14). ``card.order`` needs ``plan_url``, ``detail_url`` and its customer."""
    from django.template.defaulttags import CsrfTokenNode
    from django.utils.html import format_html
    from django.utils.safestring import mark_safe
    from django.utils.text import Truncator
    from django.utils.translation import gettext

    from werkbon.workorders.actions import new_client_id

    order = card.order  # type: ignore[attr-defined]
    first = card.first  # type: ignore[attr-defined]
    clash = card.double_booked  # type: ignore[attr-defined]
    movable = order.status == "planned" and first
    suffix = "" if first else f"-{day_iso}"
    when = card.label  # type: ignore[attr-defined]
    start = card.start_time  # type: ignore[attr-defined]
    customer = order.customer.name if order.customer_id and order.customer.name else "—"
    classes = "".join((f"job status-{order.status}", " double-booked" if clash else "",
                       " narrow" if card.lanes > 1 else "", "" if first else " continued"))  # type: ignore[attr-defined]
    title = f"{order.number} · {when} · {customer}" + (f" · {gettext('archived')}" if order.status == "archived" else "")
    parts = [format_html(
        '<div class="{}" {}data-plan-url="{}" data-version="{}" data-source="{}" data-time="{}" '
        'data-offset="{}" data-length="{}" data-lane="{}" data-lanes="{}" data-testid="job-{}{}" title="{}">\n'
        '<a href="{}"><span class="job-start" aria-hidden="true">{}</span><span class="job-time">'
        '<span data-testid="job-time-{}{}">{}</span></span> <span class="job-number">{}</span></a>\n',
        classes, mark_safe('draggable="true" ') if movable else "", order.plan_url, order.version,
        technician_pk, start, card.offset, card.length, card.lane, card.lanes, order.number, suffix, title,  # type: ignore[attr-defined]
        order.detail_url, start, order.number, suffix, when, order.number)]
    if clash:
        word = gettext("Double-booked")
        parts.append(format_html(
            '<span class="badge-warning" data-testid="double-booked-{}{}" title="{}">&#9888; '
            '<span class="badge-text">{}</span></span>\n', order.number, suffix, word, word))
    parts.append(format_html('<small class="job-customer">{}</small>\n', Truncator(customer).chars(28)))
    if movable:
        parts.append(format_html(
            '<details class="move">\n<summary data-testid="move-{}">{}</summary>\n'
            '<form method="post" action="{}" class="stacked" data-testid="move-form-{}">{}'
            '<input type="hidden" name="client_id" value="{}">\n'
            '<input type="hidden" name="next" value="{}">\n'
            '<input type="hidden" name="plan-version" value="{}">\n'
            '<input type="hidden" name="plan-source" value="{}">\n'
            '<label>{} <select name="plan-technician" required>{}</select></label>\n'
            '<label>{} <input type="date" name="plan-date" required min="2000-01-01" max="2099-12-31" value="{}"></label>\n'
            '<label>{} <input type="time" name="plan-time" required value="{}"></label>\n'
            '<button type="submit" class="primary" data-testid="move-submit-{}">{}</button>\n'
            '</form>\n</details>\n',
            order.number, gettext("Move"), order.plan_url, order.number, CsrfTokenNode().render(context),
            new_client_id(), context.get("next_path", ""), order.version, technician_pk,
            gettext("Technician"), options, gettext("Date"), card.start_date,  # type: ignore[attr-defined]
            gettext("Time"), start, order.number, gettext("Move")))
    parts.append(mark_safe("</div>"))
    return mark_safe("".join(parts))  # noqa: S308 (every part escaped by format_html)


@register.simple_tag(takes_context=True)
def unplanned_card(context: template.Context, order: object, options: str) -> str:
    """One order of the planning board's "Not planned" column with its Plan form (drawn in
    Python, like :func:`planning_card`; up to 50 of them). ``order`` needs ``plan_url``,
    ``detail_url`` and its customer; ``options``: the technician ``<option>``s."""
    from django.template.defaulttags import CsrfTokenNode
    from django.utils.html import format_html
    from django.utils.translation import gettext

    from werkbon.workorders.actions import new_client_id

    customer = order.customer.name if order.customer_id and order.customer.name else "—"  # type: ignore[attr-defined]
    return format_html(
        '<div class="job" draggable="true" data-plan-url="{}" data-time="08:00" data-testid="unplanned-{}">\n'
        '<a href="{}">{}</a> · {}\n<details>\n<summary>{}</summary>\n'
        '<form method="post" action="{}" class="stacked" data-testid="plan-form-{}">{}'
        '<input type="hidden" name="client_id" value="{}">\n'
        '<input type="hidden" name="next" value="{}">\n'
        '<label>{} <select name="plan-technician" required data-testid="plan-technician">{}</select></label>\n'
        '<label>{} <input type="date" name="plan-date" required min="2000-01-01" max="2099-12-31" value="{}" '
        'data-testid="plan-date"></label>\n'
        '<label>{} <input type="time" name="plan-time" required value="08:00" data-testid="plan-time"></label>\n'
        '<label>{} <input type="number" name="plan-minutes" min="1" max="10080" value="{}" '
        'data-testid="plan-minutes"></label>\n'
        '<button type="submit" class="primary" data-testid="plan-submit">{}</button>\n</form>\n</details>\n</div>',
        order.plan_url, order.number, order.detail_url, order.number, customer, gettext("Plan"),  # type: ignore[attr-defined]
        order.plan_url, order.number, CsrfTokenNode().render(context), new_client_id(),  # type: ignore[attr-defined]
        context.get("next_path", ""), gettext("Technician"), options, gettext("Date"), context.get("today_iso", ""),
        gettext("Time"), gettext("Duration (minutes)"), order.planned_minutes, gettext("Plan"))  # type: ignore[attr-defined]
