"""Issue 11: the signed work order e-mailed to the customer on completion, through a real SMTP
server process (aiosmtpd, see conftest.py): exactly once under SMTP refusals and killed
workers, bounded retries, Dutch failures with the action, nothing when the setting is off."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD
from werkbon.accounts.company import CompanySettingsForm
from werkbon.accounts.models import Tenant
from werkbon.accounts.tenancy import tenant_context
from werkbon.customermail import outbox, tasks
from werkbon.customermail.models import CustomerMail, MailStatus
from werkbon.workorders import services
from werkbon.workorders.models import WorkOrderStatus

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def complete_on_screen(tech_a, order, capture, **data) -> object:
    with capture(execute=True):
        return login(tech_a).post(reverse("workorders:complete", args=[order.pk]),
                                  {"signed_by_name": "Zoë de Vries", **data}, follow=True)


def make_due(mail: CustomerMail) -> None:
    """As if the retry's wait (or the lease) has passed."""
    past = timezone.now() - dt.timedelta(seconds=1)
    CustomerMail.all_tenants.filter(pk=mail.pk).update(next_attempt_at=past, lease_until=past)


def sweep_and_send() -> int:
    """What beat's sweep and a worker do: enqueue every due row, send each."""
    return tasks.sweep()


def attachment(message):
    (part,) = [p for p in message.iter_attachments()]
    return part.get_filename(), part.get_content()


def test_completion_emails_the_signed_pdf_once(mail_on, planned_order, tech_a, office_a, smtp,
                                               run_tasks_now, django_capture_on_commit_callbacks):
    response = complete_on_screen(tech_a, planned_order, django_capture_on_commit_callbacks,
                                  customer_email="  zoe@bakkerij.example ")
    assert response.status_code == 200
    with tenant_context(mail_on):
        mail = CustomerMail.objects.get()
    assert mail.status == MailStatus.SENT and mail.sent_at is not None and mail.attempts == 1
    (message,) = smtp.messages
    assert message["X-Envelope-To"] == "zoe@bakkerij.example" and message["To"] == "zoe@bakkerij.example"
    assert message["Subject"] == f"Werkbon {planned_order.number} van Installatiebedrijf Alfa B.V."
    assert message["From"] == "Alfa Installatie <werkbon@alfa.example>"
    assert message["Reply-To"] == "kantoor@alfa.example"
    assert message["Message-ID"] == mail.message_id
    body = message.get_body(("plain",)).get_content()
    assert "Beste klant" in body and "In de bijlage" in body and "Alfa Installatie" in body
    name, content = attachment(message)
    assert name == f"werkbon-{planned_order.number}.pdf"
    assert content.startswith(b"%PDF") and content == bytes(mail.pdf)
    # Nothing more: the sweep finds nothing to do and a second task for the row does nothing.
    assert sweep_and_send() == 0 and outbox.send(mail.pk) is None
    assert len(smtp.messages) == 1
    # The office sees it on the work-order page: sent, to whom and when.
    html = login(office_a).get(reverse("workorders:detail", args=[planned_order.pk])).content.decode()
    assert 'data-testid="customer-mail-panel"' in html and "zoe@bakkerij.example" in html
    assert "Verstuurd" in html and 'data-status="sent"' in html


def test_the_customer_address_is_used_when_none_is_entered(mail_on, planned_order, tech_a, smtp,
                                                           run_tasks_now,
                                                           django_capture_on_commit_callbacks):
    with tenant_context(mail_on):
        planned_order.customer.email = "info@bakkerij.example"
        planned_order.customer.save()
    page = login(tech_a).get(reverse("workorders:my_work_order", args=[planned_order.pk])).content.decode()
    assert 'value="info@bakkerij.example"' in page  # filled in, the technician may correct it
    complete_on_screen(tech_a, planned_order, django_capture_on_commit_callbacks, customer_email="")
    assert [m["X-Envelope-To"] for m in smtp.messages] == ["info@bakkerij.example"]


