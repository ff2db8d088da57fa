"""Retry policy (as data) and the rate-limit headers it reads."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

# Failures that happen before any byte of the request left: safe to retry even for a POST.
NOT_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)


def equal_jitter(delay: float) -> float:
    """Half the delay fixed, half random: spreads retries without ever retrying at once."""
    return delay / 2 + random.uniform(0, delay / 2)


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long the client waits before sending a request again.

    A request is *idempotent* when sending it twice cannot apply it twice: GET, HEAD, PUT,
    DELETE, and any request carrying ``If-Match`` (a v3 PATCH or line POST whose first attempt
    landed fails the second time with 412, because the ETag moved on). Everything else — a POST
    create, an attachment upload, a token request with a refresh token — is non-idempotent and
    is retried only when the request provably did not take effect: a 429 (rejected before
    processing) or a connection that was never established.

    Attributes:
        max_attempts: Total attempts including the first (1 disables retries).
        backoff_base: Seconds before the second attempt; doubles per attempt.
        backoff_cap: Upper bound of the exponential back-off, in seconds.
        max_retry_after: A 429 asking to wait longer than this (seconds) is raised as
            ``RateLimitedError`` at once instead of sleeping through it.
        jitter: Maps the computed back-off to the actual sleep; replace it in tests.
        idempotent_statuses: Statuses retried for idempotent requests.
        non_idempotent_statuses: Statuses retried for non-idempotent requests.
        idempotent_exceptions: httpx exceptions retried for idempotent requests.
        non_idempotent_exceptions: httpx exceptions retried for non-idempotent requests;
            only failures that happen before any byte of the request was sent.
    """

    max_attempts: int = 4
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    max_retry_after: float = 300.0
    jitter: Callable[[float], float] = equal_jitter
    idempotent_statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    non_idempotent_statuses: frozenset[int] = frozenset({429})
    idempotent_exceptions: tuple[type[Exception], ...] = (
        httpx.TimeoutException,
        httpx.NetworkError,
        httpx.RemoteProtocolError,
    )
    non_idempotent_exceptions: tuple[type[Exception], ...] = NOT_SENT

    def retries_status(self, status: int, *, idempotent: bool) -> bool:
        statuses = self.idempotent_statuses if idempotent else self.non_idempotent_statuses
        return status in statuses

    def retries_exception(self, exc: Exception, *, idempotent: bool) -> bool:
        kinds = self.idempotent_exceptions if idempotent else self.non_idempotent_exceptions
        return isinstance(exc, kinds)

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return self.jitter(min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)))


def _seconds(value: str | None, now: datetime) -> float | None:
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def retry_after_seconds(headers: httpx.Headers, now: datetime | None = None) -> float | None:
    """Seconds from ``Retry-After`` (seconds or HTTP date), else ``X-RateLimit-Reset``."""
    now = now or datetime.now(UTC)
    seconds = _seconds(headers.get("Retry-After"), now)
    if seconds is None:
        seconds = _seconds(headers.get("X-RateLimit-Reset"), now)
    return seconds


@dataclass(frozen=True)
class RateLimitStatus:
    """The ``X-RateLimit-*`` headers of the most recent response.

    Attributes:
        limit: Calls allowed in the window for this company and client.
        remaining: Calls left in the window.
        reset_seconds: Seconds until the window resets, as of ``observed_at``.
        policy: Policy name, e.g. ``"4-fixed-window"``.
        observed_at: When the response arrived (UTC).
    """

    limit: int | None
    remaining: int | None
    reset_seconds: float | None
    policy: str | None
    observed_at: datetime

    @classmethod
    def from_headers(cls, headers: httpx.Headers, observed_at: datetime) -> RateLimitStatus | None:
        """Read the headers; ``None`` when the response carried none of them."""
        names = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
        if not any(name in headers for name in (*names, "X-RateLimit-Policy")):
            return None

        def integer(name: str) -> int | None:
            try:
                return int(headers[name])
            except (KeyError, ValueError):
                return None

        return cls(
            limit=integer("X-RateLimit-Limit"),
            remaining=integer("X-RateLimit-Remaining"),
            reset_seconds=_seconds(headers.get("X-RateLimit-Reset"), observed_at),
            policy=headers.get("X-RateLimit-Policy"),
            observed_at=observed_at,
        )


@dataclass(frozen=True)
class RateLimitedEvent:
    """Passed to the ``on_rate_limited`` hook before the client sleeps on a 429.

    Attributes:
        operation: Contract key of the throttled operation.
        retry_after: Seconds Visma asked to wait (``Retry-After``, else ``X-RateLimit-Reset``),
            ``None`` when the response said nothing.
        will_retry: Whether the client will sleep and try again (False: it raises
            ``RateLimitedError`` next). Use the hook to pause other calls for this company.
        attempt: The attempt that was throttled (1-based).
        rate_limit: The rate-limit headers of the 429 response, if any.
    """

    operation: str
    retry_after: float | None
    will_retry: bool
    attempt: int
    rate_limit: RateLimitStatus | None
