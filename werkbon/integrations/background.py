"""Is the background processing running? One answer for the status page, the integrations
pages and the export panel.

Alive means both: a worker recorded a heartbeat within about two heartbeat intervals
(``werkbon.health``; a worker also records one when it starts), and no due sync of the
integration is overdue by more than two sync intervals (a worker that beats but does not
run the tenant's jobs is no better than none). Otherwise :func:`background_problem` says
what is wrong in the user's words, and the pages show it with what to do.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from werkbon.health import last_heartbeat
from werkbon.integrations.models import Integration

# An export queued longer than this while the processing is not running gets a hint.
EXPORT_WAIT = dt.timedelta(minutes=1)


def heartbeat_max_age() -> dt.timedelta:
    """Two heartbeat intervals: one missed beat is not yet an alarm, two are."""
    return dt.timedelta(seconds=2 * settings.WERKBON_HEARTBEAT_SECONDS)


def _local(moment: dt.datetime) -> str:
    return date_format(timezone.localtime(moment), "d-m-Y H:i:s")


def background_problem(integration: Integration | None = None, now: dt.datetime | None = None) -> str:
    """Why the background processing looks stopped, translated; "" when it looks alive."""
    now = now or timezone.now()
    beat_at = last_heartbeat(None)
    if beat_at is None:
        return _("no worker has reported since the start.")
    if now - beat_at > heartbeat_max_age():
        return _("the last sign of life was at %(when)s.") % {"when": _local(beat_at)}
    if integration is not None and integration.pk and integration.is_active and integration.next_sync_at:
        paused = integration.paused_until is not None and integration.paused_until > now
        late = dt.timedelta(seconds=2 * max(1, integration.sync_interval_seconds))
        if not paused and now - integration.next_sync_at > late:
            return _("the synchronisation planned at %(when)s has not run.") % {
                "when": _local(integration.next_sync_at)}
    return ""
