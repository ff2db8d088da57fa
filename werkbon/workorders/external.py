"""Lets an integration declare that customers and items are managed elsewhere.

While a provider says so for a tenant, customers and items are read-only in Werkbon's
screens and API (work addresses can still be added). Integrations register a provider
at start-up; this app never imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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


# Billing status: an integration tells which work orders were invoiced in the accounting
# system and what each one's document's status is (the work-order list's column and its
# "invoiced" / "not yet invoiced" filter). This app never imports the integration.
@dataclass(frozen=True)
class BillingStatus:
    """A work order's document in the accounting system: the status word to show (already
    translated) and whether it means the work order was invoiced."""

    word: str
    invoiced: bool


InvoicedNumbers = Callable[[Tenant], Iterable[int]]
BillingStatuses = Callable[[Tenant, list[int]], "dict[int, BillingStatus]"]
_invoiced: list[InvoicedNumbers] = []
_billing: list[BillingStatuses] = []


def register_billing(invoiced_numbers: InvoicedNumbers, statuses: BillingStatuses) -> None:
    """Register a provider of invoiced work-order numbers and of billing statuses per number."""
    if invoiced_numbers not in _invoiced:
        _invoiced.append(invoiced_numbers)
    if statuses not in _billing:
        _billing.append(statuses)


def invoiced_numbers(tenant: Tenant | None) -> set[int]:
    """The numbers of ``tenant``'s work orders whose document was invoiced (empty without an integration)."""
    if tenant is None:
        return set()
    return {int(n) for provider in _invoiced for n in provider(tenant)}


def billing_statuses(tenant: Tenant | None, numbers: list[int]) -> dict[int, BillingStatus]:
    """The billing status of each of ``numbers`` that has one."""
    found: dict[int, BillingStatus] = {}
    if tenant is None or not numbers:
        return found
    for provider in _billing:
        found.update(provider(tenant, numbers))
    return found


# The address a work order's signed PDF was last e-mailed to (the customer e-mail registers a
# provider): after a reopen the completion form offers it again instead of the customer's own.
LastEmailProvider = Callable[[Any], "str | None"]
_last_emails: list[LastEmailProvider] = []


def register_last_email(provider: LastEmailProvider) -> None:
    if provider not in _last_emails:
        _last_emails.append(provider)


def last_email(work_order: Any) -> str:
    """The address ``work_order`` was last e-mailed to (or meant to be), or "" when none."""
    for provider in _last_emails:
        address = provider(work_order)
        if address:
            return address
    return ""
