"""Property-based run of the whole API against its own OpenAPI document (issue 10 acceptance).

Schemathesis generates requests for every operation of ``/api/v1/openapi.json`` (valid
and invalid ones) and sends them through the WSGI app with an office user's token. Each
answer must be no server error, and must be what the document says: a documented status
code, content type and body. Bounded: ``MAX_EXAMPLES`` per operation, fixed seed (derandomised), so the
run takes well under the ``BUDGET_SECONDS`` asserted at the end (per operation of the document).
"""

from __future__ import annotations

import time

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import client_for
from werkbon.wsgi import application

MAX_EXAMPLES = 25
# The budget grows with the API: 90 s fitted the first 19 operations on a loaded 2-core
# machine, so about 5 s per operation (MAX_EXAMPLES requests each).
BUDGET_SECONDS_PER_OPERATION = 5
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
STARTED: list[float] = []


# The document is read through the app itself (it needs no database).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
OPERATIONS = sum(1 for item in schema.raw_schema["paths"].values() for method in item
                 if method in {"get", "post", "put", "patch", "delete"})
BUDGET_SECONDS = BUDGET_SECONDS_PER_OPERATION * OPERATIONS


@pytest.fixture(autouse=True)
def keep_the_tests_connection():
    """As Django's test client does: the WSGI app must not close the test's database
    connection after each request (on PostgreSQL that ends the test's transaction; SQLite's
    in-memory test database ignores the close)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def office_key(office_a, records_a):
    return client_for(office_a).key


@schema.parametrize()
@pytest.mark.django_db
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_document(case, office_key):
    if not STARTED:
        STARTED.append(time.monotonic())
    case.call_and_validate(headers={"Authorization": f"Bearer {office_key}"}, checks=CHECKS)
    assert time.monotonic() - STARTED[0] < BUDGET_SECONDS
