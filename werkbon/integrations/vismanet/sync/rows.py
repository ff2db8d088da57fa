"""The first import's lean insert path: new rows written as plain multi-row INSERTs.

At the first import a table's page usually holds only records Werkbon does not have yet
(the sync modules check that with one query per page and otherwise take the general
upsert path). Then no model instance is needed at all: the mapping's field values go
straight into one ``executemany`` per table and page, with the values that are the same for
every row (tenant, ``created_at``/``updated_at``, defaults) prepared once. That is what
``bulk_create`` would store, without building a model instance and compiling every value of
every row through the ORM (issue 14: the first import's own time was dominated by that).

Like ``bulk_create``, this sends no signals and calls no ``save()`` or ``full_clean()``;
the mapping already cuts every value to its field's length.

Shapes: :func:`insert_rows` takes a model, the field names of each row (for a foreign key
the field name, the value an id), the rows as tuples in that order, the values shared by
every row (``{"tenant": id}``) and the moment for ``auto_now`` fields; it returns the
number of rows written. Errors are the database's (an ``IntegrityError`` for a duplicate).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from django.db import connection, models

# Whether the first import takes the lean path when a page allows it. Tests switch it off to
# show both paths store the same rows; nothing else changes it.
ENABLED = True

# Field types whose Python values (str, bool, int) the database drivers take as they are;
# every other type (dates, decimals, …) goes through the field's own conversion.
_PLAIN = frozenset({
    "CharField", "EmailField", "TextField", "SlugField", "BooleanField", "IntegerField",
    "BigIntegerField", "PositiveIntegerField", "SmallIntegerField", "PositiveSmallIntegerField",
    "ForeignKey",
})


class RowWriter:
    """INSERTs rows of ``model`` with the fields ``names`` (in that order) per row.

    Every other concrete column gets a value that is the same for the whole call:
    ``constants`` (by field name, e.g. ``{"tenant": 3}``), ``now`` for ``auto_now`` /
    ``auto_now_add`` fields, else the field's default. Row values are model values (for a
    foreign key: the id), in the order of ``names``.
    """

    def __init__(self, model: type[models.Model], names: Sequence[str]) -> None:
        meta = model._meta
        self.model = model
        self.fields = [meta.get_field(name) for name in names]
        self.other = [f for f in meta.concrete_fields
                      if not f.primary_key and f.name not in names]
        columns = [f.column for f in self.fields] + [f.column for f in self.other]
        quote = connection.ops.quote_name
        # Only quoted names from the model's metadata go into the text; values are parameters.
        self.sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(map(quote, columns))}) "  # noqa: S608
                    f"VALUES ({', '.join(['%s'] * len(columns))})")
        self.convert = [None if f.get_internal_type() in _PLAIN else f for f in self.fields]

    def _constants(self, constants: dict[str, Any], now: dt.datetime) -> tuple[Any, ...]:
        values = []
        for field in self.other:
            if field.name in constants:
                value = constants[field.name]
            elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = now
            else:
                value = field.get_default()
            values.append(field.get_db_prep_save(value, connection))
        return tuple(values)

    def insert(self, rows: Iterable[Sequence[Any]], constants: dict[str, Any], now: dt.datetime) -> int:
        """Insert ``rows`` (one ``executemany``); returns how many."""
        fixed = self._constants(constants, now)
        convert = self.convert
        if any(convert):
            rows = [tuple(value if field is None else field.get_db_prep_save(value, connection)
                          for field, value in zip(convert, row, strict=True)) for row in rows]
        params = [(*row, *fixed) for row in rows]
        if params:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, params)
        return len(params)


@cache
def _writer(model: type[models.Model], names: tuple[str, ...], vendor: str) -> RowWriter:
    return RowWriter(model, names)


def insert_rows(model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence[Any]],
                constants: dict[str, Any], now: dt.datetime) -> int:
    """Insert new rows of ``model`` (see :class:`RowWriter`); returns how many. The writer of
    ``(model, names)`` is made once per process and database vendor."""
    return _writer(model, tuple(names), connection.vendor).insert(rows, constants, now)
