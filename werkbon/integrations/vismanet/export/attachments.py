"""Step 4, the attachments: upload the chosen PDFs (manual 5.9) and images (the customer's
signature, optionally the work-order photos; issue 11) the document does not have yet, the
bytes Werkbon stored (PDFs stored at archiving, the signature's PNG, the photo files), never a
new rendering.

Never twice: each uploaded name is remembered at once (``attachments_done``), and before an
upload the document's attachments are read: one with the same name and size is taken as done
(an upload whose answer was lost, or answered 201 without ``Location``). A document that
answers 404 was deleted in Visma.net (``DocumentDeleted``: a person chooses, no Retry).
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

from vismanet import NotFoundError, UnexpectedResponseError, VismaNetClient
from vismanet import ValidationError as VismaValidationError
from werkbon.integrations.log import log
from werkbon.integrations.models import (
    ExportDocumentType,
    ExportRecord,
    Integration,
    LogEntry,
    LogLevel,
    LogTable,
)
from werkbon.integrations.vismanet.config import VismaNetSettings
from werkbon.integrations.vismanet.export import preflight
from werkbon.integrations.vismanet.export.outcome import (
    DocumentDeleted,
    PermanentFailure,
    SideRead,
    error_text,
)
from werkbon.integrations.vismanet.mapping import outbound
from werkbon.workorders import history
from werkbon.workorders.models import Signature, WorkOrder, WorkOrderPhoto

MSG_NO_FORMS = gettext_noop("Work order %(number)s has no filled-in forms; no forms PDF is attached.")
ACT_NONE = gettext_noop("No action needed")
MSG_ATTACHMENT_REFUSED = gettext_noop(
    "Work order %(number)s is in Visma.net as %(document)s, but the PDF %(file)s could not be"
    " attached: %(errors)s")
MSG_IMAGE_REFUSED = gettext_noop(
    "Work order %(number)s is in Visma.net as %(document)s, but the image %(file)s could not be"
    " attached: %(errors)s")
ACT_ATTACHMENT_REFUSED = gettext_noop(
    "Press Retry to attach it again; the document itself is not sent again.")


def _existing(client: VismaNetClient, record: ExportRecord) -> dict[str, str]:
    """``{name: attachment id}`` of the document's attachments; DocumentDeleted on a 404."""
    try:
        if record.document_type == ExportDocumentType.SALES_ORDER:
            order_type, _sep, order_id = record.document_number.partition(" ")
            refs = client.attachments.list_for_sales_order(order_type, order_id)
        else:
            refs = client.attachments.list_for_customer_invoice(record.document_number)
    except NotFoundError as error:
        raise DocumentDeleted(record.document_number, str(error)) from error
    return {ref.name: ref.id for ref in refs if ref.name and ref.id}


def _already_there(client: VismaNetClient, existing: dict[str, str], filename: str, content: bytes) -> bool:
    """Whether the document has ``filename`` with the same size (``GET /v1/attachment/{id}``)."""
    attachment_id = existing.get(filename)
    if attachment_id is None:
        return False
    try:
        return len(client.attachments.download(attachment_id).content) == len(content)
    except NotFoundError:
        return False


def _upload(client: VismaNetClient, record: ExportRecord, filename: str, content: bytes) -> None:
    kind = outbound.content_type(filename)
    if record.document_type == ExportDocumentType.SALES_ORDER:
        order_type, _sep, order_id = record.document_number.partition(" ")
        client.attachments.upload_to_sales_order(order_type, order_id, filename=filename, content=content,
                                                 content_type=kind)
    else:
        client.attachments.upload_to_customer_invoice(record.document_number, filename=filename, content=content,
                                                      content_type=kind)


def _image_files(settings: VismaNetSettings, work_order: WorkOrder) -> list[tuple[str, str]]:
    """``[(key, file name)]`` of the signature and photos to attach (``outbound.image_files``)."""
    photos = [(photo_id, name.rsplit(".", 1)[-1].lower())
              for photo_id, name in WorkOrderPhoto.objects.filter(work_order=work_order)
              .order_by("id").values_list("id", "image")]
    return outbound.image_files(settings.images, work_order.number,
                                has_signature=Signature.objects.filter(work_order=work_order).exists(),
                                photos=photos)