def test_the_setting_off_sends_nothing(tenant_a, planned_order, tech_a, smtp, run_tasks_now,
                                       django_capture_on_commit_callbacks):
    assert tenant_a.customer_mail_enabled is False  # off by default
    page = login(tech_a).get(reverse("workorders:my_work_order", args=[planned_order.pk])).content.decode()
    assert "customer-email" not in page
    complete_on_screen(tech_a, planned_order, django_capture_on_commit_callbacks,
                       customer_email="zoe@bakkerij.example")
    planned_order.refresh_from_db()
    assert planned_order.status == WorkOrderStatus.COMPLETED
    assert not CustomerMail.all_tenants.exists() and sweep_and_send() == 0
    assert smtp.messages == [] and smtp.rcpt_calls == 0


def test_an_smtp_refusal_is_retried_and_the_mail_arrives_exactly_once(
        mail_on, planned_order, tech_a, smtp, run_tasks_now, django_capture_on_commit_callbacks):
    smtp.refuse_next = ["451 4.3.0 Mailbox busy, try again later"]
    complete_on_screen(tech_a, planned_order, django_capture_on_commit_callbacks,
                       customer_email="zoe@bakkerij.example")
    mail = CustomerMail.all_tenants.get()
    assert mail.status == MailStatus.PENDING and mail.attempts == 1 and smtp.messages == []
    wait = mail.next_attempt_at - timezone.now()
    assert dt.timedelta(seconds=50) < wait <= dt.timedelta(seconds=60)  # back-off, not at once
    with tenant_context(mail_on):
        assert "451" in mail.error_text() and "probeert het" in mail.error_text()
    assert sweep_and_send() == 0  # not due yet
    make_due(mail)
    assert sweep_and_send() == 1
    mail.refresh_from_db()
    assert mail.status == MailStatus.SENT and mail.attempts == 2
    assert len(smtp.messages) == 1 and smtp.messages[0]["Message-ID"] == mail.message_id
    make_due(mail)
    assert sweep_and_send() == 0 and len(smtp.messages) == 1


def test_a_killed_workers_mail_is_sent_once_after_its_lease(mail_on, planned_order, tech_a, smtp,
                                                             django_capture_on_commit_callbacks):
    # The completion's task is lost (not run here); a worker claims the row and dies.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.complete(planned_order, user=tech_a, customer_email="zoe@bakkerij.example")
    assert len(callbacks) == 1  # the send task would be enqueued on commit
    mail = CustomerMail.all_tenants.get()
    assert outbox.claim(mail.pk) is not None  # ... and the worker is killed here
    # While its lease runs, nobody else sends it: not the sweep, not a duplicate task.
    assert outbox.due_ids() == [] and outbox.send(mail.pk) is None
    make_due(mail)  # the lease ran out
    assert outbox.due_ids() == [mail.pk]
    assert outbox.send(mail.pk) == MailStatus.SENT
    assert outbox.send(mail.pk) is None and outbox.due_ids() == []
    assert len(smtp.messages) == 1
    mail.refresh_from_db()
    assert mail.attempts == 2 and mail.status == MailStatus.SENT


def test_a_lost_sent_mark_sends_a_second_copy_with_the_same_message_id(
        mail_on, planned_order, tech_a, smtp, django_capture_on_commit_callbacks):
    """The documented at-least-once case: the server accepted the message, then the worker
    died before marking it sent. It is sent again after the lease, with the same Message-ID,
    so the customer's mail program shows one message; it is not sent a third time."""
    services.complete(planned_order, user=tech_a, customer_email="zoe@bakkerij.example")
    mail = CustomerMail.all_tenants.get()
    token = outbox.claim(mail.pk)
    with tenant_context(mail_on):
        outbox._attempt(CustomerMail.objects.get(pk=mail.pk), token)  # sent; the mark is lost
    assert len(smtp.messages) == 1
    make_due(mail)
    assert outbox.send(mail.pk) == MailStatus.SENT
    make_due(mail)
    assert outbox.send(mail.pk) is None and outbox.due_ids() == []
    assert [m["Message-ID"] for m in smtp.messages] == [mail.message_id, mail.message_id]
    first, second = (attachment(m)[1] for m in smtp.messages)
    assert first == second  # the PDF rendered at the first attempt, kept


