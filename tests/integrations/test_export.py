"""Export of archived work orders to Visma.net (issue 5 "Export"), against the sandbox over
HTTP on a real database: one test per setting for a sales order AND a customer invoice, the
filter word, warehouses, permanent failures with Retry, attachments. The rules are in
docs/sync-rules.md ("## Export")."""

from __future__ import annotations

import hashlib

import pytest

from vismanet_sandbox import demo
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations import tasks
from werkbon.integrations.models import (
    ExportAttempt,
    ExportRecord,
    ExportStatus,
    Integration,
    IntegrationStatus,
    LogEntry,
    LogLevel,
)
from werkbon.integrations.vismanet import export
from werkbon.workorders import history
from werkbon.workorders.pdf import render_forms_pdf, render_work_order_pdf

from .conftest import archived_work_order, local_customer

TENANT = demo.DEMO_TENANT_ID
TARGETS = ["sales_order", "customer_invoice"]


def run(record_or_pk) -> ExportRecord:
    """Run the export task synchronously (lease, tenant context and all), return the record."""
    pk = getattr(record_or_pk, "pk", record_or_pk)
    tasks.export_work_order(pk)
    return ExportRecord.all_tenants.get(pk=pk)


def configure(integration: Integration, **changes) -> None:
    integration.settings = {**integration.settings, **changes}
    Integration.all_tenants.filter(pk=integration.pk).update(settings=integration.settings)


def documents(sandbox, target: str, marker: str) -> list[dict]:
    """Our documents for ``marker`` in the sandbox, normalised: number, customer, reference,
    description, note, lines [(item, quantity, warehouse)]."""
    found = []
    if target == "sales_order":
        for o in sandbox.control.sales_orders(TENANT):
            if (o.get("customer") or {}).get("order") == marker:
                found.append({"number": f"{o['type']} {o['orderId']}", "status": o["status"],
                              "customer": o["customer"]["id"], "reference": o["customer"].get("refNo"),
                              "description": o.get("description"), "note": o.get("note"),
                              "original": (o.get("originalOrderType"), o.get("originalOrderId")),
                              "lines": [(ln["inventoryId"], ln["quantity"], ln.get("warehouseId"))
                                        for ln in o["lines"]]})
    else:
        for i in sandbox.control.invoices(TENANT):
            if i.get("externalReference") == marker:
                found.append({"number": i["referenceNumber"], "status": i["status"],
                              "customer": (i.get("customer") or {}).get("number", i.get("customerNumber")),
                              "reference": i.get("customerRefNumber"), "description": i.get("invoiceText"),
                              "note": i.get("note"), "original": None,
                              "lines": [(ln.get("inventoryNumber"), ln["quantity"], None) for ln in i["lines"]]})
    return found


def export_one(integration, sandbox, tenant, office, tech, target="sales_order", **work_order):
    """Archive one work order, run its export, return (record, the one document)."""
    configure(integration, target=target)
    with tenant_context(tenant):
        order = archived_work_order(office, tech, **work_order)
        record = ExportRecord.objects.get(work_order_number=order.number)
    record = run(record)
    assert record.status == ExportStatus.SENT, list(LogEntry.all_tenants.values_list("message", "params", "detail"))
    docs = documents(sandbox, target, record.marker)
    assert len(docs) == 1
    return record, docs[0]


@pytest.fixture
def world(vismanet_integration, sandbox, tenant_a, office_a, tech_a):
    def go(target="sales_order", **work_order):
        return export_one(vismanet_integration, sandbox, tenant_a, office_a, tech_a, target, **work_order)

    go.integration = vismanet_integration
    return go


# ---- the document -----------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("target", TARGETS)
def test_it_sends_time_travel_and_materials_as_lines(world, target):
    record, doc = world(target, work=(120, 15), travel=(15,), materials=(("MAT-1001", "2"), ("KST-1003", "1.5")))
    assert [line[:2] for line in doc["lines"]] == [("ARBEID", 2.25), ("REISTIJD", 0.25), ("MAT-1001", 2.0),
                                                    ("KST-1003", 1.5)]
    assert doc["customer"] == demo.FIRST_CUSTOMER
    assert record.document_number == doc["number"]
    assert doc["status"] == "Hold"  # the office checks and confirms it in Visma.net


