"""Base classes and small shapes shared by every resource's models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    """A record read from Visma: camelCase on the wire, snake_case in Python.

    Unknown fields are kept (``model_extra``) rather than rejected, and enum-like fields are
    plain strings, so a new Visma release does not break reading.
    """

    model_config = ConfigDict(
        extra="allow", populate_by_name=True, alias_generator=to_camel, protected_namespaces=()
    )


class RequestModel(BaseModel):
    """A body sent to the Sales Orders v3 API (no value wrapper). Unknown fields are refused."""

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, alias_generator=to_camel, protected_namespaces=()
    )

    def to_api(self) -> dict[str, Any]:
        """The JSON body: camelCase keys, fields left unset (``None``) omitted."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class ErpWriteModel(RequestModel):
    """An ERP ``*UpdateDto``: every field wrapped as ``{"value": ...}`` except those named in
    ``unwrapped`` (line arrays, a line's ``operation``, subaccount segment arrays).

    A nested ``ErpWriteModel`` (e.g. an address) is wrapped as a whole and has its own fields
    wrapped too; a list of them is sent as a plain array of wrapped objects.
    """

    unwrapped: ClassVar[frozenset[str]] = frozenset()

    def to_api(self) -> dict[str, Any]:
        plain = super().to_api()
        body: dict[str, Any] = {}
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            if value is None:
                continue
            key = info.alias or name
            if isinstance(value, ErpWriteModel):
                body[key] = {"value": value.to_api()}
            elif isinstance(value, list) and all(isinstance(v, ErpWriteModel) for v in value):
                body[key] = [v.to_api() for v in value]
            elif name in self.unwrapped:
                body[key] = plain[key]
            else:
                body[key] = {"value": plain[key]}
        return body


class Metadata(ApiModel):
    """Paging metadata on ERP list items."""

    total_count: int | None = None
    max_page_size: int | None = None


class IdDescription(ApiModel):
    id: str | None = None
    description: str | None = None


class IdName(ApiModel):
    id: str | None = None
    name: str | None = None


class NumberName(ApiModel):
    number: str | None = None
    name: str | None = None


class ErpAddress(ApiModel):
    """ERP read address (customers, locations)."""

    address_id: int | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    address_line3: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: IdName | None = None
    county: IdName | None = None


class ErpContact(ApiModel):
    """ERP read contact (customers, locations)."""

    contact_id: int | None = None
    name: str | None = None
    attention: str | None = None
    email: str | None = None
    web: str | None = None
    phone1: str | None = None
    phone2: str | None = None
    fax: str | None = None


class AttributeValue(ApiModel):
    id: str | None = None
    value: str | None = None
    description: str | None = None


class AttachmentRef(ApiModel):
    """An attachment as documents list it: ``{id, name, revision}``."""

    id: str | None = None
    name: str | None = None
    revision: int | None = None


@dataclass(frozen=True)
class Created:
    """Result of a create (201).

    Attributes:
        id: Last path segment of ``Location`` (new order id, invoice number, attachment id).
        location: The ``Location`` header as sent (absolute URL, any host).
        etag: ``ETag`` header when the endpoint sends one.
    """

    id: str
    location: str
    etag: str | None = None


@dataclass(frozen=True)
class Accepted:
    """Result of a v3 modification (202).

    Attributes:
        etag: ``ETag`` header when present; otherwise ``get`` the order for a fresh one.
    """

    etag: str | None = None
