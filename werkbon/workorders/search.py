"""The office's work-order search (the "Zoeken" box of the work-order list; issue 15).

:func:`work_order_match` turns the typed text into a ``Q`` on ``WorkOrder``: every word must
occur (case-insensitively) in one of: the customer's name or number, the description, the
customer reference, the work address (name, street, house number, postal code, city), or a
used material (item number or description). A text of digits only also finds the work order
with that number. Material lines join many rows: use ``.distinct()`` on the result.
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


def work_order_match(text: str) -> Q:
    """A ``Q`` for work orders matching ``text`` (see the module text); ``Q()`` for blank."""
    words = text.split()
    match = Q()
    for word in words:
        any_field = Q()
        for field in SEARCHED_FIELDS:
            any_field |= Q(**{f"{field}__icontains": word})
        match &= any_field
    stripped = text.strip()
    if stripped.isdigit() and len(stripped) <= 9:  # a work-order number fits 32 bits
        match |= Q(number=int(stripped))
    return match
