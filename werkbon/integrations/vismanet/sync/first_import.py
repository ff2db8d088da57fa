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

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

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

# Allocations between two young-generation collections while a first import runs (CPython's
# default is 700). Every page creates and drops about a hundred thousand objects (pydantic
# models, field dicts, row tuples); with the default each page triggers hundreds of
# collections, and the older generations, which scan everything the process holds (Django,
# the app), run every tenth and hundredth of those. Cycles are collected after every page
# (page_done).
GC_GEN0_THRESHOLD = 50_000
_gc_lock = threading.Lock()
_gc_depth = 0
_gc_previous: tuple[int, ...] = (700, 10, 10)


def page_done() -> None:
    """After a stored page inside :func:`fewer_collections`: collect the page's garbage now
    (a full collection, cheap because the frozen objects are not scanned), so reference
    cycles do not pile up over many pages and memory stays flat. Outside it: nothing."""
    if _gc_depth:
        gc.collect()


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the block with less garbage-collection work (issue 14: a fifth or so of the
    import's CPU went to the collector scanning long-lived objects).

    ``gc.freeze()`` moves every object alive at the start (modules, Django, settings) out of
    the collector's reach, and the young-generation threshold is raised to
    ``GC_GEN0_THRESHOLD``; both are process-wide, so nested or concurrent blocks share one
    setting and the last one to leave restores the threshold and unfreezes.
    """
    global _gc_depth, _gc_previous
    with _gc_lock:
        _gc_depth += 1
        if _gc_depth == 1:
            _gc_previous = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(max(GC_GEN0_THRESHOLD, _gc_previous[0]), *_gc_previous[1:])
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0:
                gc.set_threshold(*_gc_previous)
                gc.unfreeze()


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
        page_done()


def first_import(client: VismaNetClient, integration: Integration) -> None:
    """Import every table that is not done yet, then mark the first import finished."""
    run = Run(integration, first_import=True, job=JOB)
    _plan_totals(client, integration, run)
    with fewer_collections():
        for table in PHASES:
            _import_table(client, run, table)
    run.flush()
    now = timezone.now()
    Integration.objects.filter(pk=integration.pk).update(
        first_import_finished_at=now, import_phase="done", updated_at=now
    )
    integration.first_import_finished_at = now
