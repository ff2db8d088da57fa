"""Customer e-mail fixtures: a real SMTP server (aiosmtpd, on a free port of 127.0.0.1) that
Werkbon sends to, which can refuse recipients; the work-order fixtures; tasks run at once."""

from __future__ import annotations

import email
import email.policy
import socket
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller

from tests.workorders.conftest import customer, items, planned_order, work_address  # noqa: F401
from werkbon.customermail import outbox, tasks


@dataclass
class SmtpCatcher:
    """The server's behaviour and what it received. ``refuse_next`` = replies given to the next
    RCPT commands (e.g. "451 4.3.0 Try again later"), one each; ``refuse_always`` = address →
    reply for every RCPT to that address."""

    port: int = 0
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    refuse_next: list[str] = field(default_factory=list)
    refuse_always: dict[str, str] = field(default_factory=dict)
    rcpt_calls: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_calls += 1
        if address in self.refuse_always:
            return self.refuse_always[address]
        if self.refuse_next:
            return self.refuse_next.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A running SMTP server; Werkbon's EMAIL_HOST/PORT point at it."""
    catcher = SmtpCatcher()
    catcher.port = free_port()
    controller = Controller(catcher, hostname="127.0.0.1", port=catcher.port)
    controller.start()
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", catcher.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "werkbon@alfa.example"
    yield catcher
    controller.stop()


@pytest.fixture
def run_tasks_now(monkeypatch):
    """The send task runs in this process when it is enqueued (as a worker would)."""
    monkeypatch.setattr(tasks.send_customer_mail, "delay", lambda mail_id: outbox.send(mail_id))


@pytest.fixture
def mail_on(tenant_a):
    tenant_a.customer_mail_enabled = True
    tenant_a.customer_mail_sender_name = "Alfa Installatie"
    tenant_a.email = "kantoor@alfa.example"
    tenant_a.save()
    return tenant_a
