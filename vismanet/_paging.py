"""One lazy iterator over any list endpoint, ERP (``pageNumber``) or v3 (``pageIndex``).

Pages are fetched sequentially and only one is held at a time, so memory does not grow with
the number of records. Iterating a ``Paginated`` twice sends the requests again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from vismanet._endpoints import Endpoint
from vismanet._errors import PaginationError, UnexpectedResponseError
from vismanet._time import parse_http_date
from vismanet._transport import Transport, decode_json

T = TypeVar("T")
Params = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list.

    Attributes:
        items: The parsed records of this page.
        number: ERP ``pageNumber`` (1-based) or v3 ``pageIndex`` (0-based) as requested.
        total_count: ``metadata.totalCount`` (ERP) or ``totalCount`` (v3), when given.
        server_time: Visma.net's clock when it answered (the response's HTTP ``Date``
            header, aware UTC); ``None`` when the header is missing or unreadable.
    """

    items: list[T]
    number: int
    total_count: int | None
    server_time: datetime | None = None


class Paginated(Generic[T]):
    """A lazy list result: iterate it for records, or call ``pages()`` for page boundaries.

    Raises (while iterating): any ``VismaNetError`` of the underlying request, and
    ``PaginationError`` when the server sends the same page twice in a row.
    """

    def __init__(self, pages: Callable[[], Iterator[Page[T]]]) -> None:
        self._pages = pages

    def __iter__(self) -> Iterator[T]:
        for page in self._pages():
            yield from page.items

    def pages(self) -> Iterator[Page[T]]:
        """Iterate page by page (e.g. to commit a watermark per page)."""
        return self._pages()