def test_a_refused_address_fails_at_once_with_the_dutch_action_and_can_be_sent_again(
        mail_on, planned_order, tech_a, office_a, office_b, smtp, run_tasks_now,
        django_capture_on_commit_callbacks):
    smtp.refuse_always["zoe@bakkerij.example"] = "550 5.1.1 No such user"
    complete_on_screen(tech_a, planned_order, django_capture_on_commit_callbacks,
                       customer_email="zoe@bakkerij.example")
    mail = CustomerMail.all_tenants.get()
    assert mail.status == MailStatus.FAILED and mail.attempts == 1 and smtp.messages == []
    office = login(office_a)
    html = office.get(reverse("workorders:detail", args=[planned_order.pk])).content.decode()
    assert "De mailserver weigerde de werkbon te bezorgen aan zoe@bakkerij.example" in html
    assert "550 5.1.1 No such user" in html
    assert "Controleer het adres met de klant" in html and "Opnieuw versturen" in html
    assert sweep_and_send() == 0  # failed rows are not retried by themselves
    # Another tenant's office cannot touch it.
    url = reverse("customermail:send_again", args=[planned_order.pk])
    assert login(office_b).post(url, {"recipient": "evil@example.com"}).status_code == 404
    # An invalid correction is refused with a Dutch message; a valid one is sent.
    response = office.post(url, {"recipient": "zoe@bakkerij\r\nBcc: x@y"}, follow=True)
    assert "is geen geldig e-mailadres" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        office.post(url, {"recipient": "zoe.devries@bakkerij.example"})
    mail.refresh_from_db()
    assert mail.status == MailStatus.SENT and mail.recipient == "zoe.devries@bakkerij.example"
    assert [m["X-Envelope-To"] for m in smtp.messages] == ["zoe.devries@bakkerij.example"]


def test_an_invalid_address_at_completion_is_refused_in_dutch(mail_on, planned_order, tech_a, smtp,
                                                              django_capture_on_commit_callbacks):
    response = complete_on_screen(tech_a, planned_order, django_capture_on_commit_callbacks,
                                  customer_email="zoe at bakkerij")
    assert "Voer een geldig e-mailadres in" in response.content.decode()
    planned_order.refresh_from_db()
    assert planned_order.status == WorkOrderStatus.PLANNED and not CustomerMail.all_tenants.exists()
    # The service itself refuses a header-injection attempt and an oversized address.
    for bad in ("zoe@bakkerij.example\nBcc: all@example.com", "a" * 250 + "@b.nl"):
        with pytest.raises(services.LifecycleError, match="geen geldig e-mailadres"):
            services.complete(planned_order, user=tech_a, customer_email=bad)
    assert smtp.messages == []


def test_no_address_at_all_fails_with_the_action(mail_on, planned_order, tech_a, office_a, smtp,
                                                 run_tasks_now, django_capture_on_commit_callbacks):
    complete_on_screen(tech_a, planned_order, django_capture_on_commit_callbacks, customer_email="")
    mail = CustomerMail.all_tenants.get()
    assert mail.status == MailStatus.FAILED and mail.recipient == ""
    html = login(office_a).get(reverse("workorders:detail", args=[planned_order.pk])).content.decode()
    assert "er is geen e-mailadres van de klant" in html
    assert "Vul hieronder het e-mailadres van de klant in" in html
    assert smtp.rcpt_calls == 0
    # The status line says so in words (not "Niet verzonden aan —"), with the form to act.
    assert "aan —" not in html and "aan  (" not in html
    assert 'data-testid="customer-mail-no-address"' in html
    assert "geen e-mailadres van de klant bekend (gereed gemeld" in html
    assert 'data-testid="customer-mail-send-again"' in html and "Opnieuw versturen" in html


