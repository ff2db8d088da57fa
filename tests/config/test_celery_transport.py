"""The embedded queue (``werkbon-filesystem://``) never hands a reader a half-written message.

kombu's own ``filesystem://`` creates the message file before it writes the bytes, so a
consumer can read an empty or partial file and the worker dies on ``JSONDecodeError``
(werkbon/celery_transport.py). A writer thread publishes large messages while the reader
consumes them through kombu, as Celery's worker does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from queue import Empty

from kombu import Connection

from werkbon import celery_transport

MESSAGES = 25
# Large enough that serialising one takes a while: kombu's transport does that with the
# (empty) file already in the folder.
PAYLOAD_CHARS = 2_000_000
SECONDS = 8


def pump(url: str, folder) -> tuple[list[bool], list[BaseException]]:
    """Publish MESSAGES while consuming them; returns one "intact" flag per message read."""
    celery_transport.register()
    # kombu remembers bindings per process (not per folder): a fresh queue name per run.
    name = f"race-{uuid.uuid4().hex}"
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder),
               "control_folder": str(folder / "control"), "polling_interval": 0.001}
    errors: list[BaseException] = []
    received: list[bool] = []

    def write() -> None:
        try:
            with Connection(url, transport_options=options) as connection:
                queue = connection.SimpleQueue(name)
                for number in range(MESSAGES):
                    body = str(number) * (PAYLOAD_CHARS // len(str(number)))
                    queue.put({"number": number, "body": body,
                               "sha": hashlib.sha256(body.encode()).hexdigest()})
                queue.close()
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    writer = threading.Thread(target=write, daemon=True)
    with Connection(url, transport_options=options) as connection:
        queue = connection.SimpleQueue(name)
        writer.start()
        deadline = time.monotonic() + SECONDS
        while len(received) < MESSAGES and time.monotonic() < deadline and not errors:
            try:
                message = queue.get(block=True, timeout=0.01)
            except Empty:
                continue
            except Exception as exc:  # what kills a Celery worker
                errors.append(exc)
                break
            body = message.payload
            received.append(hashlib.sha256(body["body"].encode()).hexdigest() == body["sha"])
            message.ack()
        queue.close()
    writer.join(timeout=SECONDS)
    return received, errors


def test_every_message_arrives_whole_on_the_werkbon_transport(tmp_path):
    received, errors = pump("werkbon-filesystem://", tmp_path)
    assert errors == []
    assert received == [True] * MESSAGES
    assert not list(tmp_path.glob(f"{celery_transport.TEMPORARY_PREFIX}*")), "temporary files left"


def test_a_message_becomes_visible_only_once_it_is_complete(tmp_path, monkeypatch):
    """Deterministic: at the moment the ``.msg`` name appears, the bytes are all there.
    (A test that waits for kombu's own race to happen would be flaky by nature.)"""
    celery_transport.register()
    published: list[tuple[str, bytes, bool]] = []
    real_replace = celery_transport.Path.replace

    def spy(self, target):  # type: ignore[no-untyped-def]
        published.append((str(target), self.read_bytes(), celery_transport.Path(target).exists()))
        return real_replace(self, target)

    monkeypatch.setattr(celery_transport.Path, "replace", spy)
    options = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path),
               "control_folder": str(tmp_path / "control")}
    with Connection("werkbon-filesystem://", transport_options=options) as connection:
        queue = connection.SimpleQueue(f"visible-{uuid.uuid4().hex}")
        queue.put({"body": "x" * 100_000})
        queue.close()
    (target, content, existed), = published
    assert target.endswith(".msg") and not existed
    assert json.loads(content)["body"]  # complete JSON before the name is visible
    assert not list(tmp_path.glob(f"{celery_transport.TEMPORARY_PREFIX}*"))


def test_it_does_not_warn_about_a_missing_hostname(tmp_path, caplog):
    celery_transport.register()
    with caplog.at_level(logging.WARNING, logger="kombu.connection"):
        connection = Connection("werkbon-filesystem://", transport_options={
            "data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path)})
        connection.as_uri()
        connection.info()
    assert "No hostname" not in caplog.text
    with caplog.at_level(logging.WARNING, logger="kombu.connection"):
        Connection("filesystem://").info()
    assert "No hostname" in caplog.text  # kombu's class does warn: the check above is real
