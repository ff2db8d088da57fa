"""The attacker review of the action API (POST /api/v1/actions and the single endpoints).

Each test fails without its fix: lone surrogates are a Dutch 422 (not a 500 that blocks the
offline queue), form photos are decoded only after the authorisation and the client-id
lookup, a photo for a question that takes none is refused, form photos take base64 text as
photo.add does, a batch refused as a whole answers one Dutch text per action, signatures
are refused in signature words, and a technician deletes only their own photos.
"""

from __future__ import annotations

import base64
import io
import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from tests.api.test_offline_batch import action, send
from tests.conftest import PASSWORD, make_user
from werkbon.accounts.models import Role
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import actions, attachments, limits, offline_payloads, services
from werkbon.workorders.models import (
    Customer,
    FilledForm,
    FormAnswer,
    FormQuestion,
    FormTemplate,
    WorkAddress,
    WorkOrderPhoto,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def png(size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 90, 160)).save(buffer, format="PNG")
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def world(tenant_a, tech_a):
    with tenant_context(tenant_a):
        customer = Customer.objects.create(number="10001", name="Klant")
        address = WorkAddress.objects.create(customer=customer, street="Kerkstraat")
        template = FormTemplate.objects.create(name="Keuring")
        text = FormQuestion.objects.create(template=template, label="Druk", kind="text")
        photo = FormQuestion.objects.create(template=template, label="Meterkast", kind="photo",
                                            position=2)
        order = services.create_work_order(customer=customer, work_address=address,
                                           technicians=[tech_a], planned_start=timezone.now())
        other = services.create_work_order(customer=customer, work_address=address,
                                           technicians=[], planned_start=timezone.now())
    return {"order": order, "other": other, "template": template, "text": text, "photo": photo}


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def phone(tech_a) -> Client:
    return login(tech_a)


def post(client: Client, path: str, raw: str):
    return client.post("/api/v1" + path, raw, content_type="application/json")


# --- 1. lone surrogates and NUL ------------------------------------------------------------


def test_a_lone_surrogate_in_a_form_answer_is_a_dutch_422_in_the_batch_and_the_endpoint(
        phone, tenant_a, world):
    order = world["order"]
    answers = [{"question_id": world["text"].pk, "value": "\ud800"}]
    queued = action("form.save", order, template_id=world["template"].pk, answers=answers)
    answer = send(phone, [queued])[0]  # json.dumps writes the lone surrogate as \ud800
    assert answer["status"] == "refused" and answer["code"] == 422
    assert answer["detail"] == "De tekst bevat een ongeldig teken; typ hem opnieuw."
    single = post(phone, f"/work-orders/{order.pk}/forms",
                  json.dumps({"template_id": world["template"].pk, "answers": answers}))
    assert single.status_code == 422, single.content
    assert single.json()["errors"] == {
        "answers.0.value": ["De tekst bevat een ongeldig teken; typ hem opnieuw."]}
    with tenant_context(tenant_a):
        assert not FilledForm.objects.exists()


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb", "nul\x00"])
def test_every_text_field_refuses_lone_surrogates_and_nul_in_dutch(phone, world, text):
    answer = send(phone, [action("material.add", world["order"], item_number="A-1",
                                 quantity="1", note=text)])[0]
    assert answer["code"] == 422 and answer["errors"].keys() == {"payload.note"}
    assert answer["detail"] in {"De tekst bevat een ongeldig teken; typ hem opnieuw.",
                                "NUL-tekens zijn niet toegestaan."}, answer["detail"]


# --- 2. form photos decoded last, bounded -------------------------------------------------


@pytest.fixture
def decodes(monkeypatch) -> list[int]:
    """Counts the images decoded (wherever the batch decodes them)."""
    calls: list[int] = []
    real = actions.prepare_photo

    def counting(upload, **kwargs):
        calls.append(1)
        return real(upload, **kwargs)

    monkeypatch.setattr(actions, "prepare_photo", counting)
    monkeypatch.setattr(offline_payloads, "prepare_photo", counting, raising=False)
    return calls


def form_with_photo(world, order, **extra) -> dict:
    return action("form.save", order, template_id=world["template"].pk,
                  photos=[{"question_id": world["photo"].pk, "image": b64(png())}], **extra)


def test_a_form_photo_on_another_technicians_order_is_not_decoded(phone, world, decodes):
    answer = send(phone, [form_with_photo(world, world["other"])])[0]
    assert answer["status"] == "refused" and answer["code"] == 404
    assert decodes == []


def test_a_resent_applied_form_photo_is_not_decoded_again(phone, tenant_a, world, decodes):
    queued = form_with_photo(world, world["order"])
    assert send(phone, [queued])[0]["status"] == "applied"
    assert send(phone, [queued])[0]["status"] == "already_applied"
    assert decodes == [1]
    with tenant_context(tenant_a):
        assert FormAnswer.objects.get(question=world["photo"]).photo


def test_at_most_one_photo_per_photo_question(phone, tenant_a, world, decodes):
    image = {"question_id": world["photo"].pk, "image": b64(png())}
    answer = send(phone, [action("form.save", world["order"], template_id=world["template"].pk,
                                 photos=[image, image])])[0]
    assert answer["code"] == 422
    assert answer["errors"] == {f"photos.{world['photo'].pk}": [
        "Bij vraag Meterkast hoort één foto."]}
    assert decodes == []


# --- 3. a photo for a question that takes none ---------------------------------------------


