"""Item groups ← Visma.net item classes: fetch all (no lastModified), map, upsert by code."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from django.utils.translation import gettext_noop

from vismanet import ItemClass
from werkbon.integrations.models import LogLevel, LogTable, SyncTable
from werkbon.integrations.vismanet.mapping.inbound import item_group_fields
from werkbon.integrations.vismanet.sync.pipeline import Changes, ListSource, Run
from werkbon.workorders.models import ItemGroup


class ItemGroups:
    """Item groups table of the pipeline; not incremental (item classes carry no modified time)."""

    name = SyncTable.ITEM_GROUPS.value
    log_table = LogTable.ITEM_GROUP.value
    incremental = False  # item classes carry no modified time: re-read fully (they are few)

    def source(self) -> ListSource:
        """Paged ListSource over GET /v1/inventory/itemClass (itemclass.list)."""
        return ListSource(attrgetter("item_classes.list"))

    def store(self, run: Run, records: list[ItemClass]) -> Changes:
        """Add or update item groups by code from one page of item classes; returns counts and notes."""
        changes = Changes()
        wanted = {fields["code"]: fields for fields in map(item_group_fields, records) if fields["code"]}
        existing = {group.code: group for group in ItemGroup.objects.filter(code__in=wanted)}
        new = []
        for code, fields in wanted.items():
            group = existing.get(code)
            if group is None:
                new.append(ItemGroup(tenant_id=run.integration.tenant_id, **fields))
                changes.added += 1
                changes.note(LogLevel.INFO, self.log_table, gettext_noop("Item group %(code)s added to Werkbon"),
                             {"code": code}, code)
            elif group.description != fields["description"]:
                group.description = fields["description"]
                group.save(update_fields=["description", "updated_at"])
                changes.updated += 1
                changes.note(LogLevel.INFO, self.log_table, gettext_noop("Item group %(code)s updated in Werkbon"),
                             {"code": code}, code)
        ItemGroup.objects.bulk_create(new)
        return changes

    def summary(self) -> tuple[str, dict[str, Any]]:
        """Message id and parameters of the first import's summary line (item groups in Werkbon)."""
        return gettext_noop("First import: %(count)s item groups in Werkbon."), {"count": ItemGroup.objects.count()}


TABLE = ItemGroups()
