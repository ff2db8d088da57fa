"""Lets an integration declare that customers and items are managed elsewhere.

While a provider says so for a tenant, customers and items are read-only in Werkbon's
screens and API (work addresses can still be added). Integrations register a provider
at start-up; this app never imports them.
"""

from __future__ import annotations

from collections.abc import Callable

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
