"""Login throttling (django-axes): the answer to a locked-out login, and the same lock for
the API's token authentication.

Settings: ``AXES_*`` in :mod:`werkbon.settings` (``WERKBON_LOGIN_FAILURE_LIMIT`` wrong
attempts per username and address lock that combination for
``WERKBON_LOGIN_COOLOFF_MINUTES``). The login page and the admin answer 429 with the
login page and a Dutch message; the JSON API answers 429 ``{"detail": message}``.
Bad API tokens all count under one name per address (:data:`TOKEN_USERNAME`), so a
script guessing keys is locked out while the people at that address can still log in.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext

# The name under which failed API-token attempts are counted (not a possible username:
# Django's usernames cannot contain spaces or brackets).
TOKEN_USERNAME = "(api token)"  # noqa: S105 (a name, not a password)


def lockout_message() -> str:
    """The Dutch (or English) text telling a locked-out user what to do."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return ngettext(
        "Too many failed login attempts. Wait %(minutes)s minute and try again, or ask "
        "the office to reset your password.",
        "Too many failed login attempts. Wait %(minutes)s minutes and try again, or ask "
        "the office to reset your password.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict[str, Any] | None = None) -> HttpResponse:
    """The 429 answer for a locked-out login (``AXES_LOCKOUT_CALLABLE``)."""
    message = lockout_message()
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=429)
    else:
        form = AuthenticationForm(request)
        response = render(request, "accounts/login.html", {"form": form, "lockout_message": message},
                          status=429)
    # The longest wait (the whole cool-off), in seconds, for clients that honour it.
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


def token_credentials() -> dict[str, str]:
    return {"username": TOKEN_USERNAME}


def token_auth_locked(request: HttpRequest) -> bool:
    """True when this address guessed too many API tokens (and is in its cool-off)."""
    return AxesProxyHandler.is_locked(request, token_credentials())


def token_auth_failed(request: HttpRequest) -> None:
    """Count a wrong or revoked API token against this address."""
    user_login_failed.send(sender=__name__, credentials=token_credentials(), request=request)


class ThrottlingBackend(AxesStandaloneBackend):
    """django-axes' check before the password check (``AUTHENTICATION_BACKENDS``).

    Every login over HTTP (the login page, the admin) passes its request and is checked.
    A call without a request (Django's test client ``login()``, a management command)
    comes from no client address that could be throttled: it is left to the next backend
    instead of failing.
    """

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
