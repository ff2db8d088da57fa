"""Fault injection rules (control plane): latency, forced status codes, timeouts, and
"apply the write, then fail" so a client's never-twice logic can be tested.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = ("latency", "status", "timeout", "drop_after_write", "error_after_write", "no_location")


@dataclass
class FaultRule:
    """``count`` None = every matching request; otherwise the rule fires that many times."""

    kind: str
    method: str | None = None
    path: str | None = None  # regex, searched in the request path
    count: int | None = 1
    status: int = 503
    retry_after: int | None = None
    ms: int = 0
    id: int = 0
    fired: int = 0
    _regex: re.Pattern[str] | None = field(default=None, repr=False)

    def matches(self, method: str, path: str) -> bool:
        """Whether the rule applies to this request and still has firings left."""
        if self.method and self.method.upper() != method.upper():
            return False
        if self._regex is not None and not self._regex.search(path):
            return False
        return self.count is None or self.fired < self.count

    def public(self) -> dict[str, Any]:
        """The rule as the control plane shows it (``retryAfter`` camel-cased, no regex)."""
        data = asdict(self)
        data.pop("_regex")
        data["retryAfter"] = data.pop("retry_after")
        return data


class FaultRegistry:
    """Thread-safe list of active fault rules."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, spec: dict[str, Any]) -> FaultRule:
        """Add a rule from a control-plane spec (``kind``, ``method``, ``path``, ``count``, ``status``, ``retryAfter``, ``ms``).

        Raises ValueError for an unknown kind; ``re.error`` for a bad path regex.
        """
        kind = spec.get("kind")
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        count = spec.get("count", 1)
        default_ms = 30000 if kind == "timeout" else 0
        status = int(spec.get("status", 429 if kind == "status" else 500))
        retry_after = spec.get("retryAfter", spec.get("retry_after"))
        if kind == "status" and status == 429 and retry_after is None:
            retry_after = 1
        rule = FaultRule(
            kind=kind, method=spec.get("method"), path=spec.get("path"),
            count=None if count is None else int(count), status=status,
            retry_after=None if retry_after is None else int(retry_after),
            ms=int(spec.get("ms", default_ms)), id=next(self._ids),
        )
        rule._regex = re.compile(rule.path) if rule.path else None
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[dict[str, Any]]:
        """The rules in their public form, in the order added."""
        with self._lock:
            return [r.public() for r in self._rules]

    def take(self, method: str, path: str) -> tuple[int, FaultRule | None]:
        """Total latency of matching latency rules and the first other matching rule.

        Matching consumes one firing of each rule involved.
        """
        latency, chosen = 0, None
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                if rule.kind == "latency":
                    latency += rule.ms
                    rule.fired += 1
                elif chosen is None:
                    chosen = rule
                    rule.fired += 1
        return latency, chosen
