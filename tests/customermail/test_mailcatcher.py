"""The development mail catcher that ./dev up starts (devtools/mailcatcher.py): a real SMTP
server process that keeps what it gets, and a page that shows it (escaped)."""

from __future__ import annotations

import smtplib
import socket
import subprocess
import sys
import time
import urllib.request
from email.message import EmailMessage
from pathlib import Path

from tests.customermail.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def wait_for(port: int, process: subprocess.Popen, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"port {port} did not open")


def test_it_catches_an_email_and_shows_it_with_its_attachment(tmp_path):
    smtp_port, web_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "devtools" / "mailcatcher.py"), "--smtp-port", str(smtp_port),
         "--web-port", str(web_port), "--dir", str(tmp_path / "mail")],
        stderr=subprocess.PIPE, text=True)
    try:
        wait_for(smtp_port, process)
        wait_for(web_port, process)
        message = EmailMessage()
        message["From"], message["To"] = "werkbon@alfa.example", "zoe@bakkerij.example"
        message["Subject"] = "Werkbon 7 van <Alfa>"
        message.set_content("Beste klant,")
        message.add_attachment(b"%PDF-1.4 test", maintype="application", subtype="pdf",
                               filename="werkbon-7.pdf")
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=5) as client:
            client.send_message(message)
        page = urllib.request.urlopen(f"http://127.0.0.1:{web_port}/", timeout=5).read().decode()
        assert "Werkbon 7 van &lt;Alfa&gt;" in page and "zoe@bakkerij.example" in page
        assert "Beste klant," in page and "werkbon-7.pdf" in page
        (eml,) = (tmp_path / "mail").glob("*.eml")
        pdf = urllib.request.urlopen(f"http://127.0.0.1:{web_port}/{eml.name}/0", timeout=5).read()
        assert pdf == b"%PDF-1.4 test"
    finally:
        process.terminate()
        process.wait(timeout=10)
