"""Filling in custom forms on a work order, per question kind, with a photo upload."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from werkbon.workorders.models import FilledForm, FormAnswer, FormQuestion, FormTemplate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def template(in_tenant_a):
    template = FormTemplate.objects.create(name="Onderhoud CV-ketel")
    for i, (kind, label, choices, required) in enumerate([
        ("text", "Bijzonderheden", "", False), ("number", "Waterdruk (bar)", "", True),
        ("yes_no", "Lekt de ketel?", "", True), ("choice", "Toestand", "Goed\nMatig", False),
        ("photo", "Foto typeplaatje", "", False),
    ]):
        FormQuestion.objects.create(template=template, label=label, kind=kind, position=i,
                                    choices=choices, required=required)
    return template


def field(template, kind):
    return f"q{template.questions.get(kind=kind).pk}"


def jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 128, 0)).save(buffer, format="JPEG")
    return SimpleUploadedFile("typeplaatje.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_it_saves_a_filled_form_with_a_photo(tech_client, planned_order, template, tech_a):
    url = reverse("workorders:fill_form", args=[planned_order.pk, template.pk])
    assert tech_client.get(url).status_code == 200
    response = tech_client.post(url, {
        field(template, "text"): "Alles schoon", field(template, "number"): "1,6",
        field(template, "yes_no"): "no", field(template, "choice"): "Goed",
        field(template, "photo"): jpeg(),
    })
    assert response.status_code == 302
    filled = FilledForm.objects.get()
    assert filled.filled_by == tech_a
    answers = {a.question.kind: a for a in FormAnswer.objects.select_related("question")}
    assert answers["text"].value == "Alles schoon"
    assert answers["number"].value == "1.6"
    assert answers["yes_no"].value == "no"
    assert answers["choice"].value == "Goed"
    assert answers["photo"].photo.name.endswith(".jpg")
    photo = tech_client.get(reverse("workorders:answer_photo",
                                    args=[planned_order.pk, answers["photo"].pk]))
    assert photo.status_code == 200
    # filling in again updates the same form; the photo stays when none is uploaded
    tech_client.post(url, {field(template, "number"): "2", field(template, "yes_no"): "yes"})
    assert FilledForm.objects.count() == 1
    assert FormAnswer.objects.get(question__kind="number").value == "2"
    assert FormAnswer.objects.get(question__kind="photo").photo


def test_it_refuses_invalid_answers_with_messages(tech_client, planned_order, template):
    url = reverse("workorders:fill_form", args=[planned_order.pk, template.pk])
    response = tech_client.post(url, {
        field(template, "number"): "veel", field(template, "yes_no"): "misschien",
        field(template, "choice"): "Onbekend",
        field(template, "photo"): SimpleUploadedFile("x.jpg", b"not an image"),
    })
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {field(template, k) for k in ("number", "yes_no", "choice", "photo")}
    assert "Dit bestand is geen afbeelding." in response.content.decode()
    assert not FilledForm.objects.exists()
