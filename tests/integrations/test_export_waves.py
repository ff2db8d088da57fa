"""The export's round trips (issue 14): the marker search goes in the pre-flight's wave (at
once with the GETs, not before them), the new document's status is read while its PDF goes
up, and neither changes what is sent: a retry after a create whose answer was lost still
adopts the document (also when the pre-flight would fail now), never a second one.

Overlap is proven without timing: each side of a pair waits (at most a few seconds) for the
other to have started; sent one after another, the first one's wait runs out."""

from __future__ import annotations

import threading

import pytest

from vismanet._resources.attachments import Attachments
from vismanet._resources.customers import Customers
from vismanet._resources.invoices import CustomerInvoices
from vismanet._resources.sales_orders import SalesOrders
from vismanet_sandbox import demo
from werkbon.integrations.models import ExportAttempt, ExportStatus

from .test_exactly_once import CREATE_PATHS, archive_one
from .test_export import TENANT, configure, documents, run

WAIT_SECONDS = 5


class Meeting:
    """Two calls that must be in flight at the same time: each marks itself started and
    waits for the other; ``met`` says whether both saw the other."""

    def __init__(self) -> None:
        self.started = {"a": threading.Event(), "b": threading.Event()}
        self.saw: dict[str, bool] = {}
        self.arrivals = {"a": 0, "b": 0}  # a call repeated on the job's thread arrives twice

    def arrive(self, side: str) -> None:
        other = "b" if side == "a" else "a"
        self.arrivals[side] += 1
        self.started[side].set()
        if side not in self.saw:
            self.saw[side] = self.started[other].wait(WAIT_SECONDS)

    @property
    def met(self) -> bool:
        return self.saw.get("a") is True and self.saw.get("b") is True


def meet(monkeypatch, meeting: Meeting, side: str, cls: type, name: str) -> None:
    real = getattr(cls, name)

    def wrapped(self, *args, **kwargs):
        meeting.arrive(side)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(cls, name, wrapped)


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["sales_order", "customer_invoice"])
def test_the_marker_search_is_sent_with_the_preflight_gets(vismanet_integration, sandbox, tenant_a, office_a,
                                                           tech_a, monkeypatch, target):
    configure(vismanet_integration, target=target)
    meeting = Meeting()
    meet(monkeypatch, meeting, "a", SalesOrders if target == "sales_order" else CustomerInvoices, "list")
    meet(monkeypatch, meeting, "b", Customers, "get")
    record = run(archive_one(tenant_a, office_a, tech_a))
    assert record.status == ExportStatus.SENT
    assert meeting.met, meeting.saw  # in flight together: one round trip, not two
    # ...and each sent once from its helper thread: none needed the database there (the
    # tokens were loaded before the wave), so none was repeated on the job's thread after it.
    assert meeting.arrivals == {"a": 1, "b": 1}
    assert len(documents(sandbox, target, record.marker)) == 1
    search = "api/v3/SalesOrders/SO$" if target == "sales_order" else "customerinvoice$"
    assert sandbox.control.request_count(method="GET", path=search) == 1  # the search was made
    assert sandbox.control.request_count(method="POST", path=CREATE_PATHS[target]) == 1


@pytest.mark.django_db
def test_the_status_is_read_while_the_pdf_goes_up(vismanet_integration, sandbox, tenant_a, office_a, tech_a,
                                                  monkeypatch):
    meeting = Meeting()
    meet(monkeypatch, meeting, "a", SalesOrders, "get")
    meet(monkeypatch, meeting, "b", Attachments, "upload_to_sales_order")
    record = run(archive_one(tenant_a, office_a, tech_a))
    assert record.status == ExportStatus.SENT
    assert meeting.met, meeting.saw
    assert meeting.arrivals == {"a": 1, "b": 1}
    assert record.attachments_done == [f"werkbon-{record.work_order_number}.pdf"]
    assert [a["name"] for a in sandbox.control.attachments(TENANT)] == record.attachments_done


@pytest.mark.django_db
def test_a_status_read_of_a_deleted_document_still_ends_deleted(vismanet_integration, sandbox, tenant_a, office_a,
                                                                tech_a):
    sandbox.control.fault("status", status=404, method="GET", path="api/v3/SalesOrders/SO/", count=1)
    record = run(archive_one(tenant_a, office_a, tech_a))
    assert record.status == ExportStatus.DELETED_IN_VISMA
    assert record.document_number  # the document was made and stored first
    assert sandbox.control.request_count(method="POST", path=CREATE_PATHS["sales_order"]) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["sales_order", "customer_invoice"])
def test_a_retry_after_a_lost_create_adopts_even_when_the_preflight_would_fail_now(
        vismanet_integration, sandbox, tenant_a, office_a, tech_a, quick_retries, target):
    configure(vismanet_integration, target=target)
    sandbox.control.fault("drop_after_write", method="POST", path=CREATE_PATHS[target], count=1)
    record = run(archive_one(tenant_a, office_a, tech_a))
    assert record.status == ExportStatus.QUEUED and record.document_number == ""
    assert len(documents(sandbox, target, record.marker)) == 1  # the create was applied, its answer lost
    sandbox.control.deactivate_customer(TENANT, demo.FIRST_CUSTOMER)  # the pre-flight would refuse now
    record = run(record)
    assert record.status == ExportStatus.SENT
    (document,) = documents(sandbox, target, record.marker)  # adopted, not a second one
    assert record.document_number == document["number"]
    assert list(ExportAttempt.all_tenants.filter(export=record).values_list("outcome", flat=True)) == [
        "retry", "adopted"]
    assert sandbox.control.request_count(method="POST", path=CREATE_PATHS[target]) == 1
