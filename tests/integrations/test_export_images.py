"""The customer's signature and the work-order photos go to Visma.net with the export (issue 11),
against the sandbox over HTTP on a real database: attached beside the PDFs as the integration
settings choose, read back through the Visma.net API (``GET /v1/attachment/{id}``) and
byte-identical (SHA-256) to what Werkbon stored; exactly once, also when an upload's answer
was lost or a retry follows a failure half-way.
"""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image, ImageDraw

from vismanet_sandbox import demo
from werkbon.accounts.tenancy import tenant_context
from werkbon.integrations.models import ExportRecord, ExportStatus
from werkbon.integrations.vismanet.client import client_for
from werkbon.integrations.vismanet.config import ImageOption, VismaNetSettings
from werkbon.integrations.vismanet.forms import SettingsForm
from werkbon.workorders import attachments, services
from werkbon.workorders.models import Signature, WorkOrderPhoto

from .conftest import archived_work_order
from .test_export import configure, run

TENANT = demo.DEMO_TENANT_ID


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _canvas() -> bytes:
    image = Image.new("RGBA", (600, 240), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(20, 200), (150, 40), (300, 190), (580, 60)], fill=(0, 0, 0, 255), width=6)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _photo(kind: str, color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), color).save(buffer, format=kind)
    return buffer.getvalue()


def archive_signed(tenant, office, tech, *, photos: int = 2) -> ExportRecord:
    """An archived work order with a signature and ``photos`` photos (JPEG, PNG, …)."""
    with tenant_context(tenant):
        order = archived_work_order(office, tech, archive=False)
        order = services.reopen(order)  # planned again: signed and photographed on site
        attachments.capture_signature(order, user=tech, signer_name="Zoë de Vries", image_bytes=_canvas())
        for index in range(photos):
            attachments.add_photo(order, user=tech, caption=f"Foto {index + 1}",
                                  image_bytes=_photo(("JPEG", "PNG")[index % 2], (40 * index, 90, 200)))
        services.complete(order, user=tech)
        services.archive(order, user=office)
        return ExportRecord.objects.get(work_order_number=order.number)


def stored_files(tenant, record: ExportRecord) -> dict[str, bytes]:
    """What Werkbon stored, by the file name it gets in Visma.net."""
    n = record.work_order_number
    with tenant_context(tenant):
        files = {f"handtekening-{n}.png": bytes(Signature.objects.get(work_order_id=record.work_order_id).image)}
        for position, photo in enumerate(WorkOrderPhoto.objects.filter(work_order_id=record.work_order_id)
                                         .order_by("id"), start=1):
            with photo.image.open("rb") as handle:
                content = handle.read()
            assert hashlib.sha256(content).hexdigest() == photo.sha256
            files[f"foto-{n}-{position}.{photo.image.name.rsplit('.', 1)[-1]}"] = content
    return files


def read_back(integration, record: ExportRecord) -> dict[str, bytes]:
    """The document's attachments as Visma.net gives them back over its API."""
    with client_for(integration) as client:
        if record.document_type == "sales_order":
            order_type, _sep, order_id = record.document_number.partition(" ")
            refs = client.attachments.list_for_sales_order(order_type, order_id)
        else:
            refs = client.attachments.list_for_customer_invoice(record.document_number)
        return {ref.name: client.attachments.download(ref.id).content for ref in refs}


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["sales_order", "customer_invoice"])
def test_the_export_sends_the_signature_and_the_photos_byte_identical(
        vismanet_integration, sandbox, tenant_a, office_a, tech_a, target):
    configure(vismanet_integration, target=target, pdfs="work_order", images="signature_and_photos")
    record = run(archive_signed(tenant_a, office_a, tech_a, photos=2))
    assert record.status == ExportStatus.SENT, record.last_error
    n = record.work_order_number
    expected = stored_files(tenant_a, record)
    assert sorted(expected) == sorted([f"handtekening-{n}.png", f"foto-{n}-1.jpg", f"foto-{n}-2.png"])
    sent = read_back(vismanet_integration, record)
    assert sorted(sent) == sorted([f"werkbon-{n}.pdf", *expected])
    for name, content in expected.items():
        assert sha(sent[name]) == sha(content), name
    assert sorted(record.attachments_done) == sorted(sent)
    types = {a["name"]: a["revisions"][-1]["contentType"] for a in sandbox.control.attachments(TENANT)}
    assert types[f"handtekening-{n}.png"] == "image/png" and types[f"foto-{n}-1.jpg"] == "image/jpeg"


