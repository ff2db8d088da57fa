"""Customer invoices (create/get/list/update/release and their 400s) and attachments."""

from __future__ import annotations

import hashlib

from vismanet_sandbox import demo

from .conftest import assert_exception_envelope

T = demo.DEMO_TENANT_ID


def w(value):
    return {"value": value}


def invoice_body(**overrides):
    body = {"customerNumber": w("10001"), "documentDate": w("2026-11-02T00:00:00"), "hold": w(True),
            "customerRefNumber": w("WB-2026-0192"), "externalReference": w("werkbon:0192"),
            "invoiceText": w("Werkbon WB-2026-0192 - CV-ketel onderhoud"), "note": w("Uitgevoerd door P. Jansen."),
            "invoiceLines": [
                {"operation": "Insert", "inventoryNumber": w("ARBEID"), "description": w("Arbeid 2,5 uur"),
                 "quantity": w(2.5), "unitPriceInCurrency": w(62.5)},
                {"operation": "Insert", "inventoryNumber": w("REISTIJD"), "quantity": w(0.5)}]}
    body.update(overrides)
    return body


def create(erp, body):
    return erp.post("/v2/customerinvoice", json=body)


def test_create_get_and_find_by_marker(sandbox, erp):
    response = create(erp, invoice_body())
    assert response.status_code == 201, response.text
    number = response.headers["location"].rsplit("/", 1)[-1]
    assert response.headers["location"].endswith(f"/v1/customerinvoice/{number}")
    got = erp.get(f"/v1/customerinvoice/{number}")
    body = got.json()
    assert got.headers["etag"] == response.headers["etag"] == f'"{body["timeStamp"]}"'
    assert body["status"] == "Hold" and body["customer"]["number"] == "10001"
    assert [ln["inventoryNumber"] for ln in body["invoiceLines"]] == ["ARBEID", "REISTIJD"]
    assert body["invoiceLines"][1]["unitPrice"] == 48.0  # price from the item
    assert body["detailTotal"] == 2.5 * 62.5 + 24.0
    found = erp.get("/v1/customerinvoice", params={"customerRefNumber": "WB-2026-0192"}).json()
    assert [i["referenceNumber"] for i in found] == [number]
    assert erp.get("/v1/customerinvoice", params={"externalReference": "werkbon:0192"}).json()[0]["referenceNumber"] == number
    assert erp.get("/v1/customerinvoice", params={"externalReference": "other"}).json() == []
    stored = sandbox.control.invoices(T)
    assert stored[0]["lines"][0]["quantity"] == 2.5
    assert erp.post("/v1/customerinvoice", json=invoice_body()).status_code == 201


def test_invoice_validation_errors(sandbox, erp):
    sandbox.control.deactivate_item(T, "VOORRIJDEN")
    inactive_customer = next(c["number"] for c in erp.get("/v1/customer", params={"status": "Inactive"}).json())
    cases = [
        ({"customerNumber": w("99999")}, "Customer 99999 not found"),
        ({"customerNumber": w(inactive_customer)}, "Inactive"),
        ({"customerNumber": w("")}, "cannot be empty"),
        ({"customerNumber": "10001"}, "wrapped"),
        ({"customerRefNumber": w("x" * 41)}, "maximum length is 40"),
        ({"invoiceText": w("x" * 257)}, "maximum length is 256"),
        ({"invoiceLines": []}, "at least one line"),
        ({"invoiceLines": [{"operation": "Insert", "inventoryNumber": w("NOPE")}]}, "NOPE not found"),
        ({"invoiceLines": [{"operation": "Insert", "inventoryNumber": w("VOORRIJDEN")}]}, "cannot be sold"),
        ({"invoiceLines": [{"inventoryNumber": w("ARBEID")}]}, "operation"),
        ({"invoiceLines": [{"operation": "Insert", "inventoryNumber": w("ARBEID"), "description": w("d" * 257)}]},
         "maximum length is 256"),
    ]
    for override, fragment in cases:
        assert_exception_envelope(create(erp, invoice_body(**override)), 400, fragment)
    missing = invoice_body()
    del missing["customerNumber"]
    assert_exception_envelope(create(erp, missing), 400, "customerNumber")
    assert erp.post("/v2/customerinvoice", content=b"{not json", headers={"content-type": "application/json"}).json() == \
        {"Message": "The request is invalid."}
    assert sandbox.control.invoices(T) == []


