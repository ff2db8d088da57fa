"""Lets an integration declare that customers and items are managed elsewhere.

While a provider says so for a tenant, customers and items are read-only in Werkbon's
screens and API (work addresses can still be added). Integrations register a provider
at start-up; this app never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from werkbon.accounts.models import Tenant

# A provider returns the name of the managing system (e.g. "Visma.net") or None.
Provider = Callable[[Tenant], "str | None"]
_providers: list[Provider] = []


def register_manager(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def managing_system(tenant: Tenant | None) -> str | None:
    """The system that manages customers and items for ``tenant``, or None."""
    if tenant is None:
        return None
    for provider in _providers:
        name = provider(tenant)
        if name:
            return name
    return None


# A panel renders extra HTML on the work-order page (e.g. an integration's export status
# with a Retry button); it gets the request and the work order and returns HTML or "".
Panel = Callable[[object, object], str]
_panels: list[Panel] = []


def register_panel(panel: Panel) -> None:
    if panel not in _panels:
        _panels.append(panel)


def render_panels(request: object, work_order: object) -> str:
    """The HTML of every registered panel for ``work_order`` (already escaped by them)."""
    return "".join(panel(request, work_order) or "" for panel in _panels)


# ---- what archiving will send: the archive confirmation's preview ----------------------------

@dataclass(frozen=True)
class PreviewLine:
    """One line of the document archiving will make: ``quantity`` in ``unit`` (hours for time)."""

    item_number: str
    description: str
    quantity: Decimal
    unit: str
    note: str = ""


@dataclass(frozen=True)
class DocumentPreview:
    """What an integration will make of a work order when it is archived (every text already
    translated): the system and document kind (e.g. "Visma.net", "Sales order SO"), its lines,
    its header texts, and ``problems`` (e.g. kept out by the filter word, settings
    incomplete); ``sent`` is False when nothing will be sent."""

    system: str
    document: str
    lines: tuple[PreviewLine, ...] = ()
    customer: str = ""
    description: str = ""
    reference: str = ""
    note: str = ""
    warehouse: str = ""
    problems: tuple[str, ...] = ()
    sent: bool = True


# A preview provider gets the work order and returns its DocumentPreview, or None when its
# integration does not export this tenant's work orders.
PreviewProvider = Callable[[Any], "DocumentPreview | None"]
_previews: list[PreviewProvider] = []


def register_document_preview(provider: PreviewProvider) -> None:
    if provider not in _previews:
        _previews.append(provider)


def document_preview(work_order: Any) -> DocumentPreview | None:
    """The first registered provider's preview of what archiving ``work_order`` sends, or None
    (no integration exports it: archiving only makes it read-only)."""
    for provider in _previews:
        preview = provider(work_order)
        if preview is not None:
            return preview
    return None
