"""Never lost, never twice, with real worker processes: the worker is SIGKILLed while it talks
to the SMTP server (before the message was handed over); after the row's lease a new worker's
sweep (beat, every second here) sends it, and the customer gets exactly one e-mail.

An embedded installation (SQLite file + filesystem broker, ``worker -B``) in a temporary
folder; the SMTP server is aiosmtpd in this test process.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from aiosmtpd.controller import Controller

from tests.customermail.conftest import SmtpCatcher, free_port
from tests.fixtures.workers import EmbeddedApp, wait_for

pytestmark = pytest.mark.slow

SETUP = """
from django.utils import timezone
from werkbon.accounts.models import Role, Tenant, User
from werkbon.accounts.tenancy import tenant_context
from werkbon.customermail.models import CustomerMail
from werkbon.workorders import services
from werkbon.workorders.models import Customer
tenant = Tenant.objects.create(name="Kill B.V.", slug="kill", customer_mail_enabled=True)
tech = User.objects.create_user(username="kill-tech", password=None, tenant=tenant, role=Role.TECHNICIAN)
with tenant_context(tenant):
    customer = Customer.objects.create(number="K1", name="Klant", email="klant@example.com")
    order = services.create_work_order(customer=customer, technicians=[tech], planned_start=timezone.now())
    services.complete(order, user=tech)  # the on-commit enqueue writes the broker message
    print(CustomerMail.objects.get().pk)
"""


class SlowFirstRcpt(SmtpCatcher):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_calls == 0:
            self.rcpt_calls += 1
            await asyncio.sleep(5)  # the first worker is killed while it waits here
            return "451 4.4.2 Timeout"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def test_a_killed_workers_mail_is_sent_exactly_once_by_the_next_worker(tmp_path, start_worker):
    catcher = SlowFirstRcpt()
    catcher.port = free_port()
    controller = Controller(catcher, hostname="127.0.0.1", port=catcher.port)
    controller.start()
    try:
        app = EmbeddedApp(tmp_path, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(catcher.port),
                          WERKBON_CUSTOMER_MAIL_SWEEP_SECONDS="1", WERKBON_SCHEDULER_TICK_SECONDS="1")
        app.migrate()
        mail_id = int(app.python(SETUP).strip().splitlines()[-1])

        def row() -> tuple:
            return app.query("SELECT status, attempts FROM customermail_customermail WHERE id = ?", mail_id)[0]

        first = app.worker(start_worker, "first")
        wait_for(lambda: catcher.rcpt_calls >= 1, 60, "the first worker talking to the SMTP server", first.log)
        first.kill()
        assert row() == ("sending", 1) and catcher.messages == []
        # As if the lease (2 minutes) ran out.
        app.query("UPDATE customermail_customermail SET lease_until = '2000-01-01 00:00:00' WHERE id = ?", mail_id)
        second = app.worker(start_worker, "second")
        wait_for(lambda: row()[0] == "sent", 60, "the e-mail being sent by the second worker", second.log)
        assert row() == ("sent", 2)
        time.sleep(2)  # two more sweeps: nothing is sent again
        assert [m["X-Envelope-To"] for m in catcher.messages] == ["klant@example.com"]
        assert catcher.messages[0]["Message-ID"] == app.query(
            "SELECT message_id FROM customermail_customermail WHERE id = ?", mail_id)[0][0]
    finally:
        controller.stop()
