"""Removing what Visma.net no longer has, without ever breaking a work order.

Work orders point at customers and work addresses, and material lines at items, with
PROTECT: a row still used by any work order (open or archived) is deactivated instead of
deleted. Work addresses with installed objects are kept (deactivated) too: the objects are
Werkbon's own data. Each function returns what it did.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils import timezone
from django.utils.translation import gettext_noop

from werkbon.integrations.models import LogLevel, LogTable
from werkbon.integrations.vismanet.sync.pipeline import Changes
from werkbon.workorders.models import (
    ActiveStatus,
    Customer,
    Item,
    MaterialLine,
    WorkAddress,
    WorkOrder,
    WorkOrderStatus,
)


class Outcome(StrEnum):
    """What retiring a row did: deleted, deactivated (used by open or archived work orders) or kept."""

    DELETED = "deleted"
    DEACTIVATED_OPEN = "deactivated_open"  # used by work orders that are not archived
    DEACTIVATED_ARCHIVED = "deactivated_archived"  # used by archived work orders only
    KEPT = "kept"  # already inactive and still in use: nothing to do


def _outcome(open_use: bool, any_use: bool) -> Outcome:
    if open_use:
        return Outcome.DEACTIVATED_OPEN
    return Outcome.DEACTIVATED_ARCHIVED if any_use else Outcome.DELETED


def retire_work_address(address: WorkAddress) -> Outcome:
    """Delete ``address``, or set ``is_active`` False when work orders or objects use it."""
    orders = WorkOrder.objects.filter(work_address=address)
    open_use = orders.exclude(status=WorkOrderStatus.ARCHIVED).exists()
    any_use = open_use or orders.exists() or address.installed_objects.exists()
    outcome = _outcome(open_use, any_use)
    if outcome == Outcome.DELETED:
        address.delete()
    elif address.is_active:
        address.is_active = False
        address.save(update_fields=["is_active", "updated_at"])
    else:
        return Outcome.KEPT
    return outcome


def retire_customer(customer: Customer) -> Outcome:
    """Delete ``customer`` (with its work addresses and contacts), or set it inactive when
    work orders use it or objects are registered at its work addresses."""
    orders = WorkOrder.objects.filter(customer=customer)
    open_use = orders.exclude(status=WorkOrderStatus.ARCHIVED).exists()
    any_use = (open_use or orders.exists()
               or WorkOrder.objects.filter(work_address__customer=customer).exists()
               or WorkAddress.objects.filter(customer=customer, installed_objects__isnull=False).exists())
    outcome = _outcome(open_use, any_use)
    if outcome == Outcome.DELETED:
        customer.delete()
    elif customer.status != ActiveStatus.INACTIVE:
        customer.status = ActiveStatus.INACTIVE
        customer.updated_at = timezone.now()
        customer.save(update_fields=["status", "updated_at"])
    else:
        return Outcome.KEPT
    return outcome


def retire_item(item: Item) -> Outcome:
    """Delete ``item``, or set it inactive when a material line uses it."""
    lines = MaterialLine.objects.filter(item=item)
    open_use = lines.exclude(work_order__status=WorkOrderStatus.ARCHIVED).exists()
    outcome = _outcome(open_use, open_use or lines.exists())
    if outcome == Outcome.DELETED:
        item.delete()
    elif item.status != ActiveStatus.INACTIVE:
        item.status = ActiveStatus.INACTIVE
        item.save(update_fields=["status", "updated_at"])
    else:
        return Outcome.KEPT
    return outcome


# --- log messages -------------------------------------------------------------------------
# One full sentence per (what, why, outcome) so each translates well.


class Reason(StrEnum):
    """Why a row is removed: gone from Visma.net, inactive there, or now a stock item."""

    GONE = "gone"  # not (or no longer) in Visma.net, e.g. added in Werkbon only
    INACTIVE = "inactive"  # inactive in Visma.net
    STOCK = "stock"  # a non-stock item became a stock item


_DELETED = {
    ("customer", Reason.GONE): gettext_noop("Customer %(number)s removed from Werkbon: it does not exist in Visma.net"),
    ("customer", Reason.INACTIVE): gettext_noop("Customer %(number)s removed from Werkbon: it is inactive in Visma.net"),
    ("item", Reason.GONE): gettext_noop("Item %(number)s removed from Werkbon: it does not exist in Visma.net"),
    ("item", Reason.INACTIVE): gettext_noop("Item %(number)s removed from Werkbon: it is inactive in Visma.net"),
    ("item", Reason.STOCK): gettext_noop("Item %(number)s removed from Werkbon: it is a stock item in Visma.net now"),
}
_DEACTIVATED_OPEN = {
    "customer": gettext_noop(
        "Customer %(number)s is gone or inactive in Visma.net but still used by work orders that are "
        "not archived: deactivated instead of removed"),
    "item": gettext_noop(
        "Item %(number)s is gone, inactive or a stock item in Visma.net but still used on work orders "
        "that are not archived: deactivated instead of removed"),
}
_DEACTIVATED_OPEN_ACTION = {
    "customer": gettext_noop("Choose another customer on those work orders, or activate the customer in Visma.net."),
    "item": gettext_noop("Replace the item on those work orders, or activate it as a non-stock item in Visma.net."),
}
_DEACTIVATED_ARCHIVED = {
    "customer": gettext_noop("Customer %(number)s deactivated: gone or inactive in Visma.net, kept for archived work orders"),
    "item": gettext_noop("Item %(number)s deactivated: gone, inactive or a stock item in Visma.net, kept for archived work orders"),
}
_TABLES = {"customer": LogTable.CUSTOMER.value, "item": LogTable.ITEM.value}


# Set inactive in Visma.net (not deleted) while work orders that are not archived use it: the
# row follows Visma.net (inactive), the work orders keep it, and the office is told what to do.
_INACTIVE_IN_USE = {
    ("customer", False): gettext_noop(
        "Customer %(number)s is no longer active in Visma.net, but work order %(work_orders)s (not "
        "archived yet) still uses this customer"),
    ("customer", True): gettext_noop(
        "Customer %(number)s is no longer active in Visma.net, but work orders %(work_orders)s (not "
        "archived yet) still use this customer"),
    ("item", False): gettext_noop(
        "Item %(number)s is no longer active in Visma.net, but work order %(work_orders)s (not "
        "archived yet) still uses this item"),
    ("item", True): gettext_noop(
        "Item %(number)s is no longer active in Visma.net, but work orders %(work_orders)s (not "
        "archived yet) still use this item"),
}
_INACTIVE_IN_USE_ACTION = {
    ("customer", False): gettext_noop(
        "Activate the customer in Visma.net or choose another customer on that work order; until "
        "then the work order cannot be sent to Visma.net."),
    ("customer", True): gettext_noop(
        "Activate the customer in Visma.net or choose another customer on those work orders; until "
        "then they cannot be sent to Visma.net."),
    ("item", False): gettext_noop(
        "Activate the item in Visma.net or replace it on that work order; until then the work order "
        "cannot be sent to Visma.net."),
    ("item", True): gettext_noop(
        "Activate the item in Visma.net or replace it on those work orders; until then they cannot be "
        "sent to Visma.net."),
}
MAX_NAMED_WORK_ORDERS = 10


def open_work_orders_using(row: Customer | Item) -> list[int]:
    """Numbers of the work orders that are not archived and use ``row`` (as customer, or on a
    material line), ascending."""
    if isinstance(row, Customer):
        orders = WorkOrder.objects.filter(customer=row)
    else:
        orders = WorkOrder.objects.filter(material_lines__item=row)
    return sorted(set(orders.exclude(status=WorkOrderStatus.ARCHIVED).values_list("number", flat=True)))


def note_inactive_in_use(changes: Changes, row: Customer | Item) -> None:
    """Add a warning with the action when ``row`` was just set inactive following Visma.net
    while work orders that are not archived use it (at most ten numbers named, then "…")."""
    numbers = open_work_orders_using(row)
    if not numbers:
        return
    what = "customer" if isinstance(row, Customer) else "item"
    named = ", ".join(str(n) for n in numbers[:MAX_NAMED_WORK_ORDERS])
    if len(numbers) > MAX_NAMED_WORK_ORDERS:
        named += ", …"
    several = len(numbers) > 1
    changes.note(LogLevel.WARNING, _TABLES[what], _INACTIVE_IN_USE[(what, several)],
                 {"number": row.number, "work_orders": named}, row.number,
                 action=_INACTIVE_IN_USE_ACTION[(what, several)])


def note_removal(changes: Changes, what: str, number: str, outcome: Outcome, reason: Reason) -> None:
    """Count ``outcome`` on ``changes`` and add its log note."""
    table = _TABLES[what]
    params = {"number": number}
    if outcome == Outcome.DELETED:
        changes.removed += 1
        changes.note(LogLevel.INFO, table, _DELETED[(what, reason)], params, number)
    elif outcome == Outcome.DEACTIVATED_OPEN:
        changes.deactivated += 1
        changes.note(LogLevel.WARNING, table, _DEACTIVATED_OPEN[what], params, number,
                     action=_DEACTIVATED_OPEN_ACTION[what])
    elif outcome == Outcome.DEACTIVATED_ARCHIVED:
        changes.deactivated += 1
        changes.note(LogLevel.INFO, table, _DEACTIVATED_ARCHIVED[what], params, number)
