"""Template filters of the work-order screens."""

from __future__ import annotations

from django import template

from werkbon.workorders.numbers import local_number

register = template.Library()


@register.filter
def quantity(value: object) -> str:
    """A quantity without trailing zeros, with the language's decimal sign: 2.500 → "2,5"
    in Dutch, "2.5" in English; 10.000 → "10" (not "1E+1")."""
    return local_number(value)


@register.simple_tag
def client_id_field() -> str:
    """A hidden ``client_id`` (a new UUID per render) for a form that applies an action: the
    same form sent twice (a double tap, a resend) is applied once (werkbon/workorders/actions.py)."""
    from django.utils.html import format_html

    from werkbon.workorders.actions import new_client_id

    return format_html('<input type="hidden" name="client_id" value="{}">', new_client_id())


class _BoardTexts:
    """What every card and cell of one board render shares (translated, escaped and the CSRF
    input once per page rather than per card: ~200 cards and 70 cells on a busy week)."""

    def __init__(self, context: template.Context) -> None:
        from html import escape

        from django.template.defaulttags import CsrfTokenNode
        from django.utils.translation import gettext

        self.archived = f" · {escape(gettext('archived'))}"
        self.double_booked = escape(gettext("Double-booked"))
        self.outside = {"before": escape(gettext("before working hours")),
                        "after": escape(gettext("after working hours"))}
        self.move = escape(gettext("Move"))
        self.technician = escape(gettext("Technician"))
        self.date = escape(gettext("Date"))
        self.time = escape(gettext("Time"))
        self.capacity_title = escape(gettext("Planned hours / available hours"))
        self.capacity = gettext("%(planned)s / %(available)s h")
        self.csrf = CsrfTokenNode().render(context)
        self.next_path = escape(str(context.get("next_path", "")))
        self.day_colon = gettext("%(name)s on %(day)s:")
        self.plan = escape(gettext("Plan"))
        self.duration = escape(gettext("Duration (minutes)"))
        self.today_iso = escape(str(context.get("today_iso", "")))
        self.customers: dict[str, str] = {}  # name → escaped and cut to 28 characters

    def customer(self, name: str) -> str:
        """``name`` as the card shows it: ``Truncator(name).chars(28)``, escaped, once per name
        (a week's cards share a few hundred customers)."""
        shown = self.customers.get(name)
        if shown is None:
            from html import escape
            from unicodedata import normalize

            from django.utils.text import Truncator

            text = normalize("NFC", name)  # as Truncator does: a short name comes back as is
            shown = self.customers[name] = escape(text if len(text) <= 28 else Truncator(text).chars(28))
        return shown

    @classmethod
    def of(cls, context: template.Context) -> _BoardTexts:
        """The texts of this page render (made by its first card, row or list)."""
        texts = context.render_context.get(cls)
        if texts is None:
            texts = context.render_context[cls] = cls(context)
        return texts


