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
