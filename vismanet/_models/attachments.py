"""Attachment bytes read back from the ERP API."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AttachmentContent:
    """An attachment's latest revision (``attachment.get``).

    Attributes:
        id: The attachment id (GUID).
        content: The file bytes.
        content_type: The response's ``Content-Type``, if any.
        filename: From ``Content-Disposition``, if the API sent it.
    """

    id: str
    content: bytes = field(repr=False)
    content_type: str | None = None
    filename: str | None = None

    @property
    def size(self) -> int:
        return len(self.content)
