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
