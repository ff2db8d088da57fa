"""Webhooks as the fast path, polling as the safety net: how often a company is polled, and
whether its webhooks count as active (the status page; ``docs/sync-rules.md``, "Webhooks").

* **Active**: a notification arrived for the company, and since then polling found no change
  the webhooks missed (or the last notification is recent). The poll then runs every
  ``VISMANET_WEBHOOK_POLL_SECONDS`` (never more often than the integration's own interval).
* **Stopped**: no notification for ``VISMANET_WEBHOOK_QUIET_SECONDS`` while polling found
  changes after the last notification (later than :data:`NOTIFIED_CHANGE_GRACE` after it, so a
  change the notification itself brought does not count). Polling is back to the normal
  interval and the status page says so.
* **Never**: no notification ever arrived: normal polling.

An idle company with healthy webhooks stays *active* (nothing changes, nothing contradicts
them), so it costs only the slow poll's calls.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Max

from werkbon.integrations.models import Integration, SyncState, WebhookNotification, WebhookOutcome

ACTIVE, STOPPED, NEVER = "active", "stopped", "never"
NOTIFIED_CHANGE_GRACE = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class WebhookHealth:
    """``state`` (ACTIVE, STOPPED, NEVER) and the last notification's time (our clock)."""

    state: str
    last_notification_at: dt.datetime | None


def webhook_health(integration: Integration, now: dt.datetime) -> WebhookHealth:
    """Whether the company's webhooks are active, stopped or never seen (rules above)."""
    last = integration.last_notification_at
    if last is None:
        return WebhookHealth(NEVER, None)
    if now - last <= dt.timedelta(seconds=settings.VISMANET_WEBHOOK_QUIET_SECONDS):
        return WebhookHealth(ACTIVE, last)
    polled = SyncState.all_tenants.filter(integration_id=integration.pk).aggregate(latest=Max("last_change_at"))
    latest = polled["latest"]
    if latest is not None and latest > last + NOTIFIED_CHANGE_GRACE:
        return WebhookHealth(STOPPED, last)
    return WebhookHealth(ACTIVE, last)


def polling_interval(integration: Integration, now: dt.datetime) -> int:
    """Seconds until the company's next incremental poll: longer while webhooks are active."""
    normal = int(integration.sync_interval_seconds)
    if webhook_health(integration, now).state == ACTIVE:
        return max(normal, int(settings.VISMANET_WEBHOOK_POLL_SECONDS))
    return normal


@dataclass(frozen=True)
class Freshness:
    """Seconds from Visma.net's notification to the change stored in Werkbon, over the last
    ``count`` applied notifications: median and 95th percentile."""

    count: int
    p50: float
    p95: float


def achieved(integration: Integration, last: int = 100) -> Freshness | None:
    """The freshness the webhooks achieved lately (None before the first applied notification)."""
    rows = list(WebhookNotification.all_tenants.filter(
        integration_id=integration.pk, outcome=WebhookOutcome.APPLIED, processed_at__isnull=False,
    ).order_by("-processed_at").values_list("notified_at", "processed_at")[:last])
    if not rows:
        return None
    lags = sorted(max(0.0, (done - notified).total_seconds()) for notified, done in rows)
    return Freshness(len(lags), lags[len(lags) // 2], lags[min(len(lags) - 1, int(0.95 * len(lags)))])
