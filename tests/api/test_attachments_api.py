"""The signature and photo endpoints of the API (issue 11) and their actions in the batch
(``signature.capture``, ``photo.add``, ``photo.delete``, ``installations.set``): applied once
per client id, base64 that is no image or too large refused with a Dutch 422, and another
technician's or tenant's work order a 404."""

from __future__ import annotations

import base64
import io
import json
import uuid

import pytest
from PIL import Image, ImageDraw

from tests.api.conftest import API, client_for, complete_order
from tests.conftest import make_user
from werkbon.accounts.models import Role
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import attachments, installations, limits, services
from werkbon.workorders.models import Signature, WorkOrder, WorkOrderPhoto

pytestmark = pytest.mark.django_db

HTML = b"<html><script>alert(1)</script></html>"


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def canvas() -> bytes:
    image = Image.new("RGBA", (600, 240), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(20, 200), (150, 40), (300, 200), (560, 60)], fill=(0, 0, 0, 255),
                               width=6)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg(color=(30, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, format="JPEG")
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def send(api, method: str, path: str, body=None, key: str | None = None):  # type: ignore[no-untyped-def]
    headers = {**api._headers(), **({"Idempotency-Key": key} if key else {})}
    return api.client.generic(method, API + path, json.dumps(body) if body is not None else "",
                              content_type="application/json", headers=headers)


def _act(action: str, order: int, payload: dict, client_id: str | None = None) -> dict:
    return {"client_id": client_id or str(uuid.uuid4()), "action": action, "work_order": order,
            "payload": payload}


# ---- the single endpoints ----------------------------------------------------------------


def test_signature_and_photos_through_the_api_each_applied_once_per_key(tech_api, records_a, tenant_a,
                                                                        tech_a):
    order = records_a["order"]
    key = str(uuid.uuid4())
    body = {"signer_name": "  Zoë de Vries ", "image": "data:image/png;base64," + b64(canvas())}
    first = send(tech_api, "PUT", f"/work-orders/{order.pk}/signature", body, key)
    again = send(tech_api, "PUT", f"/work-orders/{order.pk}/signature", body, key)
    assert first.status_code == again.status_code == 200, first.content
    assert first.json() == again.json() and first.json()["signer_name"] == "Zoë de Vries"
    key = str(uuid.uuid4())
    photo = {"image": b64(jpeg()), "caption": "Ketel"}
    added = send(tech_api, "POST", f"/work-orders/{order.pk}/photos", photo, key)
    repeat = send(tech_api, "POST", f"/work-orders/{order.pk}/photos", photo, key)
    assert added.status_code == repeat.status_code == 201, added.content
    assert added.json() == repeat.json() and added.json()["added_by"] == "tech_a"
    with tenant_context(tenant_a):
        assert Signature.objects.get().sha256 == first.json()["sha256"]
        assert list(WorkOrderPhoto.objects.values_list("caption", flat=True)) == ["Ketel"]
    key = str(uuid.uuid4())
    path = f"/work-orders/{order.pk}/photos/{added.json()['id']}"
    assert send(tech_api, "DELETE", path, key=key).status_code == 204
    assert send(tech_api, "DELETE", path, key=key).status_code == 204  # the same delete, again
    assert send(tech_api, "DELETE", path).status_code == 404  # a new delete: no such photo
    with tenant_context(tenant_a):
        assert not WorkOrderPhoto.objects.exists()


def test_the_office_changes_photos_until_archived_a_technician_until_completed(
        tech_api, office_api, records_a, tenant_a, tech_a, office_a):
    order = records_a["order"]
    complete_order(tenant_a, order, tech_a)
    photo = {"image": b64(jpeg()), "caption": ""}
    refused = send(tech_api, "POST", f"/work-orders/{order.pk}/photos", photo)
    assert refused.status_code == 409 and "gereed gemeld" in refused.json()["detail"]
    assert send(office_api, "POST", f"/work-orders/{order.pk}/photos", photo).status_code == 201
    signature = {"signer_name": "Zoë", "image": b64(canvas())}
    assert send(office_api, "PUT", f"/work-orders/{order.pk}/signature", signature).status_code == 409
    with tenant_context(tenant_a):
        services.archive(order, user=office_a)
    archived = send(office_api, "POST", f"/work-orders/{order.pk}/photos", photo)
    assert archived.status_code == 409 and "gearchiveerd" in archived.json()["detail"]
    with tenant_context(tenant_a):
        assert WorkOrderPhoto.objects.count() == 1


@pytest.mark.parametrize(("path", "body", "field", "message"), [
    ("photos", {"image": "!!geen base64!!"}, "image", "De afbeelding is geen geldige base64"),
    ("photos", {"image": b64(HTML)}, "image", "Dit bestand is geen afbeelding"),
    ("photos", {"image": ""}, "image", "Stuur een afbeelding."),
    ("photos", {"image": b64(jpeg()), "caption": "x" * (limits.MAX_CAPTION_LENGTH + 1)}, "caption",
     "Vul hoogstens"),
    ("signature", {"signer_name": "Zoë", "image": b64(HTML)}, "image", "De handtekening kon niet als afbeelding worden gelezen"),
    ("signature", {"signer_name": "Zoë", "image": b64(b"\x89PNG" + b"\x00" * limits.MAX_SIGNATURE_BYTES)},
     "image", "De handtekening is te groot (hoogstens 1 MB)."),
    ("signature", {"signer_name": "Zoë", "image": ""}, "image",
     "Stuur een afbeelding."),
])
def test_base64_that_is_no_image_or_too_large_is_a_dutch_422(tech_api, records_a, tenant_a, path, body,
                                                             field, message):
    response = send(tech_api, "PUT" if path == "signature" else "POST",
                    f"/work-orders/{records_a['order'].pk}/{path}", body)
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert any(message in text for text in errors[field]), errors
    with tenant_context(tenant_a):
        assert not Signature.objects.exists() and not WorkOrderPhoto.objects.exists()


def test_an_empty_canvas_is_a_422_naming_the_image(tech_api, records_a):
    empty = io.BytesIO()
    Image.new("RGBA", (600, 240), (0, 0, 0, 0)).save(empty, format="PNG")
    response = send(tech_api, "PUT", f"/work-orders/{records_a['order'].pk}/signature",
                    {"signer_name": "Zoë", "image": b64(empty.getvalue())})
    assert response.status_code == 422
    assert response.json()["errors"]["image"] == ["De handtekening is leeg: laat de klant tekenen in het vak."]


def test_a_photo_over_the_byte_limit_is_a_dutch_422(tech_api, records_a, tenant_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024  # the body limit is not what is tested
    response = send(tech_api, "POST", f"/work-orders/{records_a['order'].pk}/photos",
                    {"image": b64(b"\xff\xd8\xff" + b"\x00" * limits.MAX_PHOTO_BYTES)})
    assert response.status_code == 422
    assert response.json()["errors"]["image"] == ["De foto is te groot (hoogstens 10 MB)."]


def test_a_body_over_the_request_limit_is_a_documented_413(tech_api, records_a):
    response = send(tech_api, "POST", f"/work-orders/{records_a['order'].pk}/photos",
                    {"image": b64(b"\x00" * 3 * 1024 * 1024)})
    assert response.status_code == 413 and response.json()["detail"].startswith("Het verzoek is te groot")


def test_another_technicians_or_tenants_work_order_is_a_404(records_a, tenant_a, tech_a, office_b, tech_b):
    order = records_a["order"]
    with tenant_context(tenant_a):
        photo = attachments.add_photo(order, user=tech_a, image_bytes=jpeg(), caption="eigen")
        other = make_user(tenant_a, "tech_other", Role.TECHNICIAN)
    for user in (other, office_b, tech_b):
        api = client_for(user)
        assert send(api, "PUT", f"/work-orders/{order.pk}/signature",
                    {"signer_name": "X", "image": b64(canvas())}).status_code == 404
        assert send(api, "POST", f"/work-orders/{order.pk}/photos", {"image": b64(jpeg())}).status_code == 404
        assert send(api, "DELETE", f"/work-orders/{order.pk}/photos/{photo.pk}").status_code == 404
        batch = send(api, "POST", "/actions", [
            _act("photo.delete", order.pk, {"photo_id": photo.pk}),
            _act("signature.capture", order.pk, {"signer_name": "X", "image": b64(canvas())})])
        assert [r["code"] for r in batch.json()] == [404, 404]
    # a photo of another work order is a 404 on this one
    office = client_for(make_user(tenant_a, "office_x", Role.OFFICE))
    assert send(office, "DELETE", f"/work-orders/{records_a['unplanned'].pk}/photos/{photo.pk}").status_code == 404
    with tenant_context(tenant_a):
        assert list(WorkOrderPhoto.objects.values_list("caption", flat=True)) == ["eigen"]
        assert not Signature.objects.exists()


# ---- the batch ---------------------------------------------------------------------------


def test_each_new_action_through_the_batch_is_applied_once(tech_api, records_a, tenant_a, tech_a):
    order = records_a["order"]
    with tenant_context(tenant_a):
        old = attachments.add_photo(order, user=tech_a, image_bytes=jpeg((1, 2, 3)), caption="oud")
        boiler = installations.create_installation(work_address=records_a["address"], name="CV-ketel")
    batch = [
        _act("signature.capture", order.pk, {"signer_name": "Zoë", "image": b64(canvas())}),
        _act("photo.add", order.pk, {"image": b64(jpeg()), "caption": "nieuw"}),
        _act("photo.delete", order.pk, {"photo_id": old.pk}),
        _act("installations.set", order.pk, {"installation_ids": [boiler.pk]}),
    ]
    first = send(tech_api, "POST", "/actions", batch).json()
    assert [(r["status"], r["code"]) for r in first] == [
        ("applied", 200), ("applied", 201), ("applied", 200), ("applied", 200)], first
    with tenant_context(tenant_a):
        signed_at = Signature.objects.get().signed_at
        version = WorkOrder.objects.get(pk=order.pk).version
    second = send(tech_api, "POST", "/actions", batch).json()
    assert [r["status"] for r in second] == ["already_applied"] * 4
    assert [r["result"] for r in second] == [r["result"] for r in first]
    assert first[2]["result"] == {"deleted": True}
    with tenant_context(tenant_a):
        assert Signature.objects.get().signed_at == signed_at  # not signed again
        assert list(WorkOrderPhoto.objects.values_list("caption", flat=True)) == ["nieuw"]
        fresh = WorkOrder.objects.get(pk=order.pk)
        assert fresh.version == version and list(fresh.installations.all()) == [boiler]


def test_the_batch_refuses_bad_images_with_a_dutch_422_and_goes_on(tech_api, records_a, tenant_a):
    order = records_a["order"]
    answers = send(tech_api, "POST", "/actions", [
        _act("photo.add", order.pk, {"image": "!!"}),
        _act("photo.add", order.pk, {"image": b64(HTML)}),
        _act("installations.set", order.pk, {"installation_ids": [999_999]}),
        _act("photo.add", order.pk, {"image": b64(jpeg())}),
    ]).json()
    assert [(r["status"], r["code"]) for r in answers] == [
        ("refused", 422), ("refused", 422), ("refused", 422), ("applied", 201)]
    assert "geen geldige base64" in answers[0]["detail"]
    assert answers[1]["errors"] == {"image": ["Dit bestand is geen afbeelding. Gebruik een JPEG- of PNG-foto."]}
    assert "installation_ids" in answers[2]["errors"]
    with tenant_context(tenant_a):
        assert WorkOrderPhoto.objects.count() == 1
