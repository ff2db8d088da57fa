"""The Visma.net adapter as the integrations core sees it (``registry.Adapter``).

It wires the pieces together; each lives in its own module:

* ``sync/``: import of item groups, items, customers and work addresses, and cleanup;
* ``orders.py``: Visma.net sales orders and quotes coming in as work orders;
* ``export/``: archived work orders going out as sales orders or customer invoices;
* ``activation.py``, ``checks.py``, ``views.py``: the wizard, settings checks and screens.
"""

from __future__ import annotations

from werkbon.accounts.models import Tenant
from werkbon.integrations import registry
from werkbon.integrations.models import (
    ExportRecord,
    Integration,
    IntegrationKind,
    IntegrationStatus,
)
from werkbon.workorders import external

DISPLAY_NAME = "Visma.net"


class VismaNetAdapter:
    """The ``registry.Adapter`` for Visma.net: delegates to the sync, orders and export modules."""

    kind = IntegrationKind.VISMANET.value
    display_name = DISPLAY_NAME

    def first_import(self, integration: Integration) -> None:
        """First import of item groups, items, customers and work addresses (``sync.first_import``)."""
        from werkbon.integrations.vismanet import sync

        sync.first_import(integration)

    def incremental_sync(self, integration: Integration) -> None:
        """Delta sync of the tables, then the order/quote import (manual 5.10)."""
        from werkbon.integrations.vismanet import orders, sync

        sync.incremental(integration)
        orders.import_orders(integration)

    def cleanup(self, integration: Integration) -> None:
        """Full re-read that removes or deactivates what Visma.net no longer has (``sync.cleanup``)."""
        from werkbon.integrations.vismanet import sync

        sync.cleanup(integration)

    def process_notifications(self, integration: Integration) -> None:
        """Read again each record a webhook notification named (``webhooks.process_notifications``)."""
        from werkbon.integrations.vismanet import webhooks

        webhooks.process_notifications(integration)

    def poll_document_status(self, integration: Integration) -> None:
        """The slow poll of exported documents' status (``webhooks.poll_document_status``)."""
        from werkbon.integrations.vismanet import webhooks

        webhooks.poll_document_status(integration)

    def export(self, record: ExportRecord) -> None:
        """Send an archived work order as a sales order or invoice (``export.export``)."""
        from werkbon.integrations.vismanet import export

        export.export(record)


def _manages_records(tenant: Tenant) -> str | None:
    """While the integration is active, Visma.net is the master of customers and items."""
    active = Integration.all_tenants.filter(
        tenant=tenant, kind=IntegrationKind.VISMANET, status=IntegrationStatus.ACTIVE
    ).exists()
    return DISPLAY_NAME if active else None


def install() -> None:
    """Called once from the app's ``ready()``."""
    registry.register(VismaNetAdapter())
    external.register_manager(_manages_records)
    from werkbon.integrations.vismanet import panels, receivers  # noqa: F401 (connects signals)

    external.register_panel(panels.panel)
    from werkbon.integrations.vismanet import preview

    external.register_document_preview(preview.document_preview)

    from werkbon.integrations.vismanet import webhooks

    external.register_billing(webhooks.invoiced_numbers, webhooks.billing_statuses)