def test_a_photo_for_a_question_that_takes_none_is_refused_naming_it(phone, tenant_a, world):
    for question_id, message in [(world["text"].pk, "Vraag Druk is geen fotovraag."),
                                 (999999, "Vraag 999999 hoort niet bij dit formulier.")]:
        answer = send(phone, [action("form.save", world["order"],
                                     template_id=world["template"].pk,
                                     photos=[{"question_id": question_id, "image": b64(png())}])])[0]
        assert answer["status"] == "refused" and answer["code"] == 422
        assert answer["errors"] == {f"photos.{question_id}": [message]}
    with tenant_context(tenant_a):
        assert not FilledForm.objects.exists()


# --- 4. form photos as base64 text ---------------------------------------------------------


def test_a_form_photo_as_base64_text_is_saved_and_bad_base64_names_the_field(phone, tenant_a,
                                                                             world):
    assert send(phone, [form_with_photo(world, world["order"])])[0]["status"] == "applied"
    bad = send(phone, [action("form.save", world["order"], template_id=world["template"].pk,
                              photos=[{"question_id": world["photo"].pk,
                                       "image": {"data": "%%%"}}])])[0]
    assert bad["code"] == 422
    assert bad["errors"] == {"payload.photos.0.image": [
        "De afbeelding is geen geldige base64: stuur de bytes van het bestand in base64."]}


# --- 5. a batch refused as a whole ---------------------------------------------------------


@pytest.mark.parametrize("work_order", [0, -1, 2**63, "abc"])
def test_a_bad_work_order_in_the_batch_is_one_dutch_text(phone, work_order):
    item = {"client_id": str(uuid.uuid4()), "action": "time.add", "work_order": work_order,
            "payload": {}}
    response = post(phone, "/actions", json.dumps([item]))
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == ("Actie 1: werkbon moet een geldig nummer zijn (of de client-id "
                              "van een ter plaatse gemaakte werkbon)")
    assert list(body["errors"]) == ["0.work_order"]


def test_a_bad_client_id_and_too_many_actions_are_dutch_texts(phone):
    good = {"client_id": str(uuid.uuid4()), "action": "time.add", "work_order": 1, "payload": {}}
    response = post(phone, "/actions", json.dumps([good, {**good, "client_id": "abc"}]))
    assert response.status_code == 422
    assert response.json() == {"detail": "Actie 2: client-id moet een UUID zijn",
                               "errors": {"1.client_id": ["client-id moet een UUID zijn"]}}
    many = post(phone, "/actions", json.dumps([good] * (limits.MAX_ACTIONS_PER_BATCH + 1)))
    assert many.status_code == 422
    assert many.json()["detail"] == (
        f"Stuur hoogstens {limits.MAX_ACTIONS_PER_BATCH} acties tegelijk.")


def test_an_object_as_a_form_answer_is_one_message(phone, world):
    answer = send(phone, [action("form.save", world["order"], template_id=world["template"].pk,
                                 answers=[{"question_id": world["text"].pk,
                                           "value": {"a": 1}}])])[0]
    assert answer["code"] == 422
    assert answer["errors"] == {"payload.answers.0.value": [
        "Vul tekst, een getal, of true of false in."]}
    assert answer["detail"] == "Vul tekst, een getal, of true of false in."


# --- 6. signature wording ------------------------------------------------------------------


@pytest.mark.parametrize(("data", "words"), [
    (b"<html></html>", "De handtekening kon niet als afbeelding worden gelezen"),
    (None, "De handtekening heeft te veel pixels"),
])
def test_a_refused_signature_speaks_of_the_signature(phone, world, data, words):
    if data is None:  # one pixel row more than MAX_SIGNATURE_PIXELS allows
        data = png((2000, limits.MAX_SIGNATURE_PIXELS // 2000 + 1))
    answer = send(phone, [action("signature.capture", world["order"], signer_name="J. Klant",
                                 image=b64(data))])[0]
    assert answer["code"] == 422
    assert words in answer["detail"] and "foto" not in answer["detail"].lower()


# --- 7. photos own-only for technicians ------------------------------------------------------


def test_a_technician_deletes_only_their_own_photos_the_office_any(tenant_a, tech_a, office_a,
                                                                  world):
    colleague = make_user(tenant_a, "tech_c", Role.TECHNICIAN)
    order = world["order"]
    with tenant_context(tenant_a):
        order.technicians.add(colleague)
        photo = attachments.add_photo(order, user=tech_a, image_bytes=png())
    page = login(colleague).get(reverse("workorders:my_work_order", args=[order.pk])).content.decode()
    assert page.count('data-testid="delete-photo"') == 0  # no button for another's photo
    refused = send(login(colleague), [action("photo.delete", order, photo_id=photo.pk)])[0]
    assert refused["code"] == 403
    assert refused["detail"] == "U kunt alleen wijzigen wat u zelf hebt geregistreerd."
    with tenant_context(tenant_a):
        assert WorkOrderPhoto.objects.filter(pk=photo.pk).exists()
        own = attachments.add_photo(order, user=colleague, image_bytes=png())
    page = login(colleague).get(reverse("workorders:my_work_order", args=[order.pk])).content.decode()
    assert page.count('data-testid="delete-photo"') == 1  # only for their own
    assert send(login(colleague), [action("photo.delete", order, photo_id=own.pk)])[0][
        "status"] == "applied"
    assert send(login(office_a), [action("photo.delete", order, photo_id=photo.pk)])[0][
        "status"] == "applied"
    with tenant_context(tenant_a):
        assert not WorkOrderPhoto.objects.exists()
