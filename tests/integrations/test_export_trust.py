"""The export never damages or duplicates a bill, and always says what to do (issue 8 export
side, issue 9 finding 3), against the sandbox over HTTP on a real database:

* the marker names the tenant and the export; a document is adopted only when provably ours
  (two tenants on one company, a hand-typed "Werkbon 1", numbering started again);
* the write-back never touches a document Werkbon made itself;
* the status Visma.net gives a new document is read back (credit hold);
* 201 without Location, an attachment never uploaded twice;
* a document deleted in Visma.net: two choices, no Retry, nothing made again by itself.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from vismanet import NewSalesOrder, NewSalesOrderCustomer, NewSalesOrderLine
from vismanet_sandbox import demo
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.models import (
    TRANSIENT_ATTEMPTS,
    ExportAttempt,
    ExportRecord,
    ExportStatus,
    LogEntry,
    LogLevel,
)
from werkbon.integrations.vismanet import export
from werkbon.integrations.vismanet.client import client_for
from werkbon.workorders import services
from werkbon.workorders.models import WorkOrder, WorkOrderSequence

from .conftest import archived_work_order, make_integration
from .test_export import TENANT, configure, documents, run
from .test_export_origin import link_order


def archive_one(tenant, office, tech, **work_order) -> ExportRecord:
    with tenant_context(tenant):
        order = archived_work_order(office, tech, **work_order)
        return ExportRecord.objects.get(work_order_number=order.number)


def hand_made_order(integration, customer_order: str, customer: str = demo.FIRST_CUSTOMER) -> str:
    """A sales order typed in Visma.net by a person (through the API, as the sandbox allows)."""
    with client_for(integration) as client:
        return client.sales_orders.create(NewSalesOrder(
            type="SO", customer=NewSalesOrderCustomer(id=customer, order=customer_order), description="Met de hand",
            order_lines=[NewSalesOrderLine(inventory_id="MAT-1001", quantity=1, warehouse_id="HOOFD")])).id


def delete_order(integration, order_type: str, order_id: str) -> None:
    with client_for(integration) as client:
        etag = client.sales_orders.get(order_type, order_id).etag
        client.sales_orders.delete(order_type, order_id, if_match=etag)


def outcomes(record: ExportRecord) -> list[str]:
    return list(ExportAttempt.all_tenants.filter(export=record).order_by("id").values_list("outcome", flat=True))


def dutch(entry: LogEntry) -> tuple[str, str]:
    with translation.override("nl"):
        return entry.user_message, entry.user_action


def exported_orders(sandbox) -> list[dict]:
    """The sales orders that carry an export's marker."""
    return [o for o in sandbox.control.sales_orders(TENANT)
            if ((o.get("customer") or {}).get("order") or "").startswith("Werkbon ")]


# ---- finding 4: the marker is unique, a document is adopted only when provably ours ------

@pytest.mark.django_db
@pytest.mark.parametrize("target", ["sales_order", "customer_invoice"])
def test_two_tenants_on_one_company_each_get_their_own_document_for_work_order_1(
        vismanet_integration, connect_integration, sandbox, tenant_a, tenant_b, office_a, tech_a, office_b, tech_b,
        target):
    configure(vismanet_integration, target=target)
    integration_b = make_integration(tenant_b, target=target)
    connect_integration(integration_b)  # the same Visma.net company as A
    record_a = run(archive_one(tenant_a, office_a, tech_a))
    record_b = run(archive_one(tenant_b, office_b, tech_b, work=(60,), travel=(), materials=()))
    assert record_a.work_order_number == record_b.work_order_number == 1
    assert record_a.status == record_b.status == ExportStatus.SENT
    assert record_a.marker != record_b.marker
    assert record_a.document_number != record_b.document_number  # B's bill was made, not A's taken
    (doc_a,) = documents(sandbox, target, record_a.marker)
    (doc_b,) = documents(sandbox, target, record_b.marker)
    assert [line[0] for line in doc_b["lines"]] == ["ARBEID"]
    assert len(doc_a["lines"]) == 3
    assert ExportRecord.all_tenants.filter(attempts_log__outcome="adopted").count() == 0


