"""Template filters of the work-order screens."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import get_format

register = template.Library()


@register.filter
def quantity(value: object) -> str:
    """A quantity without trailing zeros, with the language's decimal sign: 2.500 → "2,5"
    in Dutch, "2.5" in English; 10.000 → "10" (not "1E+1")."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    text = format(number.normalize(), "f")
    return text.replace(".", get_format("DECIMAL_SEPARATOR"))
