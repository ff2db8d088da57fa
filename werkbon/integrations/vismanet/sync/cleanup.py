"""Cleanup (a few times a week and on demand): remove what Visma.net no longer has.

1. List EVERY key in Visma.net: all customers, all items, all item classes. The listing is
   checked strictly; anything odd makes it incomplete: a failed page, a short page before
   ``totalCount`` was reached, ``totalCount`` changing between pages, or a key seen twice
   (records shifting between pages).
2. A local customer or item missing from the listing is asked for one by one (a delete
   plus an insert between pages keeps the count and shows no duplicate): it must answer
   "not found", otherwise the listing counts as incomplete.
3. Only when every listing is complete: customers and items that are gone, inactive
   (or, for items, stock items) in Visma.net, and any that exist only in Werkbon, are
   removed, in one transaction. A row still used by a work order is deactivated instead
   (with a warning when the work order is not archived). Unused item groups that are no
   item class any more are removed too.
4. An incomplete listing removes NOTHING and logs a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from vismanet import (
    Customer as VismaCustomer,
)
from vismanet import (
    CustomerStatus,
    InventoryItem,
    NotFoundError,
    RateLimitedError,
    ReconnectRequired,
    VismaNetClient,
    VismaNetError,
)
from werkbon.integrations.log import log
from werkbon.integrations.models import Integration, LogLevel, LogTable, SyncState, SyncTable
from werkbon.integrations.vismanet.mapping.inbound import INACTIVE_ITEM_STATUSES, is_importable_item
from werkbon.integrations.vismanet.sync import customers, item_groups, items
from werkbon.integrations.vismanet.sync.pipeline import Changes, ListSource, Run, read_page
from werkbon.integrations.vismanet.sync.removal import (
    Reason,
    note_removal,
    retire_customer,
    retire_item,
)
from werkbon.workorders.models import Customer, Item, ItemGroup

INCOMPLETE = {
    "customers": gettext_noop("Cleanup stopped: the list of customers from Visma.net was incomplete, so "
                              "nothing was removed"),
    "items": gettext_noop("Cleanup stopped: the list of items from Visma.net was incomplete, so nothing "
                          "was removed"),
    "item_groups": gettext_noop("Cleanup stopped: the list of item classes from Visma.net was incomplete, "
                                "so nothing was removed"),
}
INCOMPLETE_ACTION = gettext_noop("No action needed: the next cleanup tries again.")
DONE = gettext_noop("Cleanup done: %(removed)s customers and items removed, %(deactivated)s deactivated")


class IncompleteListing(Exception):
    """A listing that cannot be trusted to contain every key (``table``: which one)."""

    def __init__(self, message: str, table: str = "") -> None:
        super().__init__(message)
        self.table = table


@dataclass(frozen=True)
class Listing:
    """Every record of one list, keyed; proven complete by :func:`complete_listing`."""

    records: dict[str, object]


def complete_listing(client: VismaNetClient, source: ListSource, key: str) -> Listing:
    """Read every page of ``source`` and prove nothing is missing or doubled.

    Raises:
        IncompleteListing: a failed page (any ``VismaNetError`` except the two below), a
            short or empty page before ``totalCount``, ``totalCount`` changing, a key twice.
        ReconnectRequired, RateLimitedError: passed on (the job stops).
    """
    records: dict[str, object] = {}
    first_total: int | None = None
    number = 1
    while True:
        try:
            page = read_page(client, source, number)
        except (ReconnectRequired, RateLimitedError):
            raise
        except VismaNetError as error:
            raise IncompleteListing(f"page {number} failed: {error}") from error
        if number == 1:
            first_total = page.total_count
        elif page.total_count != first_total:
            raise IncompleteListing(f"totalCount changed from {first_total} to {page.total_count} on page {number}")
        for record in page.records:
            value = getattr(record, key, None)
            if not value:
                raise IncompleteListing(f"a record without {key} on page {number}")
            if value in records:
                raise IncompleteListing(f"{key} {value} seen twice (data shifted between pages)")
            records[value] = record
        if first_total is None:
            if len(page.records) < page.page_size:
                return Listing(records)
        elif len(records) >= first_total:
            if len(records) > first_total:
                raise IncompleteListing(f"{len(records)} records, totalCount {first_total}")
            return Listing(records)
        elif len(page.records) < page.page_size:
            raise IncompleteListing(
                f"page {number} has {len(page.records)} records; {len(records)} of {first_total} so far")
        number += 1


def _listings(client: VismaNetClient, integration: Integration) -> dict[str, Listing] | None:
    sources = {
        "customers": (customers.TABLE.source(), "number"),
        "items": (items.TABLE.source(), "inventory_number"),
        "item_groups": (item_groups.TABLE.source(), "id"),
    }
    listings = {}
    for name, (source, key) in sources.items():
        try:
            listings[name] = complete_listing(client, source, key)
        except IncompleteListing as problem:
            log(integration, LogLevel.WARNING, LogTable.INTEGRATION, INCOMPLETE[name], action=INCOMPLETE_ACTION,
                detail=str(problem))
            return None
    return listings


def _confirm_gone(client: VismaNetClient, what: str, number: str) -> None:
    """Ask Visma.net for one record the listing did not contain: a listing can miss a record
    when one is deleted and another added between pages (same totalCount, no duplicate).

    Raises: IncompleteListing when the record exists after all or the answer is unclear.
    """
    try:
        if what == "customer":
            client.customers.get(number)
        else:
            client.inventory.get(number)
    except NotFoundError:
        return
    except (ReconnectRequired, RateLimitedError):
        raise
    except VismaNetError as error:
        raise IncompleteListing(f"checking {what} {number} failed: {error}", f"{what}s") from error
    raise IncompleteListing(f"{what} {number} exists in Visma.net but was missing from the listing", f"{what}s")


def _plan(client: VismaNetClient, listings: dict[str, Listing]) -> list[tuple[str, Customer | Item, Reason]]:
    """What to remove, and why; every "gone" one confirmed one by one."""
    plan: list[tuple[str, Customer | Item, Reason]] = []
    visma_customers: dict[str, VismaCustomer] = listings["customers"].records  # type: ignore[assignment]
    for customer in Customer.objects.order_by("number"):
        record = visma_customers.get(customer.number)
        if record is None:
            _confirm_gone(client, "customer", customer.number)
            plan.append(("customer", customer, Reason.GONE))
        elif record.status == CustomerStatus.INACTIVE:
            plan.append(("customer", customer, Reason.INACTIVE))
    visma_items: dict[str, InventoryItem] = listings["items"].records  # type: ignore[assignment]
    for item in Item.objects.order_by("number"):
        record = visma_items.get(item.number)
        if record is None:
            _confirm_gone(client, "item", item.number)
            plan.append(("item", item, Reason.GONE))
        elif not is_importable_item(record):
            plan.append(("item", item, Reason.STOCK))
        elif record.status in INACTIVE_ITEM_STATUSES:
            plan.append(("item", item, Reason.INACTIVE))
    return plan


def cleanup(client: VismaNetClient, integration: Integration) -> Changes | None:
    """Run the cleanup; returns what changed, or None when a listing was incomplete."""
    listings = _listings(client, integration)
    if listings is None:
        return None
    try:
        plan = _plan(client, listings)
    except IncompleteListing as problem:
        log(integration, LogLevel.WARNING, LogTable.INTEGRATION, INCOMPLETE[problem.table],
            action=INCOMPLETE_ACTION, detail=str(problem))
        return None
    run = Run(integration, first_import=False, job="cleanup")
    changes = Changes()
    with transaction.atomic():
        for what, row, reason in plan:
            outcome = retire_customer(row) if what == "customer" else retire_item(row)  # type: ignore[arg-type]
            note_removal(changes, what, row.number, outcome, reason)
        classes = set(listings["item_groups"].records)
        ItemGroup.objects.exclude(code__in=classes).filter(items__isnull=True).delete()
        run.write_notes(changes)
        run.flush()
        now = timezone.now()
        log(integration, LogLevel.INFO, LogTable.INTEGRATION, DONE,
            params={"removed": changes.removed, "deactivated": changes.deactivated})
        tables = [SyncTable.CUSTOMERS, SyncTable.ITEMS]
        SyncState.objects.filter(integration=integration, table__in=tables).update(last_cleanup_at=now)
        if changes.any:
            SyncState.objects.filter(integration=integration, table__in=tables).update(last_change_at=now)
    return changes