@pytest.mark.django_db
def test_a_hand_typed_werkbon_1_order_is_not_adopted(vismanet_integration, sandbox, tenant_a, office_a, tech_a):
    hand_id = hand_made_order(vismanet_integration, "Werkbon 1")
    record = run(archive_one(tenant_a, office_a, tech_a))
    assert record.work_order_number == 1 and record.status == ExportStatus.SENT
    assert record.document_number != f"SO {hand_id}"
    assert outcomes(record) == ["created"]
    hand = sandbox.control.sales_order(TENANT, "SO", hand_id)
    assert [(ln["inventoryId"], ln["quantity"]) for ln in hand["lines"]] == [("MAT-1001", 1.0)]  # untouched


@pytest.mark.django_db
def test_numbering_started_again_after_a_wipe_never_adopts_the_old_document(vismanet_integration, sandbox, tenant_a,
                                                                            office_a, tech_a):
    first = run(archive_one(tenant_a, office_a, tech_a))
    assert first.work_order_number == 1 and first.status == ExportStatus.SENT
    with tenant_context(tenant_a):  # a wipe that also lost the outbox and the numbering
        ExportRecord.objects.all().delete()
        WorkOrder.objects.all().delete()
        WorkOrderSequence.objects.filter(tenant=tenant_a).update(next_number=1)
    again = run(archive_one(tenant_a, office_a, tech_a, work=(30,), travel=(), materials=()))
    assert again.work_order_number == 1 and again.status == ExportStatus.SENT
    assert again.document_number != first.document_number
    assert outcomes(again) == ["created"]


@pytest.mark.django_db
def test_a_document_with_our_marker_for_another_customer_is_never_adopted(vismanet_integration, sandbox, tenant_a,
                                                                          office_a, tech_a):
    record = archive_one(tenant_a, office_a, tech_a)
    other = hand_made_order(vismanet_integration, record.marker, customer="10002")
    before = len(sandbox.control.sales_orders(TENANT))
    record = run(record)
    assert record.status == ExportStatus.FAILED and record.document_number == ""
    assert len(sandbox.control.sales_orders(TENANT)) == before  # nothing made, nothing taken over
    (entry,) = LogEntry.all_tenants.filter(export=record, level=LogLevel.ERROR)
    message, action = dutch(entry)
    assert message.startswith(f"SO {other} in Visma.net draagt het kenmerk van werkbon 1")
    assert "het is voor een andere klant" in message
    assert action.startswith(f"Controleer SO {other} in Visma.net.")


@pytest.mark.django_db
def test_a_record_from_before_markers_named_the_tenant_never_adopts(vismanet_integration, sandbox, tenant_a,
                                                                    office_a, tech_a):
    record = archive_one(tenant_a, office_a, tech_a)
    ExportRecord.all_tenants.filter(pk=record.pk).update(marker="Werkbon 1")  # an old outbox row
    hand_made_order(vismanet_integration, "Werkbon 1")
    record = run(record)
    assert record.status == ExportStatus.FAILED and record.document_number == ""
    (entry,) = LogEntry.all_tenants.filter(export=record, level=LogLevel.ERROR)
    assert "het kenmerk noemt dit Werkbon-account niet" in dutch(entry)[0]


# ---- finding 1 (defense in depth): never write back to a document Werkbon made -----------

@pytest.mark.django_db
def test_the_write_back_never_touches_a_sales_order_werkbon_made(vismanet_integration, sandbox, tenant_a, office_a,
                                                                 tech_a):
    made = run(archive_one(tenant_a, office_a, tech_a))
    order_type, _sep, order_id = made.document_number.partition(" ")
    lines_before = sandbox.control.sales_order(TENANT, order_type, order_id)["lines"]
    with tenant_context(tenant_a):  # as if the order import had brought that order back
        order = archived_work_order(office_a, tech_a, work=(30,), travel=(), materials=(), archive=False)
        link_order(order, order_type, order_id)
        order = services.archive(order, user=office_a)
        record = run(ExportRecord.objects.get(work_order_number=order.number))
    assert record.status == ExportStatus.FAILED and record.document_number == ""
    assert sandbox.control.sales_order(TENANT, order_type, order_id)["lines"] == lines_before
    assert len(sandbox.control.attachments(TENANT)) == 1  # made's PDF only
    (entry,) = LogEntry.all_tenants.filter(export=record, level=LogLevel.ERROR)
    message, action = dutch(entry)
    assert message.startswith(f"Verkooporder {made.document_number}, waar werkbon {order.number} uit voortkwam,"
                              " is door Werkbon zelf gemaakt")
    assert "buiten Werkbon afgehandeld" in action


