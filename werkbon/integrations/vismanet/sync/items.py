"""Items ← Visma.net inventory: fetch (delta) → keep non-stock items → upsert by number.

Stock items are never imported. An item we have that Visma.net now reports as a stock item
is treated as deleted there (removed, or deactivated when a work order uses it).
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_noop

from vismanet import InventoryItem
from werkbon.integrations.models import LogLevel, LogTable, SyncTable
from werkbon.integrations.vismanet.mapping.inbound import (
    INACTIVE_ITEM_STATUSES,
    is_importable_item,
    item_fields,
    item_group_code,
)
from werkbon.integrations.vismanet.sync import rows as lean
from werkbon.integrations.vismanet.sync.agreed import warn_item_changed
from werkbon.integrations.vismanet.sync.pipeline import (
    INVENTORY_PAGE_SIZE,
    Changes,
    ListSource,
    Run,
)
from werkbon.integrations.vismanet.sync.removal import (
    Reason,
    note_inactive_in_use,
    note_removal,
    retire_item,
)
from werkbon.integrations.vismanet.sync.rows import insert_rows
from werkbon.workorders.models import ActiveStatus, Item, ItemGroup

FIELDS = ["description", "unit", "sales_price", "item_type", "status", "group"]
ITEM_ROW = ["number", *FIELDS]  # the lean first-import path's columns (rows.py)


class Items:
    """Items table of the pipeline: non-stock items only."""

    name = SyncTable.ITEMS.value
    log_table = LogTable.ITEM.value
    incremental = True

    def source(self) -> ListSource:
        """Paged ListSource over GET /v1/inventory (inventory.list): every item type, no expansion."""
        # Every type: a non-stock item that becomes a stock item must be seen to go away.
        # No expansion: the client then sends every expand flag as false (small pages).
        return ListSource(attrgetter("inventory.list"), page_size=INVENTORY_PAGE_SIZE)

    def store(self, run: Run, records: list[InventoryItem]) -> Changes:
        """Upsert one page of inventory items by number, creating missing item groups; an item
        that became a stock item is retired. Returns the counts and log notes.
        """
        changes = Changes()
        by_number = {r.inventory_number: r for r in records if r.inventory_number}
        groups = self._groups(run, [r for r in by_number.values() if is_importable_item(r)])
        if run.first_import and lean.ENABLED and not Item.objects.filter(number__in=list(by_number)).exists():
            return self._insert_new(run, by_number, groups)
        existing = {item.number: item for item in Item.objects.select_related("group").filter(number__in=list(by_number))}
        new, changed = [], []
        now = timezone.now()
        for number, record in by_number.items():
            item = existing.get(number)
            if run.first_import and item is None and is_importable_item(record) \
                    and record.status in INACTIVE_ITEM_STATUSES:
                changes.skipped_inactive += 1  # not brought in at all: one summary line
                continue
            if not is_importable_item(record):
                if item is not None:  # non-stock → stock: as if deleted in Visma.net
                    note_removal(changes, "item", number, retire_item(item), Reason.STOCK)
                continue
            fields = item_fields(record)
            fields["group"] = groups.get(item_group_code(record))
            if item is None:
                new.append(Item(tenant_id=run.integration.tenant_id, **fields))
                changes.added += 1
                changes.note(LogLevel.INFO, self.log_table, gettext_noop("Item %(number)s added to Werkbon"),
                             {"number": number}, number)
                continue
            diff = {name: fields[name] for name in FIELDS if getattr(item, name) != fields[name]}
            if diff:
                # Open work orders keep the registered unit and description: a warning each.
                warn_item_changed(changes, item, diff)
                for name, value in diff.items():
                    setattr(item, name, value)
                item.updated_at = now
                changed.append(item)
                changes.updated += 1
                changes.note(LogLevel.INFO, self.log_table, gettext_noop("Item %(number)s updated in Werkbon"),
                             {"number": number}, number)
                if diff.get("status") == ActiveStatus.INACTIVE:
                    note_inactive_in_use(changes, item)
        Item.objects.bulk_create(new, batch_size=500)
        Item.objects.bulk_update(changed, [*FIELDS, "updated_at"], batch_size=500)
        return changes

    @staticmethod
    def _insert_new(run: Run, by_number: dict[str, InventoryItem], groups: dict[str, ItemGroup]) -> Changes:
        """The first import's page of items none of which Werkbon has yet: the non-stock,
        not inactive ones as plain INSERTs (rows.py), as the general path would store them;
        no added-notes (the first import logs one summary per table)."""
        changes = Changes()
        rows = []
        for record in by_number.values():
            if not is_importable_item(record):
                continue  # a stock item: never imported
            if record.status in INACTIVE_ITEM_STATUSES:
                changes.skipped_inactive += 1
                continue
            fields = item_fields(record)
            group = groups.get(item_group_code(record))
            fields["group"] = group.pk if group is not None else None
            rows.append(tuple(fields[name] for name in ITEM_ROW))
        changes.added += insert_rows(Item, ITEM_ROW, rows, {"tenant": run.integration.tenant_id}, timezone.now())
        return changes

    @staticmethod
    def _groups(run: Run, records: list[InventoryItem]) -> dict[str, ItemGroup]:
        """The item groups of ``records`` by code; a class not yet known is created."""
        wanted = {item_group_code(r): r.item_class for r in records if item_group_code(r)}
        groups = {g.code: g for g in ItemGroup.objects.filter(code__in=list(wanted))}
        missing = [ItemGroup(tenant_id=run.integration.tenant_id, code=code,
                             description=(cls.description or "")[:255] if cls else "")
                   for code, cls in wanted.items() if code not in groups]
        for group in ItemGroup.objects.bulk_create(missing):
            groups[group.code] = group
        return groups

    def summary(self) -> tuple[str, dict[str, Any]]:
        """Message id and parameters of the first import's summary line (items in Werkbon)."""
        return gettext_noop("First import: %(count)s items in Werkbon."), {"count": Item.objects.count()}


TABLE = Items()
