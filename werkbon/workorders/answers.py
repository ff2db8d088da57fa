"""One rule for a custom form's answers, shared by the screens, the API and the offline queue:
how an answer is checked and stored (:func:`answer_value`), within the limits of
:mod:`werkbon.workorders.limits`. :func:`werkbon.workorders.services.save_form` applies it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from werkbon.workorders import limits
from werkbon.workorders.models import FormQuestion, QuestionKind

YES_NO = {"yes": "yes", "no": "no", "ja": "yes", "nee": "no", "true": "yes", "false": "no"}


def answer_value(question: FormQuestion, raw: Any) -> tuple[str | None, str | None]:
    """``(stored value, error)`` for one answer to ``question``.

    ``raw``: text; a number (int, float, Decimal or text with a comma or point; at most
    :data:`~werkbon.workorders.limits.MAX_ANSWER_DIGITS` digits, of which
    ``MAX_ANSWER_DECIMAL_PLACES`` decimals; stored normalised with a point); yes/no as a bool or
    "yes"/"no"/"ja"/"nee" (stored "yes"/"no"); a choice as one of the question's choices; None
    or blank for no answer ("" stored; an error when the question is required). A photo is
    not a text answer (``photo`` argument of ``save_form``)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return "", (_("This question must be answered.") if question.required else None)
    if question.kind == QuestionKind.NUMBER:
        if isinstance(raw, bool):
            return None, _("Enter a number.")
        text = str(raw).strip().replace(",", ".")
        if len(text) > 2 * limits.MAX_ANSWER_DIGITS:
            return None, _("Enter at most %(max)s digits in total.") % {
                "max": limits.MAX_ANSWER_DIGITS}
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None, _("Enter a number.")
        return bounded_number(number)
    if question.kind == QuestionKind.YES_NO:
        text = str(raw).strip().lower() if not isinstance(raw, bool) else ("yes" if raw else "no")
        if text not in YES_NO:
            return None, _("Answer yes or no.")
        return YES_NO[text], None
    if question.kind == QuestionKind.CHOICE:
        text = str(raw).strip()
        if text not in question.choice_list:
            return None, _("Choose one of: %(choices)s.") % {"choices": ", ".join(question.choice_list)}
        return text, None
    if question.kind == QuestionKind.PHOTO:
        return None, _("Photos are added in the app, not through the API.")
    text = str(raw)
    if len(text) > limits.MAX_ANSWER_LENGTH:
        return None, _("Enter at most %(max)s characters.") % {"max": limits.MAX_ANSWER_LENGTH}
    if "\x00" in text:
        return None, _("NUL characters are not allowed.")
    return text, None


def bounded_number(number: Decimal) -> tuple[str | None, str | None]:
    """A number answer within the shared limits, normalised as stored (``"1.5"``)."""
    if not number.is_finite():
        return None, _("Enter a number.")
    error = limits.answer_number_error(number)
    if error:
        return None, error
    return format(number.normalize(), "f"), None