# ---- what Visma.net does to a created document ---------------------------------------------

CREDIT_HOLD_CUSTOMER = "10051"  # CreditHold in the demo company


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["sales_order", "customer_invoice"])
def test_a_status_other_than_on_hold_is_read_back_stored_shown_and_logged(vismanet_integration, sandbox, tenant_a,
                                                                          office_a, tech_a, client, target):
    configure(vismanet_integration, target=target)
    sandbox.control.settings(TENANT, creditCheckOnHold=True)
    record = run(archive_one(tenant_a, office_a, tech_a, customer=CREDIT_HOLD_CUSTOMER))
    assert record.status == ExportStatus.SENT
    assert record.document_status == "CreditHold"
    (entry,) = LogEntry.all_tenants.filter(export=record, level=LogLevel.WARNING)
    message, action = dutch(entry)
    assert message == (f"Visma.net heeft {record.document_number} van werkbon {record.work_order_number} (klant"
                       f" {CREDIT_HOLD_CUSTOMER}) de status kredietblokkade gegeven in plaats van in de wacht.")
    assert "CreditHold" not in message and "geef het document daar vrij" in action
    client.force_login(office_a)
    page = client.get(f"/integraties/vismanet/export/{record.work_order_id}/", HTTP_ACCEPT_LANGUAGE="nl").content
    assert 'data-testid="export-document-status" data-status="CreditHold"' in page.decode()
    assert "kredietblokkade" in page.decode()


# ---- responses the specifications leave open -------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(("target", "path"), [("sales_order", "api/v3/SalesOrders$"),
                                              ("customer_invoice", "v2/customerinvoice$")])
def test_a_create_answered_201_without_location_finds_the_document_by_its_marker(vismanet_integration, sandbox,
                                                                                 tenant_a, office_a, tech_a,
                                                                                 target, path):
    configure(vismanet_integration, target=target)
    sandbox.control.fault("no_location", method="POST", path=path, count=1)
    record = run(archive_one(tenant_a, office_a, tech_a))
    assert record.status == ExportStatus.SENT
    (doc,) = documents(sandbox, target, record.marker)
    assert record.document_number == doc["number"]
    assert record.attempts == 1 and outcomes(record) == ["created"]


@pytest.mark.django_db
def test_an_upload_answered_201_without_location_counts_as_done(vismanet_integration, sandbox, tenant_a, office_a,
                                                                tech_a):
    sandbox.control.fault("no_location", method="POST", path="/attachment$", count=1)
    record = run(archive_one(tenant_a, office_a, tech_a))
    assert record.status == ExportStatus.SENT and record.attempts == 1
    (attachment,) = sandbox.control.attachments(TENANT)
    assert len(attachment["revisions"]) == 1


@pytest.mark.django_db
def test_an_attachment_whose_answer_was_lost_is_never_uploaded_twice(vismanet_integration, sandbox, tenant_a,
                                                                     office_a, tech_a, settings):
    settings.VISMANET_EXPORT_RETRY_WINDOW_SECONDS = 0
    sandbox.control.fault("drop_after_write", method="POST", path="/attachment$", count=1)
    record = run(archive_one(tenant_a, office_a, tech_a))
    assert record.status == ExportStatus.ATTACHMENTS_PENDING  # the upload landed, its answer did not
    record = run(record)
    assert record.status == ExportStatus.SENT and record.attachments_done == [f"werkbon-{record.work_order_number}.pdf"]
    (attachment,) = sandbox.control.attachments(TENANT)
    assert len(attachment["revisions"]) == 1  # found by name and size, not uploaded again
    assert sandbox.control.request_count(method="POST", path="/attachment$") == 1


