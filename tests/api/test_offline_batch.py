"""The offline queue's path to the server (issue 12): ``POST /api/v1/actions`` with the
phone's session, every queued action type sent twice with the same client id.

The action layer's own tests (tests/workorders/test_actions.py) prove each action applied
twice through ``actions.apply`` has one effect; these prove the same over HTTP, through the
batch endpoint the phone's queue uses: the second send (a lost answer, a double tap, a
second tab) answers ``already_applied`` with the first result and changes nothing; a batch
resent after its answer was lost applies only what was new; a refused action does not stop
the ones after it; the batch is bounded.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import limits, services
from werkbon.workorders.models import (
    AppliedAction,
    Customer,
    FilledForm,
    FormQuestion,
    FormTemplate,
    Item,
    MaterialLine,
    TimeEntry,
    WorkAddress,
    WorkOrder,
    WorkOrderStatus,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate().isoformat()


@pytest.fixture
def world(tenant_a, tech_a):
    with tenant_context(tenant_a):
        tenant_a.technicians_create_work_orders = True
        tenant_a.save()
        customer = Customer.objects.create(number="10001", name="Klant")
        address = WorkAddress.objects.create(customer=customer, street="Kerkstraat")
        Item.objects.create(number="A-1", description="Kraan", unit="st")
        Item.objects.create(number="A-2", description="Kabel", unit="m")
        template = FormTemplate.objects.create(name="Keuring")
        question = FormQuestion.objects.create(template=template, label="Druk", kind="text")
        order = services.create_work_order(customer=customer, work_address=address,
                                           technicians=[tech_a], planned_start=timezone.now())
    return {"order": order, "template": template, "question": question, "address": address}


@pytest.fixture
def phone(tech_a) -> Client:
    client = Client()
    assert client.login(username=tech_a.username, password=PASSWORD)
    return client


def send(client: Client, actions: list[dict]) -> list[dict]:
    response = client.post("/api/v1/actions", json.dumps(actions), content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def action(name: str, order: WorkOrder | None, **payload) -> dict:
    return {"client_id": str(uuid.uuid4()), "action": name,
            "work_order": order.pk if order else None, "payload": payload}


def counts(tenant) -> tuple[int, int, int, int, int]:
    with tenant_context(tenant):
        return (TimeEntry.objects.count(), MaterialLine.objects.count(), FilledForm.objects.count(),
                WorkOrder.objects.count(), AppliedAction.objects.count())


def twice(client: Client, tenant, queued: dict) -> dict:
    """Send ``queued`` twice: applied, then already applied with the same result, no change."""
    first = send(client, [queued])[0]
    assert first["status"] == "applied", first["detail"]
    before = counts(tenant)
    second = send(client, [queued])[0]
    assert second["status"] == "already_applied", second
    assert second["result"] == first["result"]
    assert counts(tenant) == before
    return first


def test_each_queued_action_type_is_applied_once(phone, tenant_a, tech_a, world):
    order = world["order"]
    entry = twice(phone, tenant_a, action("time.add", order, kind="work", minutes=30, date=TODAY))
    entry_id = entry["result"]["id"]
    twice(phone, tenant_a, action("time.correct", order, time_entry_id=entry_id, kind="work",
                                  minutes=45, date=TODAY))
    line = twice(phone, tenant_a, action("material.add", order, item_number="A-1", quantity="2"))
    line_id = line["result"]["id"]
    twice(phone, tenant_a, action("material.correct", order, material_line_id=line_id,
                                  item_number="A-2", quantity="1.5", note="kabelgoot"))
    twice(phone, tenant_a, action("form.save", order, template_id=world["template"].pk,
                                  answers=[{"question_id": world["question"].pk, "value": "1,5"}]))
    with tenant_context(tenant_a):
        assert TimeEntry.objects.get().minutes == 45
        assert MaterialLine.objects.get().quantity == Decimal("1.5")
        assert FilledForm.objects.count() == 1
    twice(phone, tenant_a, action("time.delete", order, time_entry_id=entry_id))
    twice(phone, tenant_a, action("material.delete", order, material_line_id=line_id))
    twice(phone, tenant_a, action("workorder.complete", order, signed_by_name="J. Klant"))
    made = twice(phone, tenant_a, action("workorder.create_on_site", None, customer_number="10001",
                                         work_address_id=world["address"].pk))
    with tenant_context(tenant_a):
        assert not TimeEntry.objects.exists() and not MaterialLine.objects.exists()
        assert WorkOrder.objects.get(pk=order.pk).status == WorkOrderStatus.COMPLETED
        assert WorkOrder.objects.count() == 2
        assert WorkOrder.objects.get(pk=made["result"]["id"]).technicians.get() == tech_a


def test_a_batch_resent_after_a_lost_answer_applies_only_what_is_new(phone, tenant_a, world):
    order = world["order"]
    batch = [action("time.add", order, kind="work", minutes=10 + n, date=TODAY) for n in range(3)]
    send(phone, batch)  # the answer is "lost": the phone sends the batch again, plus one more
    again = send(phone, [*batch, action("time.add", order, kind="travel", minutes=5, date=TODAY)])
    assert [r["status"] for r in again] == ["already_applied"] * 3 + ["applied"]
    with tenant_context(tenant_a):
        assert sorted(TimeEntry.objects.values_list("minutes", flat=True)) == [5, 10, 11, 12]


def test_a_refused_action_does_not_stop_the_rest_and_is_in_dutch(phone, tenant_a, world):
    order = world["order"]
    with tenant_context(tenant_a):
        Item.objects.filter(number="A-2").update(status="inactive")
    answer = send(phone, [
        action("material.add", order, item_number="A-2", quantity="1"),
        action("time.add", order, kind="work", minutes=15, date=TODAY),
    ])
    assert answer[0]["status"] == "refused"
    assert answer[0]["detail"] == "Artikel A-2 is inactief."
    assert answer[1]["status"] == "applied"


def test_the_batch_is_bounded_and_needs_the_session_and_csrf(tenant_a, tech_a, world):
    order = world["order"]
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=tech_a.username, password=PASSWORD)
    too_many = [action("time.add", order, kind="work", minutes=1, date=TODAY)
                for _ in range(limits.MAX_ACTIONS_PER_BATCH + 1)]
    no_csrf = client.post("/api/v1/actions", json.dumps(too_many[:1]),
                          content_type="application/json")
    assert no_csrf.status_code == 403
    client.get("/werkorders/app/gegevens/")  # sets the CSRF cookie, as the app does
    token = client.cookies["csrftoken"].value
    big = client.post("/api/v1/actions", json.dumps(too_many), content_type="application/json",
                      HTTP_X_CSRFTOKEN=token)
    assert big.status_code == 422
    ok = client.post("/api/v1/actions", json.dumps(too_many[:1]), content_type="application/json",
                     HTTP_X_CSRFTOKEN=token)
    assert ok.status_code == 200 and ok.json()[0]["status"] == "applied"
    assert Client().post("/api/v1/actions", "[]", content_type="application/json").status_code == 401
    with tenant_context(tenant_a):
        assert TimeEntry.objects.count() == 1


def _png() -> str:
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_a_queued_form_with_a_photo_is_saved_once(phone, tenant_a, world):
    order = world["order"]
    with tenant_context(tenant_a):
        photo_question = FormQuestion.objects.create(template=world["template"], label="Foto",
                                                     kind="photo", position=5)
    queued = action("form.save", order, template_id=world["template"].pk,
                    answers=[{"question_id": world["question"].pk, "value": "2 bar"}],
                    photos=[{"question_id": photo_question.pk,
                             "image": {"name": "meter.png", "content_type": "image/png",
                                       "data": _png()}}])
    twice(phone, tenant_a, queued)
    with tenant_context(tenant_a):
        answer = FilledForm.objects.get().answers.get(question=photo_question)
        assert answer.photo.name.endswith((".png", ".jpg", ".jpeg"))


@pytest.mark.parametrize("data", ["not base64 at all!", "PGh0bWw+PC9odG1sPg=="])
def test_a_queued_photo_that_is_no_image_is_refused_in_dutch(phone, tenant_a, world, data):
    with tenant_context(tenant_a):
        photo_question = FormQuestion.objects.create(template=world["template"], label="Foto",
                                                     kind="photo", position=5)
    answer = send(phone, [action("form.save", world["order"], template_id=world["template"].pk,
                                 photos=[{"question_id": photo_question.pk,
                                          "image": {"data": data}}])])[0]
    assert answer["status"] == "refused"
    assert answer["detail"] and "photo" not in answer["detail"].lower()  # Dutch: "foto"
    assert counts(tenant_a)[2] == 0


@pytest.fixture
def attachment_actions(monkeypatch):
    return register_attachment_stand_ins(monkeypatch)


def register_attachment_stand_ins(monkeypatch) -> list[tuple[str, bytes, str]]:
    """photo.add and signature.capture registered as the signature work's services take them
    (``image_bytes`` etc.); stand-ins that record what they got, until that work lands."""
    from werkbon.workorders import actions

    received: list[tuple[str, bytes, str]] = []

    def add_photo(order, *, user, image_bytes: bytes, caption: str = ""):
        received.append(("photo", image_bytes, caption))
        return order

    def capture_signature(order, *, user, signer_name: str, image_bytes: bytes):
        received.append(("signature", image_bytes, signer_name))
        return order

    monkeypatch.setitem(actions.REGISTRY, "photo.add", actions.Action("photo.add", add_photo))
    monkeypatch.setitem(actions.REGISTRY, "signature.capture",
                        actions.Action("signature.capture", capture_signature))
    return received


def test_queued_photos_and_signatures_reach_their_services_once(phone, tenant_a, world,
                                                               attachment_actions):
    import base64

    from werkbon.workorders.offline import queueable_actions

    assert {"photo.add", "signature.capture", "form.photos"} <= set(queueable_actions())
    order = world["order"]
    image = {"name": "foto.jpg", "content_type": "image/jpeg", "data": _png()}
    twice(phone, tenant_a, action("photo.add", order, image=image, caption="meterkast"))
    twice(phone, tenant_a, action("signature.capture", order, signer_name="J. Klant", image=image))
    assert [(kind, text) for kind, _data, text in attachment_actions] == [
        ("photo", "meterkast"), ("signature", "J. Klant")]
    assert attachment_actions[0][1] == base64.b64decode(image["data"])
    bad = send(phone, [action("photo.add", order, image={"data": "%%%"})])[0]
    assert bad["status"] == "refused" and bad["errors"] == {"payload.image": [bad["detail"]]}
    assert bad["detail"] == ("De afbeelding is geen geldige base64: stuur de bytes van het "
                             "bestand in base64.")  # Dutch, without the field's internal name


def test_a_queue_of_another_user_is_refused_whole_and_nothing_is_applied(phone, tenant_a, tech_a,
                                                                        world):
    """Another user logged in on the phone (security review): the app names the queue's owner
    in ``X-Werkbon-Queue-Owner``; a different owner gets 409 in Dutch and nothing is booked.
    Without the header (API clients) the batch is applied as before."""
    batch = [action("time.add", world["order"], kind="work", minutes=7, date=TODAY)]
    for owner in (str(tech_a.pk + 1000), "piet", ""):
        response = phone.post("/api/v1/actions", json.dumps(batch), content_type="application/json",
                              headers={"X-Werkbon-Queue-Owner": owner})
        assert response.status_code == 409, response.content
        assert "andere gebruiker" in response.json()["detail"]
    with tenant_context(tenant_a):
        assert not TimeEntry.objects.filter(work_order=world["order"]).exists()
        assert not AppliedAction.objects.exists()
    response = phone.post("/api/v1/actions", json.dumps(batch), content_type="application/json",
                          headers={"X-Werkbon-Queue-Owner": str(tech_a.pk)})
    assert response.status_code == 200 and response.json()[0]["status"] == "applied"
    assert send(phone, batch)[0]["status"] == "already_applied"  # no header: as before
    with tenant_context(tenant_a):
        assert TimeEntry.objects.get(work_order=world["order"]).minutes == 7
