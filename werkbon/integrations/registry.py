"""The adapters Werkbon knows, by kind. The core calls only what :class:`Adapter` names."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from werkbon.integrations.models import ExportRecord, Integration


class Adapter(Protocol):
    """What an accounting-system adapter offers to the scheduler and the screens.

    Each job function does its work for one integration (one tenant) and returns; it
    raises nothing for problems the user must solve (those become log entries).
    """

    kind: str
    display_name: str

    def first_import(self, integration: Integration) -> None: ...

    def incremental_sync(self, integration: Integration) -> None: ...

    def cleanup(self, integration: Integration) -> None: ...

    def export(self, record: ExportRecord) -> None: ...


_adapters: dict[str, Adapter] = {}


def register(adapter: Adapter) -> None:
    _adapters[adapter.kind] = adapter


def get(kind: str) -> Adapter:
    try:
        return _adapters[kind]
    except KeyError:
        raise LookupError(f"no integration adapter registered for {kind!r}") from None


def all_adapters() -> list[Adapter]:
    return list(_adapters.values())
