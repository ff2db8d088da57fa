"""The work-order PDF and the custom-forms PDF (manual 3.4.4), in Dutch, with reportlab.

Both are deterministic: the same data gives the same bytes (``invariant=1`` fixes the
creation date and document id), so an integration can attach them idempotently. The
built-in Helvetica uses WinAnsi encoding, which covers é, ë, ø, ü and €.

Times are shown in Europe/Amsterdam; hours are the minutes-to-hours rule applied once to
each sum (see :mod:`werkbon.workorders.units`).
"""

from __future__ import annotations

import io
from decimal import Decimal
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    FrameBreak,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from werkbon.workorders.limits import MAX_PHOTO_BYTES, MAX_PHOTOS_PER_WORK_ORDER
from werkbon.workorders.models import QuestionKind, Signature, TimeKind, WorkOrder, WorkOrderPhoto
from werkbon.workorders.photos import downscaled_jpeg
from werkbon.workorders.units import minutes_to_hours

# Images are stored Flate-compressed without ASCII85 (binary PDF streams are fine and
# ASCII85 costs seconds for a large photo).
rl_config.useA85 = 0

PDF_LANGUAGE = "nl"
PDF_TIME_ZONE = ZoneInfo("Europe/Amsterdam")  # not the active one: same data, same bytes
PHOTO_MAX_WIDTH = 120 * mm
PHOTO_MAX_HEIGHT = 90 * mm
# A photo is embedded at most this many pixels on its longest edge (about 200 dpi at
# 120 mm): a 2000-pixel photo would only make the PDF larger and slower.
PHOTO_MAX_PIXELS = 1000
# Work-order photos on the work order itself: two a row, smaller than a form's photo answer.
ORDER_PHOTO_PIXELS = 800
ORDER_PHOTO_WIDTH = 80 * mm
ORDER_PHOTO_HEIGHT = 60 * mm
# The customer's signature is printed at most this large (its PNG is at most 1200 × 600 px).
SIGNATURE_MAX_WIDTH = 80 * mm
SIGNATURE_MAX_HEIGHT = 35 * mm

_styles = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=_styles["Normal"], fontName="Helvetica", fontSize=9,
                      leading=11)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=10)
H1 = ParagraphStyle("h1", parent=_styles["Heading1"], fontName="Helvetica-Bold", fontSize=16)
H2 = ParagraphStyle("h2", parent=_styles["Heading2"], fontName="Helvetica-Bold", fontSize=11,
                    spaceBefore=8, spaceAfter=4)
TABLE_STYLE = TableStyle([
    ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
    ("FONTSIZE", (0, 0), (-1, -1), 8),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f4f6")),
    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#d0d5dd")),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
])


def _p(text: object, style: ParagraphStyle = BODY) -> Paragraph:
    """A paragraph of plain text (escaped: customer data may contain < or &)."""
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


# Long texts are cut into paragraphs of at most this many characters (at line breaks, else
# at spaces, else anywhere): each then wraps once and a page break falls between them,
# instead of one paragraph or table row taller than a page.
CHUNK_CHARACTERS = 600


class _KeepWithStart(Flowable):
    """A section heading kept on one page with the start of what it heads.

    Every flowable but the last must fit below the heading whole, the last at least in part
    (the first rows of a table, the first lines of a paragraph); otherwise the section starts
    on the next page. Unlike ``KeepTogether`` a long table after the heading is not moved
    whole to the next page, leaving this one half empty.
    """

    def __init__(self, flowables: list) -> None:
        super().__init__()
        self._content = flowables

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return available_width, 0xFFFFFF  # always split: split() decides

    def split(self, available_width: float, available_height: float) -> list:
        frame = getattr(self, "_frame", None)
        if (frame is not None and getattr(frame, "_atTop", False)) or self._start_fits(
                available_width, available_height):
            return list(self._content)
        return [FrameBreak(), *self._content]

    def _start_fits(self, width: float, height: float) -> bool:
        *whole, last = self._content
        used = 0.0
        for flowable in whole:
            used += (flowable.getSpaceBefore() + flowable.wrapOn(self.canv, width, height - used)[1]
                     + flowable.getSpaceAfter())
        used += last.getSpaceBefore()
        if used >= height:
            return False
        if last.wrapOn(self.canv, width, height - used)[1] <= height - used:
            return True
        return bool(last.splitOn(self.canv, width, height - used))


def _section(heading: str, start: list, rest: list | None = None) -> list:
    """A heading (H2) with the flowables it heads: ``start`` is kept on one page with the
    heading (see :class:`_KeepWithStart`), ``rest`` flows on."""
    return [_KeepWithStart([_p(heading, H2), *start]), *(rest or [])]


