"""Per-company state in SQLite: the moto ``BackendDict`` idea, one emulated ERP company per tenant.

Every record lives in one table keyed by (company, kind, key). The store manages the fields a
real ERP manages itself: ``internal_id`` (paging order), ``created``/``modified`` (UTC
``YYYY-MM-DDTHH:MM:SS.fff``, the delta key) and ``version`` (a rowversion, rendered as
``timeStamp``/ETag). Resource modules render DTOs from ``Record.data`` plus those fields.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

DEFAULT_SETTINGS: dict[str, Any] = {
    "maxPageSize": 1000,
    "maxPageSizeInventory": 5000,
    "tokenLifetimeSeconds": 3600,
    "rateLimit": {"limit": 100000, "windowSeconds": 3600, "policy": "4-fixed-window"},
    "attachmentMaxBytes": 25 * 1024 * 1024,
    # Credit check also for documents created on hold: a CreditHold customer's new sales
    # order or invoice lands in CreditHold (the reference leaves open when Visma checks).
    "creditCheckOnHold": False,
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS companies (
    tenant_id TEXT PRIMARY KEY COLLATE NOCASE,
    number INTEGER NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    settings TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    company TEXT NOT NULL COLLATE NOCASE,
    kind TEXT NOT NULL,
    key TEXT NOT NULL COLLATE NOCASE,
    internal_id INTEGER NOT NULL,
    created TEXT NOT NULL,
    modified TEXT NOT NULL,
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (company, kind, key)
);
CREATE INDEX IF NOT EXISTS records_order ON records (company, kind, internal_id);
CREATE INDEX IF NOT EXISTS records_page ON records (company, kind, internal_id, modified, created);
CREATE TABLE IF NOT EXISTS blobs (id TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS counters (
    company TEXT NOT NULL COLLATE NOCASE, name TEXT NOT NULL, value INTEGER NOT NULL,
    PRIMARY KEY (company, name)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def now_ts() -> str:
    """The current UTC time in the ERP timestamp shape ``YYYY-MM-DDTHH:MM:SS.fff``."""
    return format_ts(datetime.now(UTC))


def format_ts(moment: datetime) -> str:
    """ERP timestamp text ``yyyy-MM-ddTHH:mm:ss.fff``; aware datetimes are converted to UTC first."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def version_tag(version: int) -> str:
    """A SQL Server rowversion look-alike (``AAAAAAAbcd8=``), used as timeStamp and ETag."""
    return base64.b64encode(version.to_bytes(8, "big")).decode()


@dataclass
class Record:
    """One stored record: key, internal id, ERP timestamps, row version and the JSON data."""

    key: str
    internal_id: int
    created: str
    modified: str
    version: int
    data: dict[str, Any]

    @property
    def tag(self) -> str:
        """The row version as ERP ``timeStamp``/ETag text."""
        return version_tag(self.version)


@dataclass
class Company:
    """One emulated company (tenant): its organization data and sandbox settings."""

    tenant_id: str
    number: int
    name: str
    data: dict[str, Any]
    settings: dict[str, Any]


