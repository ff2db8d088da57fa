"""The limits of what a user may enter, one constant each, shared by the screens (forms),
the services and the API, so that the same input is never accepted by one and refused by
the other.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

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

# --- texts (characters) ------------------------------------------------------------------
# Every free text has a bound, so that no record, page or PDF has to cope with megabytes.
MAX_DESCRIPTION_LENGTH = 10_000  # a work order's description ("werkzaamheden")
MAX_ANSWER_LENGTH = 10_000  # a text answer of a custom form
MAX_REFERENCE_LENGTH = 100  # a work order's customer reference
MAX_NOTE_LENGTH = 500  # a material line's note
MAX_SIGNED_BY_LENGTH = 200  # who signed off at the customer
MAX_EMAIL_LENGTH = 254  # an e-mail address (RFC 5321's path limit; EmailField's max_length)
MAX_NUMBER_LENGTH = 30  # a customer or item number (the accounting system's key)
MAX_USERNAME_LENGTH = 150  # Django's username
MAX_SEARCH_LENGTH = 100  # a search text or filter value
MAX_CHOICES_LENGTH = 2_000  # a choice question's choices, one per line
MAX_INSTALLATION_NAME_LENGTH = 255  # an installation's name ("CV-ketel")
MAX_INSTALLATION_FIELD_LENGTH = 100  # an installation's brand, type and serial number
MAX_INSTALLATION_NOTES_LENGTH = 2_000  # an installation's notes

# --- numbers ----------------------------------------------------------------------------
# A form's number answer: at most 18 digits of which 6 decimals (as stored, normalised).
MAX_ANSWER_DIGITS = 18
MAX_ANSWER_DECIMAL_PLACES = 6
# A material line's quantity: 12 digits, 3 decimals (the model's DecimalField).
MAX_QUANTITY_DIGITS = 12
MAX_QUANTITY_DECIMAL_PLACES = 3
# A record id in a URL or body: the database's 64-bit integer.
MAX_ID = 2**63 - 1

# --- lists and pages ----------------------------------------------------------------------
MAX_PAGE_SIZE = 100  # the API's ``limit``
MAX_OFFSET = 10_000_000  # the API's ``offset``; far beyond any real list
MAX_TECHNICIANS_PER_ORDER = 50
MAX_ANSWERS_PER_FORM = 500
MAX_INSTALLATIONS_PER_ORDER = 50  # installations named on one work order
MAX_ACTIONS_PER_BATCH = 100  # actions in one POST /api/v1/actions (the offline queue sends more in turns)

# --- dates -------------------------------------------------------------------------------
# Planned dates, filters and the planning week must lie in this window: outside it a date
# is a typo, and years such as 1 or 9999 cannot be turned into UTC.
MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2099, 12, 31)
# The year an installation was installed: from 1900 up to next year (one ordered for
# installation early next year may be registered already).
MIN_INSTALLATION_YEAR = 1900


def max_installation_year() -> int:
    """The latest year an installation may be installed in: next year (Europe/Amsterdam)."""
    return timezone.localdate().year + 1

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

# --- signature and work-order photos (issue 11) --------------------------------------------
MAX_SIGNER_NAME_LENGTH = MAX_SIGNED_BY_LENGTH  # the customer's name typed under the signature
MAX_CAPTION_LENGTH = 200  # a work-order photo's caption
MAX_PHOTOS_PER_WORK_ORDER = 30  # every photo is attached to the export: a bounded number
MAX_PHOTOS_PER_UPLOAD = 10  # chosen at once on the phone
# A signature as the phone sends it (a PNG of the drawing canvas): a few tens of kB in
# practice; a canvas of a 3× screen is about 1200 × 700 pixels.
MAX_SIGNATURE_BYTES = 1024 * 1024  # base64 in a form field stays under DATA_UPLOAD_MAX_MEMORY_SIZE
MAX_SIGNATURE_PIXELS = 4_000_000
# The stored signature (grey on white PNG) is at most this wide and high.
MAX_SIGNATURE_WIDTH = 1200
MAX_SIGNATURE_HEIGHT = 600
# A drawing with fewer dark pixels than this is an empty canvas (a stray tap is no signature).
MIN_SIGNATURE_INK_PIXELS = 50


def answer_number_error(number: Decimal) -> str | None:
    """Why ``number`` (finite) does not fit a number answer, or None when it does: at most
    :data:`MAX_ANSWER_DIGITS` digits, :data:`MAX_ANSWER_DECIMAL_PLACES` of them decimals."""
    _sign, digits, exponent = number.normalize().as_tuple()
    assert isinstance(exponent, int)
    decimals = max(0, -exponent)
    whole = max(0, len(digits) + exponent)
    if decimals > MAX_ANSWER_DECIMAL_PLACES:
        return _("Enter at most %(max)s decimal places.") % {"max": MAX_ANSWER_DECIMAL_PLACES}
    if whole + decimals > MAX_ANSWER_DIGITS:
        return _("Enter at most %(max)s digits in total.") % {"max": MAX_ANSWER_DIGITS}
    return None


def date_window_error(date: dt.date) -> str | None:
    """Why ``date`` is outside the window of :data:`MIN_DATE` to :data:`MAX_DATE`, or None."""
    if MIN_DATE <= date <= MAX_DATE:
        return None
    return _("Enter a date from %(min)s to %(max)s.") % {
        "min": date_format(MIN_DATE, "d-m-Y"), "max": date_format(MAX_DATE, "d-m-Y")}


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

# --- the technician's offline data (issue 12, werkbon/workorders/offline.py) ---
OFFLINE_DAYS_AHEAD = 7  # today and the next seven days
MAX_OFFLINE_ORDERS = 200  # work orders in one technician's offline data
MAX_OFFLINE_ITEMS = 20_000  # active items a technician may book offline
MAX_OFFLINE_LINES_PER_ORDER = 500  # time entries or material lines per order sent offline
MAX_OFFLINE_CUSTOMERS = 5_000  # active customers offered offline for a work order made on site
MAX_OFFLINE_ADDRESSES_PER_CUSTOMER = 50  # their active work addresses, each
OFFLINE_HISTORY_PER_INSTALLATION = 5  # earlier work orders shown per installation offline