def _chunks(text: str, size: int = CHUNK_CHARACTERS) -> list[str]:
    """``text`` in pieces of at most ``size`` characters, cut at a line break or space
    where there is one in the second half of the piece."""
    pieces: list[str] = []
    rest = text
    while len(rest) > size:
        cut = rest.rfind("\n", size // 2, size)
        if cut < 0:
            cut = rest.rfind(" ", size // 2, size)
        if cut < 0:
            cut = size
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip("\n ") if cut < size else rest[cut:]
    pieces.append(rest)
    return pieces


def _paragraphs(text: str, style: ParagraphStyle = BODY) -> list[Paragraph]:
    """Plain text of any accepted length as paragraphs (see :data:`CHUNK_CHARACTERS`)."""
    return [_p(piece, style) for piece in _chunks(text)]


def _date(value) -> str:  # type: ignore[no-untyped-def]
    return value.strftime("%d-%m-%Y") if value else ""


def _datetime(value) -> str:  # type: ignore[no-untyped-def]
    return timezone.localtime(value, PDF_TIME_ZONE).strftime("%d-%m-%Y %H:%M") if value else ""


def _decimal(value: Decimal) -> str:
    """Dutch notation without trailing zeros: 2.500 → "2,5", 3 → "3"."""
    return format(value.normalize(), "f").replace(".", ",")


def _hours(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _euro(value: Decimal) -> str:
    return "€ " + f"{value:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")


SIDE_MARGIN = 18 * mm
TEXT_WIDTH = A4[0] - 2 * SIDE_MARGIN


def _build(story: list, title: str) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=SIDE_MARGIN, rightMargin=SIDE_MARGIN, topMargin=16 * mm,
        bottomMargin=16 * mm, title=title, author="Werkbon", creator="Werkbon",
        invariant=1,
    )
    document.build(story)
    return buffer.getvalue()


def _company_block(order: WorkOrder) -> list:
    tenant = order.tenant
    lines = [tenant.name, tenant.address, f"{tenant.postal_code} {tenant.city}".strip(),
             tenant.phone, tenant.email]
    return [_p("\n".join(line for line in lines if line), SMALL)]


def _header(order: WorkOrder, title: str) -> list:
    story = [*_company_block(order), Spacer(1, 4 * mm),
             _p(f"{title} {order.number}", H1)]
    customer = order.customer
    customer_text = "—"
    if customer is not None:
        # The name and number as archived (the same as the customer's before archiving).
        parts = [f"{order.display_customer_name} ({order.display_customer_number})",
                 customer.address_line1, customer.address_line2,
                 f"{customer.postal_code} {customer.city}".strip()]
        customer_text = "\n".join(p for p in parts if p)
    address = order.address  # the work order's own copy: what was agreed
    address_text = "—"
    if address is not None:
        address_text = "\n".join(p for p in (address.name, address.one_line()) if p)
    rows = [
        [_p(_("Work order number"), SMALL), _p(order.number)],
        [_p(_("Customer reference"), SMALL), _p(order.customer_reference or "—")],
        [_p(_("Customer"), SMALL), _p(customer_text)],
        [_p(_("Work address"), SMALL), _p(address_text)],
        [_p(_("Planned"), SMALL), _p(_datetime(order.planned_start) or "—")],
        [_p(_("Technicians"), SMALL),
         _p(", ".join(t.display_name for t in order.technicians.all()) or "—")],
    ]
    table = Table(rows, colWidths=[40 * mm, None], splitInRow=1)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#d0d5dd"))]))
    return [*story, table]


def render_work_order_pdf(work_order: WorkOrder, *, show_prices: bool = True) -> bytes:
    """The work-order PDF (A4, Dutch) as bytes.

    Contains the company, work-order number and customer reference, customer and work
    address (the work order's own copy), the work description, every time entry (date,
    technician, kind, minutes) with the hour totals per kind, every material line (item
    number, description, quantity and unit as registered, price in EUR unless ``show_prices``
    is False (a technician's copy, see ``Tenant.technicians_see_prices``), note), the
    installations it names (manual 4.3), its photos with their captions (at most
    ``limits.MAX_PHOTOS_PER_WORK_ORDER``, at most 800 pixels each), the
    customer's signature (image, signer's name, date and time) when there is one, and who
    signed off and when. Needs the order's tenant context (it reads the tenant-scoped
    relations). An archived work order's PDF is stored: ``history.work_order_pdf``.
    """
    with translation.override(PDF_LANGUAGE):
        return _render_work_order(work_order, show_prices=show_prices)


def _render_work_order(order: WorkOrder, *, show_prices: bool) -> bytes:
    story = _header(order, _("Work order"))
    description = _paragraphs(order.description or "—")
    story += _section(_("Work description"), description[:1], description[1:])

    entries = list(order.time_entries.select_related("technician").order_by("date", "id"))
    if entries:
        rows = [[_("Date"), _("Technician"), _("Kind"), _("Minutes")]]
        rows += [[_date(e.date), _p(e.technician.display_name, SMALL), e.get_kind_display(),
                  str(e.minutes)] for e in entries]
        table = Table(rows, colWidths=[25 * mm, None, 35 * mm, 22 * mm], repeatRows=1,
                      splitInRow=1)
        table.setStyle(TABLE_STYLE)
        story += _section(_("Time"), [table])
    else:
        story += _section(_("Time"), [_p(_("No time registered."))])
    totals = []
    for kind, label in TimeKind.choices:
        minutes = sum(e.minutes for e in entries if e.kind == kind)
        totals.append([str(label), _("%(minutes)s min") % {"minutes": minutes},
                       _("%(hours)s hours") % {"hours": _hours(minutes_to_hours(minutes))}])
    total_table = Table(totals, colWidths=[40 * mm, 30 * mm, 30 * mm], hAlign="LEFT")
    total_table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), "Helvetica-Bold"),
                                     ("FONTSIZE", (0, 0), (-1, -1), 9)]))
    story += [Spacer(1, 2 * mm), total_table]

    lines = list(order.material_lines.select_related("item").order_by("id"))
    if lines:
        rows = [[_("Item"), _("Description"), _("Quantity"), _("Unit"), _("Price"), _("Note")]]
        # Number, description and unit as registered on the line (the quantity's unit).
        rows += [[line.item_number, _p(line.description, SMALL), _decimal(line.quantity),
                  line.unit, _euro(line.item.sales_price), _p(line.note, SMALL)]
                 for line in lines]
        widths = [24 * mm, None, 18 * mm, 14 * mm, 22 * mm, 45 * mm]
        if not show_prices:
            rows = [row[:4] + row[5:] for row in rows]
            widths = widths[:4] + widths[5:]
        table = Table(rows, colWidths=widths, repeatRows=1, splitInRow=1)
        table.setStyle(TABLE_STYLE)
        story += _section(_("Materials"), [table])
    else:
        story += _section(_("Materials"), [_p(_("No materials registered."))])

    story += _installations(order)
    story += _photos(order)
    # The sign-off is short: the heading, the signature and who signed stay on one page.
    sign_off = [_p(_("Sign-off"), H2), *_signature(order)]
    if order.completed_at:
        sign_off.append(_p(_("Signed off by %(name)s on %(when)s.") % {
            "name": order.signed_by_name or "—", "when": _datetime(order.completed_at)}))
    else:
        sign_off.append(_p(_("Not completed yet.")))
    story.append(KeepTogether(sign_off))
    return _build(story, f"{_('Work order')} {order.number}")


