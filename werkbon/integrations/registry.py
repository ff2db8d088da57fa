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

    def first_import(self, integration: Integration) -> None:
        """Bring the company's reference data into Werkbon for the first time."""

    def incremental_sync(self, integration: Integration) -> None:
        """Read what changed since the last run and apply it."""

    def cleanup(self, integration: Integration) -> None:
        """Remove or deactivate what the accounting system no longer has."""

    def process_notifications(self, integration: Integration) -> None:
        """Read again the records the accounting system's webhook notifications named."""

    def poll_document_status(self, integration: Integration) -> None:
        """Read back the status of exported documents (the slow poll)."""

    def export(self, record: ExportRecord) -> None:
        """Send one archived work order to the accounting system."""


_adapters: dict[str, Adapter] = {}


def register(adapter: Adapter) -> None:
    """Make ``adapter`` the one for its ``kind`` (replaces an earlier one)."""
    _adapters[adapter.kind] = adapter


def get(kind: str) -> Adapter:
    """The adapter registered for ``kind``; LookupError when there is none."""
    try:
        return _adapters[kind]
    except KeyError:
        raise LookupError(f"no integration adapter registered for {kind!r}") from None


def all_adapters() -> list[Adapter]:
    """Every registered adapter, in registration order."""
    return list(_adapters.values())
