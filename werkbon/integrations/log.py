"""Writing the integration log (manual 8): one function, secrets filtered out.

``message`` and ``action`` are English message ids (mark them with ``gettext_noop`` where
they are written so they are translated when the log is shown); ``params`` fill their
``%(name)s`` placeholders. ``detail`` is for support: it passes through :func:`redact`.
"""

from __future__ import annotations

import re
from typing import Any

from werkbon.integrations.models import (
    COUNT_KEY,
    PLURAL_KEY,
    TRANSLATE_KEY,
    ExportRecord,
    Integration,
    LogEntry,
    LogLevel,
)

# Bearer tokens, HTTP Basic credentials (base64 of client id and secret), token/secret/password
# fields in JSON, form bodies or query strings.
_SECRET_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/=]+"),
    re.compile(r"(?i)(\bbasic\s+)[A-Za-z0-9+/]{8,}={0,2}"),
    re.compile(
        r"(?i)([\"']?(?:access_token|refresh_token|id_token|client_secret|password|code_verifier|"
        r"authorization|code)[\"']?\s*[:=]\s*[\"']?)[^\"'&\s,}]+"
    ),
]


def redact(text: str, secrets: list[str] | None = None) -> str:
    """``text`` with bearer tokens, secret-looking fields and the given ``secrets`` masked."""
    for secret in secrets or []:
        if secret and len(secret) >= 6:
            text = text.replace(secret, "***")
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(r"\1***", text)
    return text


def log(
    integration: Integration | None,
    level: str,
    table: str,
    message: str,
    *,
    action: str = "",
    params: dict[str, Any] | None = None,
    detail: str = "",
    object_ref: str = "",
    export: ExportRecord | None = None,
    plural: str = "",
    count: int | None = None,
    translate: tuple[str, ...] | list[str] = (),
) -> LogEntry:
    """Add a log entry in the current tenant; returns it. ``level`` is a LogLevel value.

    ``plural`` (an English plural msgid, with ``count``) makes the message plural-aware
    (ngettext when shown); ``translate`` names params whose values are msgids themselves
    (e.g. a status word), or lists of msgids (joined with ", "), translated when shown.
    """
    if level not in LogLevel.values:
        raise ValueError(f"unknown log level {level!r}")
    params = dict(params or {})
    if plural:
        params[PLURAL_KEY], params[COUNT_KEY] = plural, int(count or 0)
    if translate:
        params[TRANSLATE_KEY] = list(translate)
    return LogEntry.objects.create(
        integration=integration,
        level=level,
        table=table,
        message=message,
        action=action,
        params=params,
        detail=redact(detail)[:20000],
        company=integration.company_label if integration else "",
        object_ref=object_ref[:100],
        export=export,
    )
