"""The limits of what a user may enter, one constant each, shared by the screens (forms),
the services and the API, so that the same input is never accepted by one and refused by
the other.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

# One time entry has one date, so it cannot be longer than that day.
MAX_TIME_ENTRY_MINUTES = 24 * 60
# A planned visit can span several days, but not more than a week.
MAX_PLANNED_MINUTES = 7 * 24 * 60
# How far back a technician may register time: older corrections are the office's
# business and go through the ERP, not a forgotten booking from last year.
MAX_ENTRY_AGE_DAYS = 365

# --- photos (form answers) ----------------------------------------------------------------
# An upload larger than this is refused before it is decoded.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
# A header claiming more pixels than this is refused before the pixels are decoded: a
# decompression bomb (a few kB of PNG that unpack to gigabytes) never reaches memory.
# 40 MP covers every phone camera.
MAX_PHOTO_PIXELS = 40_000_000
# A stored photo's longest edge: larger ones are downscaled on upload, which keeps the
# forms PDF small and fast (the PDF shows a photo at most 120 × 90 mm).
MAX_PHOTO_EDGE = 2000


def entry_date_error(date: dt.date, *, today: dt.date | None = None) -> str | None:
    """Why ``date`` is not a valid date for a time entry, or None when it is.

    Not in the future (beyond today in Europe/Amsterdam) and not more than
    :data:`MAX_ENTRY_AGE_DAYS` back.
    """
    today = today or timezone.localdate()
    if date > today:
        return _("The date %(date)s is in the future; register time on or before today.") % {
            "date": date_format(date, "d-m-Y")}
    oldest = today - dt.timedelta(days=MAX_ENTRY_AGE_DAYS)
    if date < oldest:
        return _("The date %(date)s is more than a year ago; use a date from %(oldest)s.") % {
            "date": date_format(date, "d-m-Y"), "oldest": date_format(oldest, "d-m-Y")}
    return None
