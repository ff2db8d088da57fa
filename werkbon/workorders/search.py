"""The office's work-order search (the "Zoeken" box of the work-order list; issue 15).

:func:`work_order_match` turns the typed text into a ``Q`` on ``WorkOrder``: every word must
occur (case-insensitively) in one of: the customer's name or number, the description, the
customer reference, the work address (name, street, house number, postal code, city), or a
used material (item number or description). A text of digits only is a number: the work order
with that number, and those whose customer number, customer reference or a used item number
contains it (not every house number or description with that digit in it). Material lines
join many rows: use ``.distinct()`` on the result, or (as the list does) filter on
``pk__in`` a subquery of the matching orders' ids.
"""

from __future__ import annotations

from django.db.models import Q

SEARCHED_FIELDS = (
    "customer__name", "customer__number", "description", "customer_reference",
    "work_address__name", "work_address__street", "work_address__house_number",
    "work_address__postal_code", "work_address__city",
    "address_name", "address_street", "address_postal_code", "address_city",
    "material_lines__item__number", "material_lines__item__description",
    "material_lines__item_number", "material_lines__description",
)

# Where a number (digits only) is looked for, besides the work-order number itself.
NUMBER_FIELDS = ("customer__number", "customer_reference", "material_lines__item__number",
                 "material_lines__item_number")


def _any(fields: tuple[str, ...], word: str) -> Q:
    match = Q()
    for field in fields:
        match |= Q(**{f"{field}__icontains": word})
    return match


def work_order_match(text: str) -> Q:
    """A ``Q`` for work orders matching ``text`` (see the module text); ``Q()`` for blank."""
    stripped = text.strip()
    if stripped.isdigit():
        by_number = Q(number=int(stripped)) if len(stripped) <= 9 else Q()  # numbers fit 32 bits
        return by_number | _any(NUMBER_FIELDS, stripped)
    match = Q()
    for word in stripped.split():
        match &= _any(SEARCHED_FIELDS, word)
    return match
