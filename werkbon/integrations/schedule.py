"""When an integration's next incremental sync is due: one small rule, used by the tick.

The tick (:mod:`werkbon.integrations.tasks`) claims a due sync by moving
``Integration.next_sync_at`` to :func:`next_sync_due`; nothing else decides the interval, so a
rule that stretches it (e.g. a longer polling interval while webhooks are healthy) changes
only this function.
"""

from __future__ import annotations

import datetime as dt

from werkbon.integrations.freshness import polling_interval
from werkbon.integrations.models import Integration

# While a first import is enqueued but its lease is not (yet) taken, the tick looks again
# after this long instead of every tick: a queued job is not enqueued a second time each
# second, and a lost one (killed worker) is enqueued again within this time after its
# lease ran out (the lease of the first import is 60 s, leases.JOB_LEASE_SECONDS).
FIRST_IMPORT_RECHECK = dt.timedelta(seconds=15)


def next_sync_due(integration: Integration, now: dt.datetime) -> dt.datetime:
    """The moment (aware UTC) the next incremental sync of ``integration`` is due, when one
    starts at ``now``: ``now`` plus the integration's polling interval (at least 1 s): its
    ``sync_interval_seconds``, longer while its webhooks are active
    (:func:`werkbon.integrations.freshness.polling_interval`).
    """
    return now + dt.timedelta(seconds=max(1, polling_interval(integration, now)))