def test_update_if_match_release_delete(erp):
    created = create(erp, invoice_body())
    number, tag = created.headers["location"].rsplit("/", 1)[-1], created.headers["etag"]
    stale = erp.put(f"/v1/customerinvoice/{number}", json={"note": w("x")}, headers={"If-Match": '"AAAAAAAAAAE="'})
    assert_exception_envelope(stale, 412)
    updated = erp.put(f"/v1/customerinvoice/{number}", headers={"If-Match": tag},
                      json={"hold": w(False), "invoiceLines": [{"operation": "Delete", "lineNumber": w(2)}]})
    assert updated.status_code == 204 and updated.headers["etag"] != tag
    body = erp.get(f"/v1/customerinvoice/{number}").json()
    assert body["status"] == "Balanced" and len(body["invoiceLines"]) == 1
    released = erp.post(f"/v1/customerinvoice/{number}/action/release")
    assert released.json()["actionResult"] == "Done"
    assert erp.get("/v1/customerinvoice", params={"released": 1, "customer": "10001"}).json()[0]["status"] == "Open"
    assert_exception_envelope(erp.delete(f"/v1/customerinvoice/{number}"), 400, "released")
    other = create(erp, invoice_body()).headers["location"].rsplit("/", 1)[-1]
    assert erp.delete(f"/v1/customerinvoice/{other}").status_code == 204
    assert_exception_envelope(erp.get(f"/v1/customerinvoice/{other}"), 404)


PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF"


def test_attachment_round_trip_and_revisions(sandbox, erp):
    first = erp.post("/v1/salesorder/orderType/SO/000101/attachment",
                     files={"file": ("werkbon-WB-0140.pdf", PDF, "application/pdf")})
    assert first.status_code == 201 and first.content == b""
    att_id = first.headers["location"].rsplit("/", 1)[-1]
    assert len(att_id) == 36
    download = erp.get(f"/v1/attachment/{att_id}")
    assert hashlib.sha256(download.content).hexdigest() == hashlib.sha256(PDF).hexdigest()
    assert download.headers["content-type"] == "application/pdf"
    # Same file name again: a new revision of the same attachment; any part name works.
    second = erp.post("/v1/salesorder/orderType/SO/000101/attachment",
                      files={"v": ("werkbon-WB-0140.pdf", PDF + b"rev2", "application/pdf")})
    assert second.headers["location"] == first.headers["location"]
    assert erp.get(f"/v1/attachment/{att_id}").content == PDF + b"rev2"
    assert sandbox.control.attachment_bytes(T, att_id, revision=1) == PDF
    order = erp.get("/api/v3/SalesOrders/SO/000101", params={"expand": "Attachments"}).json()
    assert order["attachments"] == [{"id": att_id, "name": "werkbon-WB-0140.pdf", "revision": 2}]
    assert "attachments" not in erp.get("/api/v3/SalesOrders/SO/000101").json()
    # Invoice attachment, listed on the document read.
    number = create(erp, invoice_body()).headers["location"].rsplit("/", 1)[-1]
    inv = erp.post(f"/v1/customerinvoice/{number}/attachment", files={"": ("bon.pdf", b"%PDF-1 x", "application/pdf")})
    assert inv.status_code == 201
    assert erp.get(f"/v1/customerinvoice/{number}").json()["attachments"][0]["name"] == "bon.pdf"
    listed = erp.get("/v1/customerinvoice", params={"expandAttachments": "true", "customerRefNumber": "WB-2026-0192"})
    assert listed.json()[0]["attachments"][0]["revision"] == 1
    assert erp.put(f"/v1/attachment/{att_id}", json={"sendToAutoinvoice": w(True)}).status_code == 204
    deleted = erp.delete(f"/v1/salesorder/SO/000101/attachment/{att_id}")
    assert deleted.status_code == 200
    assert_exception_envelope(erp.get(f"/v1/attachment/{att_id}"), 404)


def test_attachment_errors(sandbox, erp):
    assert_exception_envelope(erp.post("/v1/salesorder/orderType/SO/999999/attachment",
                                       files={"f": ("a.pdf", b"x", "application/pdf")}), 404)
    assert_exception_envelope(erp.post("/v1/salesorder/orderType/SO/000101/attachment",
                                       files={"f": ("a.exe", b"x", "application/octet-stream")}), 400, "not allowed")
    assert_exception_envelope(erp.post("/v1/salesorder/orderType/SO/000101/attachment", data={"x": "y"},
                                       files={}), 400)
    sandbox.control.settings(T, attachmentMaxBytes=10)
    assert_exception_envelope(erp.post("/v1/salesorder/orderType/SO/000101/attachment",
                                       files={"f": ("a.pdf", b"x" * 11, "application/pdf")}), 400, "maximum")
    assert erp.post("/v1/salesorder/000101/attachment", files={"f": ("a.txt", b"x", "text/plain")}).status_code == 201
