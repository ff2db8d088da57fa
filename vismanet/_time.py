"""Timestamps: lenient parsing of what Visma sends, exact formatting of what it accepts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer


def parse_timestamp(value: Any) -> datetime | None:
    """Parse a Visma timestamp into an aware UTC datetime.

    Accepts an offset (``+01:00``), ``Z``, or no zone at all (taken as UTC, the reading the
    contract prescribes for ERP timestamps), any number of fraction digits, a space instead of
    ``T``, and a bare date.
    """
    if type(value) is str and value:  # the usual case first: one call per record read
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = datetime.fromisoformat(value.strip())
    elif value is None or value == "":
        return None
    elif isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        parsed = datetime.fromisoformat(value.strip())
    else:
        raise ValueError(f"not a timestamp: {value!r}")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP ``Date`` header (RFC 9110 IMF-fixdate) as an aware UTC datetime; ``None``
    when absent or unreadable."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:  # "-0000": UTC by definition
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _require_aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("pass an aware datetime (e.g. datetime.now(UTC)), not a naive one")
    return moment.astimezone(UTC)


def format_erp_filter(moment: datetime) -> str:
    """Format for ``lastModifiedDateTime``-style filters: UTC, ``yyyy-MM-ddTHH:mm:ss.fff``."""
    utc = _require_aware(moment)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}"


def format_v3_timestamp(moment: datetime) -> str:
    """Format for v3 ``modifiedSince``: ISO 8601 in UTC with a ``Z``."""
    return _require_aware(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def format_document_date(day: date) -> str:
    """Format a document date without a zone (``yyyy-MM-ddT00:00:00``) so it cannot shift."""
    return day.strftime("%Y-%m-%dT00:00:00")


UtcDatetime = Annotated[datetime | None, BeforeValidator(parse_timestamp)]
"""A read timestamp: any Visma shape in, aware UTC datetime out."""

DocumentDate = Annotated[date, PlainSerializer(format_document_date, return_type=str)]
"""A date sent to Visma (document date, request date): serialised as ``yyyy-MM-ddT00:00:00``."""
