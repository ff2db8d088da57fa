"""A scripted fake of Visma.net behind ``httpx.MockTransport``, and a client builder."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from vismanet import InMemoryTokenStore, RetryPolicy, TokenRecord, VismaNetClient

# The repository's copy of the team's Visma.net contract (docs/reference/README.md).
CONTRACT_PATH = Path(__file__).resolve().parents[2] / "docs" / "reference" / "visma-net-contract.json"
NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
CLIENT_SECRET = "s3cret-client-value-42"
TENANT = "0f5d6c1e-1111-2222-3333-444455556666"

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class FakeVisma:
    """Routes (method, path) to queued replies; records every request.

    The last queued reply of a route repeats. ``/connect/token`` answers a fresh token
    (``tok-1``, ``tok-2``…) unless a route for it was queued.
    """

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.token_requests: list[dict[str, str]] = []
        self._routes: dict[tuple[str, str], list[Reply]] = {}
        self._lock = threading.Lock()
        self.token_delay = 0.0

    def on(self, method: str, path: str, *replies: Reply) -> None:
        self._routes[(method, path)] = list(replies)

    def calls(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]

    def handler(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
            queue = self._routes.get((request.method, request.url.path))
            if queue is None and request.url.path == "/connect/token":
                form = dict(httpx.QueryParams(request.content.decode()))
                self.token_requests.append(form)
                number = len(self.token_requests)
            elif queue is None:
                return httpx.Response(404, json={"Message": f"no route {request.url.path}"})
            else:
                reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if queue is None:
            if self.token_delay:
                threading.Event().wait(self.token_delay)
            body: dict[str, Any] = {"access_token": f"tok-{number}", "expires_in": 3600}
            if form.get("grant_type") != "client_credentials":
                body["refresh_token"] = f"refresh-{number}"
            return httpx.Response(200, json=body)
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx.Response):
            return httpx.Response(reply.status_code, headers=reply.headers, content=reply.content)
        return reply(request)


def erp_error(status: int, message: str, code: str = "12046") -> httpx.Response:
    return httpx.Response(
        status,
        json={
            "ExceptionType": "IPPException",
            "ExceptionMessage": message,
            "ExceptionFaultCode": code,
            "ExceptionMessageID": f"{code}_abc",
            "ExceptionDetails": "",
        },
        headers={"Ipp-Request-Id": "ipp-123"},
    )


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def fake() -> FakeVisma:
    return FakeVisma()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def contract() -> dict[str, Any]:
    return json.loads(CONTRACT_PATH.read_text())


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def make_client(fake: FakeVisma, sleeps: Sleeps, clock: Clock):
    """Build a client against the fake. Service API (tenant id) unless told otherwise."""
    clients: list[VismaNetClient] = []

    def build(**overrides: Any) -> VismaNetClient:
        options: dict[str, Any] = {
            "client_id": "werkbon-test",
            "client_secret": CLIENT_SECRET,
            "token_store": InMemoryTokenStore(),
            "tenant_id": TENANT,
            "retry_policy": RetryPolicy(jitter=lambda delay: delay),
            "http_client": httpx.Client(transport=httpx.MockTransport(fake.handler)),
            "sleep": sleeps,
            "clock": clock,
        }
        options.update(overrides)
        client = VismaNetClient(**options)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


def interactive_store(
    *, expires_in: float = 3600, access: str = "tok-0", refresh: str = "refresh-0"
) -> InMemoryTokenStore:
    """A store holding an interactive token that expires ``expires_in`` seconds after NOW."""
    record = TokenRecord(
        access_token=access,
        expires_at=NOW + timedelta(seconds=expires_in),
        refresh_token=refresh,
        scope="vismanet_erp_interactive_api:read",
    )
    return InMemoryTokenStore({"api": record})
