"""Around the whole app: the request log, fault injection (status, timeout, dropped
connections, errors after a write) and the rate-limit headers."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from .errors import ApiError, erp_exception, erp_message, problem

if TYPE_CHECKING:
    from .state import Sandbox


def _fault_response(path: str, status: int, retry_after: int | None) -> Response:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    if status == 429:
        err = erp_message(429, f"Rate limit is exceeded. Try again in {retry_after or 1} seconds.", headers)
    elif path.lower().startswith("/api/v3/"):
        err = problem(status, "Injected fault (vismanet_sandbox).", instance=path)
        err.headers.update(headers)
    elif path.startswith("/connect/"):
        err = ApiError(status, {"error": "temporarily_unavailable",
                                "error_description": "Injected fault (vismanet_sandbox)."}, headers=headers)
    elif status == 500:
        err = erp_exception(500, "An error has occurred. (injected fault)", "10500")
        err.headers.update(headers)
    else:
        err = erp_message(status, "The service is temporarily unavailable. (injected fault)", headers)
    return err.response()


async def _drop_connection(send: Send) -> None:
    """Close the TCP connection without an answer (uvicorn h11: reach the transport)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None:
        transport.close()
        await asyncio.sleep(0.05)  # let uvicorn see the disconnect so it sends no 500 of its own
        return
    # Not under uvicorn: start a response and abort it; the client sees a broken reply.
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
    raise ConnectionAbortedError("vismanet_sandbox: response dropped on purpose")


class SandboxMiddleware:
    """Request log, fault injection and rate-limit headers around the whole app."""

    def __init__(self, app: Any, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry: apply injected faults, log the request and add rate-limit headers.

        ``/_sandbox`` and non-HTTP scopes pass through untouched.
        """
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox"):
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        info: dict[str, Any] = {"headers": {}, "company": None}
        scope["sandbox"] = info
        started, status_box = time.time(), {"status": 0}
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        info["company"] = self.sandbox.auth.peek_tenant(headers.get("authorization"))

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_box["status"] = message["status"]
                extra = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in info["headers"].items()]
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        recorded = False
        generation = self.sandbox.log_generation

        def record() -> None:
            # Called before a connection is dropped on purpose, too: what runs after the
            # drop is up to the server, and a test may read the log right away.
            nonlocal recorded
            if recorded:
                return
            recorded = True
            self.sandbox.record_log({
                "method": method, "path": path,
                "query": scope.get("query_string", b"").decode("latin-1"),
                "status": status_box["status"], "company": info.get("company"),
                "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(started)),
                "durationMs": round((time.time() - started) * 1000, 1),
            }, generation)

        try:
            latency, rule = self.sandbox.faults.take(method, path)
            if latency:
                await asyncio.sleep(latency / 1000)
            if rule is None:
                await self.app(scope, receive, send_wrapped)
            elif rule.kind == "status":
                status_box["status"] = rule.status
                await _fault_response(path, rule.status, rule.retry_after)(scope, receive, send)
            elif rule.kind == "timeout":
                await asyncio.sleep(rule.ms / 1000)
                status_box["status"] = -1
                record()
                await _drop_connection(send)
            else:
                buffered: list[Message] = []

                async def capture(message: Message) -> None:
                    buffered.append(message)

                await self.app(scope, receive, capture)
                applied = buffered and buffered[0].get("status", 500) < 400
                if rule.kind == "drop_after_write":
                    status_box["status"] = -1
                    record()
                    await _drop_connection(send)
                elif rule.kind == "no_location":
                    # A success whose Location header is missing (the specs leave it open).
                    for message in buffered:
                        if message["type"] == "http.response.start":
                            message = {**message, "headers": [(k, v) for k, v in message.get("headers", [])
                                                              if k.lower() != b"location"]}
                        await send_wrapped(message)
                elif applied:
                    status_box["status"] = 500
                    await _fault_response(path, 500, None)(scope, receive, send)
                else:
                    for message in buffered:
                        await send_wrapped(message)
        finally:
            record()
