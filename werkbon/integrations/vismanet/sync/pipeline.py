"""The shared machinery of every table's pipeline: fetch a page → map → store, in one
transaction per page, with the watermark, the first-import resume point and the progress.

Rules (``docs/sync-rules.md``):

* One watermark per tenant and table (``SyncState.watermark``): the largest
  ``lastModifiedDateTime`` Visma.net returned, capped by the signpost (Visma.net's clock,
  the HTTP ``Date`` of the run's first response), never our clock. ERP lists are ordered by
  internal id, not by time: a record on a page already read that changes during the run
  may get an older timestamp than one read later, but never one older than the signpost.
  It is written in the same transaction as the last page of a run, so it never claims rows
  that are not committed, and a stop in between cannot skip older changes on later pages.
* Every incremental run re-reads an overlap window: ``>= watermark - OVERLAP``. Upserts
  are keyed by Visma.net's number and skip unchanged rows, so re-reading is harmless and a
  change whose timestamp equals the watermark is never lost.
* First import: each page commits its rows together with ``SyncState.resume_page``, the
  running largest timestamp and ``Integration.progress_done``; a killed worker resumes at
  the next page.
* Only the client's public API is used: a list starts at page N with ``start_page``.
* Before every page (and, for orders, every order) a run renews its job's lease through
  :func:`werkbon.integrations.leases.renew` (which checks the holder: a worker that lost its
  lease stops with ``LeaseLost``) and checks that the integration is still ACTIVE (else
  ``Deactivated``): one read, the integration's status being the lease's guard.
* An incremental run reads every table's SyncState in one query, and a table that changed
  nothing (no row, no watermark move) gets its ``last_run_at`` in one UPDATE for all such
  tables at the end of the run (:meth:`Run.finish`).

The order and quote import (``orders.py``) runs on the same machinery: its v3 list is a
:class:`ListSource` with ``since_option="modified_since"``, read with
:func:`read_pages_by_time` (the list is sorted by time, so it is read by time, not by page
number) under a :class:`Run`, its watermark capped by the signpost and read back with
``OVERLAP``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from vismanet import Paginated, VismaNetClient
from werkbon.integrations import leases
from werkbon.integrations.log import log
from werkbon.integrations.models import (
    Integration,
    IntegrationStatus,
    LogLevel,
    SyncState,
)

logger = logging.getLogger(__name__)

OVERLAP = dt.timedelta(minutes=5)
# How far an incremental run's watermark stays behind its signpost (and our own clock) when
# it is raised past the newest stamp read: the skew between Visma.net's HTTP Date and its
# lastModifiedDateTime stamps that loses no change (watermark_after).
SIGNPOST_TRUST = dt.timedelta(hours=1)
PAGE_SIZE = 1000  # asked for; Visma.net clamps it to metadata.maxPageSize
# The inventory list allows 5,000 a page (reference §7.2, maxPageSize 5000): a fifth of the calls.
INVENTORY_PAGE_SIZE = 5000
# Per run and table, at most this many entries of one kind; the rest is one summary entry.
LOG_DETAIL_LIMIT = 50
MORE_CHANGES = gettext_noop("%(count)s more change of this kind was applied (not listed one by one).")
MORE_CHANGES_PLURAL = gettext_noop("%(count)s more changes of this kind were applied (not listed one by one).")


# --- fetch ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ListSource:
    """One ERP list of the client: which public list method, with which fixed options.

    ``method`` picks the bound method from a client (e.g. ``attrgetter("customers.list")``);
    it is called with ``options`` plus ``page_size``, ``start_page`` and the delta filter.
    ``since_option`` names the delta filter of a list that has a single "modified since"
    argument (v3 sales orders: ``modified_since``, always ``>=``); None for the ERP lists'
    ``last_modified`` with ``last_modified_condition``.
    """

    method: Callable[[VismaNetClient], Callable[..., Paginated[Any]]]
    options: tuple[tuple[str, Any], ...] = ()
    since_option: str | None = None
    page_size: int = PAGE_SIZE  # the largest the endpoint allows (a resume needs the same size)

    def since(self, moment: dt.datetime | None) -> ListSource:
        """The same list filtered on ``lastModifiedDateTime >= moment`` (aware, UTC)."""
        if moment is None:
            return self
        if self.since_option:
            delta: tuple[tuple[str, Any], ...] = ((self.since_option, moment),)
        else:
            delta = (("last_modified", moment), ("last_modified_condition", ">="))
        return replace(self, options=self.options + delta)

    def list(self, client: VismaNetClient, *, start_page: int, page_size: int) -> Paginated[Any]:
        """One page request of the list: the client's list method with the options and paging."""
        return self.method(client)(**dict(self.options), start_page=start_page, page_size=page_size)


