"""Sending requests: authentication, the retry loop, rate-limit bookkeeping, error mapping.

This is the only place that retries, sleeps or refreshes a token after a 401.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx

from vismanet._auth import TokenProvider
from vismanet._endpoints import Base, Endpoint
from vismanet._errors import (
    UnexpectedResponseError,
    error_from_exception,
    error_from_response,
    request_ids_from,
)
from vismanet._redact import redact
from vismanet._retry import (
    NOT_SENT,
    RateLimitedEvent,
    RateLimitStatus,
    RetryPolicy,
    retry_after_seconds,
)

logger = logging.getLogger("vismanet")

_SAFE_METHODS = frozenset({"GET", "HEAD"})
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})


def quote_etag(etag: str) -> str:
    """An entity tag as ``If-Match`` wants it: quoted, unless it already is (or is weak)."""
    etag = etag.strip()
    if etag.startswith('"') or etag.startswith('W/"'):
        return etag
    return f'"{etag}"'


def decode_json(response: httpx.Response, endpoint: Endpoint) -> Any:
    """The JSON body of a successful response, ``None`` when empty."""
    if not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        raise UnexpectedResponseError(
            f"Expected JSON, got {response.headers.get('Content-Type', 'no content type')}:"
            f" {redact(response.text[:200])}",
            operation=endpoint.name,
            method=endpoint.method,
            status_code=response.status_code,
            request_ids=request_ids_from(response.headers),
        ) from None


class Transport:
    """Sends one API operation, retrying as the policy says, and raises typed errors."""

    tokens: TokenProvider

    def __init__(
        self,
        *,
        http: httpx.Client,
        base_urls: Mapping[Base, str],
        retry_policy: RetryPolicy,
        user_agent: str,
        sleep: Callable[[float], None],
        on_rate_limited: Callable[[RateLimitedEvent], None] | None,
        clock: Callable[[], datetime],
    ) -> None:
        self._http = http
        self._base_urls = {k: v.rstrip("/") for k, v in base_urls.items()}
        self._policy = retry_policy
        self._user_agent = user_agent
        self._sleep = sleep
        self._on_rate_limited = on_rate_limited
        self._clock = clock
        self.rate_limit: RateLimitStatus | None = None

    def url(self, endpoint: Endpoint, path_params: Mapping[str, str | int] | None = None) -> str:
        return self._base_urls[endpoint.base] + endpoint.format(**(path_params or {}))

    def request(
        self,
        endpoint: Endpoint,
        *,
        path_params: Mapping[str, str | int] | None = None,
        params: Any = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        files: Any = None,
        if_match: str | None = None,
        auth: httpx.Auth | None = None,
        authenticated: bool = True,
        idempotent: bool | None = None,
        extra_secrets: Sequence[str] = (),
    ) -> httpx.Response:
        """Send ``endpoint`` and return the successful response, or raise a ``VismaNetError``.

        ``idempotent`` defaults from the method, and requests with ``If-Match`` count as
        idempotent (see ``RetryPolicy``).
        """
        method = endpoint.method
        url = self.url(endpoint, path_params)
        if idempotent is None:
            idempotent = method in _IDEMPOTENT_METHODS or if_match is not None
        headers = {"Accept": "application/json", "User-Agent": self._user_agent}
        if if_match is not None:
            headers["If-Match"] = quote_etag(if_match)
        token_key = self.tokens.key_for(endpoint.base) if authenticated else None
        token = ""
        refreshed = False
        # Set once an attempt of a write may have reached the server without a clear answer.
        ambiguous = False
        attempt = 0
        while True:
            attempt += 1
            if token_key is not None:
                token = self.tokens.access_token(token_key)
                headers["Authorization"] = f"Bearer {token}"
            try:
                response = self._http.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data,
                    files=files,
                    headers=headers,
                    auth=auth,
                )
            except httpx.TransportError as exc:
                sent = not isinstance(exc, NOT_SENT)
                ambiguous = ambiguous or (sent and method not in _SAFE_METHODS)
                if attempt < self._policy.max_attempts and self._policy.retries_exception(
                    exc, idempotent=idempotent
                ):
                    delay = self._policy.backoff(attempt)
                    logger.warning(
                        "vismanet %s: %s, retrying in %.1fs (attempt %d of %d)",
                        endpoint.name,
                        type(exc).__name__,
                        delay,
                        attempt,
                        self._policy.max_attempts,
                    )
                    self._sleep(delay)
                    continue
                raise error_from_exception(
                    exc, operation=endpoint.name, method=method, may_have_been_applied=ambiguous
                ) from exc

            observed = self._observe(response)
            status = response.status_code
            if logger.isEnabledFor(logging.DEBUG):  # its arguments parse headers: not for nothing
                logger.debug(
                    "vismanet %s %s %s -> %d %s",
                    endpoint.name,
                    method,
                    response.request.url.path,
                    status,
                    next(iter(request_ids_from(response.headers).values()), ""),
                )
            if status == 401 and token_key is not None and not refreshed:
                # One renewal and one more try; it does not count against the retry budget.
                refreshed = True
                attempt -= 1
                self.tokens.renew_after_401(token_key, token)
                continue
            if response.is_success:
                return response
            if status >= 500 and method not in _SAFE_METHODS:
                ambiguous = True
            retry = attempt < self._policy.max_attempts and self._policy.retries_status(
                status, idempotent=idempotent
            )
            advised = retry_after_seconds(response.headers) if status in (429, 503) else None
            if advised is not None and advised > self._policy.max_retry_after:
                retry = False
            if status == 429 and self._on_rate_limited is not None:
                self._on_rate_limited(
                    RateLimitedEvent(endpoint.name, advised, retry, attempt, observed)
                )
            if not retry:
                secrets = [*self.tokens.known_secrets(), token, *extra_secrets]
                raise error_from_response(
                    response,
                    operation=endpoint.name,
                    secrets=secrets,
                    may_have_been_applied=ambiguous,
                )
            delay = advised if advised is not None else self._policy.backoff(attempt)
            logger.warning(
                "vismanet %s: HTTP %d, retrying in %.1fs (attempt %d of %d)",
                endpoint.name,
                status,
                delay,
                attempt,
                self._policy.max_attempts,
            )
            self._sleep(delay)

    def request_json(self, endpoint: Endpoint, **kwargs: Any) -> Any:
        """``request`` and decode the JSON body (``None`` for an empty body)."""
        return decode_json(self.request(endpoint, **kwargs), endpoint)

    def _observe(self, response: httpx.Response) -> RateLimitStatus | None:
        """Remember the response's rate-limit headers, if it has any, and return them."""
        status = RateLimitStatus.from_headers(response.headers, self._clock())
        if status is not None:
            self.rate_limit = status
        return status