@pytest.mark.django_db
@pytest.mark.parametrize("target", TARGETS)
def test_it_leaves_out_time_without_an_item_and_zero_minutes(world, target):
    configure(world.integration, work_time_item=None)
    _record, doc = world(target, work=(60,), travel=(), materials=(("MAT-1001", "1"),))
    assert [line[0] for line in doc["lines"]] == ["MAT-1001"]


@pytest.mark.django_db
@pytest.mark.parametrize("target", TARGETS)
def test_it_leaves_out_travel_time_when_no_item_is_set(world, target):
    configure(world.integration, travel_time_item=None)
    _record, doc = world(target, work=(60,), travel=(30,), materials=())
    assert [line[:2] for line in doc["lines"]] == [("ARBEID", 1.0)]


@pytest.mark.django_db
@pytest.mark.parametrize("target", TARGETS)
def test_it_adds_the_default_item_once(world, target):
    configure(world.integration, default_item_enabled=True, default_item=demo.ITEM_CALLOUT)
    _record, doc = world(target, work=(30,), travel=(), materials=())
    assert [line[:2] for line in doc["lines"]] == [("ARBEID", 0.5), (demo.ITEM_CALLOUT, 1.0)]


NOTES = {
    "work_address": "Werkadres: Hoofdlocatie, Kerkstraat 1, 3511 AB Utrecht",
    "description": "Werkzaamheden:\nCV-ketel onderhoud",
    "work_address_and_description": "Werkadres: Hoofdlocatie, Kerkstraat 1, 3511 AB Utrecht\n\n"
                                    "Werkzaamheden:\nCV-ketel onderhoud",
    "nothing": None,
}


@pytest.mark.django_db
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("option", list(NOTES))
def test_it_fills_the_note_per_the_setting(world, target, option):
    configure(world.integration, notes=option)
    _record, doc = world(target)
    assert (doc["note"] or None) == NOTES[option]


REFERENCES = {"work_order_number": "Werkbon {n}", "customer_reference": "PO-88412",
              "both": "Werkbon {n} / PO-88412", "nothing": None}


@pytest.mark.django_db
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("option", list(REFERENCES))
def test_it_fills_the_customer_reference_per_the_setting(world, target, option):
    configure(world.integration, customer_reference=option)
    record, doc = world(target)
    expected = REFERENCES[option]
    assert (doc["reference"] or None) == (expected.format(n=record.work_order_number) if expected else None)


@pytest.mark.django_db
@pytest.mark.parametrize("target", TARGETS)
def test_it_shortens_a_long_reference_with_a_warning(world, target):
    configure(world.integration, customer_reference="customer_reference")
    record, doc = world(target, reference="R" * 90)
    assert len(doc["reference"]) == 40 and doc["reference"].endswith("…")
    warnings = LogEntry.all_tenants.filter(export=record, level=LogLevel.WARNING)
    assert [w.params["limit"] for w in warnings] == [40]


PDFS = {"work_order": ["werkbon-{n}.pdf"], "work_order_and_forms": ["werkbon-{n}.pdf", "formulieren-{n}.pdf"],
        "forms": ["formulieren-{n}.pdf"], "nothing": []}


@pytest.mark.django_db
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("option", list(PDFS))
def test_it_attaches_the_chosen_pdfs_byte_identical(world, sandbox, tenant_a, target, option):
    configure(world.integration, pdfs=option)
    record, _doc = world(target, with_form=True)
    n = record.work_order_number
    attachments = sandbox.control.attachments(TENANT)
    assert sorted(a["name"] for a in attachments) == sorted(name.format(n=n) for name in PDFS[option])
    with tenant_context(tenant_a):
        order = record.work_order
        expected = {f"werkbon-{n}.pdf": render_work_order_pdf(order), f"formulieren-{n}.pdf": render_forms_pdf(order)}
    for attachment in attachments:
        content = sandbox.control.attachment_bytes(TENANT, attachment["id"])
        assert hashlib.sha256(content).hexdigest() == hashlib.sha256(expected[attachment["name"]]).hexdigest()
        assert record.document_number.split()[-1] in attachment["document"]
    assert sorted(record.attachments_done) == sorted(name.format(n=n) for name in PDFS[option])


