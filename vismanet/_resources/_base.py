"""Helpers shared by the resource classes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, TypeVar
from urllib.parse import unquote, urlsplit

import httpx
from pydantic import BaseModel

from vismanet._endpoints import Endpoint
from vismanet._errors import UnexpectedResponseError, request_ids_from
from vismanet._models._base import Created
from vismanet._time import format_erp_filter
from vismanet._transport import Transport, decode_json

Condition = Literal[">", ">=", "<", "<="]
_CONDITIONS = (">", ">=", "<", "<=")
M = TypeVar("M", bound=BaseModel)


class Resource:
    """Base of every resource object: holds the client's transport."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport


def flag(value: bool) -> str:
    return "true" if value else "false"


def delta_params(last_modified: datetime | None, condition: Condition) -> list[tuple[str, str]]:
    """``lastModifiedDateTime`` + ``lastModifiedDateTimeCondition``, always as a pair."""
    if last_modified is None:
        return []
    if condition not in _CONDITIONS:
        raise ValueError(f"condition must be one of {_CONDITIONS}, not {condition!r}")
    return [
        ("lastModifiedDateTime", format_erp_filter(last_modified)),
        ("lastModifiedDateTimeCondition", condition),
    ]


def optional(**params: str | None) -> list[tuple[str, str]]:
    """Query pairs for the parameters that were given."""
    return [(name, value) for name, value in params.items() if value is not None]


def parse_with_etag(model: type[M], response: httpx.Response, endpoint: Endpoint) -> M:
    """Validate the JSON body and attach the response's ``ETag`` header as ``etag``."""
    parsed = model.model_validate(decode_json(response, endpoint))
    etag = response.headers.get("ETag")
    return parsed.model_copy(update={"etag": etag}) if etag else parsed


def created_from(response: httpx.Response, endpoint: Endpoint) -> Created:
    """Read a 201: the new id is the last segment of ``Location`` (absolute URL, any host)."""
    location = response.headers.get("Location")
    path = urlsplit(location).path.rstrip("/") if location else ""
    new_id = unquote(path.rsplit("/", 1)[-1]) if path else ""
    if not location or not new_id:
        raise UnexpectedResponseError(
            f"Visma.net answered {response.status_code} without a usable Location header,"
            " so the new document's id is unknown.",
            operation=endpoint.name,
            method=endpoint.method,
            status_code=response.status_code,
            request_ids=request_ids_from(response.headers),
            may_have_been_applied=True,
        )
    return Created(id=new_id, location=location, etag=response.headers.get("ETag"))
