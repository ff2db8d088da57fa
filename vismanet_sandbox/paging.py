"""Paging and delta filters shared by the list endpoints.

ERP (reference §4.1, §5.1): 1-based ``pageNumber``/``pageSize``, silent clamp to the endpoint's
``maxPageSize``, per-item ``metadata``; ``<field>`` + ``<field>Condition`` must come together.
v3 (reference §4.2, §5.2): 0-based ``pageIndex``, ``{value, totalCount, nextPage}``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from starlette.requests import Request

from .errors import erp_validation, problem
from .store import format_ts

T = TypeVar("T")
CONDITIONS = (">", "<", ">=", "<=")
ERP_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
)


def parse_erp_datetime(value: str) -> datetime | None:
    """Parse one of the five documented formats (no offset); fractions up to 3 digits."""
    for fmt in ERP_DATE_FORMATS:
        if fmt.endswith("%f") and len(value.rsplit(".", 1)[-1]) > 3:
            continue
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def erp_date_filter(request: Request, name: str) -> tuple[str, str] | None:
    """Read ``name`` + ``nameCondition``; 400 Exception envelope when only one is given or bad."""
    value = request.query_params.get(name)
    cond = request.query_params.get(f"{name}Condition")
    if value is None and cond is None:
        return None
    if value is None or cond is None:
        missing = name if value is None else f"{name}Condition"
        raise erp_validation(
            f"{name} and {name}Condition are mutually inclusive: {missing} is missing."
        )
    if cond not in CONDITIONS:
        raise erp_validation(f"Invalid {name}Condition '{cond}'. Use one of >, <, >=, <=.")
    moment = parse_erp_datetime(value)
    if moment is None:
        raise erp_validation(
            f"Invalid {name} '{value}'. Accepted formats: yyyy-MM-dd, yyyy-MM-dd HH:mm:ss, "
            "yyyy-MM-dd HH:mm:ss.FFF, yyyy-MM-ddTHH:mm:ss, yyyy-MM-ddTHH:mm:ss.FFF."
        )
    return cond, format_ts(moment)


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise erp_validation(f"The value '{raw}' is not valid for {name}.") from None


def erp_page(request: Request, items: list[T], max_page_size: int) -> tuple[list[T], dict[str, int]]:
    """Slice one ERP page; returns the page and the ``metadata`` each item carries.

    A pageSize above maxPageSize is reduced silently, as the real API does.
    """
    start, page_size = erp_window(request, max_page_size)
    meta = {"totalCount": len(items), "maxPageSize": max_page_size}
    return items[start:start + page_size], meta


def erp_window(request: Request, max_page_size: int) -> tuple[int, int]:
    """The requested ERP page as ``(offset, size)``: the size reduced to ``max_page_size``."""
    page_number = _int_param(request, "pageNumber", 1)
    page_size = _int_param(request, "pageSize", max_page_size)
    if page_number < 1:
        raise erp_validation("pageNumber must be 1 or greater.")
    if page_size < 1:
        raise erp_validation("pageSize must be 1 or greater.")
    page_size = min(page_size, max_page_size)
    return (page_number - 1) * page_size, page_size


def parse_v3_datetime(value: str, name: str, instance: str) -> str:
    """ISO 8601; no offset means UTC. Returns the normalised ERP timestamp string."""
    text = value.strip()
    if "T" in text and " " in text:
        text = text.replace(" ", "+")  # an unencoded "+01:00" arrives as " 01:00"
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise problem(400, f"The value '{value}' is not valid for {name}.", instance=instance) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return format_ts(moment)


def v3_page(
    request: Request,
    items: list[dict[str, Any]],
    *,
    default_size: int,
    max_size: int,
    cap: int | None = None,
) -> dict[str, Any]:
    """One v3 page as ``{value, totalCount, nextPage}``; out-of-range values give 400."""
    instance = request.url.path

    def num(name: str, default: int) -> int:
        raw = request.query_params.get(name)
        if raw in (None, ""):
            return default
        try:
            return int(raw)
        except ValueError:
            raise problem(400, f"The value '{raw}' is not valid for {name}.", instance=instance) from None

    size = num("pageSize", default_size)
    index = num("pageIndex", 0)
    if not 1 <= size <= max_size:
        raise problem(400, f"pageSize must be between 1 and {max_size}.", instance=instance)
    if index < 0:
        raise problem(400, "pageIndex must be 0 or greater.", instance=instance)
    if cap is not None:
        size = min(size, cap)
    start = index * size
    page = items[start:start + size]
    next_page = None
    if start + size < len(items):
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "pageIndex"]
        params.append(("pageIndex", str(index + 1)))
        next_page = f"{str(request.base_url).rstrip('/')}{request.url.path}?{urlencode(params)}"
    return {"value": page, "totalCount": len(items), "nextPage": next_page}
