"""Where things land in the two PDFs (new-user review): the forms PDF's "Vraag | Antwoord"
header row lines up with its question and answer columns, and no section heading ends a
page alone while what it heads starts on the next one. Checked on the text positions pypdf
reports."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

import pytest
from PIL import Image
from pypdf import PdfReader

from werkbon.workorders import attachments, services
from werkbon.workorders.models import FilledForm, FormAnswer, FormQuestion, FormTemplate
from werkbon.workorders.pdf import render_forms_pdf, render_work_order_pdf

pytestmark = pytest.mark.django_db

# Headings of the two PDFs (Dutch, as printed).
WORK_ORDER_HEADINGS = {"Werkzaamheden", "Tijd", "Materialen", "Installaties", "Foto's",
                       "Aftekening"}


@dataclass(frozen=True)
class Text:
    page: int
    x: float
    y: float
    text: str


def texts(content: bytes) -> list[Text]:
    """Every non-blank text run with its page and position (points from the bottom left)."""
    found: list[Text] = []
    for number, page in enumerate(PdfReader(io.BytesIO(content)).pages):
        def visit(text, cm, tm, _font, _size, number=number):  # type: ignore[no-untyped-def]
            if text.strip():
                # the text matrix applied to the current transformation matrix
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                found.append(Text(number, round(x, 1), round(y, 1), text.strip()))
        page.extract_text(visitor_text=visit)
    return found


def first(runs: list[Text], text: str) -> Text:
    return next(run for run in runs if run.text == text)


def signature_png() -> bytes:
    image = Image.new("RGBA", (600, 300), (0, 0, 0, 0))
    for x in range(50, 550):
        image.putpixel((x, 150 + (x % 40) - 20), (0, 0, 0, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def signed_order(planned_order, tech_a, items):
    """An order with time, materials and the customer's signature, signed off."""
    services.add_time_entry(planned_order, technician=tech_a, kind="work", minutes=135,
                            date=dt.date(2025, 3, 12))
    services.add_material_line(planned_order, item=items["CV01"], quantity=Decimal("2"),
                               note="links en rechts", technician=tech_a)
    attachments.capture_signature(planned_order, user=tech_a, signer_name="Zoë de Vries",
                                  image_bytes=signature_png())
    return services.complete(planned_order, user=tech_a, signed_by_name="Zoë de Vries")


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_forms_header_row_lines_up_with_the_question_and_answer_columns(completed_order):
    template = FormTemplate.objects.create(name="Onderhoud CV-ketel")
    form = FilledForm.objects.create(work_order=completed_order, template=template)
    question = FormQuestion.objects.create(template=template, label="Waterdruk", kind="number")
    FormAnswer.objects.create(form=form, question=question, value="1.8")

    runs = texts(render_forms_pdf(completed_order))

    header_question, header_answer = first(runs, "Vraag"), first(runs, "Antwoord")
    row_question, row_answer = first(runs, "Waterdruk"), first(runs, "1,8")
    assert header_question.y == header_answer.y
    assert header_question.x == row_question.x, (header_question, row_question)
    assert header_answer.x == row_answer.x, (header_answer, row_answer)



def _headings_apart_from_what_follows(runs: list[Text], headings: set[str]) -> list[str]:
    """Headings whose next text (in drawing order, the order of the flow) is on a later
    page: the heading ends its page alone."""
    return [f"{run.text} (p. {run.page + 1}) / {after.text} (p. {after.page + 1})"
            for run, after in pairwise(runs)
            if run.text in headings and after.page != run.page]


def test_no_work_order_heading_ends_a_page_alone(signed_order):
    """Descriptions of 15 to 50 lines push the later headings down one line each step, so
    that each heading lands near the end of page 1 in some step (measured: "Aftekening" at
    22 to 30 lines, "Tijd" at 43 to 46)."""
    apart = []
    for lines in range(15, 51):
        signed_order.description = "\n".join(f"Regel {i}" for i in range(lines))
        signed_order.save()
        runs = texts(render_work_order_pdf(signed_order))
        apart += [f"{lines} lines: {text}"
                  for text in _headings_apart_from_what_follows(runs, WORK_ORDER_HEADINGS)]
        # the signature and the line naming the signer stay with their heading
        sign_off = first(runs, "Aftekening")
        signed = next(run for run in runs if run.text.startswith("Getekend door"))
        if signed.page != sign_off.page:
            apart.append(f"{lines} lines: Aftekening (p. {sign_off.page + 1}) / "
                         f"signature (p. {signed.page + 1})")
    assert apart == []


def test_no_form_heading_ends_a_page_alone(completed_order):
    """The first form's rows push the second form's heading down to the page end in one of
    the steps (measured: at 28 questions): it moves to the next page with its header row and
    first question."""
    apart = []
    for questions_before in range(24, 34):
        FilledForm.objects.all().delete()
        FormTemplate.objects.all().delete()
        first_template = FormTemplate.objects.create(name="Eerste formulier")
        first_form = FilledForm.objects.create(work_order=completed_order, template=first_template)
        for i in range(questions_before):
            question = FormQuestion.objects.create(template=first_template, label=f"Vraag {i}",
                                                   kind="text", position=i)
            FormAnswer.objects.create(form=first_form, question=question, value=f"Antwoord {i}")
        second_template = FormTemplate.objects.create(name="Tweede formulier")
        second_form = FilledForm.objects.create(work_order=completed_order,
                                                template=second_template)
        question = FormQuestion.objects.create(template=second_template, label="Laatste vraag",
                                               kind="text")
        FormAnswer.objects.create(form=second_form, question=question, value="Laatste antwoord")

        runs = texts(render_forms_pdf(completed_order))

        heading = first(runs, "Tweede formulier")
        last_header_row = [run for run in runs if run.text == "Vraag"][-1]
        for run in (last_header_row, first(runs, "Laatste vraag")):
            if run.page != heading.page:
                apart.append(f"{questions_before} questions: heading (p. {heading.page + 1}) / "
                             f"{run.text} (p. {run.page + 1})")
    assert apart == []
