"""A local SMTP catcher for development (``./dev up`` starts it): nothing leaves the machine.

``python devtools/mailcatcher.py --smtp-port 8025 --web-port 8025 --dir var/mail``

* an SMTP server (aiosmtpd) on 127.0.0.1:``--smtp-port`` that accepts every e-mail (no login,
  no TLS) and keeps it as an ``.eml`` file in ``--dir`` (the newest :data:`KEEP`);
* a web page on http://127.0.0.1:``--web-port``/ listing the caught e-mails, newest first:
  when, from, to, subject, the text and the attachments (each downloadable, as is the whole
  ``.eml``). Development only: it is in the ``sandbox`` dependency group, never in production.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import html
import re
import signal
import sys
import threading
import time
import uuid
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller

KEEP = 200  # e-mails kept on disk
MAX_MESSAGE_BYTES = 20 * 1024 * 1024
_NAME = re.compile(r"^\d{10,}-[0-9a-f]{32}\.eml$")


class Store:
    """The caught e-mails as ``<epoch ns>-<uuid>.eml`` files in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def add(self, content: bytes) -> Path:
        path = self.folder / f"{time.time_ns()}-{uuid.uuid4().hex}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(content)
        tmp.replace(path)
        for old in self.names()[KEEP:]:
            (self.folder / old).unlink(missing_ok=True)
        return path

    def names(self) -> list[str]:
        return sorted((p.name for p in self.folder.glob("*.eml") if _NAME.match(p.name)), reverse=True)

    def read(self, name: str) -> EmailMessage | None:
        if not _NAME.match(name) or not (self.folder / name).exists():
            return None
        return email.message_from_bytes((self.folder / name).read_bytes(), policy=email.policy.default)  # type: ignore[return-value]


class Handler:
    """aiosmtpd handler: keep every message, with the envelope's recipients."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def handle_DATA(self, server, session, envelope):
        header = f"X-Caught-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n".encode()
        self.store.add(header + envelope.content)
        return "250 Caught by the Werkbon mail catcher"


def _page(store: Store) -> str:
    rows = []
    for name in store.names():
        message = store.read(name)
        if message is None:
            continue
        text = message.get_body(("plain",))
        attachments = [
            f'<a href="/{name}/{index}">{html.escape(part.get_filename() or "bijlage")}</a> '
            f"({len(part.get_content()) // 1024 + 1} kB)"
            for index, part in enumerate(message.iter_attachments())
        ]
        rows.append(
            "<article>"
            f"<h2>{html.escape(str(message['Subject'] or '(no subject)'))}</h2>"
            f"<p><b>Date</b> {html.escape(str(message['Date'] or ''))}<br>"
            f"<b>From</b> {html.escape(str(message['From'] or ''))}<br>"
            f"<b>To</b> {html.escape(str(message['X-Caught-Envelope-To'] or message['To'] or ''))}<br>"
            f"<b>Message-ID</b> {html.escape(str(message['Message-ID'] or ''))}</p>"
            f"<pre>{html.escape(text.get_content() if text else '')}</pre>"
            f"<p>{' · '.join(attachments)} · <a href=\"/{name}\">.eml</a></p>"
            "</article>"
        )
    body = "".join(rows) or "<p>No e-mails caught yet.</p>"
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>Werkbon mail catcher</title><style>body{font-family:sans-serif;max-width:60em;"
            "margin:2em auto}article{border-bottom:1px solid #ccc;padding:.5em 0}pre{white-space:"
            "pre-wrap;background:#f6f6f6;padding:.5em}</style></head><body>"
            f"<h1>Werkbon mail catcher</h1><p>{len(rows)} e-mail(s), newest first. Reload to "
            f"see new ones.</p>{body}</body></html>")


def make_web_handler(store: Store) -> type[BaseHTTPRequestHandler]:
    class Web(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = [p for p in self.path.split("?")[0].split("/") if p]
            if not parts:
                return self._send(200, "text/html; charset=utf-8", _page(store).encode())
            message = store.read(parts[0])
            if message is None:
                return self._send(404, "text/plain", b"not found")
            if len(parts) == 1:
                return self._send(200, "message/rfc822", message.as_bytes(), f"{parts[0]}")
            attachments = list(message.iter_attachments())
            if len(parts) == 2 and parts[1].isdigit() and int(parts[1]) < len(attachments):
                part = attachments[int(parts[1])]
                name = re.sub(r"[^A-Za-z0-9._-]", "_", part.get_filename() or "bijlage")
                return self._send(200, part.get_content_type(), part.get_content(), name)
            return self._send(404, "text/plain", b"not found")

        def _send(self, status: int, kind: str, content: bytes, filename: str = "") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(content)))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
            if filename:
                self.send_header("Content-Disposition", f'attachment; filename="{filename}"')
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, *args: object) -> None:
            pass

    return Web


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="mailcatcher", description=__doc__)
    parser.add_argument("--smtp-port", type=int, default=8025)
    parser.add_argument("--web-port", type=int, default=8026)
    parser.add_argument("--dir", type=Path, default=Path("var/mail"))
    args = parser.parse_args(argv)
    store = Store(args.dir)
    smtp = Controller(Handler(store), hostname="127.0.0.1", port=args.smtp_port,
                      data_size_limit=MAX_MESSAGE_BYTES)
    smtp.start()
    web = ThreadingHTTPServer(("127.0.0.1", args.web_port), make_web_handler(store))
    threading.Thread(target=web.serve_forever, daemon=True).start()

    def stop(*_: object) -> None:
        web.shutdown()
        smtp.stop()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main(sys.argv[1:])
