"""The shared machinery of every table's pipeline: fetch a page → map → store, in one
transaction per page, with the watermark, the first-import resume point and the progress.

Rules (``docs/sync-rules.md``):

* One watermark per tenant and table (``SyncState.watermark``): the largest
  ``lastModifiedDateTime`` Visma.net returned, never our clock. It is written in the same
  transaction as the last page of a run, so it never claims rows that are not committed.
  ERP lists are ordered by internal id, not by time, so moving it after an earlier page
  could skip older changes on a later page if the run stopped in between.
* Every incremental run re-reads an overlap window: ``>= watermark - OVERLAP``. Upserts
  are keyed by Visma.net's number and skip unchanged rows, so re-reading is harmless and a
  change whose timestamp equals the watermark is never lost.
* First import: each page commits its rows together with ``SyncState.resume_page``, the
  running largest timestamp and ``Integration.progress_done``; a killed worker resumes at
  the next page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from vismanet import VismaNetClient
from vismanet._endpoints import Endpoint  # see read_page: the client has no start page
from vismanet._time import format_erp_filter
from vismanet._transport import decode_json
from werkbon.integrations.log import log
from werkbon.integrations.models import (
    Integration,
    IntegrationStatus,
    JobLease,
    LogLevel,
    SyncState,
)

OVERLAP = dt.timedelta(minutes=5)
PAGE_SIZE = 1000  # asked for; Visma.net clamps it to metadata.maxPageSize
# Per run and table, at most this many entries of one kind; the rest is one summary entry.
LOG_DETAIL_LIMIT = 50
LEASE_SECONDS = 300


# --- fetch ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ListSource:
    """One ERP list operation: endpoint, fixed query parameters and the record parser."""

    endpoint: Endpoint
    parse: Callable[[Any], Any]
    params: tuple[tuple[str, str], ...] = ()

    def since(self, moment: dt.datetime | None) -> ListSource:
        """The same list filtered on ``lastModifiedDateTime >= moment`` (aware, UTC)."""
        if moment is None:
            return self
        delta = (("lastModifiedDateTime", format_erp_filter(moment)), ("lastModifiedDateTimeCondition", ">="))
        return ListSource(self.endpoint, self.parse, self.params + delta)


@dataclass(frozen=True)
class FetchedPage:
    """One page: parsed records, its 1-based number, the reported total and page size."""

    records: list[Any]
    number: int
    total_count: int | None
    page_size: int  # the size the server used (requested, clamped to maxPageSize)

    @property
    def is_last(self) -> bool:
        """True when no further page can hold records."""
        if self.total_count is not None:
            return (self.number - 1) * self.page_size + len(self.records) >= self.total_count
        return len(self.records) < self.page_size


def read_page(client: VismaNetClient, source: ListSource, number: int, page_size: int = PAGE_SIZE) -> FetchedPage:
    """Fetch page ``number`` (1-based) of ``source``.

    The client's ``Paginated`` always starts at page 1, and a resumed first import must
    start at page N without fetching 1..N-1 again, so this sends the list request through
    the client's transport (same authentication, retries, rate-limit pause and errors).

    Raises: any ``vismanet.VismaNetError``.
    """
    query = [*source.params, ("pageNumber", str(number)), ("pageSize", str(page_size))]
    transport = client._transport  # private, but the one place that needs page N
    response = transport.request(source.endpoint, params=query)
    body = decode_json(response, source.endpoint) or []
    if isinstance(body, dict):  # a {records, totalCount} wrapper
        records, total, max_size = body.get("records") or [], body.get("totalCount"), None
    else:
        metadata = body[0].get("metadata") if body and isinstance(body[0], dict) else None
        metadata = metadata if isinstance(metadata, dict) else {}
        records, total, max_size = body, metadata.get("totalCount"), metadata.get("maxPageSize")
    size = min(page_size, int(max_size)) if max_size else page_size
    return FetchedPage([source.parse(r) for r in records], number, total, size)


def read_pages(client: VismaNetClient, source: ListSource, start: int = 1) -> Iterator[FetchedPage]:
    """Pages from ``start`` until the last one (by total count, a short or an empty page)."""
    number = start
    while True:
        page = read_page(client, source, number)
        yield page
        if not page.records or page.is_last:
            return
        number += 1


def count(client: VismaNetClient, source: ListSource) -> int:
    """The number of records Visma.net reports for ``source`` (one request of one record)."""
    page = read_page(client, source, 1, page_size=1)
    return page.total_count if page.total_count is not None else len(page.records)


# --- map and store ----------------------------------------------------------------------


@dataclass
class Note:
    level: str
    table: str
    message: str
    params: dict[str, Any]
    object_ref: str = ""
    action: str = ""


@dataclass
class Changes:
    """What storing a page changed; ``notes`` become log entries (capped per run)."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    deactivated: int = 0
    notes: list[Note] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.deactivated)

    def note(self, level: str, table: str, message: str, params: dict[str, Any], object_ref: str = "",
             action: str = "") -> None:
        self.notes.append(Note(level, table, message, params, object_ref, action))

    def merge(self, other: Changes) -> None:
        self.added += other.added
        self.updated += other.updated
        self.removed += other.removed
        self.deactivated += other.deactivated
        self.notes.extend(other.notes)