@dataclass(frozen=True)
class FetchedPage:
    """One page: parsed records, its 1-based number, the reported total and page size."""

    records: list[Any]
    number: int
    total_count: int | None
    page_size: int  # the size the server used (requested, clamped to maxPageSize)
    server_time: dt.datetime | None = None  # Visma.net's clock (HTTP Date), if sent

    @property
    def is_last(self) -> bool:
        """True when no further page can hold records."""
        if self.total_count is not None:
            return (self.number - 1) * self.page_size + len(self.records) >= self.total_count
        return len(self.records) < self.page_size


def read_page(client: VismaNetClient, source: ListSource, number: int, page_size: int | None = None) -> FetchedPage:
    """Fetch page ``number`` (1-based) of ``source``: one request, through the client's
    paging (same authentication, retries, rate-limit pause and errors). ``page_size``
    defaults to the source's.

    Raises: any ``vismanet.VismaNetError``.
    """
    page_size = page_size or source.page_size
    page = next(source.list(client, start_page=number, page_size=page_size).pages(), None)
    if page is None:  # the client yields no empty page
        return FetchedPage([], number, None, page_size)
    metadata = getattr(page.items[0], "metadata", None)
    max_size = getattr(metadata, "max_page_size", None)
    size = min(page_size, int(max_size)) if max_size else page_size
    return FetchedPage(page.items, number, page.total_count, size, page.server_time)


def read_pages(client: VismaNetClient, source: ListSource, start: int = 1,
               run: Run | None = None) -> Iterator[FetchedPage]:
    """Pages from ``start`` until the last one (by total count, a short or an empty page).

    With a ``run``: its lease is pushed forward before every fetch (a slow page never
    outlives it) and the first page's server time becomes the run's signpost.
    """
    number = start
    while True:
        if run is not None:
            run.keep_lease()
        page = read_page(client, source, number)
        if run is not None:
            run.observe(page)
        yield page
        if not page.records or page.is_last:
            return
        number += 1


# Read-by-time cursor: the next request asks for records modified since the last one read
# minus this step, so a record with the same stamp is read again (harmless) rather than lost.
CURSOR_STEP = dt.timedelta(milliseconds=1)


def read_pages_by_time(client: VismaNetClient, source: ListSource, since: dt.datetime | None,
                       run: Run | None = None) -> Iterator[FetchedPage]:
    """Pages of a list sorted by modification time, oldest first (the v3 sales orders with
    ``orderBy=lastModified asc``), read by time rather than by position: after a page, the
    next request asks for the records modified since the last one read (minus
    ``CURSOR_STEP``), from its first page. A record that changes during the run moves to the
    end of the list and is read there; with page numbers, the records after its old place
    would shift one back and the one at the start of the next page would never be read. Only
    when a whole page carries one stamp does the next request take the next page number.

    With a ``run``: lease renewal before every fetch and the signpost, as :func:`read_pages`.
    Records at the cursor are read twice: storing must be idempotent (it is: links).
    """
    cursor, number = since, 1
    while True:
        if run is not None:
            run.keep_lease()
        page = read_page(client, source.since(cursor), number)
        if run is not None:
            run.observe(page)
        yield page
        if not page.records or page.is_last:
            return
        last = modified_at(page.records[-1])
        if last is not None and (cursor is None or last - CURSOR_STEP > cursor):
            cursor, number = last - CURSOR_STEP, 1
        else:
            number += 1


def count(client: VismaNetClient, source: ListSource, run: Run | None = None) -> int:
    """The number of records Visma.net reports for ``source`` (one request of one record)."""
    if run is not None:
        run.keep_lease()
    page = read_page(client, source, 1, page_size=1)
    if run is not None:
        run.observe(page)
    return page.total_count if page.total_count is not None else len(page.records)


# --- map and store ----------------------------------------------------------------------


