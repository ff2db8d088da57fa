"""Visma Connect emulation: authorization code + PKCE, refresh rotation, client credentials,
and bearer/scope checks on both APIs."""

from __future__ import annotations

import httpx

from vismanet_sandbox import demo

from .conftest import REDIRECT, authorize, code_from, pkce_pair, service_token

INTERACTIVE = "openid offline_access " + " ".join(demo.INTERACTIVE_SCOPES + demo.SALESORDER_SCOPES)


def exchange(url: str, code: str, verifier: str | None, **extra: str) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": demo.CLIENT_ID, "client_secret": demo.CLIENT_SECRET, **extra}
    if verifier:
        data["code_verifier"] = verifier
    return httpx.post(f"{url}/connect/token", data=data)


def test_discovery_document(sandbox):
    body = httpx.get(f"{sandbox.url}/.well-known/openid-configuration").json()
    assert body["token_endpoint"] == f"{sandbox.url}/connect/token"
    assert body["code_challenge_methods_supported"] == ["S256"]


def test_consent_page_lists_both_companies(sandbox):
    _verifier, challenge = pkce_pair()
    page = httpx.get(f"{sandbox.url}/connect/authorize", params={
        "client_id": demo.CLIENT_ID, "redirect_uri": REDIRECT, "response_type": "code", "scope": INTERACTIVE,
        "state": "abc", "code_challenge": challenge, "code_challenge_method": "S256"})
    assert page.status_code == 200
    assert demo.DEMO_COMPANY_NAME in page.text and demo.SMALL_COMPANY_NAME in page.text
    assert "<form" in page.text


def test_authorization_code_with_pkce_binds_the_chosen_company(sandbox):
    verifier, challenge = pkce_pair()
    query = code_from(authorize(sandbox.url, demo.SMALL_TENANT_ID, scope=INTERACTIVE, challenge=challenge,
                                state="xyz"))
    assert query["state"] == ["xyz"]
    token = exchange(sandbox.url, query["code"][0], verifier)
    assert token.status_code == 200, token.text
    body = token.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["refresh_token"] and body["id_token"]
    assert token.headers["cache-control"] == "no-store"
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    customers = httpx.get(f"{sandbox.url}/v1/customer", headers=headers).json()
    assert {c["number"] for c in customers} == {str(20001 + i) for i in range(6)}
    contexts = httpx.get(f"{sandbox.url}/resources/v1/context", headers=headers).json()
    assert {c["id"] for c in contexts} == {demo.DEMO_COMPANY_NUMBER, demo.SMALL_COMPANY_NUMBER}
    # The code is single-use.
    assert exchange(sandbox.url, query["code"][0], verifier).json()["error"] == "invalid_grant"


def test_wrong_verifier_and_missing_verifier_are_refused(sandbox):
    _verifier, challenge = pkce_pair()
    code = code_from(authorize(sandbox.url, demo.DEMO_TENANT_ID, scope=INTERACTIVE, challenge=challenge))["code"][0]
    refused = exchange(sandbox.url, code, "x" * 50)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    code = code_from(authorize(sandbox.url, demo.DEMO_TENANT_ID, scope=INTERACTIVE, challenge=challenge))["code"][0]
    assert exchange(sandbox.url, code, None).json()["error"] == "invalid_grant"


def test_redirect_uri_must_match_and_refusal_redirects_with_access_denied(sandbox):
    verifier, challenge = pkce_pair()
    code = code_from(authorize(sandbox.url, demo.DEMO_TENANT_ID, scope=INTERACTIVE, challenge=challenge))["code"][0]
    assert exchange(sandbox.url, code, verifier, redirect_uri="http://127.0.0.1:9/other").json()["error"] == "invalid_grant"
    denied = code_from(authorize(sandbox.url, demo.DEMO_TENANT_ID, scope=INTERACTIVE, challenge=challenge,
                                 decision="deny", state="s1"))
    assert denied["error"] == ["access_denied"] and denied["state"] == ["s1"]


def test_authorize_validation(sandbox):
    _v, challenge = pkce_pair()
    base = {"client_id": demo.CLIENT_ID, "redirect_uri": REDIRECT, "response_type": "code", "scope": INTERACTIVE,
            "state": "s", "code_challenge": challenge, "code_challenge_method": "S256"}
    unknown_client = httpx.get(f"{sandbox.url}/connect/authorize", params=base | {"client_id": "nope"})
    assert unknown_client.status_code == 400 and "invalid_client" in unknown_client.text
    foreign_redirect = httpx.get(f"{sandbox.url}/connect/authorize", params=base | {"redirect_uri": "https://evil.example/cb"})
    assert foreign_redirect.status_code == 400
    localhost = httpx.get(f"{sandbox.url}/connect/authorize", params=base | {"redirect_uri": "http://localhost:5000/x"})
    assert localhost.status_code == 200
    for change, error in (({"response_type": "token"}, "unsupported_response_type"),
                          ({"scope": "openid bogus:scope"}, "invalid_scope"),
                          ({"code_challenge_method": "plain"}, "invalid_request")):
        response = httpx.get(f"{sandbox.url}/connect/authorize", params=base | change)
        assert code_from(response)["error"] == [error]
    no_pkce = {k: v for k, v in base.items() if not k.startswith("code_")}
    assert code_from(httpx.get(f"{sandbox.url}/connect/authorize", params=no_pkce))["error"] == ["invalid_request"]


