"""Every request the client sends and every response the server returns, held against
``visma-net-contract.json`` (sandbox by default; Visma.net with ``VISMANET_LIVE=1``)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.contract import scenario
from tests.contract.conftest import (
    LIVE,
    LIVE_WRITE,
    VERIFIED_EXTRA_FIELDS,
    Backend,
    Facts,
    assert_conforms,
    sandbox_only,
)
from tests.contract.validator import Contract, Exchange, Traffic
from vismanet import _endpoints, states_match
from vismanet_sandbox import demo

REDIRECT_URI = "http://127.0.0.1:8765/visma/callback"


def client_operations() -> set[str]:
    """Every API operation the client can call (its endpoint table)."""
    return {
        value.name for value in vars(_endpoints).values() if isinstance(value, _endpoints.Endpoint)
    }


def consent(url: str, authorize_url: str, tenant: str) -> httpx.Response:
    """Act as the browser on the sandbox's consent page: pick ``tenant``, allow."""
    import html
    import re

    page = httpx.get(authorize_url)
    assert page.status_code == 200, page.text
    hidden = dict(re.findall(r"<input type='hidden' name='([^']+)' value='([^']*)'>", page.text))
    form = {k: html.unescape(v) for k, v in hidden.items()} | {"tenant_id": tenant, "decision": "allow"}
    return httpx.post(f"{url}/connect/authorize", data=form)


def interactive_round_trip(backend: Backend) -> None:
    """Authorization code + PKCE, then one refresh, through a recording interactive client."""
    client = backend.client(tenant_id=None)
    auth = client.authorization_request(redirect_uri=REDIRECT_URI)
    redirect = consent(backend.url, auth.url, demo.DEMO_TENANT_ID)
    assert redirect.status_code == 302
    query = parse_qs(urlsplit(redirect.headers["location"]).query)
    assert states_match(auth.state, query["state"][0])
    client.exchange_code(code=query["code"][0], redirect_uri=REDIRECT_URI,
                         code_verifier=auth.code_verifier)
    backend.sandbox.control.expire_tokens()
    assert client.companies.organizations()  # 401 → refresh_token grant → retry


def test_it_sends_and_receives_only_contract_shapes_for_every_operation(
    backend: Backend, client, facts: Facts, contract: Contract
):
    scenario.read_everything(client)
    expected = client_operations() - {"auth.authorize"}  # a browser redirect, not a client call
    if not LIVE or LIVE_WRITE:
        scenario.write_everything(client, customer=facts.customer, item=facts.item,
                                  warehouse=facts.warehouse)
    else:
        # Read-only: every GET, except those that need an existing invoice or attachment.
        expected = {op for op in expected if contract.ops[op]["method"] == "GET"} - {
            "customerinvoice.get", "attachment.get"}
    if backend.kind == "sandbox":
        interactive_round_trip(backend)
    else:
        # Live runs share one token store (refresh tokens may rotate), so the token request
        # happens in whichever test runs first; it is validated there.
        expected = {op for op in expected if not op.startswith("auth.")}

    seen = assert_conforms(contract, backend.traffic)

    missing = expected - set(seen)
    assert not missing, f"operations not exercised: {sorted(missing)}"


# -- the validator itself must be able to fail --------------------------------------------


def exchange(method: str, url: str, *, body: bytes = b"", content_type: str = "application/json",
             status: int = 200, response: bytes = b"", headers: dict[str, str] | None = None,
             response_headers: dict[str, str] | None = None) -> Exchange:
    request_headers = {"content-type": content_type} if body else {}
    return Exchange(method, url, request_headers | (headers or {}), body, status,
                    response_headers or {}, response)


def test_it_flags_an_unknown_request_field_and_a_missing_wrapper(contract: Contract):
    body = (b'{"customerNumber": "10001", "invoiceLines": [{"operation": "Insert",'
            b' "inventoryNumber": {"value": "ARBEID"}, "colour": {"value": "red"}}]}')
    _, problems = contract.check(exchange("POST", "https://x/v2/customerinvoice", body=body,
                                          status=201, response_headers={"location": "x", "etag": "y"}))
    assert any("customerNumber: must be wrapped" in p for p in problems)
    assert any("colour: not in the contract" in p for p in problems)