def _content(work_order: WorkOrder, kind: str) -> bytes:
    """The stored bytes of the file ``kind`` (a PDF kind, ``signature`` or ``photo:<id>``)."""
    if kind == outbound.WORK_ORDER_PDF:
        return history.work_order_pdf(work_order)
    if kind == outbound.FORMS_PDF:
        return history.forms_pdf(work_order)
    if kind == outbound.SIGNATURE:
        return bytes(Signature.objects.get(work_order=work_order).image)
    photo = WorkOrderPhoto.objects.get(work_order=work_order, pk=int(kind.partition(":")[2]))
    with photo.image.open("rb") as handle:
        return handle.read()


def upload_missing(integration: Integration, record: ExportRecord, work_order: WorkOrder,
                   settings: VismaNetSettings, client: VismaNetClient, *, new_document: bool = False,
                   alongside: SideRead | None = None) -> None:
    """Upload the chosen PDFs and images the document does not have yet, each remembered at
    once (``attachments_done``, by file name).
    ``new_document``: the document was made (or found) in this attempt, so nothing of ours can
    be on it yet and its attachments are not read first.
    ``alongside``: a read (the new document's status, :mod:`.document`) sent on a helper thread
    while the uploads go up, and judged after them on this thread, also when an upload fails
    (first: its DocumentDeleted wins, as when it was read before the uploads).
    The uploads themselves go one after another, each remembered before the next is read
    and sent. Raises DocumentDeleted (404), PermanentFailure (a file refused) or a
    VismaNetError."""
    side = preflight.start(client, alongside.fetch) if alongside is not None else None
    try:
        _upload_each_missing(integration, record, work_order, settings, client, new_document=new_document)
    except BaseException:
        if alongside is not None and side is not None:
            alongside.judge(side())
        raise
    if alongside is not None and side is not None:
        alongside.judge(side())


def _upload_each_missing(integration: Integration, record: ExportRecord, work_order: WorkOrder,
                         settings: VismaNetSettings, client: VismaNetClient, *, new_document: bool) -> None:
    files = outbound.pdf_files(settings.pdfs, work_order.number)
    if any(kind == outbound.FORMS_PDF for kind, _name in files) and not work_order.forms.exists():
        # No form filled in: a PDF saying "no forms" is noise on the document in Visma.net.
        files = [(kind, name) for kind, name in files if kind != outbound.FORMS_PDF]
        if not LogEntry.objects.filter(export=record, message=MSG_NO_FORMS).exists():  # once, not per retry
            log(integration, LogLevel.INFO, LogTable.WORK_ORDER, MSG_NO_FORMS, action=ACT_NONE,
                params={"number": record.work_order_number}, object_ref=str(record.work_order_number),
                export=record)
    files += _image_files(settings, work_order)
    missing = [(kind, name) for kind, name in files if name not in (record.attachments_done or [])]
    if not missing:
        return
    existing = {} if new_document else _existing(client, record)
    for kind, filename in missing:
        # The PDFs stored when the work order was archived, never a new rendering; the
        # signature and photos as stored (an archived work order's never change).
        content = _content(work_order, kind)
        if not _already_there(client, existing, filename, content):
            try:
                _upload(client, record, filename, content)
            except UnexpectedResponseError:
                # 201 without Location: it is up, only its id is unknown (we do not need it).
                if filename not in _existing(client, record):
                    raise
            except NotFoundError as error:
                if error.may_have_been_applied:
                    raise
                raise DocumentDeleted(record.document_number, str(error)) from error
            except VismaValidationError as error:
                raise PermanentFailure(
                    MSG_ATTACHMENT_REFUSED if filename.endswith(".pdf") else MSG_IMAGE_REFUSED,
                    ACT_ATTACHMENT_REFUSED,
                    {"number": record.work_order_number, "document": record.document_number,
                     "file": filename, "errors": error_text(error)}, detail=str(error)) from error
        record.attachment_done(filename)
