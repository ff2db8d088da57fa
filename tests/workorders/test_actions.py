"""The action layer (werkbon/workorders/actions.py): every action applied twice with one client
id has one effect; a client id reused elsewhere is refused; the IntegrityError race answers
with the first result; who may do what is one rule (office, own planned orders, open only)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from tests.conftest import make_user
from tests.workorders.conftest import local
from werkbon.accounts.models import Role
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import actions, services
from werkbon.workorders.models import (
    AppliedAction,
    Customer,
    FilledForm,
    FormAnswer,
    FormQuestion,
    FormTemplate,
    MaterialLine,
    QuestionKind,
    TimeEntry,
    WorkAddress,
    WorkOrder,
    WorkOrderStatus,
)

pytestmark = pytest.mark.django_db

YESTERDAY = timezone.localdate() - dt.timedelta(days=1)


def twice(name: str, **kwargs):  # type: ignore[no-untyped-def]
    """Apply ``name`` twice with one client id: (first outcome, second outcome)."""
    client_id = str(uuid.uuid4())
    first = actions.apply(name, client_id=client_id, **kwargs)
    second = actions.apply(name, client_id=client_id, **kwargs)
    assert not first.already_applied and second.already_applied
    assert second.result == first.result and second.value is None
    return first, second


def test_time_add_twice_is_one_entry(planned_order, tech_a):
    twice("time.add", user=tech_a, work_order=planned_order, kind="work", minutes=135,
          date=YESTERDAY)
    assert list(TimeEntry.objects.values_list("minutes", flat=True)) == [135]


def test_time_correct_and_delete_twice_are_one_change(planned_order, tech_a):
    entry = services.add_time_entry(planned_order, technician=tech_a, kind="work", minutes=10,
                                    date=YESTERDAY)
    first, _ = twice("time.correct", user=tech_a, work_order=planned_order, entry=entry.pk,
                     kind="travel", minutes=20, date=YESTERDAY)
    assert first.result == {"id": entry.pk}
    entry.refresh_from_db()
    assert (entry.kind, entry.minutes) == ("travel", 20)
    twice("time.delete", user=tech_a, work_order=planned_order, entry=entry.pk)
    assert not TimeEntry.objects.exists()


def test_material_add_correct_delete_twice_are_one_change(planned_order, tech_a, items):
    first, _ = twice("material.add", user=tech_a, work_order=planned_order, item=items["CV01"],
                     quantity=Decimal("2"))
    assert MaterialLine.objects.count() == 1
    line_id = first.result["id"]
    twice("material.correct", user=tech_a, work_order=planned_order, line=line_id,
          item="PIJP", quantity=Decimal("1.5"), note="14 mm")
    line = MaterialLine.objects.get()
    assert (line.item_number, line.quantity, line.note) == ("PIJP", Decimal("1.500"), "14 mm")
    twice("material.delete", user=tech_a, work_order=planned_order, line=line_id)
    assert not MaterialLine.objects.exists()


def test_form_save_twice_is_one_form(planned_order, tech_a):
    template = FormTemplate.objects.create(name="Ketelcontrole")
    question = FormQuestion.objects.create(template=template, label="CO (ppm)",
                                           kind=QuestionKind.NUMBER, required=True)
    twice("form.save", user=tech_a, work_order=planned_order, template=template.pk,
          answers=[(question.pk, "12,5")])
    assert FilledForm.objects.count() == 1
    assert FormAnswer.objects.get().value == "12.5"


def test_complete_plan_archive_reopen_twice_are_one_change(planned_order, tech_a, office_a):
    twice("workorder.complete", user=tech_a, work_order=planned_order, signed_by_name="Zoë")
    twice("workorder.reopen", user=office_a, work_order=planned_order)
    assert WorkOrder.objects.get().status == WorkOrderStatus.PLANNED
    twice("workorder.plan", user=office_a, work_order=planned_order, technicians=["tech_a"],
          planned_start=local(2025, 4, 1, 8))
    twice("workorder.complete", user=tech_a, work_order=planned_order)
    first, _ = twice("workorder.archive", user=office_a, work_order=planned_order)
    assert first.result["status"] == "archived"
    assert WorkOrder.objects.get().status == WorkOrderStatus.ARCHIVED


def test_create_on_site_twice_is_one_work_order(customer, work_address, tech_a):
    first, _ = twice("workorder.create_on_site", user=tech_a, customer=customer.number,
                     work_address=work_address.pk, description="Lekkage")
    order = WorkOrder.objects.get()
    assert first.result == {"id": order.pk, "number": order.number, "status": "planned"}
    assert order.created_by == tech_a and order.made_on_site
    assert list(order.technicians.all()) == [tech_a]
    assert timezone.localdate(order.planned_start) == timezone.localdate()
    assert AppliedAction.objects.get().work_order == order


def test_a_client_id_reused_for_another_action_or_order_is_refused(planned_order, tech_a,
                                                                    customer, work_address):
    other = services.create_work_order(customer=customer, work_address=work_address,
                                       technicians=[tech_a], planned_start=local(2025, 5, 1))
    client_id = str(uuid.uuid4())
    actions.apply("time.add", user=tech_a, work_order=planned_order, client_id=client_id,
                  kind="work", minutes=5, date=YESTERDAY)
    for name, order, payload in (
            ("material.add", planned_order, {"item": "CV01", "quantity": Decimal(1)}),
            ("time.add", other, {"kind": "work", "minutes": 5, "date": YESTERDAY})):
        with pytest.raises(actions.ActionRefused) as refused:
            actions.apply(name, user=tech_a, work_order=order, client_id=client_id, **payload)
        assert refused.value.field == "client_id"
    assert TimeEntry.objects.count() == 1


@pytest.mark.parametrize("client_id", ["not-a-uuid", "1" * 39, "x" * 10_000, "12345"])
def test_a_client_id_that_is_no_uuid_is_refused(planned_order, tech_a, client_id):
    with pytest.raises(actions.ActionRefused) as refused:
        actions.apply("time.add", user=tech_a, work_order=planned_order, client_id=client_id,
                      kind="work", minutes=5, date=YESTERDAY)
    assert refused.value.status == 422 and refused.value.field == "client_id"
    assert not TimeEntry.objects.exists()


def test_a_refused_action_stores_nothing_and_its_id_may_be_sent_again(planned_order, tech_a):
    client_id = str(uuid.uuid4())
    with pytest.raises(actions.ActionRefused):
        actions.apply("time.add", user=tech_a, work_order=planned_order, client_id=client_id,
                      kind="work", minutes=5, date=timezone.localdate() + dt.timedelta(days=2))
    assert not AppliedAction.objects.exists()
    outcome = actions.apply("time.add", user=tech_a, work_order=planned_order,
                            client_id=client_id, kind="work", minutes=5, date=YESTERDAY)
    assert not outcome.already_applied and TimeEntry.objects.count() == 1


def test_the_losing_request_of_a_race_answers_with_the_first_result(planned_order, tech_a,
                                                                    monkeypatch):
    """Two requests both find no earlier apply; the second's insert hits the unique constraint
    (IntegrityError) and answers with the first one's result instead of applying again."""
    client_id = str(uuid.uuid4())
    first = actions.apply("time.add", user=tech_a, work_order=planned_order,
                          client_id=client_id, kind="work", minutes=7, date=YESTERDAY)
    real_earlier = actions._earlier
    calls = []

    def missed_once(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return None if len(calls) == 1 else real_earlier(*args, **kwargs)

    monkeypatch.setattr(actions, "_earlier", missed_once)
    second = actions.apply("time.add", user=tech_a, work_order=planned_order,
                           client_id=client_id, kind="work", minutes=7, date=YESTERDAY)
    assert len(calls) == 2  # the insert raced, then the earlier row was read
    assert second.already_applied and second.result == first.result
    assert TimeEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_applies_of_one_client_id_make_one_entry(tenant_a, tech_a):
    """Two threads (two database connections) apply one client id at once: one applies, the
    other answers "already applied". Needs a database with row locks (PostgreSQL)."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises the whole database)")
    with tenant_context(tenant_a):
        customer = Customer.objects.create(number="C1", name="Klant")
        address = WorkAddress.objects.create(customer=customer, street="Straat 1")
        order = services.create_work_order(customer=customer, work_address=address,
                                           technicians=[tech_a], planned_start=local(2025, 1, 6))
    client_id = str(uuid.uuid4())
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def worker() -> None:
        from django.db import connections

        try:
            with tenant_context(tenant_a):
                barrier.wait()
                outcomes.append(actions.apply("time.add", user=tech_a, work_order=order.pk,
                                              client_id=client_id, kind="work", minutes=9,
                                              date=YESTERDAY))
        except Exception as error:
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert all(isinstance(o, actions.Outcome) for o in outcomes), outcomes
    assert sorted(o.already_applied for o in outcomes) == [False, True]  # type: ignore[attr-defined]
    with tenant_context(tenant_a):
        assert TimeEntry.objects.count() == 1


# --- who may do what ---------------------------------------------------------------------


def test_a_technician_acts_only_on_orders_planned_to_them_while_open(
        planned_order, tech_a, tenant_a, customer, work_address):
    other_tech = make_user(tenant_a, "tech_other", Role.TECHNICIAN)
    theirs = services.create_work_order(customer=customer, work_address=work_address,
                                        technicians=[other_tech], planned_start=local(2025, 5, 1))
    with pytest.raises(actions.ActionRefused) as refused:
        actions.apply("time.add", user=tech_a, work_order=theirs, kind="work", minutes=5,
                      date=YESTERDAY)
    assert refused.value.status == 404
    with pytest.raises(actions.ActionRefused) as refused:
        actions.apply("workorder.archive", user=tech_a, work_order=planned_order)
    assert refused.value.status == 403
    planned_order = services.complete(planned_order, user=tech_a)
    refusal = actions.refusal(tech_a, planned_order, "material.add")
    assert refusal is not None and "kantoor" in str(refusal)
    assert actions.refusal(tech_a, planned_order, "workorder.plan").status == 403  # type: ignore[union-attr]


def test_a_technician_changes_only_their_own_registrations(planned_order, tech_a, tenant_a):
    other_tech = make_user(tenant_a, "tech_other", Role.TECHNICIAN)
    planned_order.technicians.add(other_tech)
    theirs = services.add_time_entry(planned_order, technician=other_tech, kind="work",
                                     minutes=10, date=YESTERDAY)
    with pytest.raises(actions.ActionRefused) as refused:
        actions.apply("time.delete", user=tech_a, work_order=planned_order, entry=theirs.pk)
    assert refused.value.status == 403
    assert TimeEntry.objects.count() == 1


def test_a_technician_never_makes_a_work_order_for_another_tenants_or_an_inactive_customer(
        tech_a, customer, work_address, tenant_b):
    inactive = Customer.objects.create(number="OUD", name="Oud", status="inactive")
    with tenant_context(tenant_b):
        foreign = Customer.objects.create(number="B-1", name="Klant van B")
        foreign_address = WorkAddress.objects.create(customer=foreign, street="Elders 1")
    for payload in ({"customer": foreign.pk}, {"customer": "B-1"}, {"customer": inactive.pk},
                    {"customer": customer.pk, "work_address": foreign_address.pk}):
        with pytest.raises(actions.ActionRefused) as refused:
            actions.apply("workorder.create_on_site", user=tech_a, **payload)
        assert refused.value.status == 422, payload
    assert not WorkOrder.objects.exists()
    with tenant_context(tenant_b):
        assert WorkAddress.objects.count() == 1


def test_create_on_site_needs_the_tenant_setting_and_a_technician(tech_a, office_a, customer,
                                                                  tenant_a):
    with pytest.raises(actions.ActionRefused) as refused:
        actions.apply("workorder.create_on_site", user=office_a, customer=customer.pk)
    assert refused.value.status == 403
    tenant_a.technicians_create_work_orders = False
    tenant_a.save()
    with tenant_context(type(tenant_a).objects.get(pk=tenant_a.pk)):
        with pytest.raises(actions.ActionRefused) as refused:
            actions.apply("workorder.create_on_site", user=tech_a, customer=customer.pk)
        assert "Vraag het kantoor" in str(refused.value)
    assert not WorkOrder.objects.exists()


def test_create_on_site_with_a_new_work_address(tech_a, customer):
    outcome = actions.apply("workorder.create_on_site", user=tech_a, customer=customer,
                            new_address={"street": "Nieuwe Weg", "house_number": "3",
                                         "city": "Assen"})
    order = outcome.value
    assert order.work_address.customer == customer
    assert order.address.one_line() == "Nieuwe Weg 3, Assen"
    with pytest.raises(actions.ActionRefused):
        actions.apply("workorder.create_on_site", user=tech_a, customer=customer,
                      new_address={"street": "x" * 256})


def test_registering_another_service_is_one_line(planned_order, tech_a):
    def add_note(work_order, *, text: str):  # type: ignore[no-untyped-def]
        work_order.description += text
        work_order.save()
        return work_order

    actions.register("test.note", add_note)
    try:
        twice("test.note", user=tech_a, work_order=planned_order, text="!")
        assert WorkOrder.objects.get().description.endswith("onderhoud!")
    finally:
        actions.REGISTRY.pop("test.note")