def test_after_a_reopen_the_form_offers_the_address_used_last(mail_on, planned_order, tech_a, office_a,
                                                             smtp, run_tasks_now,
                                                             django_capture_on_commit_callbacks):
    from werkbon.workorders.models import Customer

    Customer.all_tenants.filter(pk=planned_order.customer_id).update(email="info@bakkerij.example")
    complete_on_screen(tech_a, planned_order, django_capture_on_commit_callbacks,
                       customer_email="zoe@bakkerij.example")
    office = login(office_a)
    office.post(reverse("workorders:reopen", args=[planned_order.pk]))
    planned_order.refresh_from_db()
    assert planned_order.status == WorkOrderStatus.PLANNED
    technician_page = login(tech_a).get(
        reverse("workorders:my_work_order", args=[planned_order.pk])).content.decode()
    office_page = office.get(reverse("workorders:detail", args=[planned_order.pk])).content.decode()
    for page in (technician_page, office_page):
        assert 'value="zoe@bakkerij.example"' in page and 'value="info@bakkerij.example"' not in page
    # The office's corrected address (Send again) is the last one used.
    with tenant_context(mail_on):
        CustomerMail.objects.update(recipient="zoe.devries@bakkerij.example")
    page = login(tech_a).get(reverse("workorders:my_work_order", args=[planned_order.pk])).content.decode()
    assert 'value="zoe.devries@bakkerij.example"' in page


def test_an_unreachable_server_is_retried_a_bounded_number_of_times(
        mail_on, planned_order, tech_a, settings, django_capture_on_commit_callbacks):
    from tests.customermail.conftest import free_port

    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    services.complete(planned_order, user=tech_a, customer_email="zoe@bakkerij.example")
    mail = CustomerMail.all_tenants.get()
    waits = []
    for _attempt in range(outbox.MAX_ATTEMPTS):
        make_due(mail)
        outbox.send(mail.pk)
        mail.refresh_from_db()
        if mail.next_attempt_at and mail.status == MailStatus.PENDING:
            waits.append(round((mail.next_attempt_at - timezone.now()).total_seconds() / 60))
    assert waits == [1, 2, 4, 8]  # minutes between the attempts
    assert mail.status == MailStatus.FAILED and mail.attempts == outbox.MAX_ATTEMPTS
    with tenant_context(mail_on):
        assert "na 5 pogingen" in mail.error_text() and "bereikbaar" in mail.action_text()
        assert "(mailserver niet bereikbaar)" in mail.error_text()
    make_due(mail)
    assert outbox.due_ids() == []


def test_no_mail_server_set_up_fails_at_once_with_the_action(mail_on, planned_order, tech_a,
                                                             settings):
    settings.EMAIL_HOST = ""
    services.complete(planned_order, user=tech_a, customer_email="zoe@bakkerij.example")
    mail = CustomerMail.all_tenants.get()
    assert outbox.send(mail.pk) == MailStatus.FAILED
    with tenant_context(mail_on):
        assert "niet ingesteld" in mail.__class__.objects.get().error_text()


def test_one_mail_per_completion_and_reopening_cancels_a_waiting_one(mail_on, planned_order, tech_a,
                                                                      office_a, smtp, run_tasks_now):
    with tenant_context(mail_on):
        order = services.complete(planned_order, user=tech_a, customer_email="zoe@bakkerij.example")
        first = CustomerMail.objects.get()
        # The same completion queued again (a signal delivered twice) is the same row.
        assert outbox.queue_for_completion(order, customer_email="other@example.com").pk == first.pk
        with pytest.raises(services.LifecycleError):  # a double completion is refused
            services.complete(order, user=tech_a)
        services.reopen(order)
        services.plan(order, technicians=[tech_a], planned_start=timezone.now())
        services.complete(order, user=tech_a, customer_email="zoe@bakkerij.example")
        first.refresh_from_db()
        second = CustomerMail.objects.exclude(pk=first.pk).get()
    assert first.status == MailStatus.CANCELLED and second.status == MailStatus.PENDING
    assert first.message_id != second.message_id
    assert sweep_and_send() == 1
    assert len(smtp.messages) == 1 and smtp.messages[0]["Message-ID"] == second.message_id