@pytest.mark.django_db
@pytest.mark.parametrize(("option", "names"), [("signature", ["handtekening-{n}.png"]), ("nothing", [])])
def test_the_photos_go_only_when_chosen(vismanet_integration, sandbox, tenant_a, office_a, tech_a, option, names):
    configure(vismanet_integration, pdfs="nothing", images=option)
    record = run(archive_signed(tenant_a, office_a, tech_a, photos=1))
    assert record.status == ExportStatus.SENT
    n = record.work_order_number
    sent = read_back(vismanet_integration, record)
    assert sorted(sent) == [name.format(n=n) for name in names]
    if names:
        assert sha(sent[f"handtekening-{n}.png"]) == sha(stored_files(tenant_a, record)[f"handtekening-{n}.png"])


@pytest.mark.django_db
def test_a_work_order_without_a_signature_sends_no_image(vismanet_integration, sandbox, tenant_a, office_a, tech_a):
    configure(vismanet_integration, pdfs="nothing", images="signature_and_photos")
    with tenant_context(tenant_a):
        order = archived_work_order(office_a, tech_a)
    record = run(ExportRecord.all_tenants.get(work_order_number=order.number))
    assert record.status == ExportStatus.SENT and record.attachments_done == []
    assert sandbox.control.attachments(TENANT) == []


@pytest.mark.django_db
def test_an_image_whose_upload_answer_was_lost_is_never_uploaded_twice(
        vismanet_integration, sandbox, tenant_a, office_a, tech_a, settings):
    settings.VISMANET_EXPORT_RETRY_WINDOW_SECONDS = 0
    configure(vismanet_integration, pdfs="nothing", images="signature_and_photos")
    # the first upload (the signature) lands in Visma.net, its answer is lost
    sandbox.control.fault("drop_after_write", method="POST", path="/attachment$", count=1)
    record = run(archive_signed(tenant_a, office_a, tech_a, photos=2))
    assert record.status == ExportStatus.ATTACHMENTS_PENDING and record.attachments_done == []
    record = run(record)
    assert record.status == ExportStatus.SENT
    n = record.work_order_number
    files = sandbox.control.attachments(TENANT)
    assert sorted(a["name"] for a in files) == sorted([f"handtekening-{n}.png", f"foto-{n}-1.jpg", f"foto-{n}-2.png"])
    assert all(len(a["revisions"]) == 1 for a in files)  # found by name and size: not sent again
    assert sandbox.control.request_count(method="POST", path="/attachment$") == 3
    expected = stored_files(tenant_a, record)
    sent = read_back(vismanet_integration, record)
    assert {name: sha(c) for name, c in sent.items()} == {name: sha(c) for name, c in expected.items()}


@pytest.mark.django_db
def test_a_retry_after_a_failure_half_way_uploads_only_the_missing_images(
        vismanet_integration, sandbox, tenant_a, office_a, tech_a, settings, monkeypatch):
    settings.VISMANET_EXPORT_RETRY_WINDOW_SECONDS = 0
    configure(vismanet_integration, pdfs="work_order", images="signature_and_photos")
    from werkbon.integrations.vismanet.export import attachments as export_attachments

    stored_content = export_attachments._content

    def fail_from_the_first_photo(work_order, kind):
        if kind.startswith("photo:"):
            sandbox.control.fault("status", status=503, method="POST", path="attachment", count=None)
        return stored_content(work_order, kind)

    monkeypatch.setattr(export_attachments, "_content", fail_from_the_first_photo)
    record = run(archive_signed(tenant_a, office_a, tech_a, photos=2))
    n = record.work_order_number
    assert record.status == ExportStatus.ATTACHMENTS_PENDING
    assert record.attachments_done == [f"werkbon-{n}.pdf", f"handtekening-{n}.png"]
    monkeypatch.undo()
    sandbox.control.clear_faults()
    sandbox.control.clear_requests()
    record = run(record)
    assert record.status == ExportStatus.SENT
    assert sandbox.control.request_count(method="POST", path="/attachment$") == 2  # the two photos only
    assert all(len(a["revisions"]) == 1 for a in sandbox.control.attachments(TENANT))
    assert len(read_back(vismanet_integration, record)) == 4


def test_the_image_choice_is_a_setting_beside_the_pdfs_with_the_signature_as_default():
    assert VismaNetSettings(default_warehouse="HOOFD").images == ImageOption.SIGNATURE
    fields = list(SettingsForm().fields)
    assert fields.index("images") == fields.index("pdfs") + 1
    good = {"work_time_item": "ARBEID", "default_item_enabled": "0", "notes": "nothing", "customer_reference": "both",
            "pdfs": "work_order", "order_import": "nothing", "target": "customer_invoice",
            "sync_interval_seconds": "60"}
    for posted, expected in [("signature_and_photos", ImageOption.SIGNATURE_AND_PHOTOS),
                             ("nothing", ImageOption.NOTHING), (None, ImageOption.SIGNATURE)]:
        form = SettingsForm({**good, **({"images": posted} if posted else {})})
        assert form.is_valid(), form.errors
        assert form.to_settings().images == expected
    assert not SettingsForm({**good, "images": "everything"}).is_valid()
