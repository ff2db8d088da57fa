"""Visma Connect emulation: discovery, ``/connect/authorize`` (consent page with a company
picker) and ``/connect/token`` (authorization code + PKCE, refresh with rotation, client
credentials with ``tenant_id``), plus bearer validation for the APIs (reference §2).

Tokens are opaque random strings held in memory and bound to (client, tenant, scopes); the
tenant in the token is the only way a request reaches a company's data.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .core import ERP_SCOPES, V3_SCOPES, json_response
from .errors import ApiError, erp_message, token_error

if TYPE_CHECKING:
    from .state import Sandbox

OIDC_SCOPES = {"openid", "profile", "email", "offline_access"}
INTERACTIVE_SCOPES = {f"vismanet_erp_interactive_api:{a}" for a in
                      ("read", "create", "update", "delete", "ui-extension")}
SERVICE_SCOPES = {f"vismanet_erp_service_api:{a}" for a in ("read", "create", "update", "delete")}
SALESORDER_SCOPES = {"visma.net.erp.salesorder:read", "visma.net.erp.salesorder:write"}
CODE_LIFETIME = 300
LOCAL_REDIRECT = re.compile(r"^http://(127\.0\.0\.1|localhost)(:\d+)?/")


@dataclass
class Grant:
    """An access or refresh token, or an authorization code."""

    client_id: str
    tenant_id: str
    scopes: frozenset[str]
    expires_at: float
    user: str | None = None
    redirect_uri: str | None = None
    code_challenge: str | None = None
    nonce: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class AuthState:
    """Registered applications, the demo users and every grant handed out."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.applications: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.codes: dict[str, Grant] = {}
        self.access: dict[str, Grant] = {}
        self.refresh: dict[str, Grant] = {}
        self.clock_offset = 0.0

    def now(self) -> float:
        """Current time as Unix seconds (UTC epoch), shifted by the test clock offset."""
        return time.time() + self.clock_offset

    def load(self, applications: list[dict[str, Any]], users: list[dict[str, Any]]) -> None:
        """Replace the registered applications (by ``clientId``) and demo users (by ``username``)."""
        with self.lock:
            self.applications = {a["clientId"]: a for a in applications}
            self.users = {u["username"]: u for u in users}

    def expire_all(self, revoke_refresh: bool = False) -> int:
        """Expire every access token now; optionally revoke refresh tokens (consent withdrawn)."""
        with self.lock:
            past = self.now() - 1
            for grant in self.access.values():
                grant.expires_at = past
            count = len(self.access)
            if revoke_refresh:
                count += len(self.refresh)
                self.refresh.clear()
        return count

    def peek_tenant(self, authorization: str | None) -> str | None:
        """The tenant of a bearer token, without validating it (for the request log)."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        grant = self.access.get(authorization[7:].strip())
        return grant.tenant_id if grant else None


def redirect_allowed(app: dict[str, Any], redirect_uri: str) -> bool:
    """Whether ``redirect_uri`` is registered for the application, or a loopback URI it allows."""
    uris = app.get("redirectUris", [])
    if redirect_uri in uris:
        return True
    # The demo application is a local tool: any loopback http URI on any port is fine.
    return bool(app.get("allowLoopbackRedirects")) and bool(LOCAL_REDIRECT.match(redirect_uri))


def pkce_s256(verifier: str) -> str:
    """PKCE ``S256`` code challenge of ``verifier``: unpadded base64url of its SHA-256 (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _error_page(message: str, status: int = 400) -> HTMLResponse:
    body = (f"<!doctype html><html><head><meta charset='utf-8'><title>Visma Connect (sandbox)"
            f"</title></head><body><h1>Error</h1><p id='error'>{html.escape(message)}</p></body></html>")
    return HTMLResponse(body, status_code=status)


def _redirect_error(redirect_uri: str, error: str, description: str, state: str | None) -> Response:
    params = {"error": error, "error_description": description}
    if state is not None:
        params["state"] = state
    sep = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{sep}{urlencode(params)}", status_code=302)


class Connect:
    """Handlers for the Visma Connect endpoints."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    @property
    def state(self) -> AuthState:
        """The sandbox's token and application state."""
        return self.sandbox.auth

    async def discovery(self, request: Request) -> Response:
        """GET /.well-known/openid-configuration"""
        base = str(request.base_url).rstrip("/")
        return json_response({
            "issuer": base,
            "authorization_endpoint": f"{base}/connect/authorize",
            "token_endpoint": f"{base}/connect/token",
            "userinfo_endpoint": f"{base}/connect/userinfo",
            "end_session_endpoint": f"{base}/connect/endsession",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "scopes_supported": sorted(OIDC_SCOPES | INTERACTIVE_SCOPES | SERVICE_SCOPES | SALESORDER_SCOPES),
        })

    def _check_authorize(self, params: dict[str, str]) -> tuple[dict[str, Any] | None, Response | None]:
        """Validate an authorize request; errors before redirect_uri is trusted render a page."""
        app = self.state.applications.get(params.get("client_id", ""))
        if app is None:
            return None, _error_page("invalid_client: unknown client_id")
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_uri or not redirect_allowed(app, redirect_uri):
            return None, _error_page("invalid_request: redirect_uri is not registered for this client")
        state = params.get("state")
        if params.get("response_type") != "code":
            return None, _redirect_error(redirect_uri, "unsupported_response_type",
                                         "Only response_type=code is supported.", state)
        if not state:
            return None, _redirect_error(redirect_uri, "invalid_request", "state is required.", None)
        scopes = set(params.get("scope", "").split())
        allowed = OIDC_SCOPES | INTERACTIVE_SCOPES | SALESORDER_SCOPES
        if not scopes or not scopes <= allowed:
            bad = ", ".join(sorted(scopes - allowed)) or "(none)"
            return None, _redirect_error(redirect_uri, "invalid_scope", f"Invalid scope: {bad}", state)
        challenge = params.get("code_challenge")
        method = params.get("code_challenge_method")
        if challenge:
            if method != "S256":
                return None, _redirect_error(redirect_uri, "invalid_request",
                                             "code_challenge_method must be S256.", state)
            if not re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", challenge):
                return None, _redirect_error(redirect_uri, "invalid_request",
                                             "code_challenge is malformed.", state)
        elif app.get("requirePkce", True):
            return None, _redirect_error(redirect_uri, "invalid_request",
                                         "code_challenge is required for this client.", state)
        return app, None

    def _companies_for(self, username: str) -> list[dict[str, Any]]:
        user = self.state.users.get(username, {})
        reachable = {t.lower() for t in user.get("tenants", [])}
        return [{"tenantId": c.tenant_id, "number": c.number, "name": c.name}
                for c in self.sandbox.store.companies() if c.tenant_id.lower() in reachable]

    async def authorize(self, request: Request) -> Response:
        """GET /connect/authorize: the consent page with one radio button per company.

        POST /connect/authorize (the page's form): ``decision=allow|deny`` and ``tenant_id``.
        """
        if request.method == "POST":
            form = await request.form()
            params = {k: str(v) for k, v in form.items()}
        else:
            params = dict(request.query_params)
        app, failure = self._check_authorize(params)
        if failure is not None:
            return failure
        assert app is not None
        username = params.get("username") or next(iter(self.state.users), "demo")
        companies = self._companies_for(username)
        if request.method == "GET":
            return self._consent_page(app, params, username, companies)
        redirect_uri, state = params["redirect_uri"], params["state"]
        if params.get("decision") != "allow":
            return _redirect_error(redirect_uri, "access_denied", "The user refused consent.", state)
        tenant = params.get("tenant_id", "")
        chosen = next((c for c in companies if c["tenantId"].lower() == tenant.lower()), None)
        if chosen is None:
            return self._consent_page(app, params, username, companies,
                                      error="Kies een bedrijf / pick one company.")
        code = secrets.token_urlsafe(32)
        with self.state.lock:
            self.state.codes[code] = Grant(
                client_id=app["clientId"], tenant_id=chosen["tenantId"],
                scopes=frozenset(params.get("scope", "").split()),
                expires_at=self.state.now() + CODE_LIFETIME, user=username,
                redirect_uri=redirect_uri, code_challenge=params.get("code_challenge") or None,
                nonce=params.get("nonce"),
            )
        sep = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{sep}{urlencode({'code': code, 'state': state})}",
                                status_code=302)

    def _consent_page(self, app: dict[str, Any], params: dict[str, str], username: str,
                      companies: list[dict[str, Any]], error: str | None = None) -> HTMLResponse:
        hidden = "".join(
            f"<input type='hidden' name='{html.escape(k)}' value='{html.escape(v)}'>"
            for k, v in params.items() if k not in ("tenant_id", "decision")
        )
        radios = "".join(
            f"<p><label><input type='radio' name='tenant_id' value='{html.escape(c['tenantId'])}'"
            f"{' checked' if i == 0 else ''}> {html.escape(c['name'])} ({c['number']})</label></p>"
            for i, c in enumerate(companies)
        )
        scope_list = "".join(f"<li>{html.escape(s)}</li>" for s in params.get("scope", "").split())
        err = f"<p id='error' style='color:#b00'>{html.escape(error)}</p>" if error else ""
        body = f"""<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>Visma Connect (sandbox) - toestemming</title></head>
<body>
<h1>Visma Connect (sandbox)</h1>
<p>Ingelogd als <strong>{html.escape(username)}</strong>.
De toepassing <strong>{html.escape(app.get('name', app['clientId']))}</strong> vraagt toegang tot:</p>
<ul>{scope_list}</ul>
{err}
<form method="post" action="/connect/authorize">
{hidden}
<fieldset><legend>Kies het bedrijf</legend>{radios}</fieldset>
<button type="submit" name="decision" value="allow">Toestaan</button>
<button type="submit" name="decision" value="deny">Weigeren</button>
</form>
</body></html>"""
        return HTMLResponse(body)

    def _client(self, request: Request, form: dict[str, str]) -> dict[str, Any]:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:].strip()).decode()
                basic_id, _, basic_secret = decoded.partition(":")
            except (ValueError, UnicodeDecodeError):
                raise token_error("invalid_client", "Malformed Basic authorization header.") from None
            from urllib.parse import unquote_plus
            client_id, secret = unquote_plus(basic_id), unquote_plus(basic_secret)
        app = self.state.applications.get(client_id or "")
        if app is None or not secret or not secrets.compare_digest(secret, app["clientSecret"]):
            raise token_error("invalid_client", "Unknown client or wrong client secret.")
        return app

    def _issue(self, app: dict[str, Any], tenant_id: str, scopes: frozenset[str], *,
               user: str | None = None, refresh: bool = False, nonce: str | None = None) -> dict[str, Any]:
        company = self.sandbox.store.company(tenant_id)
        lifetime = int(company.settings["tokenLifetimeSeconds"]) if company else 3600
        token = secrets.token_urlsafe(48)
        now = self.state.now()
        grant = Grant(app["clientId"], tenant_id, scopes, now + lifetime, user=user)
        body: dict[str, Any] = {"access_token": token, "token_type": "Bearer", "expires_in": lifetime,
                                "scope": " ".join(sorted(scopes))}
        with self.state.lock:
            self.state.access[token] = grant
            if refresh:
                rt = secrets.token_urlsafe(48)
                # Refresh tokens live long (30 days); revocation is explicit.
                self.state.refresh[rt] = Grant(app["clientId"], tenant_id, scopes, now + 30 * 86400, user=user)
                body["refresh_token"] = rt
        if "openid" in scopes:
            body["id_token"] = self._id_token(app, tenant_id, user, nonce, now, lifetime)
        return body

    @staticmethod
    def _id_token(app: dict[str, Any], tenant_id: str, user: str | None, nonce: str | None,
                  now: float, lifetime: int) -> str:
        """An unsigned (alg none) JWT; the sandbox has no signing keys."""
        def b64(obj: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
        claims = {"iss": "vismanet-sandbox", "aud": app["clientId"], "sub": user or "service",
                  "tenant_id": tenant_id, "iat": int(now), "exp": int(now + lifetime)}
        if nonce:
            claims["nonce"] = nonce
        return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."

    async def token(self, request: Request) -> Response:
        """POST /connect/token (form-encoded)."""
        try:
            return await self._token(request)
        except ApiError as exc:
            return exc.response()

    async def _token(self, request: Request) -> Response:
        ctype = request.headers.get("content-type", "")
        if "application/x-www-form-urlencoded" not in ctype:
            raise token_error("invalid_request", "The body must be application/x-www-form-urlencoded.")
        form = {k: str(v) for k, v in (await request.form()).items()}
        app = self._client(request, form)
        grant_type = form.get("grant_type", "")
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if grant_type == "authorization_code":
            return json_response(self._authorization_code(app, form), headers=headers)
        if grant_type == "refresh_token":
            return json_response(self._refresh(app, form), headers=headers)
        if grant_type == "client_credentials":
            return json_response(self._client_credentials(app, form), headers=headers)
        raise token_error("unsupported_grant_type", f"Grant type '{grant_type}' is not supported.")

    def _authorization_code(self, app: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
        with self.state.lock:
            grant = self.state.codes.pop(form.get("code", ""), None)  # codes are single-use
        if grant is None or grant.expires_at < self.state.now():
            raise token_error("invalid_grant", "The authorization code is invalid or expired.")
        if grant.client_id != app["clientId"]:
            raise token_error("invalid_grant", "The authorization code was issued to another client.")
        if form.get("redirect_uri") != grant.redirect_uri:
            raise token_error("invalid_grant", "redirect_uri does not match the authorize request.")
        if grant.code_challenge:
            verifier = form.get("code_verifier", "")
            if not verifier or not secrets.compare_digest(pkce_s256(verifier), grant.code_challenge):
                raise token_error("invalid_grant", "PKCE verification failed (code_verifier).")
        elif form.get("code_verifier"):
            raise token_error("invalid_grant", "code_verifier sent but no code_challenge was given.")
        if self.sandbox.store.company(grant.tenant_id) is None:
            raise token_error("invalid_grant", "The chosen company no longer exists.")
        return self._issue(app, grant.tenant_id, grant.scopes, user=grant.user,
                           refresh="offline_access" in grant.scopes, nonce=grant.nonce)

    def _refresh(self, app: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
        token = form.get("refresh_token", "")
        with self.state.lock:
            grant = self.state.refresh.get(token)
            if grant is None or grant.expires_at < self.state.now():
                raise token_error("invalid_grant", "The refresh token is invalid, expired or revoked.")
            if grant.client_id != app["clientId"]:
                raise token_error("invalid_grant", "The refresh token was issued to another client.")
            del self.state.refresh[token]  # rotation: the old refresh token is spent
        scopes = grant.scopes
        if form.get("scope"):
            asked = frozenset(form["scope"].split())
            if not asked <= grant.scopes:
                raise token_error("invalid_scope", "A refresh cannot widen the granted scopes.")
            scopes = asked | ({"offline_access"} & grant.scopes)
        return self._issue(app, grant.tenant_id, frozenset(scopes), user=grant.user, refresh=True)

    def _client_credentials(self, app: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
        tenant = form.get("tenant_id", "")
        if not tenant:
            raise token_error("invalid_request", "tenant_id is required for client_credentials.")
        if "client_credentials" not in app.get("grantTypes", ["client_credentials"]):
            raise token_error("unauthorized_client", "The client may not use client_credentials.")
        company = self.sandbox.store.company(tenant)
        allowed = {t.lower() for t in app.get("tenants", [])}
        if company is None or tenant.lower() not in allowed:
            raise token_error("invalid_grant", f"The client has no access to tenant '{tenant}'.")
        scopes = frozenset(form.get("scope", "").split())
        valid = SERVICE_SCOPES | SALESORDER_SCOPES
        if not scopes or not scopes <= valid:
            bad = ", ".join(sorted(scopes - valid)) or "(none)"
            raise token_error("invalid_scope", f"Invalid scope for client_credentials: {bad}")
        return self._issue(app, company.tenant_id, scopes)


def authenticate(sandbox: Sandbox, request: Request, api: str, access: str) -> tuple[Any, str, frozenset[str]]:
    """Validate the bearer token for an API call; returns (company, client_id, scopes).

    ERP: 401/403 with ``{"Message": ...}``; v3: 401/403 without a body (reference §6.3).
    """
    def fail(status: int, message: str) -> ApiError:
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if status == 401 else {}
        if api == "v3":
            return ApiError(status, None, headers=headers)
        return erp_message(status, message, headers=headers)

    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer ") or not header[7:].strip():
        raise fail(401, "Authorization has been denied for this request.")
    grant = sandbox.auth.access.get(header[7:].strip())
    if grant is None or grant.expires_at <= sandbox.auth.now():
        raise fail(401, "Authorization has been denied for this request.")
    company = sandbox.store.company(grant.tenant_id)
    if company is None:
        raise fail(401, "The token's company (tenant) does not exist.")
    needed = (V3_SCOPES if api == "v3" else ERP_SCOPES)[access]
    if not needed & grant.scopes:
        raise fail(403, f"The token lacks the scope required for this operation ({' or '.join(sorted(needed))}).")
    return company, grant.client_id, grant.scopes
