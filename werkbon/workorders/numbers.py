"""Numbers as the screens write them (issue 15): the language's decimal sign, no trailing
zeros: ``Decimal("1.600")`` → ``"1,6"`` in Dutch, ``"1.6"`` in English; ``10.000`` → ``"10"``
(not ``"1E+1"``). Used by the ``quantity`` template filter and by the forms' number inputs."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.formats import get_format


def local_number(value: object) -> str:
    """``value`` (a Decimal, int, float or numeric string with a point) written with the
    active language's decimal sign and without trailing zeros; anything else as ``str``."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    text = format(number.normalize(), "f")
    return text.replace(".", get_format("DECIMAL_SEPARATOR"))