def test_no_header_can_be_injected_through_the_settings(mail_on, planned_order, tech_a, smtp):
    form = CompanySettingsForm(instance=mail_on, data={
        "name": mail_on.name, "customer_mail_enabled": "on",
        "planning_day_start": 7, "planning_day_end": 17,
        "customer_mail_sender_name": "Alfa\r\nBcc: all@example.com",
        "customer_mail_text": "x" * 1001})
    assert not form.is_valid()
    assert set(form.errors) == {"customer_mail_sender_name", "customer_mail_text"}
    # A company name with a line break (set elsewhere) still gives one subject line.
    Tenant.objects.filter(pk=mail_on.pk).update(name="Alfa\r\nBcc: all@example.com",
                                                customer_mail_sender_name="Ålfa & Zn. (service)")
    services.complete(planned_order, user=tech_a, customer_email="zoe@bakkerij.example")
    assert outbox.send(CustomerMail.all_tenants.get().pk) == MailStatus.SENT
    (message,) = smtp.messages
    assert message["Bcc"] is None and message["X-Envelope-To"] == "zoe@bakkerij.example"
    assert message["Subject"] == f"Werkbon {planned_order.number} van Alfa Bcc: all@example.com"
    assert message["From"].addresses[0].display_name == "Ålfa & Zn. (service)"


def test_the_jobs_have_time_limits_inside_the_lease():
    for task in (tasks.send_customer_mail, tasks.sweep):
        assert task.soft_time_limit and task.time_limit and task.soft_time_limit < task.time_limit
    assert tasks.send_customer_mail.time_limit < outbox.LEASE_SECONDS


def test_the_api_completion_takes_the_address_too(mail_on, planned_order, tech_a):
    from tests.api.conftest import client_for

    api = client_for(tech_a)
    path = f"/work-orders/{planned_order.pk}/complete"
    refused = api.post(path, {"customer_email": "zoe@bakkerij.example\r\nBcc: all@example.com"})
    assert refused.status_code == 409 and "geen geldig e-mailadres" in refused.json()["detail"]
    assert api.post(path, {"customer_email": "x" * 255}).status_code == 422  # over the bound
    assert api.post(path, {"customer_email": " zoe@bakkerij.example "}).status_code == 200
    assert CustomerMail.all_tenants.get().recipient == "zoe@bakkerij.example"


def test_the_phone_queue_takes_the_address_and_refuses_a_bad_one_in_dutch(mail_on, planned_order, tech_a):
    """The offline app's "Gereed melden" queues ``customer_email`` with ``workorder.complete``;
    the batch endpoint applies it as the web page does (left undone after issue 12)."""
    from tests.api.test_offline_batch import action, send
    from werkbon.workorders import offline

    with tenant_context(mail_on):
        data = offline.offline_data(tech_a)
    assert data["customer_mail"] is True and data["limits"]["max_email"] == 254
    (shown,) = [o for o in data["orders"] if o["id"] == planned_order.pk]
    assert shown["customer"]["email"] == planned_order.customer.email
    phone = login(tech_a)
    bad = send(phone, [action("workorder.complete", planned_order,
                              customer_email="zoe@bakkerij.example\r\nBcc: all@example.com")])[0]
    assert bad["status"] == "refused" and "geen geldig e-mailadres" in bad["detail"], bad
    assert not CustomerMail.all_tenants.exists()
    good = send(phone, [action("workorder.complete", planned_order, signed_by_name="Zoë",
                               customer_email=" zoe@bakkerij.example ")])[0]
    assert good["status"] == "applied"
    assert CustomerMail.all_tenants.get().recipient == "zoe@bakkerij.example"


def test_the_offline_data_says_when_the_company_does_not_mail(tenant_a, planned_order, tech_a):
    from werkbon.workorders import offline

    with tenant_context(tenant_a):
        assert offline.offline_data(tech_a)["customer_mail"] is False