class _LoopGuard:
    """Raises when a response body repeats the previous one (a server ignoring the page)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self._endpoint = endpoint
        self._previous: bytes | None = None

    def check(self, content: bytes, number: int) -> None:
        digest = hashlib.sha256(content).digest()
        if digest == self._previous:
            raise PaginationError(
                f"Page {number} is identical to the page before it; stopping to avoid an"
                " endless loop.",
                operation=self._endpoint.name,
                method=self._endpoint.method,
            )
        self._previous = digest


def _erp_records(body: Any, endpoint: Endpoint) -> tuple[list[Any], int | None, int | None]:
    """Records, totalCount and maxPageSize of an ERP list body (array, or records wrapper)."""
    if body is None:
        return [], None, None
    if isinstance(body, dict) and isinstance(body.get("records"), list):
        return body["records"], body.get("totalCount"), None
    if not isinstance(body, list):
        raise UnexpectedResponseError(
            "Expected a JSON array from a list endpoint.",
            operation=endpoint.name,
            method=endpoint.method,
        )
    metadata = body[0].get("metadata") if body and isinstance(body[0], dict) else None
    if isinstance(metadata, dict):
        return body, metadata.get("totalCount"), metadata.get("maxPageSize")
    return body, None, None


@cache
def _page_adapter(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _model_of(parse: Callable[[Any], Any]) -> type[BaseModel] | None:
    """The model when ``parse`` is a model's own ``model_validate`` (then a whole page can be
    validated from the raw body in one call), else None."""
    model = getattr(parse, "__self__", None)
    if (isinstance(model, type) and issubclass(model, BaseModel)
            and getattr(parse, "__func__", None) is BaseModel.model_validate.__func__):
        return model
    return None


def _erp_page_fast(content: bytes, model: type[BaseModel]) -> tuple[list[Any], int | None, int | None] | None:
    """Items, totalCount and maxPageSize of a JSON-array page validated straight from the
    bytes (pydantic's ``validate_json``: no intermediate dicts, about a third less CPU than
    ``json.loads`` plus a ``model_validate`` per record, for the same models). None when the
    body is not a plain array of valid records: then the general path decodes it and raises
    its usual errors."""
    if not content.lstrip().startswith(b"["):
        return None
    try:
        items = _page_adapter(model).validate_json(content)
    except ValidationError:
        return None
    if not items:
        return [], None, None
    metadata = getattr(items[0], "metadata", None)
    if metadata is None:
        metadata = (items[0].model_extra or {}).get("metadata")
    if isinstance(metadata, dict):
        return items, metadata.get("totalCount"), metadata.get("maxPageSize")
    if metadata is not None:
        return items, getattr(metadata, "total_count", None), getattr(metadata, "max_page_size", None)
    return items, None, None


def paginate_erp(
    transport: Transport,
    endpoint: Endpoint,
    *,
    parse: Callable[[Any], T],
    page_size: int,
    path_params: Mapping[str, str | int] | None = None,
    params: Params = (),
    start_page: int = 1,
) -> Paginated[T]:
    """Page an ERP list (``pageNumber`` 1-based, ``pageSize``; body is a JSON array).

    Stops on an empty page; when ``metadata.totalCount`` is known, once that many records
    arrived; otherwise on a page shorter than the page size the server uses. That size is
    ``min(page_size, metadata.maxPageSize)`` when metadata is present. Without metadata a short
    page is ambiguous (last page, or the server clamped the size), so the next page is fetched
    to find out: empty means done, anything else reveals the clamped size.

    ``start_page`` skips the pages before it (e.g. to resume); the skipped records count
    towards ``totalCount`` once the server's page size is known from the first page read,
    else paging ends on a short or empty page.
    """
    if start_page < 1:
        raise ValueError(f"start_page is 1-based, not {start_page}")

    model = _model_of(parse)

    def pages() -> Iterator[Page[T]]:
        guard = _LoopGuard(endpoint)
        number, seen = start_page, 0
        size, size_known = page_size, False
        short_page: int | None = None  # length of an ambiguous short page being checked
        skipped: int | None = 0 if start_page == 1 else None  # records on pages before start
        while True:
            query = [*params, ("pageNumber", str(number)), ("pageSize", str(page_size))]
            response = transport.request(endpoint, path_params=path_params, params=query)
            fast = _erp_page_fast(response.content, model) if model is not None else None
            if fast is not None:
                records, total, max_page = fast
            else:
                body = decode_json(response, endpoint)
                records, total, max_page = _erp_records(body, endpoint)
                records = [parse(record) for record in records]
            if not records:
                return
            guard.check(response.content, number)
            if short_page is not None:
                size, size_known, short_page = short_page, True, None
            if max_page:
                size, size_known = min(size, max_page), True
            if len(records) >= page_size:  # a full page proves the server did not clamp
                size_known = True
            if skipped is None and size_known:
                skipped = (start_page - 1) * size
            server_time = parse_http_date(response.headers.get("Date"))
            yield Page(records, number, total, server_time)
            seen += len(records)
            if total is not None and skipped is not None:
                if skipped + seen >= total:
                    return
            elif len(records) < size:
                if size_known:
                    return
                short_page = len(records)
            number += 1

    return Paginated(pages)


def paginate_v3(
    transport: Transport,
    endpoint: Endpoint,
    *,
    parse: Callable[[Any], T],
    page_size: int,
    path_params: Mapping[str, str | int] | None = None,
    params: Params = (),
    start_page: int = 1,
) -> Paginated[T]:
    """Page a Sales Orders v3 list (``pageIndex`` 0-based; body ``{value, totalCount, nextPage}``).

    ``start_page`` is 1-based, as in the ERP lists: page N is ``pageIndex`` N − 1.

    ``nextPage`` decides when present (null = last page). A body without the key falls back to
    ``totalCount`` and a short page. The next page is requested by ``pageIndex`` with the same
    query rather than by following the ``nextPage`` URL, which may name an internal host.
    """

    def pages() -> Iterator[Page[T]]:
        guard = _LoopGuard(endpoint)
        index = start_page - 1
        seen = index * page_size
        while True:
            query = [*params, ("pageIndex", str(index)), ("pageSize", str(page_size))]
            response = transport.request(endpoint, path_params=path_params, params=query)
            body = decode_json(response, endpoint) or {}
            if isinstance(body, list):  # an unpaged array: everything at once
                body = {"value": body, "nextPage": None}
            if not isinstance(body, dict):
                raise UnexpectedResponseError(
                    "Expected a {value, totalCount, nextPage} object from a v3 list.",
                    operation=endpoint.name,
                    method=endpoint.method,
                )
            records = body.get("value") or []
            if not records:
                return
            guard.check(response.content, index)
            total = body.get("totalCount")
            server_time = parse_http_date(response.headers.get("Date"))
            yield Page([parse(record) for record in records], index, total, server_time)
            seen += len(records)
            if "nextPage" in body:
                if not body["nextPage"]:
                    return
            elif (total is not None and seen >= total) or len(records) < page_size:
                return
            index += 1

    return Paginated(pages)