def _installations(order: WorkOrder) -> list:
    """The installations the order was done on (name, brand and type, serial number, year),
    or nothing when it names none (manual 4.3)."""
    named = list(order.installations.order_by("name", "pk"))
    if not named:
        return []
    rows = [[_("Name"), _("Brand and type"), _("Serial number"), _("Year installed")]]
    rows += [[_p(i.name, SMALL), _p(" ".join(filter(None, [i.brand, i.model])) or "—", SMALL),
              _p(i.serial_number or "—", SMALL), str(i.year_installed or "—")] for i in named]
    table = Table(rows, colWidths=[None, 55 * mm, 40 * mm, 22 * mm], repeatRows=1, splitInRow=1)
    table.setStyle(TABLE_STYLE)
    return _section(_("Installations"), [table])


def _photo_cell(photo) -> list:  # type: ignore[no-untyped-def]
    """One work-order photo, downscaled (at most ``ORDER_PHOTO_PIXELS``), with its caption."""
    try:
        with photo.image.open("rb") as handle:
            data, width, height = downscaled_jpeg(handle.read(MAX_PHOTO_BYTES + 1), ORDER_PHOTO_PIXELS)
    except (OSError, ValueError, ValidationError):
        return [_p(_("(photo could not be read)"), SMALL), *_paragraphs(photo.caption, SMALL)]
    scale = min(ORDER_PHOTO_WIDTH / width, ORDER_PHOTO_HEIGHT / height)
    return [Image(io.BytesIO(data), width=width * scale, height=height * scale, hAlign="LEFT"),
            *_paragraphs(photo.caption, SMALL)]


def _photos(order: WorkOrder) -> list:
    """The work order's photos, two a row with their captions (at most
    ``limits.MAX_PHOTOS_PER_WORK_ORDER``), or nothing when it has none."""
    photos = list(WorkOrderPhoto.objects.filter(work_order=order).order_by("added_at", "pk")
                  [:MAX_PHOTOS_PER_WORK_ORDER])
    if not photos:
        return []
    cells = [_photo_cell(photo) for photo in photos]
    rows = [cells[i:i + 2] + [""] * (2 - len(cells[i:i + 2])) for i in range(0, len(cells), 2)]
    table = Table(rows, colWidths=[85 * mm, 85 * mm], splitInRow=1)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * mm)]))
    return _section(_("Photos"), [table])