@dataclass
class Note:
    """A log entry to write for a stored page: level, table, message id with params, action."""

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
    # First import only: inactive records left out (never imported, so never "removed").
    skipped_inactive: int = 0
    notes: list[Note] = field(default_factory=list)

    @property
    def any(self) -> bool:
        """Whether anything was added, updated, removed or deactivated."""
        return bool(self.added or self.updated or self.removed or self.deactivated)

    def note(self, level: str, table: str, message: str, params: dict[str, Any], object_ref: str = "",
             action: str = "") -> None:
        """Queue a log entry (message and action are English message ids)."""
        self.notes.append(Note(level, table, message, params, object_ref, action))

    def merge(self, other: Changes) -> None:
        """Add ``other``'s counts and notes to these."""
        self.added += other.added
        self.updated += other.updated
        self.removed += other.removed
        self.deactivated += other.deactivated
        self.skipped_inactive += other.skipped_inactive
        self.notes.extend(other.notes)


class Table(Protocol):
    """One table's pipeline: where to fetch, how to store a page, what the timestamp is."""

    name: str  # SyncTable value
    log_table: str  # LogTable value
    incremental: bool  # False: no lastModified, re-read fully each run

    def source(self) -> ListSource:
        """Where the table's records come from."""

    def store(self, run: Run, records: list[Any]) -> Changes:
        """Store one page of parsed records in one transaction; returns what changed."""

    def summary(self) -> tuple[str, dict[str, Any]]:
        """Message id and parameters of the first import's summary line."""


def modified_at(record: Any) -> dt.datetime | None:
    """The record's ``lastModifiedDateTime`` (ERP) or ``lastModified`` (v3 sales orders),
    aware UTC, Visma's clock; None when it has none."""
    stamp = getattr(record, "last_modified_date_time", None)
    return stamp if stamp is not None else getattr(record, "last_modified", None)


def largest(current: dt.datetime | None, records: list[Any]) -> dt.datetime | None:
    """The largest of ``current`` and the records' ``lastModifiedDateTime`` (Visma's clock)."""
    stamps = [stamp for stamp in (modified_at(r) for r in records) if stamp is not None]
    if current is not None:
        stamps.append(current)
    return max(stamps) if stamps else None


def capped(newest: dt.datetime | None, signpost: dt.datetime | None, table: str) -> dt.datetime | None:
    """The watermark for ``newest``: never past the signpost (Visma.net's time when the run
    began), so a change made during the run on a page already read stays in the overlap."""
    if signpost is None:
        logger.debug("no server time for %s: watermark = largest timestamp seen", table)
        return newest
    if newest is None:
        return None
    return min(newest, signpost)