def _card_html(card: object, technician_pk: int, day_iso: str, options: str, texts: _BoardTexts) -> str:
    from html import escape

    from werkbon.workorders.actions import new_client_id

    order = card.order  # type: ignore[attr-defined]
    first = card.first  # type: ignore[attr-defined]
    clash = card.double_booked  # type: ignore[attr-defined]
    number = int(order.number)
    movable = order.status == "planned" and first
    suffix = "" if first else f"-{escape(day_iso)}"
    when = escape(card.label)  # type: ignore[attr-defined]
    start = escape(card.start_time)  # type: ignore[attr-defined]
    customer = order.customer.name if order.customer_id and order.customer.name else "—"
    status = escape(order.status)
    outside = card.outside  # type: ignore[attr-defined]
    classes = "".join((f"job status-{status}", " double-booked" if clash else "",
                       " narrow" if card.lanes > 1 else "", "" if first else " continued",  # type: ignore[attr-defined]
                       f" outside-{outside}" if outside else ""))
    archived = texts.archived if order.status == "archived" else ""
    plan_url, detail_url = escape(order.plan_url), escape(order.detail_url)
    drag = 'draggable="true" ' if movable else ""
    parts = [
        f'<div class="{classes}" {drag}data-plan-url="{plan_url}" '
        f'data-version="{int(order.version)}" data-source="{int(technician_pk)}" data-time="{start}" '
        f'data-offset="{int(card.offset)}" data-length="{int(card.length)}" data-lane="{int(card.lane)}" '  # type: ignore[attr-defined]
        f'data-lanes="{int(card.lanes)}" data-testid="job-{number}{suffix}" '  # type: ignore[attr-defined]
        f'title="{number} · {when} · {escape(customer)}{archived}">\n'
        f'<a href="{detail_url}"><span class="job-start" aria-hidden="true">{start}</span><span class="job-time">'
        f'<span data-testid="job-time-{number}{suffix}">{when}</span></span> <span class="job-number">{number}</span></a>\n']
    if outside:
        # drawn at the axis's edge: say so, with the real start of this day's part (the axis
        # does not show it)
        from django.utils import timezone

        word = texts.outside[outside]
        arrow = "&#8593;" if outside == "before" else "&#8595;"
        real = timezone.localtime(card.segment[0]).strftime("%H:%M")  # type: ignore[attr-defined]
        parts.append(f'<span class="job-outside" data-testid="outside-{number}{suffix}" title="{word}">'
                     f'{arrow} {real} <span class="badge-text">{word}</span></span>\n')
    if clash:
        word = texts.double_booked
        parts.append(f'<span class="badge-warning" data-testid="double-booked-{number}{suffix}" title="{word}">&#9888; '
                     f'<span class="badge-text">{word}</span></span>\n')
    parts.append(f'<small class="job-customer">{texts.customer(customer)}</small>\n')
    if movable:
        move = texts.move
        parts.append(
            f'<details class="move">\n<summary data-testid="move-{number}">{move}</summary>\n'
            f'<form method="post" action="{plan_url}" class="stacked" data-testid="move-form-{number}">'
            f'{texts.csrf}<input type="hidden" name="client_id" value="{escape(str(new_client_id()))}">\n'
            f'<input type="hidden" name="next" value="{texts.next_path}">\n'
            f'<input type="hidden" name="plan-version" value="{int(order.version)}">\n'
            f'<input type="hidden" name="plan-source" value="{int(technician_pk)}">\n'
            f'<label>{texts.technician} <select name="plan-technician" required>{options}</select></label>\n'
            f'<label>{texts.date} <input type="date" name="plan-date" required min="2000-01-01" '
            f'max="2099-12-31" value="{escape(card.start_date)}"></label>\n'  # type: ignore[attr-defined]
            f'<label>{texts.time} <input type="time" name="plan-time" required value="{start}"></label>\n'
            f'<button type="submit" class="primary" data-testid="move-submit-{number}">{move}</button>\n'
            f'</form>\n</details>\n')
    parts.append("</div>")
    return "".join(parts)


@register.simple_tag(takes_context=True)
def planning_card(context: template.Context, card: object, technician_pk: int, day_iso: str,
                  options: str) -> str:
    """One card of the planning board (werkbon/workorders/views/planning.py): the order's
    times, number and customer, and for the first card of a planned order its Move form
    (``options``: the technician ``<option>``s, this row's selected, already safe). Made in
    Python rather than in the template: a busy week has about 200 cards and a template
    spends ~0.5 ms on each (issue 14); texts are escaped here (``escape``), numbers and the
    urls made by ``reverse`` need none. ``card.order`` needs ``plan_url``, ``detail_url`` and
    its customer."""
    from django.utils.safestring import mark_safe

    return mark_safe(_card_html(card, technician_pk, day_iso, options, _BoardTexts.of(context)))  # noqa: S308


@register.simple_tag(takes_context=True)
def planning_rows(context: template.Context, rows: list, hours: list, today: object, hour_lines: str) -> str:
    """The planning board's ``<tr>`` per technician (``rows``: the view's dicts with
    ``technician``, ``cells`` (:class:`werkbon.workorders.planning.Cell`) and ``options``):
    name and hour labels, and per day the planned / available hours and the cards
    (:func:`planning_card`). Made in Python like the cards (issue 14: the template spent
    ~0.4 ms per cell, 70 a week); every text escaped here, the capacity figures localized
    as ``{{ }}`` would (2,5 in Dutch)."""
    from html import escape

    from django.utils.formats import localize
    from django.utils.safestring import mark_safe

    texts = _BoardTexts.of(context)
    localized: dict[object, str] = {}  # a handful of distinct figures (0, 2, 10, ...)

    def figure(value: object) -> str:
        if value not in localized:
            localized[value] = escape(localize(value))
        return localized[value]

    labels = "".join(f"<span>{escape(str(hour))}</span>" for hour in hours)
    lines = str(hour_lines)  # already safe (the view's spans)
    out = []
    for row in rows:
        technician = row["technician"]
        username, pk, options = escape(technician.username), int(technician.pk), row["options"]
        out.append(
            f'\n        <tr data-testid="row-{username}">\n'
            f'          <th><div class="tech-name">{escape(technician.display_name)}</div>\n'
            f'            <div class="hour-labels" aria-hidden="true">{labels}</div>\n'
            f'          </th>\n          ')
        for cell in row["cells"]:
            iso = escape(cell.iso)
            capacity = texts.capacity % {"planned": escape(localize(cell.planned_hours)),
                                         "available": escape(localize(cell.available_hours))}
            cards = "".join(_card_html(c, pk, iso, options, texts) for c in cell.cards)
            out.append(
                f'\n            <td class="{"today" if cell.day == today else ""}">\n'
                f'              <div class="capacity{" over" if cell.over_capacity else ""}" '
                f'title="{texts.capacity_title}" data-testid="capacity-{username}-{iso}">{capacity}</div>\n'
                f'              <div class="slot timeline" data-technician="{pk}" data-date="{iso}" '
                f'data-testid="cell-{username}-{iso}">\n'
                f'                <div class="hour-lines" aria-hidden="true">{lines}</div>\n'
                f'                {cards}\n              </div>\n            </td>\n          ')
        out.append("\n        </tr>\n      ")
    return mark_safe("".join(out))  # noqa: S308 (every text escaped above)


