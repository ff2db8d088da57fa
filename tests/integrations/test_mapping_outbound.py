"""The mapping rules of a work order → a Visma.net document (mapping/outbound.py): pure
functions, plus the PDF-and-document hours agreement (property tests)."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.vismanet.config import VismaNetSettings
from werkbon.integrations.vismanet.export import gather_facts
from werkbon.integrations.vismanet.mapping import outbound
from werkbon.integrations.vismanet.mapping.outbound import MaterialFact, WorkOrderFacts
from werkbon.workorders.pdf import render_work_order_pdf

from .conftest import archived_work_order


def make_settings(**changes) -> VismaNetSettings:
    base = {"work_time_item": "ARBEID", "travel_time_item": "REISTIJD", "default_warehouse": "HOOFD"}
    return VismaNetSettings.model_validate({**base, **changes})


def facts(**changes) -> WorkOrderFacts:
    base = dict(number=12, customer_number="10001", description="CV-ketel onderhoud\nFilter vervangen",
                customer_reference="PO-88412", work_address="Hoofdlocatie, Kerkstraat 1, 3511 AB Utrecht",
                work_minutes=135, travel_minutes=15,
                materials=(MaterialFact("m7", "MAT-1001", Decimal("2.500"), "links"),),
                date=dt.date(2025, 6, 2))
    return WorkOrderFacts(**{**base, **changes})


def test_it_turns_each_sum_of_minutes_into_hours_on_its_item():
    lines = outbound.time_lines(120, 15, make_settings())
    assert [(line.item_number, line.quantity) for line in lines] == [
        ("ARBEID", Decimal("2.00")), ("REISTIJD", Decimal("0.25"))]
    assert outbound.time_lines(135, 0, make_settings())[0].quantity == Decimal("2.25")


def test_it_makes_no_time_line_for_zero_minutes_or_an_unset_item():
    assert outbound.time_lines(0, 0, make_settings()) == []
    only_travel = outbound.time_lines(120, 15, make_settings(work_time_item=None))
    assert [line.item_number for line in only_travel] == ["REISTIJD"]
    assert outbound.time_lines(120, 15, make_settings(work_time_item=None, travel_time_item=None)) == []


def test_it_orders_lines_work_travel_materials_default_item():
    lines = outbound.document_lines(facts(), make_settings(default_item_enabled=True, default_item="VOORRIJDEN"))
    assert [(line.key, line.item_number, line.quantity) for line in lines] == [
        ("work", "ARBEID", Decimal("2.25")), ("travel", "REISTIJD", Decimal("0.25")),
        ("m7", "MAT-1001", Decimal("2.500")), ("default", "VOORRIJDEN", Decimal(1))]


def test_it_adds_the_default_item_only_when_enabled():
    assert outbound.default_item_line(make_settings()) == []
    assert outbound.default_item_line(make_settings(default_item_enabled=True, default_item="X"))[0].quantity == 1


@pytest.mark.parametrize(("option", "expected"), [
    ("work_address", "Werkadres: Hoofdlocatie, Kerkstraat 1, 3511 AB Utrecht"),
    ("description", "Werkzaamheden:\nCV-ketel onderhoud\nFilter vervangen"),
    ("work_address_and_description",
     "Werkadres: Hoofdlocatie, Kerkstraat 1, 3511 AB Utrecht\n\nWerkzaamheden:\nCV-ketel onderhoud\nFilter vervangen"),
    ("nothing", None),
])
def test_it_fills_the_note_as_the_setting_says(option, expected):
    assert outbound.plan_document(facts(), make_settings(notes=option)).note == expected


@pytest.mark.parametrize(("option", "expected"), [
    ("work_order_number", "Werkbon 12"), ("customer_reference", "PO-88412"),
    ("both", "Werkbon 12 / PO-88412"), ("nothing", None)])
def test_it_fills_the_customer_reference_as_the_setting_says(option, expected):
    assert outbound.plan_document(facts(), make_settings(customer_reference=option)).reference == expected


def test_it_leaves_out_an_empty_customer_reference():
    assert outbound.reference_text(facts(customer_reference=" "), outbound.ReferenceOption.CUSTOMER_REFERENCE) is None
    assert outbound.reference_text(facts(customer_reference=""), outbound.ReferenceOption.BOTH) == "Werkbon 12"


def test_it_shortens_text_that_does_not_fit_and_says_so():
    long = facts(description="x" * 3000, customer_reference="R" * 60)
    plan = outbound.plan_document(long, make_settings(notes="description"))
    assert len(plan.description) == 255 and plan.description.endswith("…")
    assert len(plan.note) == 2048 and plan.note.endswith("…")
    assert len(plan.reference) == 40
    assert {(s.field, s.limit) for s in plan.shortened} == {("description", 255), ("note", 2048),
                                                             ("customer.refNo", 40)}
    invoice = outbound.plan_document(long, make_settings(target="customer_invoice", notes="description"))
    assert {(s.field, s.limit) for s in invoice.shortened} == {("invoiceText", 256), ("note", 2048),
                                                                ("customerRefNumber", 40)}
    # the request models accept what the plan made: never a refusal for length
    outbound.to_sales_order(plan, order_type="SO", warehouse="HOOFD")
    outbound.to_customer_invoice(invoice)


def test_it_shortens_nothing_that_fits():
    assert outbound.plan_document(facts(), make_settings()).shortened == ()
    assert outbound.fit("a" * 40, 40, "f") == ("a" * 40, None)


def test_it_builds_a_sales_order_on_hold_with_the_marker_and_warehouse():
    plan = outbound.plan_document(facts(), make_settings())
    body = outbound.to_sales_order(plan, order_type="SO", warehouse="BUS1").to_api()
    assert body["status"] == "Hold" and body["type"] == "SO"
    assert body["customer"] == {"id": "10001", "order": "Werkbon 12", "refNo": "Werkbon 12 / PO-88412"}
    assert body["description"] == "Werkbon 12 - CV-ketel onderhoud"
    assert {line["warehouseId"] for line in body["orderLines"]} == {"BUS1"}
    assert [line["quantity"] for line in body["orderLines"]] == [2.25, 0.25, 2.5]
    assert "unitPrice" not in body["orderLines"][0]  # Visma.net's price rules decide
    assert body["date"] == "2025-06-02T00:00:00"


def test_it_refers_to_the_quote_a_work_order_came_from():
    plan = outbound.plan_document(facts(quote="QT 000201"), make_settings())
    body = outbound.to_sales_order(plan, order_type="SO", warehouse="HOOFD", original=("QT", "000201")).to_api()
    assert body["originalOrderType"] == "QT" and body["originalOrderId"] == "000201"
    invoice = outbound.plan_document(facts(quote="QT 000201"), make_settings(target="customer_invoice"))
    assert invoice.description == "Werkbon 12 - CV-ketel onderhoud (offerte QT 000201)"


def test_it_builds_a_customer_invoice_on_hold_with_the_marker():
    plan = outbound.plan_document(facts(), make_settings(target="customer_invoice"))
    body = outbound.to_customer_invoice(plan).to_api()
    assert body["hold"] == {"value": True}
    assert body["externalReference"] == {"value": "Werkbon 12"}
    assert body["customerRefNumber"] == {"value": "Werkbon 12 / PO-88412"}
    assert [line["inventoryNumber"]["value"] for line in body["invoiceLines"]] == ["ARBEID", "REISTIJD", "MAT-1001"]


@pytest.mark.parametrize(("option", "names"), [
    ("work_order", ["werkbon-12.pdf"]), ("work_order_and_forms", ["werkbon-12.pdf", "formulieren-12.pdf"]),
    ("forms", ["formulieren-12.pdf"]), ("nothing", [])])
def test_it_names_the_pdfs_the_setting_chooses(option, names):
    assert [name for _kind, name in outbound.pdf_files(outbound.PdfOption(option), 12)] == names


def test_it_tags_lines_added_to_an_existing_order():
    line = outbound.DocumentLine("work", "ARBEID", Decimal("1.5"))
    body = outbound.sales_order_line(line, "HOOFD", outbound.line_tag("Werkbon 12", "work")).to_api()
    assert body["note"] == "Werkbon 12 [work]"


def test_it_puts_the_hours_on_the_orders_own_time_lines_first_one_gets_them_others_zero():
    order_lines = [
        outbound.OrderLine(1, "ARBEID", Decimal("2")), outbound.OrderLine(2, "REISTIJD", Decimal("0.5")),
        outbound.OrderLine(3, "MAT-1001", Decimal("4")), outbound.OrderLine(4, "arbeid", Decimal("1")),
        # a material line on ARBEID an earlier attempt added: not a time line
        outbound.OrderLine(5, "ARBEID", Decimal("3"), "Werkbon 12 [m7]\nlinks"),
    ]
    hours, covered = outbound.time_line_quantities(order_lines, facts(work_minutes=135, travel_minutes=20),
                                                   make_settings(), "Werkbon 12")
    assert hours == {1: Decimal("2.25"), 4: Decimal(0), 2: Decimal("0.33")}
    assert covered == {"work", "travel"}


def test_it_sets_an_existing_time_line_to_zero_and_needs_a_new_line_only_without_one():
    order_lines = [outbound.OrderLine(1, "ARBEID", Decimal("2"))]
    hours, covered = outbound.time_line_quantities(order_lines, facts(work_minutes=0, travel_minutes=20),
                                                   make_settings(), "Werkbon 12")
    assert hours == {1: Decimal(0)} and covered == {"work"}  # travel gets a new line
    hours, covered = outbound.time_line_quantities(order_lines, facts(), make_settings(work_time_item=None),
                                                   "Werkbon 12")
    assert hours == {} and covered == set()


def test_it_recognises_a_time_line_an_earlier_attempt_added_by_its_tag():
    order_lines = [outbound.OrderLine(1, "MAT-1001", Decimal("2")),
                   outbound.OrderLine(2, "ARBEID", Decimal("2.25"), "Werkbon 12 [work]"),
                   outbound.OrderLine(3, "ARBEID", Decimal("0.33"), "Werkbon 12 [travel]")]
    hours, covered = outbound.time_line_quantities(order_lines, facts(work_minutes=135, travel_minutes=20),
                                                   make_settings(travel_time_item="ARBEID"), "Werkbon 12")
    assert hours == {2: Decimal("2.25"), 3: Decimal("0.33")} and covered == {"work", "travel"}
    assert outbound.tagged_key("Werkbon 12 [work]", "Werkbon 1") is None


def pdf_hours(minutes: int) -> str:
    """How the work-order PDF prints a sum: the PDF module's own formatting."""
    from werkbon.workorders.pdf import _hours
    from werkbon.workorders.units import minutes_to_hours

    return _hours(minutes_to_hours(minutes))


