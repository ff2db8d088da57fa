"""Dutch unless the user chose otherwise.

Werkbon is a Dutch product: a browser that asks for English (``Accept-Language``) must
not switch the screens. Only the explicit choice in the language switch (Django's
``set_language`` view, which stores it in the language cookie) does.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class IgnoreAcceptLanguageMiddleware:
    """Drops ``Accept-Language`` before LocaleMiddleware reads it, so LocaleMiddleware
    uses the language cookie when there is one and ``LANGUAGE_CODE`` (nl) otherwise."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
