"""One job of a kind per tenant at a time, across any number of worker processes: the one
lease API of the integrations (jobs, imports, exports).

A lease is claimed with a conditional UPDATE (free or expired → mine) and only the
worker whose UPDATE changed the row proceeds. The lease expires by itself, so a killed
worker blocks its tenant's job for at most ``seconds``, and never blocks other tenants.

A long job renews its lease with :func:`renew` (the sync pipeline does so before every
page and every order it fetches). Renewing checks the holder: a worker whose lease ran out
and was claimed by another worker gets :class:`LeaseLost` and stops, so two workers never
run the same tenant's job at once. The check is one read of the lease row; the row is
written (pushed forward to its full length) only once ``RENEW_AFTER_SECONDS`` of it have been
used up, so a short job (an idle sync: a handful of pages in a second) never writes it
between its claim and its release, while a long one still finds at least its length minus
those seconds left after every renewal. A job may attach a :func:`guard` to its lease (the sync: "the
integration is still active"), which the same read checks, so stopping a deactivated job at
the next page costs no statement of its own.
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
from dataclasses import dataclass

from celery.exceptions import SoftTimeLimitExceeded
from django.db import IntegrityError, connections, transaction
from django.db.models import Q, QuerySet
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
# renew() writes the lease only when less than its length minus this is left: a lease is
# never shorter than that after a renewal (50 s for the first import's 60 s, more than the
# longest stretch without renewal above), and an idle sync of a second never writes it.
RENEW_AFTER_SECONDS = 10



@dataclass
class _Held:
    """A lease this execution context holds (set by :func:`lease`)."""

    holder: str
    seconds: int
    deadline: float | None  # time.monotonic() value after which renew raises SoftTimeLimitExceeded
    guard: tuple[str, tuple] | None = None  # SQL and params of a query that must find a row
    guard_error: type[Exception] | None = None


# The leases this execution context holds: (tenant id, job) → _Held.
_held: contextvars.ContextVar[dict[tuple[int, str], _Held] | None] = \
    contextvars.ContextVar("werkbon_leases_held", default=None)


class LeaseLost(Exception):
    """The lease this worker held was claimed by another worker (it had run out): stop."""


def lease_seconds(job: str) -> int:
    """How long a claim or a renewal of ``job`` lasts."""
    return JOB_LEASE_SECONDS.get(job, DEFAULT_LEASE_SECONDS)


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim(tenant: Tenant, job: str, seconds: int = 300) -> str | None:
    """Claim ``job`` for ``tenant``; returns the holder id, or None when it is taken.

    One conditional UPDATE when the lease row exists (every job after the tenant's first of
    the kind); otherwise the row is created first and the UPDATE repeated."""
    now = timezone.now()
    holder = _holder()

    def take() -> bool:
        return JobLease.objects.filter(
            Q(leased_until__isnull=True) | Q(leased_until__lt=now), tenant=tenant, job=job
        ).update(holder=holder, leased_until=now + dt.timedelta(seconds=seconds)) == 1

    if take():
        return holder
    if JobLease.objects.filter(tenant=tenant, job=job).exists():
        return None  # held by another worker
    with contextlib.suppress(IntegrityError), transaction.atomic():
        JobLease.objects.get_or_create(tenant=tenant, job=job)
    return holder if take() else None


def extend(tenant: Tenant | int, job: str, holder: str, seconds: int = 300) -> bool:
    """Push ``holder``'s lease forward by ``seconds``; False when it was lost (another
    worker holds it now, or it was released)."""
    until = timezone.now() + dt.timedelta(seconds=seconds)
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    return JobLease.objects.filter(tenant_id=tenant_id, job=job, holder=holder).update(leased_until=until) == 1


def guard(tenant_id: int, job: str, still: QuerySet, error: type[Exception]) -> bool:
    """Attach a condition to the lease on ``job`` this context holds: from now on every
    :func:`renew` of it raises ``error`` when ``still`` matches no row (checked in the same
    read as the holder). Returns False when this context holds no such lease (nothing was
    attached: the caller checks the condition itself)."""
    held = (_held.get() or {}).get((tenant_id, job))
    if held is None:
        return False
    # Compiled once: renew() runs it inside its one read of the lease row (raw SQL, since it
    # runs before every page; the queryset built it, scoped to its tenant as any other).
    held.guard = still.values("pk").query.get_compiler(using=still.db).as_sql()
    held.guard_error = error
    return True


def renew(tenant_id: int, job: str) -> None:
    """Keep the lease on ``job`` that this execution context took with :func:`lease`: one
    read checks that this worker still holds it (and its :func:`guard`, if any); once less
    than its length minus ``RENEW_AFTER_SECONDS`` is left it is pushed forward by its length. Without a lease (a
    job called directly, e.g. from a test or the shell) there is nothing to renew.

    Raises: LeaseLost when another worker holds the lease now; the guard's error when its
    condition no longer holds; SoftTimeLimitExceeded when the job ran past the ``deadline``
    given to :func:`lease` (the job's soft time limit, enforced here at every renewal for
    worker pools that cannot interrupt a task, such as Celery's threads pool).
    """
    held = (_held.get() or {}).get((tenant_id, job))
    if held is None:
        return
    if held.deadline is not None and time.monotonic() > held.deadline:
        raise SoftTimeLimitExceeded(f"{job} of tenant {tenant_id} ran past its time limit")
    guard_sql, guard_params = held.guard or ("SELECT 1", ())
    with connections[JobLease.objects.db].cursor() as cursor:
        cursor.execute(
            f"SELECT leased_until, EXISTS({guard_sql}) FROM {JobLease._meta.db_table} "  # noqa: S608 (no user input)
            "WHERE tenant_id = %s AND job = %s AND holder = %s",
            (*guard_params, tenant_id, job, held.holder))
        row = cursor.fetchone()
    if row is None:
        raise LeaseLost(f"lease {job} of tenant {tenant_id} was taken over")
    leased_until, still = row
    if not still:
        assert held.guard_error is not None
        raise held.guard_error(f"{job} of tenant {tenant_id}: its guard no longer holds")
    if isinstance(leased_until, str):  # SQLite may hand a raw SELECT's datetime back as text
        leased_until = dt.datetime.fromisoformat(leased_until)
    if leased_until is not None and leased_until.tzinfo is None:  # SQLite: naive, in UTC
        leased_until = leased_until.replace(tzinfo=dt.UTC)
    left = (leased_until - timezone.now()).total_seconds() if leased_until else 0.0
    if left < held.seconds - RENEW_AFTER_SECONDS and not extend(tenant_id, job, held.holder, held.seconds):
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
        token = _held.set({**(_held.get() or {}), (tenant.pk, job): _Held(holder, seconds, deadline)})
    try:
        yield holder
    finally:
        if holder:
            if token is not None:
                _held.reset(token)
            release(tenant, job, holder)
