"""One job of a kind per tenant at a time, across any number of worker processes.

A lease is claimed with a conditional UPDATE (free or expired → mine) and only the
worker whose UPDATE changed the row proceeds. The lease expires by itself, so a killed
worker blocks its tenant's job for at most ``seconds``, and never blocks other tenants.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import uuid
from collections.abc import Iterator

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
# jobs keep 300 s: the orders import (in the "sync" job), cleanup's listings and an export
# do not renew per request.
JOB_LEASE_SECONDS = {"first_import": 60}


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


def extend(tenant: Tenant, job: str, holder: str, seconds: int = 300) -> bool:
    """Push the lease forward while a long job runs; False when it was lost."""
    until = timezone.now() + dt.timedelta(seconds=seconds)
    return JobLease.objects.filter(tenant=tenant, job=job, holder=holder).update(leased_until=until) == 1


def release(tenant: Tenant, job: str, holder: str) -> None:
    """Give up the lease if ``holder`` still has it (clears holder and expiry); no-op otherwise."""
    JobLease.objects.filter(tenant=tenant, job=job, holder=holder).update(leased_until=None, holder="")


@contextlib.contextmanager
def lease(tenant: Tenant, job: str, seconds: int = 300) -> Iterator[str | None]:
    """``with lease(t, "import") as holder:`` — holder is None when another worker has it."""
    holder = claim(tenant, job, seconds)
    try:
        yield holder
    finally:
        if holder:
            release(tenant, job, holder)