def test_refresh_rotates_the_refresh_token(sandbox):
    verifier, challenge = pkce_pair()
    code = code_from(authorize(sandbox.url, demo.DEMO_TENANT_ID, scope=INTERACTIVE, challenge=challenge))["code"][0]
    first = exchange(sandbox.url, code, verifier).json()
    # HTTP Basic client authentication works as well as form fields.
    refreshed = httpx.post(f"{sandbox.url}/connect/token", auth=(demo.CLIENT_ID, demo.CLIENT_SECRET),
                           data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    again = httpx.post(f"{sandbox.url}/connect/token", auth=(demo.CLIENT_ID, demo.CLIENT_SECRET),
                       data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_client_credentials_errors(sandbox):
    url = f"{sandbox.url}/connect/token"
    good = {"grant_type": "client_credentials", "client_id": demo.CLIENT_ID, "client_secret": demo.CLIENT_SECRET,
            "tenant_id": demo.DEMO_TENANT_ID, "scope": "vismanet_erp_service_api:read"}
    assert httpx.post(url, data=good).status_code == 200
    cases = [({"client_secret": "wrong"}, "invalid_client"),
             ({"tenant_id": ""}, "invalid_request"),
             ({"tenant_id": "00000000-0000-0000-0000-000000000000"}, "invalid_grant"),
             ({"scope": "vismanet_erp_interactive_api:read"}, "invalid_scope"),
             ({"grant_type": "password"}, "unsupported_grant_type")]
    for change, error in cases:
        response = httpx.post(url, data=good | change)
        assert response.status_code == 400, (change, response.text)
        assert response.json()["error"] == error
        assert response.json()["error_description"]


def test_bearer_checks_erp_and_v3(sandbox):
    url = sandbox.url
    missing = httpx.get(f"{url}/v1/customer")
    assert missing.status_code == 401 and "Message" in missing.json()
    unknown = httpx.get(f"{url}/v1/customer", headers={"Authorization": "Bearer nope"})
    assert unknown.status_code == 401
    v3 = httpx.get(f"{url}/api/v3/SalesOrders", headers={"Authorization": "Bearer nope"})
    assert v3.status_code == 401 and v3.content == b""
    read_only = service_token(url, scope="vismanet_erp_service_api:read")
    headers = {"Authorization": f"Bearer {read_only}"}
    assert httpx.get(f"{url}/v1/customer/10001", headers=headers).status_code == 200
    forbidden = httpx.post(f"{url}/v2/customerinvoice", headers=headers, json={})
    assert forbidden.status_code == 403 and "scope" in forbidden.json()["Message"]
    assert httpx.get(f"{url}/api/v3/SalesOrders", headers=headers).status_code == 403


def test_expired_token_gives_401_and_lifetime_is_configurable(sandbox):
    sandbox.control.settings(demo.DEMO_TENANT_ID, tokenLifetimeSeconds=120)
    response = httpx.post(f"{sandbox.url}/connect/token", data={
        "grant_type": "client_credentials", "client_id": demo.CLIENT_ID, "client_secret": demo.CLIENT_SECRET,
        "tenant_id": demo.DEMO_TENANT_ID, "scope": "vismanet_erp_service_api:read"})
    assert response.json()["expires_in"] == 120
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    assert httpx.get(f"{sandbox.url}/v1/branch", headers=headers).status_code == 200
    sandbox.control.expire_tokens()
    assert httpx.get(f"{sandbox.url}/v1/branch", headers=headers).status_code == 401


def test_revoked_consent_refuses_refresh(sandbox):
    verifier, challenge = pkce_pair()
    code = code_from(authorize(sandbox.url, demo.DEMO_TENANT_ID, scope=INTERACTIVE, challenge=challenge))["code"][0]
    tokens = exchange(sandbox.url, code, verifier).json()
    sandbox.control.expire_tokens(revoke_refresh_tokens=True)
    response = httpx.post(f"{sandbox.url}/connect/token", data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
        "client_id": demo.CLIENT_ID, "client_secret": demo.CLIENT_SECRET})
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_company_data_is_bound_to_the_token(sandbox, erp, small):
    assert erp.get("/v1/customer/20001").status_code == 404
    assert small.get("/v1/customer/10001").status_code == 404
    assert small.get("/v1/customer/20001").status_code == 200