def watermark_after(newest: dt.datetime | None, signpost: dt.datetime | None, anchored: bool,
                    table: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """The watermark after a complete incremental run of ``table``: :func:`capped`, raised to
    the signpost minus :data:`SIGNPOST_TRUST` when the signpost was Visma.net's time before
    the table's first read (``anchored``) and that is later.

    Every change made before the signpost was committed when the table was read, so the run
    has seen it (a late commit is what ``OVERLAP`` re-reads); an idle company's watermark
    therefore moves up to about the signpost and its lists come back empty instead of
    re-reading its last changes at every run. Not all the way: the signpost is the HTTP
    ``Date`` of Visma.net's front servers, the stamps come from its ERP, and a ``Date`` ahead
    of the stamps by more than ``OVERLAP`` (a skewed clock, local time sent as GMT) would skip
    every change made in between. The raise stops :data:`SIGNPOST_TRUST` short of the
    signpost and of our own clock (``now``, default the current time), whichever is earlier,
    so such a skew up to that much loses nothing; lowering is always safe.
    Returns None only when there is nothing to go by (no stamp and no signpost)."""
    mark = capped(newest, signpost, table)
    if not anchored or signpost is None:
        return mark
    floor = min(signpost, now or timezone.now()) - SIGNPOST_TRUST
    return floor if mark is None or mark < floor else mark


# A watermark moved forward by less than this is not written: on an idle company the
# signpost-based raise moves it with the clock at every run, and a lower watermark only means
# re-reading (harmless), never a lost change.
WATERMARK_STEP = dt.timedelta(minutes=1)


def small_step(old: dt.datetime | None, new: dt.datetime) -> bool:
    """Whether ``new`` is ahead of ``old`` by less than :data:`WATERMARK_STEP`."""
    return old is not None and old < new < old + WATERMARK_STEP


class Deactivated(Exception):
    """The integration was deactivated while a job ran: stop after the committed page."""


class Run:
    """One job run for one integration: writes capped log entries and keeps the lease."""

    def __init__(self, integration: Integration, *, first_import: bool, job: str) -> None:
        self.integration = integration
        self.first_import = first_import
        self.job = job
        self.started_at = timezone.now()
        # Visma.net's clock at the run's first response (HTTP Date); caps the watermarks.
        self.signpost: dt.datetime | None = None
        self._observed = False
        self._logged: dict[tuple[str, str], int] = {}
        self._held_back: dict[tuple[str, str], int] = {}
        # Per table: inactive records the first import left out (summed for one log line).
        self.skipped_inactive: dict[str, int] = {}
        self._states: dict[str, SyncState] | None = None  # load_states()
        self._idle: list[int] = []  # SyncState ids whose last_run_at finish() sets
        self._guarded = False

    def load_states(self) -> None:
        """Read every SyncState row of the integration in one query; :meth:`state` then
        answers from them (an incremental run: the rows exist after the first import)."""
        self._states = {s.table: s for s in SyncState.objects.filter(integration=self.integration)}

    def state(self, table: str) -> SyncState:
        """The integration's SyncState row of ``table`` (created when missing)."""
        if self._states is not None and table in self._states:
            return self._states[table]
        state, _created = SyncState.objects.get_or_create(integration=self.integration, table=table)
        return state

    def touch_later(self, state: SyncState) -> None:
        """``state``'s table ran and changed nothing: :meth:`finish` sets its ``last_run_at``."""
        self._idle.append(state.pk)

    def finish(self) -> None:
        """One UPDATE of ``last_run_at`` for every table :meth:`touch_later` named (also after
        a run that stopped early: those tables did run)."""
        if self._idle:
            SyncState.objects.filter(integration=self.integration, pk__in=self._idle).update(
                last_run_at=timezone.now())
            self._idle.clear()

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
            log(self.integration, level, table, MORE_CHANGES, params={"count": held},
                plural=MORE_CHANGES_PLURAL, count=held)
        self._held_back.clear()

    def observe(self, page: FetchedPage) -> None:
        """Take the signpost from the run's first page that holds records: it must not be
        later than the first record read (an empty page reads nothing, and the client
        gives no time for it). Without a ``Date`` header there is no signpost."""
        if not self._observed and page.records:
            self._observed = True
            self.signpost = page.server_time

    def keep_lease(self) -> None:
        """Before every fetch: stop when the integration was deactivated meanwhile
        (deactivation stops the jobs at once), else renew this job's lease. With a lease,
        "still active" is the lease's guard, so :func:`leases.renew` checks both in one read
        (and after every retry wait too); without one (a direct call) it is checked here.

        Raises: Deactivated; leases.LeaseLost when another worker took the lease over.
        """
        tenant_id = self.integration.tenant_id
        if not self._guarded:
            active = Integration.objects.filter(pk=self.integration.pk, status=IntegrationStatus.ACTIVE)
            self._guarded = leases.guard(tenant_id, self.job, active, Deactivated)
            if not self._guarded and not active.exists():
                raise Deactivated
        leases.renew(tenant_id, self.job)


def sleep_keeping_lease(integration: Integration, job: str) -> Callable[[float], None]:
    """The client's wait between retries, renewing the lease after it: then no stretch
    without renewal is longer than one HTTP attempt plus one wait (see leases.py).
    Raises leases.LeaseLost (through the client) when the lease was taken over meanwhile."""

    def sleep(seconds: float) -> None:
        time.sleep(seconds)
        leases.renew(integration.tenant_id, job)

    return sleep


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
    # Whether the run's signpost was Visma.net's time before this table's first read: a
    # signpost from an earlier table, or from this table's own first page.
    anchored = run.signpost is not None
    for page in read_pages(client, source, run=run):
        anchored = anchored or (page.number == 1 and run.signpost is not None)
        newest = largest(newest, page.records)
        last = not page.records or page.is_last
        with transaction.atomic() if page.records else contextlib.nullcontext():
            changes = table.store(run, page.records) if page.records else Changes()
            run.write_notes(changes)
            total.merge(changes)
            if last:
                mark = watermark_after(newest, run.signpost, anchored, table.name) if table.incremental else None
                fields: dict[str, Any] = {}
                if mark is not None and mark != state.watermark and not small_step(state.watermark, mark):
                    # below the old one only when that was past Visma's clock
                    fields["watermark"] = mark
                if total.any:
                    fields["last_change_at"] = timezone.now()
                if not fields:
                    run.touch_later(state)  # nothing moved: last_run_at with the others, at the end
                    continue
                fields["last_run_at"] = fields.get("last_change_at") or timezone.now()
                # Only these columns: another writer's (the customers' work-address change
                # time) stays, as the read-modify-save it replaces took care of.
                SyncState.objects.filter(pk=state.pk).update(**fields)
                for name, value in fields.items():
                    setattr(state, name, value)
    return total
