"""The browser fixtures capture the live server's tracebacks (tests/fixtures/browser.py), so
a "Server Error (500)" screenshot comes with its cause."""

from __future__ import annotations

import pytest
from django.contrib.auth.decorators import login_not_required
from django.urls import path

from werkbon.urls import urlpatterns as project_urlpatterns

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@login_not_required
def broken_view(request):  # type: ignore[no-untyped-def]
    raise RuntimeError("kapotte weergave 7f3a")


urlpatterns = [path("kapot/", broken_view), *project_urlpatterns]


def test_it_captures_the_servers_traceback_of_a_500(page, live_server, server_errors, settings):
    settings.ROOT_URLCONF = __name__
    response = page.goto(f"{live_server.url}/kapot/")
    assert response is not None and response.status == 500
    captured = server_errors.text()
    assert "Internal Server Error: /kapot/" in captured
    assert "Traceback (most recent call last)" in captured
    assert 'raise RuntimeError("kapotte weergave 7f3a")' in captured
    server_errors.records.clear()  # expected here; any other 500 fails the test at teardown
