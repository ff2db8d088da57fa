"""Import of customers, items, item groups and work addresses from Visma.net, and cleanup.

The adapter calls exactly these three functions, each for one integration inside its
tenant's context. Each table is a pipeline fetch → map → store (``items.py``,
``customers.py``, …) on the shared machinery in ``pipeline.py``; the rules are in
``docs/sync-rules.md``. Errors become log entries (``errors.py``): expected ones never
crash the worker.
"""

from __future__ import annotations

from werkbon.integrations.models import Integration
from werkbon.integrations.vismanet.client import client_for, record_quota
from werkbon.integrations.vismanet.sync import cleanup as _cleanup
from werkbon.integrations.vismanet.sync import first_import as _first_import
from werkbon.integrations.vismanet.sync import incremental as _incremental
from werkbon.integrations.vismanet.sync.errors import reported
from werkbon.integrations.vismanet.sync.pipeline import sleep_keeping_lease

__all__ = ["cleanup", "first_import", "incremental"]


def first_import(integration: Integration) -> None:
    """Run (or resume) the first import of every table; sets ``first_import_finished_at``."""
    sleep = sleep_keeping_lease(integration, _first_import.JOB)
    with reported(integration), client_for(integration, sleep=sleep) as client:
        _first_import.first_import(client, integration)
        record_quota(integration, client)


def incremental(integration: Integration) -> None:
    """Import what changed in Visma.net since each table's watermark (minus the overlap)."""
    sleep = sleep_keeping_lease(integration, _incremental.JOB)
    with reported(integration), client_for(integration, sleep=sleep) as client:
        _incremental.incremental(client, integration)
        record_quota(integration, client)


def cleanup(integration: Integration) -> None:
    """Remove customers and items gone or inactive in Visma.net (nothing on a bad listing)."""
    with reported(integration), client_for(integration) as client:
        _cleanup.cleanup(client, integration)
        record_quota(integration, client)
