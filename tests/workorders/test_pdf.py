"""The two PDFs contain what the work order contains (checked by extracting their text)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from werkbon.workorders.models import FilledForm, FormAnswer, FormQuestion, FormTemplate
from werkbon.workorders.pdf import render_forms_pdf, render_work_order_pdf

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def png_bytes(color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def filled_forms(completed_order, tech_a):
    template = FormTemplate.objects.create(name="Onderhoud CV-ketel")
    questions = {
        kind: FormQuestion.objects.create(template=template, label=label, kind=kind, position=i,
                                          choices=choices)
        for i, (kind, label, choices) in enumerate([
            ("text", "Bijzonderheden", ""), ("number", "Waterdruk (bar)", ""),
            ("yes_no", "Rookgasafvoer in orde?", ""), ("choice", "Toestand", "Goed\nMatig"),
            ("photo", "Foto typeplaatje", ""),
        ])
    }
    form = FilledForm.objects.create(work_order=completed_order, template=template, filled_by=tech_a)
    FormAnswer.objects.create(form=form, question=questions["text"], value="Ketel ontkalkt; één klem vervangen")
    FormAnswer.objects.create(form=form, question=questions["number"], value="1.8")
    FormAnswer.objects.create(form=form, question=questions["yes_no"], value="yes")
    FormAnswer.objects.create(form=form, question=questions["choice"], value="Matig")
    FormAnswer.objects.create(form=form, question=questions["photo"], value="plaatje.png",
                              photo=SimpleUploadedFile("plaatje.png", png_bytes()))
    return form


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_it_puts_the_whole_work_order_in_the_pdf(completed_order, tenant_a):
    tenant_a.address, tenant_a.postal_code, tenant_a.city = "Industrieweg 5", "9999 ZZ", "Groningen"
    tenant_a.save()
    completed_order.refresh_from_db()
    text = pdf_text(render_work_order_pdf(completed_order))
    for expected in [
        "Installatiebedrijf Alfa B.V.", "Industrieweg 5", "9999 ZZ Groningen",
        f"Werkbon {completed_order.number}", "PO-77",
        "Bakkerij Café Søren & Zoë", "K-55", "Kerkstraat 12a, 7901 AA Hoogeveen",
        "CV-ketel onderhoud",
        "12-03-2025", "Piet Jansen", "Werktijd", "Reistijd", "135", "20",
        "135 min", "2,25 uur", "20 min", "0,33 uur",
        "CV01", "Vulkraan ½ duim", "links en rechts", "PIJP", "Koperen pijp 15 mm", "1,5", " m",
        "€ 12,50", "€ 4,95",
        "Afgetekend door Zoë de Vries op",
    ]:
        assert expected in text, expected


def test_it_is_deterministic(completed_order):
    first = render_work_order_pdf(completed_order)
    assert render_work_order_pdf(completed_order) == first


def test_it_renders_an_empty_order(planned_order):
    text = pdf_text(render_work_order_pdf(planned_order))
    assert "Geen tijd geregistreerd." in text
    assert "Nog niet gereed gemeld." in text
    assert "0 min" in text


def test_it_puts_every_question_and_answer_in_the_forms_pdf(filled_forms, completed_order):
    content = render_forms_pdf(completed_order)
    text = pdf_text(content)
    for expected in ["Onderhoud CV-ketel", "Bijzonderheden", "Ketel ontkalkt; één klem vervangen",
                     "Waterdruk (bar)", "1,8", "Rookgasafvoer in orde?", "Ja", "Toestand", "Matig",
                     "Foto typeplaatje", "Ingevuld door Piet Jansen",
                     f"Formulieren bij werkbon {completed_order.number}"]:
        assert expected in text, expected
    reader = PdfReader(io.BytesIO(content))
    images = [img for page in reader.pages for img in page.images]
    assert len(images) == 1  # the photo is embedded
    assert render_forms_pdf(completed_order) == content


def test_it_names_a_missing_photo_instead_of_failing(filled_forms, completed_order):
    answer = FormAnswer.objects.get(question__kind="photo")
    answer.photo.storage.delete(answer.photo.name)
    assert "(foto plaatje.png kon niet worden gelezen)" in pdf_text(render_forms_pdf(completed_order))


def test_it_serves_the_pdfs_to_the_office_and_the_orders_technician(
        office_client, filled_forms, completed_order, client, tech_a):
    for name in ("workorders:pdf", "workorders:forms_pdf"):
        response = office_client.get(reverse(name, args=[completed_order.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
    office_client.logout()
    from tests.conftest import PASSWORD

    assert client.login(username=tech_a.username, password=PASSWORD)
    response = client.get(reverse("workorders:pdf", args=[completed_order.pk]))
    assert "Zoë de Vries" in pdf_text(response.content)
