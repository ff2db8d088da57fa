"""``{% work_order_panels order %}``: the panels other apps registered (see external.py)."""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

from werkbon.workorders.external import render_panels

register = template.Library()


@register.simple_tag(takes_context=True)
def work_order_panels(context: template.Context, work_order: object) -> str:
    # Panels build their HTML with format_html/render_to_string, so it is escaped already.
    return mark_safe(render_panels(context.get("request"), work_order))  # noqa: S308