class Table(Protocol):
    """One table's pipeline: where to fetch, how to store a page, what the timestamp is."""

    name: str  # SyncTable value
    log_table: str  # LogTable value
    incremental: bool  # False: no lastModified, re-read fully each run

    def source(self) -> ListSource: ...

    def store(self, run: Run, records: list[Any]) -> Changes: ...

    def summary(self) -> tuple[str, dict[str, Any]]: ...


def modified_at(record: Any) -> dt.datetime | None:
    return getattr(record, "last_modified_date_time", None)


def largest(current: dt.datetime | None, records: list[Any]) -> dt.datetime | None:
    """The largest of ``current`` and the records' ``lastModifiedDateTime`` (Visma's clock)."""
    stamps = [stamp for stamp in (modified_at(r) for r in records) if stamp is not None]
    if current is not None:
        stamps.append(current)
    return max(stamps) if stamps else None


class Deactivated(Exception):
    """The integration was deactivated while a job ran: stop after the committed page."""


class Run:
    """One job run for one integration: writes capped log entries and keeps the lease."""

    def __init__(self, integration: Integration, *, first_import: bool, job: str) -> None:
        self.integration = integration
        self.first_import = first_import
        self.job = job
        self.started_at = timezone.now()
        self._logged: dict[tuple[str, str], int] = {}
        self._held_back: dict[tuple[str, str], int] = {}

    def state(self, table: str) -> SyncState:
        state, _created = SyncState.objects.get_or_create(integration=self.integration, table=table)
        return state

    def write_notes(self, changes: Changes) -> None:
        """Log entries for the page's notes. During the first import only warnings are
        written one by one (changes get one summary per table); per run and table at most
        ``LOG_DETAIL_LIMIT`` entries of a level, the rest is counted for :meth:`flush`."""
        for note in changes.notes:
            if self.first_import and note.level == LogLevel.INFO:
                continue
            key = (note.table, note.level)
            if self._logged.get(key, 0) >= LOG_DETAIL_LIMIT:
                self._held_back[key] = self._held_back.get(key, 0) + 1
                continue
            self._logged[key] = self._logged.get(key, 0) + 1
            log(self.integration, note.level, note.table, note.message, params=note.params,
                object_ref=note.object_ref, action=note.action)

    def flush(self) -> None:
        """One summary entry per table and level for what :meth:`write_notes` held back."""
        for (table, level), held in sorted(self._held_back.items()):
            log(self.integration, level, table,
                gettext_noop("%(count)s more changes of this kind were applied (not listed one by one)."),
                params={"count": held})
        self._held_back.clear()

    def keep_lease(self) -> None:
        """Between pages: stop when the integration was deactivated meanwhile (deactivation
        stops the jobs at once), else push this job's lease forward (no-op without one).

        Raises: Deactivated.
        """
        if not Integration.objects.filter(pk=self.integration.pk, status=IntegrationStatus.ACTIVE).exists():
            raise Deactivated
        now = timezone.now()
        JobLease.objects.filter(
            tenant_id=self.integration.tenant_id, job=self.job, leased_until__gt=now
        ).update(leased_until=now + dt.timedelta(seconds=LEASE_SECONDS))


def touch(state: SyncState, changes: Changes, now: dt.datetime) -> None:
    """Set the status page's times on ``state`` (saved by the caller's transaction)."""
    state.last_run_at = now
    if changes.any:
        state.last_change_at = now


def run_incremental(client: VismaNetClient, run: Run, table: Table) -> Changes:
    """One incremental pass over ``table``: read from ``watermark - OVERLAP`` (or
    everything for a table without timestamps), store page by page, and move the
    watermark in the transaction of the last page."""
    state = run.state(table.name)
    since = state.watermark - OVERLAP if (table.incremental and state.watermark) else None
    source = table.source().since(since)
    total = Changes()
    newest = state.watermark
    for page in read_pages(client, source):
        newest = largest(newest, page.records)
        last = not page.records or page.is_last
        with transaction.atomic():
            changes = table.store(run, page.records) if page.records else Changes()
            run.write_notes(changes)
            total.merge(changes)
            if last:
                state.refresh_from_db()
                if table.incremental and newest is not None:
                    state.watermark = max(newest, state.watermark) if state.watermark else newest
                touch(state, total, timezone.now())
                state.save()
        run.keep_lease()
    return total
