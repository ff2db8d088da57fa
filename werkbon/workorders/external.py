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