@pytest.mark.django_db
@pytest.mark.parametrize("option, attached", [("work_order_and_forms", ["werkbon-{n}.pdf"]), ("forms", [])])
def test_it_attaches_no_forms_pdf_when_no_form_was_filled_in(world, sandbox, option, attached):
    configure(world.integration, pdfs=option)
    record, _doc = world("sales_order")
    n = record.work_order_number
    assert sorted(a["name"] for a in sandbox.control.attachments(TENANT)) == [a.format(n=n) for a in attached]
    assert record.status == ExportStatus.SENT
    info = LogEntry.all_tenants.filter(export=record, level=LogLevel.INFO, message=export.MSG_NO_FORMS)
    assert info.count() == 1 and "geen ingevulde formulieren" in info.get().user_message


@pytest.mark.django_db
def test_it_uses_the_configured_order_type_and_default_warehouse(world):
    configure(world.integration, default_warehouse="BUS2")
    _record, doc = world("sales_order")
    assert doc["number"].startswith("SO ")
    assert {line[2] for line in doc["lines"]} == {"BUS2"}


@pytest.mark.django_db
def test_it_books_on_the_technicians_warehouse_when_set_per_user(world, tech_a):
    tech_a.default_warehouse = "BUS1"
    tech_a.save()
    configure(world.integration, warehouse_per_user=True, default_warehouse="HOOFD")
    _record, doc = world("sales_order")
    assert {line[2] for line in doc["lines"]} == {"BUS1"}


@pytest.mark.django_db
def test_it_falls_back_to_the_default_warehouse_for_a_user_without_one(world, tech_a):
    tech_a.default_warehouse = ""
    tech_a.save()
    configure(world.integration, warehouse_per_user=True, default_warehouse="BUS2")
    _record, doc = world("sales_order")
    assert {line[2] for line in doc["lines"]} == {"BUS2"}


# ---- the outbox -------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("description", ["Onderhoud SIMONWB niet factureren", "onderhoud simonwb"])
def test_it_keeps_out_a_work_order_with_the_filter_word(vismanet_integration, sandbox, tenant_a, office_a,
                                                        tech_a, description):
    configure(vismanet_integration, filter_word="SimonWB")
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a, description=description)
        record = ExportRecord.objects.get(work_order_number=order.number)
    assert record.status == ExportStatus.KEPT_OUT
    assert run(record).status == ExportStatus.KEPT_OUT
    entry = LogEntry.all_tenants.get(export=record)
    assert entry.level == LogLevel.INFO and "filter word" in entry.message
    assert documents(sandbox, "sales_order", f"Werkbon {order.number}") == []
    assert sandbox.control.request_count(path="SalesOrders") == 0


@pytest.mark.django_db
def test_it_writes_the_outbox_row_in_the_archive_transaction_and_enqueues_on_commit(
        vismanet_integration, tenant_a, office_a, tech_a, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.export_work_order, "delay", lambda pk: sent.append(pk))
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a, archive=False)
        with django_capture_on_commit_callbacks(execute=True):
            from werkbon.workorders import services
            services.archive(order, user=office_a)
            assert sent == []  # not before the commit
        record = ExportRecord.objects.get(work_order_number=order.number)
    assert sent == [record.pk]
    # the marker names the work order, the tenant (its token) and this export, within 40
    vismanet_integration.refresh_from_db()
    token = vismanet_integration.document_token
    assert token and record.marker.startswith(f"Werkbon {order.number} ({token}-") and len(record.marker) <= 40


@pytest.mark.django_db
def test_it_queues_nothing_when_the_integration_is_inactive(vismanet_integration, tenant_a, office_a, tech_a):
    Integration.all_tenants.filter(pk=vismanet_integration.pk).update(status=IntegrationStatus.INACTIVE)
    with tenant_context(tenant_a):
        archived_work_order(office_a, tech_a)
        assert not ExportRecord.objects.exists()