# ---- issue 9 finding 3: a document deleted in Visma.net ------------------------------------

@pytest.mark.django_db
def test_a_document_deleted_while_an_attachment_is_pending_offers_two_choices_and_no_retry(
        vismanet_integration, sandbox, tenant_a, office_a, tech_a, client, settings):
    settings.VISMANET_EXPORT_RETRY_WINDOW_SECONDS = 0
    sandbox.control.fault("status", status=503, method="POST", path="/attachment$", count=1)
    record = run(archive_one(tenant_a, office_a, tech_a))
    assert record.status == ExportStatus.ATTACHMENTS_PENDING
    order_type, _sep, order_id = record.document_number.partition(" ")
    delete_order(vismanet_integration, order_type, order_id)
    record = run(record)
    assert record.status == ExportStatus.DELETED_IN_VISMA
    assert not export.retry(record)  # Retry would fail the same way every time
    (entry,) = LogEntry.all_tenants.filter(export=record, level=LogLevel.ERROR)
    message, action = dutch(entry)
    assert message == (f"{record.document_number}, het document van werkbon {record.work_order_number} in"
                       " Visma.net, bestaat niet meer: het is in Visma.net verwijderd.")
    assert "een nieuw document maken" in action and "Opnieuw" not in action and "weigerde" not in message
    assert exported_orders(sandbox) == []  # nothing made again by itself
    client.force_login(office_a)
    panel = client.get(f"/integraties/vismanet/export/{record.work_order_id}/").content.decode()
    assert 'data-testid="export-new-document"' in panel and 'data-testid="export-handled-outside"' in panel
    assert 'data-testid="export-retry"' not in panel
    log_page = client.get("/integraties/logging/").content.decode()
    assert 'data-testid="retry"' not in log_page
    # The office chooses a new document: one new sales order, the deleted one never adopted.
    response = client.post(f"/integraties/vismanet/export/{record.work_order_id}/keuze/",
                           {"choice": "new_document"})
    assert response.status_code == 302
    record = run(record)
    assert record.status == ExportStatus.SENT
    (doc,) = exported_orders(sandbox)
    assert record.document_number == f"{doc['type']} {doc['orderId']}" != f"{order_type} {order_id}"


