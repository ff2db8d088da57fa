"""A text field encrypted at rest (Fernet, keyed by ``settings.FIELD_ENCRYPTION_KEY``).

Used for OAuth tokens and client secrets: the database only ever holds ciphertext, and
the value never appears in ``repr`` or logs of the model.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def _fernet() -> Fernet:
    try:
        return Fernet(settings.FIELD_ENCRYPTION_KEY.encode())
    except ValueError as exc:
        raise ImproperlyConfigured(
            "WERKBON_FIELD_ENCRYPTION_KEY must be 32 url-safe base64-encoded bytes"
        ) from exc


def encrypt(text: str) -> str:
    """Fernet token (url-safe base64 text) of ``text`` under WERKBON_FIELD_ENCRYPTION_KEY.

    Raises ImproperlyConfigured when the key is not 32 url-safe base64-encoded bytes.
    """
    return _fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    """Plain text of a token made by :func:`encrypt`.

    Raises ValueError when the current key cannot decrypt it; ImproperlyConfigured for a bad key.
    """
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # a changed key: the stored value is unusable, not a crash
        raise ValueError("stored secret cannot be decrypted with the current key") from exc


class EncryptedTextField(models.TextField):
    """Stores ``encrypt(value)``; reads back the plain text. Empty stays empty."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str:
        """Decrypt the stored value; ``""`` for NULL or empty. ValueError under another key."""
        if not value:
            return ""
        return decrypt(value)

    def get_prep_value(self, value: Any) -> str:
        """Encrypt ``str(value)`` for the database; ``""`` for None or empty."""
        if not value:
            return ""
        return encrypt(str(value))