@pytest.mark.django_db
def test_it_never_sends_an_exported_work_order_again_after_reactivation(world, sandbox, tenant_a):
    record, _doc = world("sales_order")
    Integration.all_tenants.filter(pk=world.integration.pk).update(status=IntegrationStatus.INACTIVE)
    Integration.all_tenants.filter(pk=world.integration.pk).update(status=IntegrationStatus.ACTIVE)
    # a wipe deletes the work order; the outbox row stays (SET_NULL) and blocks a second one
    with tenant_context(tenant_a):
        record.work_order.delete()
    assert export.retry(ExportRecord.all_tenants.get(pk=record.pk)) is False
    tasks.tick()
    assert run(record).status == ExportStatus.SENT
    assert len(documents(sandbox, "sales_order", record.marker)) == 1
    assert ExportAttempt.all_tenants.filter(export=record).count() == 1


# ---- permanent failures and Retry -----------------------------------------------------------

def failed_once(record: ExportRecord) -> LogEntry:
    assert record.status == ExportStatus.FAILED
    errors = list(LogEntry.all_tenants.filter(export=record, level=LogLevel.ERROR))
    assert len(errors) == 1, errors
    assert "press Retry" in errors[0].action
    return errors[0]


@pytest.mark.django_db
@pytest.mark.parametrize("target", TARGETS)
def test_it_fails_without_a_customer_and_retries_after_one_is_chosen(vismanet_integration, sandbox, tenant_a,
                                                                     office_a, tech_a, target):
    configure(vismanet_integration, target=target)
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a, customer=None)
        record = run(ExportRecord.objects.get(work_order_number=order.number))
        entry = failed_once(record)
        assert "has no customer" in entry.message
        assert sandbox.control.request_count(method="POST", path="SalesOrders|customerinvoice") == 0
        export.set_customer(record, local_customer(demo.FIRST_CUSTOMER))
        assert export.retry(record)
    record = run(record)
    assert record.status == ExportStatus.SENT
    assert documents(sandbox, target, record.marker)[0]["customer"] == demo.FIRST_CUSTOMER


@pytest.mark.django_db
@pytest.mark.parametrize("target", TARGETS)
def test_it_fails_on_an_inactive_customer_and_retries_after_it_is_activated(vismanet_integration, sandbox, tenant_a,
                                                                           office_a, tech_a, target):
    configure(vismanet_integration, target=target)
    sandbox.control.deactivate_customer(TENANT, demo.FIRST_CUSTOMER)
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a)
        record = run(ExportRecord.objects.get(work_order_number=order.number))
    entry = failed_once(record)
    assert entry.user_message == (f"Klant {demo.FIRST_CUSTOMER} van werkbon {order.number} is inactief in Visma.net,"
                                  " dus er kan geen document voor worden gemaakt.")  # no "Inactive"
    assert entry.object_ref == demo.FIRST_CUSTOMER
    assert sandbox.control.request_count(method="POST", path="^/(api|v1|v2)/") == 0  # nothing sent half
    sandbox.control.change_customer(TENANT, demo.FIRST_CUSTOMER, {"status": "Active"})
    assert export.retry(record)
    assert run(record).status == ExportStatus.SENT
    assert len(documents(sandbox, target, record.marker)) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("target", TARGETS)
def test_it_fails_on_an_inactive_item_and_retries_after_it_is_activated(vismanet_integration, sandbox, tenant_a,
                                                                       office_a, tech_a, target):
    configure(vismanet_integration, target=target)
    sandbox.control.deactivate_item(TENANT, "MAT-1001")
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a)
        record = run(ExportRecord.objects.get(work_order_number=order.number))
    entry = failed_once(record)
    assert entry.params["item"] == "MAT-1001" and entry.params["status"] == "Inactive"
    assert entry.user_message == (f"Artikel MAT-1001 op werkbon {order.number} is inactief in Visma.net en kan dus"
                                  " niet worden verkocht.")  # no "Inactive"
    assert sandbox.control.request_count(method="POST", path="^/(api|v1|v2)/") == 0
    sandbox.control.change_item(TENANT, "MAT-1001", {"status": "Active"})
    assert export.retry(record)
    assert run(record).status == ExportStatus.SENT


@pytest.mark.django_db
def test_it_fails_on_an_unknown_item_or_a_stock_item(world, sandbox, tenant_a, office_a, tech_a):
    sandbox.control.delete_item(TENANT, "MAT-1001")
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a)
        record = run(ExportRecord.objects.get(work_order_number=order.number))
    assert "does not exist" in failed_once(record).message
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a, materials=(("VRD-2001", "1"),))
        record = run(ExportRecord.objects.get(work_order_number=order.number))
    assert "stock item" in failed_once(record).message


