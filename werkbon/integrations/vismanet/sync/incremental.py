"""The incremental import, run at the sync interval: every table from its watermark
minus the overlap window (item groups in full), in the order of the first import so a new
customer exists before its locations are read."""

from __future__ import annotations

from django.utils import timezone

from vismanet import VismaNetClient
from werkbon.integrations.models import Integration, LogTable, SyncState, SyncTable
from werkbon.integrations.vismanet.sync import customers, item_groups, items, locations
from werkbon.integrations.vismanet.sync.pipeline import Run, run_incremental

JOB = "sync"  # the lease's name (tasks.sync_incremental)
TABLES = (item_groups.TABLE, items.TABLE, customers.TABLE, locations.TABLE)


def incremental(client: VismaNetClient, integration: Integration) -> None:
    """One pass over every table; changes are logged one by one (capped per run)."""
    run = Run(integration, first_import=False, job=JOB)
    run.load_states()
    try:
        for table in TABLES:
            changes = run_incremental(client, run, table)
            if table is customers.TABLE and any(n.table == LogTable.WORK_ADDRESS for n in changes.notes):
                # Addresses that came with a customer are work-address changes on the status page.
                SyncState.objects.filter(integration=integration, table=SyncTable.WORK_ADDRESSES).update(
                    last_change_at=timezone.now()
                )
        run.flush()
    finally:
        run.finish()  # last_run_at of the tables that changed nothing: one UPDATE
