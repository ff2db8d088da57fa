"""ERP attachments (reference §7.9): multipart upload to a sales order or customer invoice
(header or line), ``GET /v1/attachment/{id}`` for the bytes, metadata PUT, sales-order delete.

Uploading the same file name to the same document adds a revision to the existing attachment
(same id); GET returns the latest revision.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from starlette.datastructures import UploadFile
from starlette.responses import Response

from ..core import Call, etag, if_match_values
from ..errors import ApiError, erp_exception, erp_not_found, erp_validation

ALLOWED_EXTENSIONS = {"doc", "docx", "gif", "jpeg", "jpg", "msg", "pdf", "pfx", "png", "ppt", "pptx",
                      "rtf", "tif", "tiff", "txt", "xls", "xlsx", "xml", "zip"}


def attachments_of(call: Call, document: str, line: int | None = None) -> list[dict[str, Any]]:
    """``[{id, name, revision}]`` for a document (``salesOrder:SO/000101``, ``invoice:100001``)."""
    found = []
    for rec in call.store.list(call.tenant, "attachment"):
        d = rec.data
        if d["document"].lower() == document.lower() and d.get("line") == line:
            found.append({"id": d["id"], "name": d["name"], "revision": len(d["revisions"])})
    return found


async def _first_file(call: Call) -> UploadFile:
    ctype = call.request.headers.get("content-type", "")
    if not ctype.lower().startswith("multipart/form-data"):
        raise erp_validation("The request must be multipart/form-data with one file part.")
    try:
        form = await call.request.form(max_part_size=1024 * 1024 * 1024)
    except Exception as exc:  # malformed multipart
        raise erp_validation(f"The multipart body could not be read: {exc}") from None
    for _name, value in form.multi_items():  # any part name is accepted, the first file wins
        if isinstance(value, UploadFile) and value.filename:
            return value
    raise erp_validation("No file was found in the request (one multipart file part is required).")


async def _upload(call: Call, document: str, line: int | None) -> Response:
    upload = await _first_file(call)
    name = upload.filename or "file"
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ALLOWED_EXTENSIONS:
        raise erp_validation(f"The file type '.{ext}' is not allowed. Allowed: "
                             f"{', '.join(sorted(ALLOWED_EXTENSIONS))}.")
    content = await upload.read()
    limit = int(call.setting("attachmentMaxBytes"))
    if len(content) > limit:
        raise erp_validation(f"The file is {len(content)} bytes; the maximum is {limit} bytes.")
    blob_id = str(uuid.uuid4())
    call.store.put_blob(blob_id, content)
    revision = {"blob": blob_id, "contentType": upload.content_type or "application/octet-stream",
                "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
    existing = next((r for r in call.store.list(call.tenant, "attachment")
                     if r.data["document"].lower() == document.lower() and r.data.get("line") == line
                     and r.data["name"] == name), None)
    if existing:
        data = existing.data
        data["revisions"].append(revision)
    else:
        data = {"id": str(uuid.uuid4()), "name": name, "document": document, "line": line,
                "revisions": [revision], "sendToAutoinvoice": False}
    call.store.put(call.tenant, "attachment", data["id"], data)
    return Response(status_code=201, headers={"Location": call.absolute(f"/v1/attachment/{data['id']}")})


def _order(call: Call, order_type: str, number: str) -> str:
    rec = call.store.get(call.tenant, "salesOrder", f"{order_type}/{number}")
    if rec is None:
        raise erp_not_found(f"Sales order {order_type} {number} not found.")
    return f"salesOrder:{rec.key}"


def _line(call: Call, raw: str, lines: list[int]) -> int:
    if not raw.isdigit() or int(raw) not in lines:
        raise erp_not_found(f"Line {raw} not found on the document.")
    return int(raw)


async def upload_salesorder(call: Call) -> Response:
    """POST /v1/salesorder/orderType/{orderType}/{orderNumber}/attachment"""
    return await _upload(call, _order(call, call.params["orderType"], call.params["orderNumber"]), None)


async def upload_salesorder_untyped(call: Call) -> Response:
    """POST /v1/salesorder/{orderNumber}/attachment (order type SO implied)"""
    return await _upload(call, _order(call, "SO", call.params["orderNumber"]), None)


async def upload_salesorder_line(call: Call) -> Response:
    """POST /v1/salesorder/orderType/{orderType}/{orderNumber}/{lineNumber}/attachment"""
    doc = _order(call, call.params["orderType"], call.params["orderNumber"])
    rec = call.store.get(call.tenant, "salesOrder", doc.split(":", 1)[1])
    assert rec is not None
    line = _line(call, call.params["lineNumber"], [ln["lineId"] for ln in rec.data.get("lines", [])])
    return await _upload(call, doc, line)


def _invoice(call: Call, number: str) -> tuple[str, Any]:
    rec = call.store.get(call.tenant, "invoice", number)
    if rec is None:
        raise erp_not_found(f"Customer invoice {number} not found.")
    wanted = if_match_values(call.request)
    if wanted is not None and "*" not in wanted and rec.tag not in wanted:
        raise erp_exception(412, "The document was changed by someone else (If-Match).", "12049")
    return f"invoice:{rec.key}", rec


async def upload_invoice(call: Call) -> Response:
    """POST /v1/customerinvoice/{invoiceNumber}/attachment"""
    doc, _rec = _invoice(call, call.params["invoiceNumber"])
    return await _upload(call, doc, None)


async def upload_invoice_line(call: Call) -> Response:
    """POST /v1/customerinvoice/{invoiceNumber}/{lineNumber}/attachment"""
    doc, rec = _invoice(call, call.params["invoiceNumber"])
    line = _line(call, call.params["lineNumber"], [ln["lineNumber"] for ln in rec.data.get("lines", [])])
    return await _upload(call, doc, line)


async def delete_salesorder_attachment(call: Call) -> Response:
    """DELETE /v1/salesorder/{orderType}/{orderNumber}/attachment/{fileId} (documented 200)"""
    doc = _order(call, call.params["orderType"], call.params["orderNumber"])
    rec = call.store.get(call.tenant, "attachment", call.params["fileId"])
    if rec is None or rec.data["document"].lower() != doc.lower():
        raise erp_not_found(f"Attachment {call.params['fileId']} not found on the order.")
    call.store.delete(call.tenant, "attachment", rec.key)
    return Response(status_code=200)


async def get_attachment(call: Call) -> Response:
    """GET /v1/attachment/{attachmentId}: the bytes of the latest revision."""
    rec = call.store.get(call.tenant, "attachment", call.params["attachmentId"])
    if rec is None:
        raise erp_not_found(f"Attachment {call.params['attachmentId']} not found.")
    latest = rec.data["revisions"][-1]
    content = call.store.get_blob(latest["blob"])
    if content is None:
        raise ApiError(500, {"Message": "Attachment content is missing."})
    safe = rec.data["name"].replace('"', "")
    return Response(content, media_type=latest["contentType"], headers={
        "Content-Disposition": f'attachment; filename="{safe}"', "ETag": etag(rec.tag)})


async def update_attachment(call: Call) -> Response:
    """PUT /v1/attachment/{attachmentId} with ``{"sendToAutoinvoice": {"value": bool}}``."""
    rec = call.store.get(call.tenant, "attachment", call.params["attachmentId"])
    if rec is None:
        raise erp_not_found(f"Attachment {call.params['attachmentId']} not found.")
    body = await call.json_object()
    for key in ("sendToAutoinvoice", "sendToAutoInvoice"):
        if key in body:
            wrapped = body[key]
            if not isinstance(wrapped, dict) or not isinstance(wrapped.get("value"), bool):
                raise erp_validation(f"{key} must be wrapped as {{\"value\": true|false}}.")
            rec.data["sendToAutoinvoice"] = wrapped["value"]
    updated = call.store.put(call.tenant, "attachment", rec.key, rec.data)
    return Response(status_code=204, headers={"ETag": etag(updated.tag)})
