"""One job of a kind per tenant at a time, across any number of worker processes: the one
lease API of the integrations (jobs, imports, exports).

A lease is claimed with a conditional UPDATE (free or expired → mine) and only the
worker whose UPDATE changed the row proceeds. The lease expires by itself, so a killed
worker blocks its tenant's job for at most ``seconds``, and never blocks other tenants.

A long job renews its lease with :func:`renew` (the sync pipeline does so before every
page and every order it fetches). Renewing checks the holder: a worker whose lease ran out
and was claimed by another worker gets :class:`LeaseLost` and stops, so two workers never
run the same tenant's job at once.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import os
import socket
import time
import uuid
from collections.abc import Iterator

from celery.exceptions import SoftTimeLimitExceeded
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from werkbon.accounts.models import Tenant
from werkbon.integrations.models import JobLease

DEFAULT_LEASE_SECONDS = 300
# The first import renews its lease before every page fetch and after every retry wait
# (sync.pipeline), so the longest stretch without renewal is one HTTP attempt (the client
# timeout, VISMANET_TIMEOUT_SECONDS = 30) plus one wait (at most 5 s): a short lease is safe,
# and after a killed worker the tick resumes the import within about a minute. The other
# jobs keep 300 s: the incremental sync and the order import in it renew before every page
# and order too, but cleanup's listings and an export do not renew per request.
JOB_LEASE_SECONDS = {"first_import": 60}

# The leases this execution context holds (set by :func:`lease`): (tenant id, job) →
# (holder, seconds, deadline: time.monotonic() value or None).
_held: contextvars.ContextVar[dict[tuple[int, str], tuple[str, int, float | None]] | None] = \
    contextvars.ContextVar("werkbon_leases_held", default=None)


class LeaseLost(Exception):
    """The lease this worker held was claimed by another worker (it had run out): stop."""


def lease_seconds(job: str) -> int:
    """How long a claim or a renewal of ``job`` lasts."""
    return JOB_LEASE_SECONDS.get(job, DEFAULT_LEASE_SECONDS)


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim(tenant: Tenant, job: str, seconds: int = 300) -> str | None:
    """Claim ``job`` for ``tenant``; returns the holder id, or None when it is taken."""
    now = timezone.now()
    holder = _holder()
    with contextlib.suppress(IntegrityError), transaction.atomic():
        JobLease.objects.get_or_create(tenant=tenant, job=job)
    changed = JobLease.objects.filter(
        Q(leased_until__isnull=True) | Q(leased_until__lt=now), tenant=tenant, job=job
    ).update(holder=holder, leased_until=now + dt.timedelta(seconds=seconds))
    return holder if changed == 1 else None


def extend(tenant: Tenant | int, job: str, holder: str, seconds: int = 300) -> bool:
    """Push ``holder``'s lease forward by ``seconds``; False when it was lost (another
    worker holds it now, or it was released)."""
    until = timezone.now() + dt.timedelta(seconds=seconds)
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    return JobLease.objects.filter(tenant_id=tenant_id, job=job, holder=holder).update(leased_until=until) == 1


def renew(tenant_id: int, job: str) -> None:
    """Renew the lease on ``job`` that this execution context took with :func:`lease`, by
    its length. Without one (a job called directly, e.g. from a test or the shell) there is
    nothing to renew.

    Raises: LeaseLost when another worker holds the lease now; SoftTimeLimitExceeded when
    the job ran past the ``deadline`` given to :func:`lease` (the job's soft time limit,
    enforced here at every renewal for worker pools that cannot interrupt a task, such as
    Celery's threads pool).
    """
    held = (_held.get() or {}).get((tenant_id, job))
    if held is None:
        return
    holder, seconds, deadline = held
    if deadline is not None and time.monotonic() > deadline:
        raise SoftTimeLimitExceeded(f"{job} of tenant {tenant_id} ran past its time limit")
    if not extend(tenant_id, job, holder, seconds):
        raise LeaseLost(f"lease {job} of tenant {tenant_id} was taken over")


def release(tenant: Tenant, job: str, holder: str) -> None:
    """Give up the lease if ``holder`` still has it (clears holder and expiry); no-op otherwise."""
    JobLease.objects.filter(tenant=tenant, job=job, holder=holder).update(leased_until=None, holder="")


@contextlib.contextmanager
def lease(tenant: Tenant, job: str, seconds: int = 300,
          time_limit: float | None = None) -> Iterator[str | None]:
    """``with lease(t, "import") as holder:`` — holder is None when another worker has it.
    Inside the block :func:`renew` renews it, and once ``time_limit`` seconds have passed it
    raises SoftTimeLimitExceeded instead."""
    holder = claim(tenant, job, seconds)
    token = None
    if holder:
        deadline = time.monotonic() + time_limit if time_limit else None
        token = _held.set({**(_held.get() or {}), (tenant.pk, job): (holder, seconds, deadline)})
    try:
        yield holder
    finally:
        if holder:
            if token is not None:
                _held.reset(token)
            release(tenant, job, holder)