def test_an_invalid_customer_address_fails_with_the_dutch_action(mail_on, planned_order, tech_a, smtp):
    from werkbon.workorders.models import Customer

    Customer.all_tenants.filter(pk=planned_order.customer_id).update(email="info bakkerij.example")
    services.complete(planned_order, user=tech_a)  # nothing typed: the customer's own address
    mail = CustomerMail.all_tenants.get()
    assert outbox.send(mail.pk) == MailStatus.FAILED
    with tenant_context(mail_on):
        mail = CustomerMail.objects.get()
        assert mail.error_text() == ("De werkbon is niet gemaild: info bakkerij.example is geen geldig "
                                     "e-mailadres.")
        assert mail.action_text() == "Verbeter hieronder het adres en kies Opnieuw versturen."
    assert smtp.rcpt_calls == 0


def test_an_unexpected_error_is_retried_bounded_and_shown_in_dutch(mail_on, planned_order, tech_a, smtp,
                                                                   monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("renderer broke")

    monkeypatch.setattr(outbox, "render_work_order_pdf", broken)
    services.complete(planned_order, user=tech_a, customer_email="zoe@bakkerij.example")
    mail = CustomerMail.all_tenants.get()
    assert outbox.send(mail.pk) == MailStatus.PENDING
    with tenant_context(mail_on):
        mail = CustomerMail.objects.get()
        assert mail.error_text() == ("Poging 1 om de werkbon te mailen is mislukt (onverwachte fout; de "
                                     "ondersteuning kan de details lezen); Werkbon probeert het over "
                                     "enkele minuten opnieuw.")
    assert "renderer broke" in mail.detail and mail.pdf is None and smtp.rcpt_calls == 0


INVISIBLE = ["\u0085", "\x9f", "\x80", "\u2028", "\u2029", "\u202e", "\u2066", "\u200b", "\ufeff",
             "\x0b", "\x1c"]


@pytest.mark.parametrize("character", INVISIBLE)
def test_the_sender_name_refuses_invisible_and_line_breaking_characters(mail_on, character):
    from django.core.exceptions import ValidationError

    name = f"Demo & Zn{character}Bcc: evil@x.nl"
    form = CompanySettingsForm(instance=mail_on, data={
        "name": mail_on.name, "customer_mail_enabled": "on",
        "planning_day_start": 7, "planning_day_end": 17, "customer_mail_sender_name": name})
    assert not form.is_valid() and set(form.errors) == {"customer_mail_sender_name"}
    assert "onzichtbare tekens" in form.errors["customer_mail_sender_name"][0]
    mail_on.customer_mail_sender_name = name
    with pytest.raises(ValidationError):
        mail_on.full_clean()


def test_the_sender_name_keeps_ordinary_accents_and_signs(mail_on):
    form = CompanySettingsForm(instance=mail_on, data={
        "name": mail_on.name, "customer_mail_enabled": "on",
        "planning_day_start": 7, "planning_day_end": 17,
        "customer_mail_sender_name": "Ålfa & Zoën (service) – Müller's"})
    assert form.is_valid(), form.errors


def test_invisible_characters_never_reach_the_headers(mail_on, planned_order, tech_a, smtp):
    """Names stored before the check (or set elsewhere) are cleaned in the mail itself: the
    From's display name and the subject built from the company name."""
    import unicodedata

    Tenant.objects.filter(pk=mail_on.pk).update(
        name="Alfa\u0085Bcc: a@b.nl \u202eBV\u200b\u2028x\x9f",
        customer_mail_sender_name="Demo & Zn\u0085Bcc: evil@x.nl\u2029\u2067")
    services.complete(planned_order, user=tech_a, customer_email="zoe@bakkerij.example")
    assert outbox.send(CustomerMail.all_tenants.get().pk) == MailStatus.SENT
    (message,) = smtp.messages
    display = message["From"].addresses[0].display_name
    subject = message["Subject"]
    assert display == "Demo & Zn Bcc: evil@x.nl"
    assert subject == f"Werkbon {planned_order.number} van Alfa Bcc: a@b.nl BV x"
    for text in (display, subject):
        assert not [ch for ch in text if unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"}]
    assert message["Bcc"] is None and message["X-Envelope-To"] == "zoe@bakkerij.example"