def _signature(order: WorkOrder) -> list:
    """The customer's signature (the stored PNG, scaled to fit) and who signed when
    (Europe/Amsterdam), or nothing when the order has no signature."""
    signature = Signature.objects.filter(work_order=order).first()
    if signature is None:
        return []
    scale = min(SIGNATURE_MAX_WIDTH / signature.width, SIGNATURE_MAX_HEIGHT / signature.height)
    image = Image(io.BytesIO(bytes(signature.image)), width=signature.width * scale,
                  height=signature.height * scale, hAlign="LEFT")
    return [image, _p(_("Signed by %(name)s on %(when)s (customer's signature).") % {
        "name": signature.signer_name, "when": _datetime(signature.signed_at)}), Spacer(1, 2 * mm)]


def render_forms_pdf(work_order: WorkOrder) -> bytes:
    """The custom-forms PDF (A4, Dutch) as bytes: each filled-in form with every question
    and its answer; photos are embedded (scaled to fit), a missing photo file is named.
    Needs the order's tenant context."""
    with translation.override(PDF_LANGUAGE):
        return _render_forms(work_order)


def _answer_cell(answer) -> object:  # type: ignore[no-untyped-def]
    """A flowable for the answer, or a list of paragraphs for a long text."""
    question = answer.question
    if question.kind == QuestionKind.YES_NO:
        return _p({"yes": _("Yes"), "no": _("No")}.get(answer.value, answer.value or "—"))
    if question.kind == QuestionKind.PHOTO:
        if not answer.photo:
            return _p("—")
        try:
            with answer.photo.open("rb") as handle:
                data, width, height = downscaled_jpeg(handle.read(MAX_PHOTO_BYTES + 1),
                                                      PHOTO_MAX_PIXELS)
        except (OSError, ValueError, ValidationError):
            return _p(_("(photo %(name)s could not be read)") % {"name": answer.value})
        scale = min(PHOTO_MAX_WIDTH / width, PHOTO_MAX_HEIGHT / height)
        return Image(io.BytesIO(data), width=width * scale, height=height * scale)
    if question.kind == QuestionKind.NUMBER and answer.value:
        return _p(answer.value.replace(".", ","))
    return _paragraphs(answer.value or "—")


FORM_ROW_STYLE = TableStyle([("FONTSIZE", (0, 0), (-1, -1), 8), ("VALIGN", (0, 0), (-1, -1), "TOP")])


# The question column, and the answer column taking the rest of the text width: explicit,
# because a table of plain strings (the header row) would otherwise be only as wide as its
# text, centred, and not line up with the rows below it.
FORM_COLUMN_WIDTHS = [60 * mm, TEXT_WIDTH - 60 * mm]


def _form_row(cells: list, *, header: bool = False, last: bool = True) -> Table:
    table = Table([cells], colWidths=FORM_COLUMN_WIDTHS, splitInRow=1)
    table.setStyle(FORM_ROW_STYLE)
    if header:
        table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), "Helvetica-Bold"),
                                   ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#f3f4f6"))]))
    if last or header:
        table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.25,
                                    colors.HexColor("#d0d5dd"))]))
    return table


def _render_forms(order: WorkOrder) -> bytes:
    story = _header(order, _("Forms of work order"))
    filled_forms = list(order.forms.select_related("template", "filled_by").order_by("id"))
    if not filled_forms:
        story += [Spacer(1, 4 * mm), _p(_("No forms filled in."))]
    for filled in filled_forms:
        who = filled.filled_by.display_name if filled.filled_by else "—"
        rows = [_p(_("Filled in by %(name)s on %(when)s") % {
            "name": who, "when": _datetime(filled.filled_at)}, SMALL)]
        answers = {a.question_id: a for a in filled.answers.select_related("question")}
        # One small table per row: a page break falls between rows without re-measuring
        # the whole form on every page; a long answer takes several rows, one paragraph
        # each (see CHUNK_CHARACTERS).
        rows.append(_form_row([_("Question"), _("Answer")], header=True))
        for question in filled.template.questions.all():
            answer = answers.get(question.pk)
            cell = _answer_cell(answer) if answer is not None else _p("—")
            cells = cell if isinstance(cell, list) else [cell]
            rows.append(_form_row([_p(question.label, SMALL), cells[0]],
                                  last=len(cells) == 1))
            rows += [_form_row(["", more], last=i == len(cells) - 2)
                     for i, more in enumerate(cells[1:])]
        # the form's name stays with who filled it in, the header row and the first question
        story += _section(filled.template.name, rows[:3], rows[3:])
    return _build(story, f"{_('Forms of work order')} {order.number}")