class Store:
    """Thread-safe SQLite store. ``path=None`` keeps everything in memory."""

    def __init__(self, path: str | None = None) -> None:
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL" if path else "PRAGMA journal_mode=MEMORY")
        self._db.executescript(SCHEMA)
        # Called after every put/delete with (company, kind, key, action, status_changed):
        # the webhook dispatcher listens here, so changes made through the control API and
        # through the API notify alike.
        self.listeners: list[Callable[[str, str, str, str, bool], None]] = []

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block in one SQLite transaction under the store lock; rolls back on any exception."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- loading ---------------------------------------------------------------------------

    def is_empty(self) -> bool:
        """Whether no company has been loaded yet."""
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM companies").fetchone()[0] == 0

    def clear(self) -> None:
        """Delete all companies, records, blobs, counters and meta values."""
        with self.transaction() as db:
            for table in ("companies", "records", "blobs", "counters", "meta"):
                db.execute(f"DELETE FROM {table}")

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON-serializable meta value."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value))
            )

    def get_meta(self, key: str, default: Any = None) -> Any:
        """A meta value, ``default`` when unset."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    # -- companies -------------------------------------------------------------------------

    def add_company(self, tenant_id: str, number: int, name: str, data: dict[str, Any],
                    settings: dict[str, Any] | None = None) -> None:
        """Add a company; ``settings`` are merged over the defaults.

        Raises sqlite3.IntegrityError when the tenant id exists (case-insensitive).
        """
        merged = json.loads(json.dumps(DEFAULT_SETTINGS))
        merged.update(settings or {})
        with self._lock:
            self._db.execute(
                "INSERT INTO companies VALUES (?, ?, ?, ?, ?)",
                (tenant_id, number, name, json.dumps(data), json.dumps(merged)),
            )

    def companies(self) -> list[Company]:
        """All companies ordered by company number."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM companies ORDER BY number").fetchall()
        return [Company(r[0], r[1], r[2], json.loads(r[3]), json.loads(r[4])) for r in rows]

    def company(self, tenant_id: str) -> Company | None:
        """The company with this tenant id, or None."""
        with self._lock:
            r = self._db.execute("SELECT * FROM companies WHERE tenant_id = ?", (tenant_id,)).fetchone()
        return Company(r[0], r[1], r[2], json.loads(r[3]), json.loads(r[4])) if r else None

    def update_settings(self, tenant_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Merge ``changes`` into the company's settings (one level deep); returns the new settings.

        Raises KeyError for an unknown tenant.
        """
        with self.transaction() as db:
            row = db.execute("SELECT settings FROM companies WHERE tenant_id = ?", (tenant_id,)).fetchone()
            if row is None:
                raise KeyError(tenant_id)
            settings = json.loads(row[0])
            for key, value in changes.items():
                if isinstance(value, dict) and isinstance(settings.get(key), dict):
                    settings[key].update(value)
                else:
                    settings[key] = value
            db.execute("UPDATE companies SET settings = ? WHERE tenant_id = ?",
                       (json.dumps(settings), tenant_id))
        return settings

    # -- records ---------------------------------------------------------------------------

    def _row(self, r: tuple[Any, ...]) -> Record:
        return Record(r[0], r[1], r[2], r[3], r[4], orjson.loads(r[5]))

    def get(self, company: str, kind: str, key: str) -> Record | None:
        """The record of ``kind`` with this key in a company, or None."""
        with self._lock:
            r = self._db.execute(
                "SELECT key, internal_id, created, modified, version, data FROM records "
                "WHERE company = ? AND kind = ? AND key = ?", (company, kind, key)).fetchone()
        return self._row(r) if r else None

    def get_internal(self, company: str, kind: str, internal_id: int) -> Record | None:
        """The record of ``kind`` with this internal id in a company, or None."""
        with self._lock:
            r = self._db.execute(
                "SELECT key, internal_id, created, modified, version, data FROM records "
                "WHERE company = ? AND kind = ? AND internal_id = ?",
                (company, kind, internal_id)).fetchone()
        return self._row(r) if r else None

    def list(
        self,
        company: str,
        kind: str,
        *,
        modified: tuple[str, str] | None = None,
        created: tuple[str, str] | None = None,
        key_prefix: str | None = None,
        window: tuple[int, int] | None = None,
    ) -> list[Record]:
        """Records of one kind in internal-id order, optionally filtered on the timestamps.

        ``modified``/``created`` are ``(operator, timestamp)`` pairs; the operator is one of the
        four the ERP accepts (already validated by the caller). ``window`` is ``(offset,
        limit)``: only those rows are read (one page without loading the whole table).
        """
        sql = ("SELECT key, internal_id, created, modified, version, data FROM records "
               "WHERE company = ? AND kind = ?")
        args: list[Any] = [company, kind]
        for column, cond in (("modified", modified), ("created", created)):
            if cond:
                op, value = cond
                assert op in (">", "<", ">=", "<=")
                sql += f" AND {column} {op} ?"
                args.append(value)
        if key_prefix is not None:
            sql += " AND key LIKE ? ESCAPE '\\'"
            escaped = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            args.append(escaped + "%")
        sql += " ORDER BY internal_id"
        if window is not None:
            # Deferred join: the offset is skipped in the covering index (company, kind,
            # internal_id, modified, created), so a deep page reads and decodes only its own rows.
            sql = ("SELECT key, internal_id, created, modified, version, data FROM records "
                   "WHERE rowid IN (SELECT rowid FROM records" + sql[sql.index(" WHERE "):]
                   + " LIMIT ? OFFSET ?) ORDER BY internal_id")
            args.extend((window[1], window[0]))
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [self._row(r) for r in rows]

    def count(self, company: str, kind: str, *, modified: tuple[str, str] | None = None,
              created: tuple[str, str] | None = None) -> int:
        """How many records :meth:`list` would return without a window."""
        sql = "SELECT COUNT(*) FROM records WHERE company = ? AND kind = ?"
        args: list[Any] = [company, kind]
        for column, cond in (("modified", modified), ("created", created)):
            if cond:
                op, value = cond
                assert op in (">", "<", ">=", "<=")
                sql += f" AND {column} {op} ?"
                args.append(value)
        with self._lock:
            return int(self._db.execute(sql, args).fetchone()[0])

    def _next_version(self, db: sqlite3.Connection) -> int:
        row = db.execute("SELECT value FROM meta WHERE key = 'rowversion'").fetchone()
        value = (json.loads(row[0]) if row else 1000) + 1
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('rowversion', ?)", (json.dumps(value),))
        return value

    def put(
        self,
        company: str,
        kind: str,
        key: str,
        data: dict[str, Any],
        *,
        modified: str | None = None,
        created: str | None = None,
        internal_id: int | None = None,
    ) -> Record:
        """Insert or replace a record; bumps version and ``modified`` like an ERP save does."""
        with self.transaction() as db:
            old = db.execute(
                "SELECT internal_id, created, data FROM records WHERE company = ? AND kind = ? AND key = ?",
                (company, kind, key)).fetchone()
            stamp = modified or now_ts()
            if old:
                iid, created_at = old[0], created or old[1]
            else:
                iid = internal_id or self._next_counter(db, company, f"iid:{kind}", 1)
                created_at = created or stamp
            version = self._next_version(db)
            db.execute(
                "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (company, kind, key, iid, created_at, stamp, version, json.dumps(data, ensure_ascii=False)),
            )
            if internal_id:
                # Seeded ids move the counter so later inserts never collide.
                cur = db.execute("SELECT value FROM counters WHERE company = ? AND name = ?",
                                 (company, f"iid:{kind}")).fetchone()
                if not cur or cur[0] < internal_id:
                    db.execute("INSERT OR REPLACE INTO counters VALUES (?, ?, ?)",
                               (company, f"iid:{kind}", internal_id))
        old_status = json.loads(old[2]).get("status") if old else None
        self._notify(company, kind, key, "Updated" if old else "Created",
                     bool(old) and old_status != data.get("status"))
        return Record(key, iid, created_at, stamp, version, data)

    def _notify(self, company: str, kind: str, key: str, action: str, status_changed: bool = False) -> None:
        for listener in list(self.listeners):
            listener(company, kind, key, action, status_changed)

    def delete(self, company: str, kind: str, key: str) -> bool:
        """Delete a record; returns whether it existed."""
        with self._lock:
            cur = self._db.execute("DELETE FROM records WHERE company = ? AND kind = ? AND key = ?",
                                   (company, kind, key))
        if cur.rowcount > 0:
            self._notify(company, kind, key, "Deleted")
        return cur.rowcount > 0

    def _next_counter(self, db: sqlite3.Connection, company: str, name: str, start: int) -> int:
        row = db.execute("SELECT value FROM counters WHERE company = ? AND name = ?", (company, name)).fetchone()
        value = row[0] + 1 if row else start
        db.execute("INSERT OR REPLACE INTO counters VALUES (?, ?, ?)", (company, name, value))
        return value

    def next_number(self, company: str, name: str, start: int) -> int:
        """Next value of a numbering sequence (order numbers, invoice numbers)."""
        with self.transaction() as db:
            return self._next_counter(db, company, name, start)

    def set_counter(self, company: str, name: str, value: int) -> None:
        """Set a numbering counter; the next number handed out is ``value + 1``."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO counters VALUES (?, ?, ?)", (company, name, value))

    # -- blobs -----------------------------------------------------------------------------

    def put_blob(self, blob_id: str, data: bytes) -> None:
        """Store an attachment's bytes under its id."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO blobs VALUES (?, ?)", (blob_id, data))

    def get_blob(self, blob_id: str) -> bytes | None:
        """An attachment's bytes, or None."""
        with self._lock:
            row = self._db.execute("SELECT data FROM blobs WHERE id = ?", (blob_id,)).fetchone()
        return bytes(row[0]) if row else None
