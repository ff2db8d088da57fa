"""The console log: an expected 403 is one line with its reason, and nothing is printed twice."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD


@pytest.mark.django_db
def test_a_permission_denied_is_logged_on_one_line_with_the_reason(client, tech_a, caplog):
    assert client.login(username=tech_a.username, password=PASSWORD)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(reverse("workorders:list"), HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info is None and record.exc_text is None  # no traceback
    line = logging.Formatter("%(levelname)s %(name)s %(message)s").format(record)
    assert "\n" not in line
    assert line.startswith("WARNING django.request Forbidden (Permission denied): /werkorders/ (")
    assert "kantoor" in line or "office" in line  # the reason: only the office may do this


@pytest.mark.django_db
def test_an_error_still_has_its_traceback(rf):
    from django.utils.log import log_response

    logger = logging.getLogger("django.request")
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        from django.http import HttpResponse
        try:
            raise RuntimeError("boom")
        except RuntimeError as exc:
            log_response("Internal Server Error: %s", "/x", response=HttpResponse(status=500),
                         request=rf.get("/x"), exception=exc)
    finally:
        logger.removeHandler(handler)
    assert records[0].exc_info is not None


def test_django_messages_reach_the_console_once():
    # Django's own console handler on "django" would repeat every request warning.
    assert logging.getLogger("django").handlers == []
    assert logging.getLogger("django").propagate is True


def test_runserver_request_lines_keep_their_own_handler():
    server = logging.getLogger("django.server")
    assert "django.server" in [h.get_name() for h in server.handlers]
    assert server.propagate is False