@pytest.mark.django_db
def test_the_office_can_mark_a_deleted_documents_work_order_as_handled_outside_werkbon(
        vismanet_integration, sandbox, tenant_a, office_a, tech_a, client, settings):
    settings.VISMANET_EXPORT_RETRY_WINDOW_SECONDS = 0
    sandbox.control.fault("status", status=503, method="POST", path="/attachment$", count=1)
    record = run(archive_one(tenant_a, office_a, tech_a))
    order_type, _sep, order_id = record.document_number.partition(" ")
    delete_order(vismanet_integration, order_type, order_id)
    record = run(record)
    client.force_login(office_a)
    response = client.post(f"/integraties/vismanet/export/{record.work_order_id}/keuze/",
                           {"choice": "handled_outside"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    record.refresh_from_db()
    assert record.status == ExportStatus.HANDLED_OUTSIDE
    assert run(record).status == ExportStatus.HANDLED_OUTSIDE
    assert exported_orders(sandbox) == []
    assert client.post(f"/integraties/vismanet/export/{record.work_order_id}/keuze/",
                       {"choice": "new_document"}).status_code == 302  # refused: a notice, nothing made
    record.refresh_from_db()
    assert record.status == ExportStatus.HANDLED_OUTSIDE


@pytest.mark.django_db
def test_a_deleted_originating_order_is_never_made_again_without_a_person_deciding(
        vismanet_integration, sandbox, tenant_a, office_a, tech_a):
    delete_order(vismanet_integration, "SO", "000101")
    before = len(sandbox.control.sales_orders(TENANT))
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a, archive=False)
        link_order(order, "SO", "000101")
        order = services.archive(order, user=office_a)
        record = run(ExportRecord.objects.get(work_order_number=order.number))
    assert record.status == ExportStatus.DELETED_IN_VISMA
    assert len(sandbox.control.sales_orders(TENANT)) == before  # no new order made automatically
    (entry,) = LogEntry.all_tenants.filter(export=record, level=LogLevel.ERROR)
    assert dutch(entry)[0].startswith("SO 000101, het document van werkbon")
    with tenant_context(tenant_a):
        assert export.make_new_document(record, "Kantoor")
    record = run(record)
    assert record.status == ExportStatus.SENT and record.document_number != "SO 000101"
    assert len(sandbox.control.sales_orders(TENANT)) == before + 1


# ---- failure classes: transient is bounded, then a person acts ------------------------------

def attempts_until_settled(record: ExportRecord, limit: int = 20) -> ExportRecord:
    for _ in range(limit):
        record = run(record)
        if record.status not in (ExportStatus.QUEUED, ExportStatus.ATTACHMENTS_PENDING):
            return record
    return record


@pytest.mark.django_db
@pytest.mark.parametrize("status", [503, 501])
def test_a_server_error_that_keeps_coming_back_fails_after_a_bounded_number_of_attempts(
        vismanet_integration, sandbox, tenant_a, office_a, tech_a, settings, status):
    settings.VISMANET_EXPORT_RETRY_WINDOW_SECONDS = 0
    settings.VISMANET_EXPORT_BACKOFF_SECONDS = 0
    sandbox.control.fault("status", status=status, method="POST", path="api/v3/SalesOrders$", count=None)
    record = attempts_until_settled(archive_one(tenant_a, office_a, tech_a))
    assert record.status == ExportStatus.FAILED and record.attempts == TRANSIENT_ATTEMPTS
    warning, error = LogEntry.all_tenants.filter(export=record).order_by("id")
    assert warning.level == LogLevel.WARNING and error.level == LogLevel.ERROR
    message, action = dutch(error)
    assert message.startswith(f"Het versturen van werkbon {record.work_order_number} naar Visma.net bleef mislukken"
                              f" ({TRANSIENT_ATTEMPTS} pogingen)")
    assert "Opnieuw" in action
    sandbox.control.clear_faults()
    assert export.retry(record)
    assert run(record).status == ExportStatus.SENT
    assert len(documents(sandbox, "sales_order", record.marker)) == 1


@pytest.mark.django_db
def test_a_poison_work_order_fails_after_bounded_attempts_and_never_delays_another(
        vismanet_integration, sandbox, tenant_a, office_a, tech_a, settings, monkeypatch):
    from werkbon.integrations.vismanet.export import attachments

    settings.VISMANET_EXPORT_RETRY_WINDOW_SECONDS = 0
    settings.VISMANET_EXPORT_BACKOFF_SECONDS = 0
    real_render = attachments.render_work_order_pdf
    poison = archive_one(tenant_a, office_a, tech_a, description="Vergiftigd")

    def render(work_order):
        if work_order.number == poison.work_order_number:
            raise MemoryError("this PDF cannot be rendered")
        return real_render(work_order)

    monkeypatch.setattr(attachments, "render_work_order_pdf", render)
    healthy = archive_one(tenant_a, office_a, tech_a)
    for _ in range(TRANSIENT_ATTEMPTS + 2):
        run(poison)
        healthy = run(healthy) if healthy.status != ExportStatus.SENT else healthy
    poison.refresh_from_db()
    assert healthy.status == ExportStatus.SENT and healthy.attempts == 1  # never delayed
    assert poison.status == ExportStatus.FAILED and poison.attempts == TRANSIENT_ATTEMPTS
    (error,) = LogEntry.all_tenants.filter(export=poison, level=LogLevel.ERROR)
    assert "bleef mislukken" in dutch(error)[0]


@pytest.mark.django_db
def test_no_record_stays_no_action_needed_for_more_than_an_hour(vismanet_integration, sandbox, tenant_a, office_a,
                                                                tech_a, settings):
    settings.VISMANET_EXPORT_RETRY_WINDOW_SECONDS = 0
    sandbox.control.fault("status", status=503, method="POST", path="api/v3/SalesOrders$", count=None)
    record = run(archive_one(tenant_a, office_a, tech_a))
    assert record.status == ExportStatus.QUEUED and record.next_attempt_at <= record.run_deadline()
    ExportRecord.all_tenants.filter(pk=record.pk).update(
        run_started_at=timezone.now() - dt.timedelta(minutes=59), next_attempt_at=timezone.now())
    record = run(record)  # the next back-off would end after the hour: a person acts now
    assert record.status == ExportStatus.FAILED and record.attempts == 2


@pytest.mark.django_db
def test_a_run_whose_attempts_never_ended_fails_without_another_call(vismanet_integration, sandbox, tenant_a,
                                                                     office_a, tech_a):
    record = archive_one(tenant_a, office_a, tech_a)
    # as after workers killed inside the attempt (or a job over its hard time limit) each time
    ExportRecord.all_tenants.filter(pk=record.pk).update(
        status=ExportStatus.SENDING, attempts=TRANSIENT_ATTEMPTS, run_attempts=TRANSIENT_ATTEMPTS,
        run_started_at=timezone.now() - dt.timedelta(minutes=45), next_attempt_at=timezone.now())
    sandbox.control.clear_requests()
    record = run(record)
    assert record.status == ExportStatus.FAILED
    assert sandbox.control.request_count(path="^/(api|v1|v2)/") == 0


def test_every_integration_task_has_soft_and_hard_time_limits():
    from werkbon.integrations import tasks

    for task in (tasks.tick, tasks.sync_first_import, tasks.sync_incremental, tasks.sync_cleanup,
                 tasks.export_work_order):
        assert task.soft_time_limit and task.time_limit and task.soft_time_limit < task.time_limit, task.name
    assert tasks.export_work_order.time_limit < tasks.LEASE_SECONDS  # the lease outlives the job


# ---- the log speaks Dutch -----------------------------------------------------------------

def export_texts() -> list[tuple[str, str]]:
    """Every message and action id the export writes to the log: (module.NAME, msgid)."""
    import importlib

    texts = []
    for name in ("outbox", "preflight", "document", "write_back", "attachments", "outcome", "job"):
        module = importlib.import_module(f"werkbon.integrations.vismanet.export.{name}")
        for attr, value in vars(module).items():
            if attr.startswith(("MSG_", "ACT_", "REASON_")) and not attr.endswith("_PLURAL") and isinstance(value, str):
                texts.append((f"{name}.{attr}", value))
    states = []
    from werkbon.integrations.vismanet.export import document, preflight

    for table in (document.DOCUMENT_STATES, preflight.CUSTOMER_STATES, preflight.ITEM_STATES):
        states += [(f"state {key}", value) for key, value in table.items()]
    return texts + states


ENGLISH_STATUS_WORDS = ("Inactive", "OnHold", "On hold", "CreditHold", "NoSales", "MarkedForDeletion", "Hold ")
INTERNAL_KEYS = ("order_import", "work_time_item", "travel_time_item", "sales_order", "customer_invoice",
                 "attachments_pending", "deleted_in_visma")


@pytest.mark.parametrize(("name", "msgid"), export_texts())
def test_every_export_log_text_is_dutch_without_english_status_words_or_internal_keys(name, msgid):
    with translation.override("nl"):
        text = translation.gettext(msgid)
    words_alike = {"open", "gereserveerd"}  # a Dutch word that is also the English one
    assert text != msgid or msgid in words_alike, f"{name} has no Dutch translation"
    assert not any(word in text for word in ENGLISH_STATUS_WORDS + INTERNAL_KEYS), (name, text)


def test_log_messages_name_their_work_order_and_use_plurals():
    from werkbon.integrations.vismanet.export import outcome

    for name, msgid in export_texts():
        if ".MSG_" in name:
            assert "%(number)s" in msgid, f"{name} does not name the work order"

    def written_back(count: int) -> str:
        entry = LogEntry(message=outcome.MSG_WRITTEN_BACK, params={
            "number": 12, "document": "SO 000101", "count": count, "changed": count, "added": 0,
            "_plural": outcome.MSG_WRITTEN_BACK_PLURAL, "_count": count})
        with translation.override("nl"):
            return entry.user_message

    assert "1 regel geschreven" in written_back(1)
    assert "3 regels geschreven" in written_back(3)
