"""Customer e-mail fixtures: the work-order fixtures; tasks run at once. The SMTP server
(``smtp``, ``SmtpCatcher``, ``free_port``) is the plugin tests/fixtures/smtp.py, shared with
the browser tests; its names stay importable from here."""

from __future__ import annotations

import pytest

from tests.fixtures.smtp import SmtpCatcher, free_port  # noqa: F401
from tests.workorders.conftest import customer, items, planned_order, work_address  # noqa: F401
from werkbon.customermail import outbox, tasks


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
