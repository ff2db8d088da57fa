"""Keep tokens and client secrets out of messages, reprs and logs."""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[REDACTED]"

# Shapes a credential takes in text we did not write ourselves (echoed request bodies, headers).
_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/]+=*"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|id_token|client_secret|code_verifier)"
        r"[\"']?\s*[:=]\s*[\"']?)[^\"'&\s,}]+"
    ),
)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Return ``text`` with every known secret and every credential-shaped value replaced.

    Known secrets are matched literally; short values (under 8 characters) are skipped so a
    redaction never shreds ordinary words.
    """
    for secret in secrets:
        if secret and len(secret) >= 8:
            text = text.replace(secret, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text