def test_it_flags_a_wrapped_line_operation_and_a_missing_required_field(contract: Contract):
    body = b'{"customerNumber": {"value": "1"}, "invoiceLines": [{"operation": {"value": "Insert"}}]}'
    _, problems = contract.check(exchange("POST", "https://x/v2/customerinvoice", body=body,
                                          status=201, response_headers={"location": "x", "etag": "y"}))
    assert any("operation: wrapped" in p for p in problems)
    body = b'{"invoiceLines": []}'
    _, problems = contract.check(exchange("POST", "https://x/v2/customerinvoice", body=body,
                                          status=201, response_headers={"location": "x", "etag": "y"}))
    assert any("customerNumber: required" in p for p in problems)


def test_it_flags_v3_field_types_lengths_and_unknown_query_parameters(contract: Contract):
    body = b'{"type": "SO", "customer": {"id": 10001}, "description": "' + b"x" * 256 + b'"}'
    _, problems = contract.check(exchange("POST", "https://x/api/v3/SalesOrders?force=1", body=body,
                                          status=201, response_headers={"location": "x"}))
    assert any("customer.id: string expected" in p for p in problems)
    assert any("description: longer than 255" in p for p in problems)
    assert any("'force' is not in the contract" in p for p in problems)


def test_it_flags_a_missing_if_match_and_an_unlisted_success_status(contract: Contract):
    _, problems = contract.check(exchange("PATCH", "https://x/api/v3/SalesOrders/SO/1",
                                          body=b'{"note": "x"}', status=200))
    assert any("If-Match is required" in p for p in problems)
    assert any("answered 200" in p for p in problems)


def test_it_flags_response_fields_outside_the_contract_and_wrong_types(contract: Contract):
    response = b'[{"number": "10001", "status": "Active", "shoeSize": 44, "internalId": "7001"}]'
    _, problems = contract.check(exchange("GET", "https://x/v1/customer?pageNumber=1", response=response))
    assert any("shoeSize: not in the contract" in p for p in problems)
    assert any("internalId: integer expected" in p for p in problems)
    _, problems = contract.check(exchange(
        "GET", "https://x/api/v3/SalesOrders", response=b'{"value": [], "totalCount": 0, "extra": 1}'))
    assert any("'extra' is not in the contract" in p for p in problems)


def test_it_flags_an_unknown_form_field_and_a_body_that_should_be_empty(contract: Contract):
    form = b"grant_type=client_credentials&client_id=a&scope=s&tenant_id=t&password=x"
    _, problems = contract.check(exchange("POST", "https://x/connect/token", body=form,
                                          content_type="application/x-www-form-urlencoded",
                                          response=b'{"access_token": "a", "expires_in": 3600}'))
    assert any("'password' is not in the contract" in p for p in problems)
    _, problems = contract.check(exchange("POST", "https://x/api/v3/SalesOrders",
                                          body=b'{"type": "SO", "customer": {}}', status=201,
                                          response=b'{"id": 1}', response_headers={"location": "x"}))
    assert any("body must be empty" in p for p in problems)


def test_it_records_multipart_uploads_and_flags_two_files(contract: Contract):
    traffic = Traffic()
    with traffic.http_client(transport=httpx.MockTransport(
        lambda request: httpx.Response(201, headers={"Location": "https://x/v1/attachment/abc"})
    )) as http:
        http.post("https://x/v1/customerinvoice/100001/attachment",
                  files={"a": ("a.pdf", b"1", "application/pdf"), "b": ("b.pdf", b"2", "application/pdf")})
        http.post("https://x/v1/customerinvoice/100001/attachment",
                  files={"a": ("a.pdf", b"1", "application/pdf")})
    first, second = list(traffic)
    assert any("exactly one file part, has 2" in p for p in contract.check(first)[1])
    assert contract.check(second)[1] == []


def test_every_allowed_extra_field_names_the_real_schema_that_has_it():
    assert VERIFIED_EXTRA_FIELDS
    for _operation, _field, reason in VERIFIED_EXTRA_FIELDS:
        assert re.fullmatch(r"verified in the ERP OpenAPI 9\.66 schema [A-Z]\w*Dto", reason), reason


@sandbox_only
def test_it_matches_the_contract_with_only_verified_extras(
    backend: Backend, client, contract: Contract
):
    # Mark xfail(strict=True) again whenever KNOWN_SANDBOX_DEVIATIONS is not empty.
    scenario.read_everything(client)
    scenario.write_everything(client, customer=demo.FIRST_CUSTOMER, item=demo.ITEM_WORK,
                              warehouse=demo.WAREHOUSES[0])
    assert_conforms(contract, backend.traffic, exempt_known=False)