@given(work=st.lists(st.integers(1, 600), max_size=6), travel=st.lists(st.integers(1, 600), max_size=6))
@settings(max_examples=300)
def test_it_sends_the_hours_the_pdf_prints(work, travel):
    lines = {line.key: line.quantity for line in outbound.time_lines(sum(work), sum(travel), make_settings())}
    for key, minutes in (("work", sum(work)), ("travel", sum(travel))):
        if minutes:
            assert f"{lines[key]:.2f}".replace(".", ",") == pdf_hours(minutes)
        else:
            assert key not in lines


TOTAL = re.compile(r"(Werktijd|Reistijd)\s+(\d+) min\s+([\d,]+) uur")


@pytest.mark.django_db
@given(work=st.lists(st.integers(1, 600), min_size=1, max_size=4),
       travel=st.lists(st.integers(1, 600), max_size=3))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_it_sends_the_hours_printed_on_the_real_pdf(tenant_a, office_a, tech_a, work, travel):
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a, work=tuple(work), travel=tuple(travel), materials=(),
                                    archive=False)
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(render_work_order_pdf(order))).pages)
        lines = {line.key: line.quantity for line in
                 outbound.document_lines(gather_facts(order), make_settings())}
    printed = {kind: (int(minutes), hours) for kind, minutes, hours in TOTAL.findall(text)}
    assert printed["Werktijd"] == (sum(work), f"{lines['work']:.2f}".replace(".", ","))
    if travel:
        assert printed["Reistijd"] == (sum(travel), f"{lines['travel']:.2f}".replace(".", ","))
    else:
        assert printed["Reistijd"][0] == 0 and "travel" not in lines