@register.simple_tag(takes_context=True)
def planning_double_bookings(context: template.Context, double_bookings: list) -> str:
    """The ``<li>`` per technician and day of the board's double-booked warning
    (``double_bookings``: the view's dicts with ``technician``, ``day`` and ``cards``):
    "Monteur 1 op di 02-07: 17 (08:00–09:00), 27 (08:00–09:00)". Made in Python (a busy week
    has dozens); every text escaped, as ``{{ }}`` would."""
    from html import escape

    from django.template.defaultfilters import date
    from django.utils.safestring import mark_safe

    texts = _BoardTexts.of(context)
    out = []
    for item in double_bookings:
        technician, day = item["technician"], item["day"]
        heading = texts.day_colon % {"name": escape(technician.display_name), "day": escape(date(day, "D d-m"))}
        cards = ",".join(
            f" {escape(str(c.order.number))} ({escape(c.start_time)}–{escape(c.end_time)})"
            for c in item["cards"])
        out.append(f'<li data-testid="double-booked-{escape(technician.username)}-{escape(day.isoformat())}">'
                   f"{heading}{cards}</li>")
    return mark_safe("".join(out))  # noqa: S308 (every text escaped above)


@register.simple_tag(takes_context=True)
def unplanned_card(context: template.Context, order: object, options: str) -> str:
    """One order of the planning board's "Not planned" column with its Plan form (drawn in
    Python, like :func:`planning_card`; up to 50 of them). ``order`` needs ``plan_url``,
    ``detail_url`` and its customer; ``options``: the technician ``<option>``s."""
    from html import escape

    from django.utils.safestring import mark_safe

    from werkbon.workorders.actions import new_client_id

    texts = _BoardTexts.of(context)  # escaped once per page
    customer = order.customer.name if order.customer_id and order.customer.name else "—"  # type: ignore[attr-defined]
    plan_url, number = escape(order.plan_url), escape(str(order.number))  # type: ignore[attr-defined]
    return mark_safe(  # noqa: S308 (every text escaped here or in _BoardTexts)
        f'<div class="job" draggable="true" data-plan-url="{plan_url}" data-time="08:00" data-testid="unplanned-{number}">\n'
        f'<a href="{escape(order.detail_url)}">{number}</a> · {escape(customer)}\n<details>\n'  # type: ignore[attr-defined]
        f'<summary>{texts.plan}</summary>\n'
        f'<form method="post" action="{plan_url}" class="stacked" data-testid="plan-form-{number}">{texts.csrf}'
        f'<input type="hidden" name="client_id" value="{escape(str(new_client_id()))}">\n'
        f'<input type="hidden" name="next" value="{texts.next_path}">\n'
        f'<label>{texts.technician} <select name="plan-technician" required data-testid="plan-technician">{options}'
        f'</select></label>\n'
        f'<label>{texts.date} <input type="date" name="plan-date" required min="2000-01-01" max="2099-12-31" '
        f'value="{texts.today_iso}" data-testid="plan-date"></label>\n'
        f'<label>{texts.time} <input type="time" name="plan-time" required value="08:00" data-testid="plan-time">'
        f'</label>\n'
        f'<label>{texts.duration} <input type="number" name="plan-minutes" min="1" max="10080" '
        f'value="{int(order.planned_minutes)}" data-testid="plan-minutes"></label>\n'  # type: ignore[attr-defined]
        f'<button type="submit" class="primary" data-testid="plan-submit">{texts.plan}</button>\n</form>\n</details>\n'
        f'</div>')
