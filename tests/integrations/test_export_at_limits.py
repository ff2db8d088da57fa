"""An order filled to every limit exports (issue 10 acceptance, issue 8 "documents never
fail on content"): the longest description and reference, the longest text answer and
the largest accepted photo, sent to the sandbox over HTTP with both PDFs attached."""

from __future__ import annotations

import io
import random

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from vismanet_sandbox import demo
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.models import ExportRecord, ExportStatus, LogEntry
from werkbon.workorders import limits, services
from werkbon.workorders.models import FilledForm, FormAnswer, FormQuestion, FormTemplate

from .conftest import archived_work_order
from .test_export import configure, run


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _photo() -> ContentFile:
    side = limits.MAX_PHOTO_EDGE
    noise = Image.frombytes("RGB", (side, side), random.Random(7).randbytes(side * side * 3))
    buffer = io.BytesIO()
    noise.save(buffer, format="JPEG", quality=85)
    return ContentFile(buffer.getvalue(), name="ruis.jpg")


@pytest.mark.django_db
def test_an_order_at_every_limit_is_exported_with_both_pdfs(
        vismanet_integration, sandbox, tenant_a, office_a, tech_a):
    configure(vismanet_integration, target="sales_order", pdfs="work_order_and_forms")
    words = ("ketel ontluchten drukval Zoë € & <b> " * 400)
    with tenant_context(tenant_a):
        order = archived_work_order(
            office_a, tech_a, description=words[:limits.MAX_DESCRIPTION_LENGTH],
            reference="R" * limits.MAX_REFERENCE_LENGTH, archive=False)
        order = services.reopen(order)
        template = FormTemplate.objects.create(name="Rapport")
        filled = FilledForm.objects.create(work_order=order, template=template, filled_by=tech_a)
        text = FormQuestion.objects.create(template=template, label="Bevindingen", kind="text")
        FormAnswer.objects.create(form=filled, question=text,
                                  value=words[:limits.MAX_ANSWER_LENGTH])
        photo_q = FormQuestion.objects.create(template=template, label="Foto", kind="photo")
        answer = FormAnswer.objects.create(form=filled, question=photo_q, value="ruis.jpg")
        answer.photo.save("ruis.jpg", _photo())
        services.complete(order, user=tech_a)
        services.archive(order, user=office_a)
        record = ExportRecord.objects.get(work_order_number=order.number)
    record = run(record)
    assert record.status == ExportStatus.SENT, list(
        LogEntry.all_tenants.values_list("message", "params", "detail"))
    names = sorted(a["name"] for a in sandbox.control.attachments(demo.DEMO_TENANT_ID))
    assert names == sorted([f"formulieren-{order.number}.pdf", f"werkbon-{order.number}.pdf"])
