"""Work orders keep what was agreed when Visma.net changes an address or an item they use
(issue 9; docs/sync-rules.md "Master data changes and work orders").

The import updates the shared work address and item rows; an open work order keeps its own
copy of the address and its material lines their description and unit
(:mod:`werkbon.workorders.history`). These functions add one warning per open work order
that uses a changed address or item, with the action (take the new value with one click on
the work order, or keep what was agreed). Archived work orders need nothing: they are
immutable and not mentioned.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

from werkbon.integrations.models import LogLevel, LogTable
from werkbon.integrations.vismanet.mapping.inbound import DELIVERY, INVOICE, MAIN
from werkbon.integrations.vismanet.sync.pipeline import Changes
from werkbon.workorders.history import lines_with_changed_item, orders_with_changed_address
from werkbon.workorders.models import Item, WorkAddress

LOCATION_PREFIX = "location:"
ADDRESS_MESSAGES = {
    MAIN: gettext_noop("Check work order %(number)s: the main address of customer %(customer)s changed in"
                       " Visma.net"),
    INVOICE: gettext_noop("Check work order %(number)s: the invoice address of customer %(customer)s changed in"
                          " Visma.net"),
    DELIVERY: gettext_noop("Check work order %(number)s: the delivery address of customer %(customer)s changed"
                           " in Visma.net"),
}
MSG_LOCATION = gettext_noop(
    "Check work order %(number)s: the address of location %(location)s of customer %(customer)s changed in"
    " Visma.net")
MSG_ADDRESS_OTHER = gettext_noop(
    "Check work order %(number)s: its work address of customer %(customer)s changed in Visma.net")
ACT_ADDRESS = gettext_noop(
    "Open the work order and take the new address with one click, or keep the agreed address.")
MSG_UNIT = gettext_noop(
    "Check work order %(number)s: the unit of item %(item)s changed in Visma.net from %(old)s to %(new)s")
ACT_UNIT = gettext_noop(
    "Check the quantity and take the new unit with one click on the work order, or keep the registered"
    " unit.")
MSG_DESCRIPTION = gettext_noop(
    "Check work order %(number)s: the description of item %(item)s changed in Visma.net")
ACT_DESCRIPTION = gettext_noop(
    "Take the new description with one click on the work order, or keep the registered one.")


def warn_address_changed(changes: Changes, address: WorkAddress, fields: dict[str, Any],
                         customer_number: str) -> None:
    """One warning per open work order on ``address`` whose agreed copy differs from
    ``fields`` (the new values). Call before the row is saved."""
    key = address.external_key
    if key.startswith(LOCATION_PREFIX):
        message = MSG_LOCATION
    else:
        message = ADDRESS_MESSAGES.get(key, MSG_ADDRESS_OTHER)
    for order in orders_with_changed_address(address, fields):
        changes.note(LogLevel.WARNING, LogTable.WORK_ORDER, message,
                     {"number": order.number, "customer": customer_number,
                      "location": key.removeprefix(LOCATION_PREFIX)},
                     str(order.number), action=ACT_ADDRESS)


def warn_item_changed(changes: Changes, item: Item, fields: dict[str, Any]) -> None:
    """One warning per open work order and changed field (unit, description) of ``item``
    whose material lines differ from ``fields`` (the item's new values)."""
    seen: set[tuple[int, str]] = set()
    for line in lines_with_changed_item(item, fields):
        number = line.work_order.number
        params = {"number": number, "item": item.number}
        if "unit" in fields and line.unit != fields["unit"] and (number, "unit") not in seen:
            seen.add((number, "unit"))
            changes.note(LogLevel.WARNING, LogTable.WORK_ORDER, MSG_UNIT,
                         {**params, "old": line.unit or "—", "new": fields["unit"] or "—"}, str(number),
                         action=ACT_UNIT)
        if "description" in fields and line.description != fields["description"] \
                and (number, "description") not in seen:
            seen.add((number, "description"))
            changes.note(LogLevel.WARNING, LogTable.WORK_ORDER, MSG_DESCRIPTION, params, str(number),
                         action=ACT_DESCRIPTION)