@pytest.mark.django_db
def test_it_reports_a_visma_validation_error_with_its_field_messages(world, tenant_a, office_a, tech_a, monkeypatch):
    from werkbon.integrations.vismanet.export import preflight

    monkeypatch.setattr(preflight, "check_master_data", lambda *args, **kwargs: None)  # let Visma.net refuse it
    configure(world.integration, default_warehouse="NOPE")
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a)
        record = run(ExportRecord.objects.get(work_order_number=order.number))
    entry = failed_once(record)
    assert "refused the sales order" in entry.message
    assert "Warehouse" in entry.params["errors"] or "warehouse" in entry.params["errors"].lower()


@pytest.mark.django_db
def test_it_fails_when_no_warehouse_can_be_chosen(world, tenant_a, office_a, tech_a, tech_b):
    tech_a.default_warehouse = ""
    tech_a.save()
    configure(world.integration, warehouse_per_user=True, default_warehouse=None)
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a)
        record = run(ExportRecord.objects.get(work_order_number=order.number))
    assert "no warehouse" in failed_once(record).message


@pytest.mark.django_db
def test_it_marks_attachments_pending_and_a_retry_uploads_only_what_is_missing(world, sandbox, tenant_a, office_a,
                                                                               tech_a, settings, monkeypatch):
    settings.VISMANET_EXPORT_RETRY_WINDOW_SECONDS = 0
    configure(world.integration, pdfs="work_order_and_forms")
    sandbox.control.fault("status", status=503, method="POST", path="attachment", count=None)
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a, with_form=True)
        record = run(ExportRecord.objects.get(work_order_number=order.number))
    assert record.status == ExportStatus.ATTACHMENTS_PENDING
    assert record.document_number and record.attachments_done == []
    warning = LogEntry.all_tenants.get(export=record, level=LogLevel.WARNING)
    assert "tried again automatically" in warning.action
    sandbox.control.clear_faults()

    # the work-order PDF goes through, then Visma.net fails on the forms PDF
    stored_forms_pdf = history.forms_pdf

    def forms_pdf_then_fail(work_order):
        sandbox.control.fault("status", status=503, method="POST", path="attachment", count=None)
        return stored_forms_pdf(work_order)

    monkeypatch.setattr(history, "forms_pdf", forms_pdf_then_fail)
    record = run(record)
    assert record.status == ExportStatus.ATTACHMENTS_PENDING
    assert record.attachments_done == [f"werkbon-{order.number}.pdf"]
    monkeypatch.undo()
    sandbox.control.clear_faults()
    sandbox.control.clear_requests()
    record = run(record)
    assert record.status == ExportStatus.SENT
    uploads = sandbox.control.requests(method="POST", path="attachment")
    assert len(uploads) == 1  # only the missing forms PDF
    assert sorted(record.attachments_done) == [f"formulieren-{order.number}.pdf", f"werkbon-{order.number}.pdf"]
    assert sorted(a["name"] for a in sandbox.control.attachments(TENANT)) == sorted(record.attachments_done)
    assert len(documents(sandbox, "sales_order", record.marker)) == 1
    assert record.attempts == 3


@pytest.mark.django_db
def test_it_recovers_an_attachment_whose_answer_was_lost_without_uploading_it_again(world, sandbox, tenant_a, office_a, tech_a,
                                                                       settings):
    settings.VISMANET_EXPORT_RETRY_WINDOW_SECONDS = 0
    sandbox.control.fault("error_after_write", method="POST", path="attachment", count=1)
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a, with_form=True)
        record = run(ExportRecord.objects.get(work_order_number=order.number))
    assert record.status == ExportStatus.ATTACHMENTS_PENDING
    record = run(record)
    assert record.status == ExportStatus.SENT
    (attachment,) = sandbox.control.attachments(TENANT)
    assert len(attachment["revisions"]) == 1  # found by name and size: not uploaded again
    with tenant_context(tenant_a):
        expected = hashlib.sha256(render_work_order_pdf(record.work_order)).hexdigest()
    assert hashlib.sha256(sandbox.control.attachment_bytes(TENANT, attachment["id"])).hexdigest() == expected
