"""kombu's filesystem transport, with messages that appear in the queue folder only whole.

The kombu bug (kombu 5.x, ``kombu/transport/filesystem.py``): ``Channel._put`` creates the
message file under its final ``<time>_<uuid>.<queue>.msg`` name first and serialises and
writes the payload afterwards. A consumer polling the folder (``Channel._get``) can move and
read the file in between, gets zero or a part of the bytes, and ``json.loads`` raises
``JSONDecodeError``, which Celery treats as an unrecoverable error: the worker stops. The
file lock ``_put`` takes does not help, as ``_get`` never locks.

Here ``_put`` writes the message to a temporary file in the same folder, under a name the
readers ignore (it does not end in ``.<queue>.msg``), and then renames it to its final name
with ``os.replace``, which is atomic within one file system: a reader sees no file or the
whole message. Reading is kombu's own code.

The transport is registered as ``werkbon-filesystem://`` (``register()``, called by
``werkbon.celery`` before the Celery app reads its settings); it takes the same transport
options as kombu's ``filesystem://``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from pathlib import Path
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

SCHEME = "werkbon-filesystem"
# Temporary files start with a dot: kombu's readers take the part after the first dot as
# "<queue>.msg", which ".incoming-....part" never matches, so they skip them.
TEMPORARY_PREFIX = ".incoming-"
TEMPORARY_SUFFIX = ".part"


class Channel(filesystem.Channel):
    """kombu's filesystem channel whose ``_put`` publishes a message atomically."""

    def _put(self, queue, payload, **kwargs):
        # Same final name as kombu's, so the order of messages stays kombu's.
        final = Path(self.data_folder_out) / f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        data = str_to_bytes(dumps(payload))  # serialise before anything is visible
        temporary = None
        try:
            descriptor, name = tempfile.mkstemp(
                dir=final.parent, prefix=TEMPORARY_PREFIX, suffix=TEMPORARY_SUFFIX
            )
            temporary = Path(name)
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
            temporary.replace(final)
        except OSError as exc:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    temporary.unlink()
            raise ChannelError(f"Cannot add file {final.name!r} to directory {str(final.parent)!r}") from exc


class Transport(filesystem.Transport):
    """kombu's filesystem transport with :class:`Channel` (atomic writes)."""

    Channel = Channel
    driver_name = SCHEME

    @property
    def default_connection_params(self):
        # No host to connect to: without a default hostname kombu does not warn
        # "No hostname was supplied. Reverting to default 'localhost'" on every connection.
        return {"port": self.default_port}


def register() -> None:
    """Make ``werkbon-filesystem://`` known to kombu (and so to Celery)."""
    TRANSPORT_ALIASES.setdefault(SCHEME, f"{__name__}:Transport")
