"""File attachments on sales orders and customer invoices (ERP API)."""

from __future__ import annotations

from email.message import Message

from vismanet import _endpoints as ep
from vismanet._models._base import AttachmentRef, Created
from vismanet._models.attachments import AttachmentContent
from vismanet._resources._base import Resource, created_from

# Visma ignores the part name; "file" is what its own sample client sends.
_PART_NAME = "file"


class Attachments(Resource):
    """``client.attachments``: upload (multipart) and read back.

    Uploading a file with a name the document already has creates a new revision of that
    attachment, not a second one. Visma allows up to 25 MB and the types doc, docx, gif, jpeg,
    jpg, msg, pdf, pfx, png, ppt, pptx, rtf, tif, tiff, txt, xls, xlsx, xml, zip.
    """

    def upload_to_sales_order(
        self,
        order_type: str,
        order_number: str,
        *,
        filename: str,
        content: bytes,
        content_type: str = "application/pdf",
    ) -> Created:
        """Attach a file to a sales order or quote header (also orders created through v3).

        Calls ``POST /v1/salesorder/orderType/{orderType}/{orderNumber}/attachment`` (contract
        ``attachment.salesorder.upload``) as ``multipart/form-data`` with one file part.
        Returns the attachment id (GUID, ``Location``'s last segment). Not retried after it
        may have reached Visma; a repeat would only add a revision.

        Raises:
            NotFoundError: unknown order.
            ValidationError: bad file type or size.
            APIConnectionError, APITimeoutError, ServerError: ``may_have_been_applied`` set.
            VismaNetError: any other subclass.
        """
        response = self._transport.request(
            ep.ATTACHMENT_SO_UPLOAD,
            path_params={"orderType": order_type, "orderNumber": order_number},
            files={_PART_NAME: (filename, content, content_type)},
        )
        return created_from(response, ep.ATTACHMENT_SO_UPLOAD)

    def upload_to_customer_invoice(
        self,
        invoice_number: str,
        *,
        filename: str,
        content: bytes,
        content_type: str = "application/pdf",
        if_match: str | None = None,
    ) -> Created:
        """Attach a file to a customer invoice header.

        Calls ``POST /v1/customerinvoice/{invoiceNumber}/attachment`` (contract
        ``attachment.customerinvoice.upload``) as ``multipart/form-data`` with one file part,
        optionally conditional on ``if_match``. Returns the attachment id (GUID).

        Raises:
            NotFoundError: unknown invoice.
            ValidationError: bad file type or size.
            PreconditionError: ``if_match`` is stale.
            APIConnectionError, APITimeoutError, ServerError: ``may_have_been_applied`` set.
            VismaNetError: any other subclass.
        """
        response = self._transport.request(
            ep.ATTACHMENT_INVOICE_UPLOAD,
            path_params={"invoiceNumber": invoice_number},
            files={_PART_NAME: (filename, content, content_type)},
            if_match=if_match,
            # An upload is not idempotent even with If-Match: a repeat adds a revision.
            idempotent=False,
        )
        return created_from(response, ep.ATTACHMENT_INVOICE_UPLOAD)

    def download(self, attachment_id: str) -> AttachmentContent:
        """The bytes of an attachment's latest revision.

        Calls ``GET /v1/attachment/{attachmentId}`` (contract ``attachment.get``).

        Raises:
            NotFoundError: unknown attachment.
            VismaNetError: any other subclass.
        """
        response = self._transport.request(
            ep.ATTACHMENT_GET, path_params={"attachmentId": attachment_id}
        )
        filename = None
        if "Content-Disposition" in response.headers:
            message = Message()
            message["Content-Disposition"] = response.headers["Content-Disposition"]
            filename = message.get_filename()
        return AttachmentContent(
            id=attachment_id,
            content=response.content,
            content_type=response.headers.get("Content-Type"),
            filename=filename,
        )

    def list_for_sales_order(self, order_type: str, order_number: str) -> list[AttachmentRef]:
        """Attachments (id, name, revision) on an order header.

        Calls ``GET /api/v3/SalesOrders/{type}/{orderId}?expand=Attachments`` (contract
        ``salesorder_v3.get``).

        Raises:
            NotFoundError: unknown order.
            VismaNetError: any other subclass.
        """
        body = self._transport.request_json(
            ep.SO_GET,
            path_params={"type": order_type, "orderId": order_number},
            params=[("expand", "Attachments")],
        )
        return [AttachmentRef.model_validate(a) for a in (body or {}).get("attachments") or []]

    def list_for_customer_invoice(self, invoice_number: str) -> list[AttachmentRef]:
        """Attachments (id, name, revision) on an invoice header.

        Calls ``GET /v1/customerinvoice/{invoiceNumber}`` (contract ``customerinvoice.get``)
        and reads its ``attachments``.

        Raises:
            NotFoundError: unknown invoice.
            VismaNetError: any other subclass.
        """
        body = self._transport.request_json(
            ep.INVOICE_GET, path_params={"invoiceNumber": invoice_number}
        )
        return [AttachmentRef.model_validate(a) for a in (body or {}).get("attachments") or []]
