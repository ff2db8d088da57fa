"""Fixed-window rate limiting per (company, client_id), as Visma's ``4-fixed-window`` policy."""

from __future__ import annotations

import math
import threading
import time
from typing import Any


class RateLimiter:
    """Counts calls per (tenant, client id) in fixed windows (monotonic seconds)."""

    def __init__(self) -> None:
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget every window."""
        with self._lock:
            self._windows.clear()

    def hit(self, tenant: str, client_id: str, config: dict[str, Any]) -> tuple[bool, dict[str, str]]:
        """Count one call; returns (allowed, headers). ``limit`` null/0 turns limiting off."""
        limit = config.get("limit")
        if not limit:
            return True, {}
        window = float(config.get("windowSeconds", 3600))
        now = time.monotonic()
        key = (tenant.lower(), client_id)
        with self._lock:
            start, count = self._windows.get(key, (now, 0))
            if now - start >= window:
                start, count = now, 0
            allowed = count < limit
            if allowed:
                count += 1
            self._windows[key] = (start, count)
        reset = max(1, math.ceil(start + window - now))
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - count)),
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Policy": str(config.get("policy", "4-fixed-window")),
        }
        if not allowed:
            headers["Retry-After"] = str(reset)
        return allowed, headers
