"""The first import: every table in order, page by page, resumable.

Phases: item groups → items → customers (with their addresses and contacts) → locations.
Each page is one transaction holding its rows, ``SyncState.resume_page`` (the next page),
the running largest ``lastModifiedDateTime`` and ``Integration.progress_done``/
``import_phase``; page 1 also stores the run's signpost (Visma.net's time when it began),
which survives a resume. A done table's watermark is the smaller of the two. A worker
killed halfway leaves the last committed page behind, and the next run starts at the page
after it. Work orders can be made for the customers imported so far: nothing waits for the
end.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from vismanet import VismaNetClient
from werkbon.integrations.log import log
from werkbon.integrations.models import Integration, LogLevel, SyncTable
from werkbon.integrations.vismanet.sync import customers, item_groups, items, locations
from werkbon.integrations.vismanet.sync.pipeline import (
    Changes,
    Run,
    Table,
    capped,
    count,
    largest,
    read_pages,
    touch,
)

SKIPPED_INACTIVE = {
    SyncTable.CUSTOMERS.value: gettext_noop("First import: %(count)s inactive customers not imported."),
    SyncTable.ITEMS.value: gettext_noop("First import: %(count)s inactive items not imported."),
}
JOB = "first_import"  # the lease's name (tasks.sync_first_import)
PHASES: tuple[Table, ...] = (item_groups.TABLE, items.TABLE, customers.TABLE, locations.TABLE)


def _plan_totals(client: VismaNetClient, integration: Integration, run: Run) -> None:
    """Set ``progress_total`` once: the sum of what Visma.net reports for each table."""
    if integration.progress_total:
        return
    todo = [table for table in PHASES if not run.state(table.name).first_import_done]
    total = sum(count(client, table.source(), run) for table in todo)
    Integration.objects.filter(pk=integration.pk).update(progress_total=total, progress_done=0)
    integration.progress_total, integration.progress_done = total, 0


def _import_table(client: VismaNetClient, run: Run, table: Table) -> None:
    integration = run.integration
    state = run.state(table.name)
    if state.first_import_done:
        return
    for page in read_pages(client, table.source(), start=state.resume_page, run=run):
        with transaction.atomic():
            changes = table.store(run, page.records) if page.records else None
            if changes:
                run.write_notes(changes)
                run.skipped_inactive[table.name] = run.skipped_inactive.get(table.name, 0) + \
                    changes.skipped_inactive
            done = not page.records or page.is_last
            if page.number == 1:  # kept across a resume: the import began then
                state.signpost = run.signpost
            state.resume_page = page.number + 1
            state.watermark = largest(state.watermark, page.records) if table.incremental else None
            if done:
                state.first_import_done = True
                state.resume_page = 1
                if table.incremental:
                    state.watermark = capped(state.watermark, state.signpost, table.name)
                touch(state, Changes(added=1), timezone.now())  # "Integratie update" = now
            state.save()
            fresh = Integration.objects.select_for_update().get(pk=integration.pk)
            fresh.progress_done += len(page.records)
            fresh.progress_total = max(fresh.progress_total, fresh.progress_done)
            fresh.import_phase = table.name
            fresh.save(update_fields=["progress_done", "progress_total", "import_phase", "updated_at"])
            integration.progress_done, integration.progress_total = fresh.progress_done, fresh.progress_total
            if done:
                message, params = table.summary()
                log(integration, LogLevel.INFO, table.log_table, message, params=params)
                skipped = run.skipped_inactive.get(table.name, 0)  # pages read by this run
                if skipped and table.name in SKIPPED_INACTIVE:
                    log(integration, LogLevel.INFO, table.log_table, SKIPPED_INACTIVE[table.name],
                        params={"count": skipped})


def first_import(client: VismaNetClient, integration: Integration) -> None:
    """Import every table that is not done yet, then mark the first import finished."""
    run = Run(integration, first_import=True, job=JOB)
    _plan_totals(client, integration, run)
    for table in PHASES:
        _import_table(client, run, table)
    run.flush()
    now = timezone.now()
    Integration.objects.filter(pk=integration.pk).update(
        first_import_finished_at=now, import_phase="done", updated_at=now
    )
    integration.first_import_finished_at = now
