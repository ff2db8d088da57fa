"""Visma Connect: token records and stores, PKCE helpers, and the token provider.

The provider hands out access tokens to the transport. It renews a token when it is within
``refresh_margin`` of expiry, and once more after a 401. Renewal happens under an in-process
lock plus the store's own lock, with a re-check after acquiring them, so a crowd of threads
(or processes, if the store's lock spans processes) that all find the token stale cause exactly
one call to the token endpoint.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, urlencode

import httpx

from vismanet import _endpoints as ep
from vismanet._errors import ReconnectRequired, UnexpectedResponseError

if TYPE_CHECKING:
    from vismanet._transport import Transport

TOKEN_KEY_API = "api"  # noqa: S105 - a store key, not a secret
"""Token-store key of the main token (ERP API; also v3 when no separate v3 token is used)."""
TOKEN_KEY_SALESORDERS = "salesorders"  # noqa: S105 - a store key
"""Token-store key of the separate Sales Orders v3 token (client-credentials flow only)."""

SALESORDER_SCOPES = ("visma.net.erp.salesorder:read", "visma.net.erp.salesorder:write")
# An interactive token serves both APIs (the user consents once), so it asks for the Sales
# Orders v3 scopes too; every salesorder_v3.* operation requires them (contract).
INTERACTIVE_SCOPES = (
    "openid",
    "offline_access",
    "vismanet_erp_interactive_api:read",
    "vismanet_erp_interactive_api:create",
    "vismanet_erp_interactive_api:update",
    *SALESORDER_SCOPES,
)
SERVICE_SCOPES = (
    "vismanet_erp_service_api:read",
    "vismanet_erp_service_api:create",
    "vismanet_erp_service_api:update",
    "vismanet_erp_service_api:delete",
)
DEFAULT_TOKEN_LIFETIME = 3600  # seconds, when the token response omits expires_in


@dataclass(frozen=True)
class TokenRecord:
    """One stored token. Tokens are left out of ``repr``.

    Attributes:
        access_token: The bearer token.
        expires_at: Expiry as an aware UTC datetime.
        refresh_token: Present for the interactive flow with ``offline_access``.
        scope: Space-separated scopes granted.
        token_type: Normally ``"Bearer"``.
        company_tenant_id: The Visma.net company (tenant id GUID) the token is bound to, from
            the ``tenant_id`` claim of the response's ``id_token`` (scope ``openid``) or of a
            JWT access token; ``""`` when neither carries it. Read, not verified: it comes
            straight from the token endpoint over TLS and is used only to recognise the company.
    """

    access_token: str = field(repr=False)
    expires_at: datetime
    refresh_token: str | None = field(default=None, repr=False)
    scope: str = ""
    token_type: str = "Bearer"  # noqa: S105 - the token kind, not a token
    company_tenant_id: str = ""

    def to_dict(self) -> dict[str, str | None]:
        """JSON-ready form, for an application that stores tokens itself (encrypt it)."""
        return {
            "access_token": self.access_token,
            "expires_at": self.expires_at.isoformat(),
            "refresh_token": self.refresh_token,
            "scope": self.scope,
            "token_type": self.token_type,
            "company_tenant_id": self.company_tenant_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TokenRecord:
        """Inverse of ``to_dict``."""
        expires_at = datetime.fromisoformat(data["expires_at"])
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        return cls(
            access_token=data["access_token"],
            expires_at=expires_at,
            refresh_token=data.get("refresh_token"),
            scope=data.get("scope") or "",
            token_type=data.get("token_type") or "Bearer",
            company_tenant_id=data.get("company_tenant_id") or "",
        )


def jwt_claim(token: object, name: str) -> str:
    """Claim ``name`` of a JWT's payload as text (``""`` when ``token`` is no JWT, the claim is
    missing or not a short string). Decodes only; the signature is not checked."""
    if not isinstance(token, str) or token.count(".") != 2 or len(token) > 16_384:
        return ""
    payload = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, UnicodeDecodeError):
        return ""
    value = claims.get(name) if isinstance(claims, dict) else None
    return value if isinstance(value, str) and len(value) <= 100 else ""


class TokenStore(Protocol):
    """Where one company's tokens live. The application backs it with its database.

    ``key`` is ``TOKEN_KEY_API`` or ``TOKEN_KEY_SALESORDERS``. ``lock(key)`` must return a
    context manager that excludes every other holder of the same key for the duration of a
    renewal (load, token request, save); back it with a row lock (``SELECT ... FOR UPDATE``)
    so that several worker processes also refresh only once.
    """

    def load(self, key: str) -> TokenRecord | None: ...

    def save(self, key: str, record: TokenRecord) -> None: ...

    def lock(self, key: str) -> AbstractContextManager[object]: ...


class InMemoryTokenStore:
    """A process-local ``TokenStore``: for tests, scripts and single-process use."""

    def __init__(self, records: dict[str, TokenRecord] | None = None) -> None:
        self._records = dict(records or {})
        self._guard = threading.Lock()
        self._locks: dict[str, threading.RLock] = {}

    def load(self, key: str) -> TokenRecord | None:
        return self._records.get(key)

    def save(self, key: str, record: TokenRecord) -> None:
        self._records[key] = record

    def lock(self, key: str) -> AbstractContextManager[object]:
        with self._guard:
            return self._locks.setdefault(key, threading.RLock())

    def __repr__(self) -> str:
        return f"InMemoryTokenStore(keys={sorted(self._records)})"


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def make_code_verifier() -> str:
    """A fresh PKCE code verifier (86 URL-safe characters, RFC 7636)."""
    return secrets.token_urlsafe(64)


def code_challenge(verifier: str) -> str:
    """The S256 code challenge for ``verifier``."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def states_match(expected: str | None, received: str | None) -> bool:
    """Compare the ``state`` sent with the one returned, in constant time; empty never matches."""
    if not expected or not received:
        return False
    return hmac.compare_digest(expected.encode(), received.encode())


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the user, and what to keep (in the session) until the callback.

    Attributes:
        url: The Visma Connect authorize URL to redirect the browser to.
        state: Compare with the callback's ``state`` using ``states_match``.
        code_verifier: PKCE verifier; pass it to ``exchange_code``. Keep it server-side.
        nonce: OpenID nonce, sent when ``openid`` is among the scopes.
    """

    url: str
    state: str
    code_verifier: str = field(repr=False)
    nonce: str | None = None


class TokenProvider:
    """Obtains, caches (in the token store) and renews access tokens for one company."""

    def __init__(
        self,
        *,
        transport: Transport,
        client_id: str,
        client_secret: str,
        store: TokenStore,
        tenant_id: str | None,
        scopes: dict[str, Sequence[str]],
        refresh_margin: timedelta,
        clock: Callable[[], datetime],
        client_auth: str,
    ) -> None:
        self._transport = transport
        self._client_id = client_id
        self._client_secret = client_secret
        self._store = store
        self._tenant_id = tenant_id
        self._scopes = scopes
        self._margin = refresh_margin
        self._clock = clock
        self._client_auth = client_auth
        self._locks = {key: threading.Lock() for key in scopes}

    def key_for(self, base: str) -> str:
        """Token-store key for requests to ``base``."""
        if base == "salesorders_v3" and TOKEN_KEY_SALESORDERS in self._scopes:
            return TOKEN_KEY_SALESORDERS
        return TOKEN_KEY_API

    def access_token(self, key: str) -> str:
        """A token valid for at least ``refresh_margin``; renews it when needed."""
        record = self._store.load(key)
        if record is not None and self._fresh(record):
            return record.access_token
        return self._renew(key, stale=record.access_token if record else None)

    def renew_after_401(self, key: str, rejected: str) -> str:
        """Replace a token the API refused, unless another caller already did."""
        return self._renew(key, stale=rejected)

    def _fresh(self, record: TokenRecord) -> bool:
        return record.expires_at - self._margin > self._clock()

    def _renew(self, key: str, *, stale: str | None) -> str:
        with self._locks[key], self._store.lock(key):
            record = self._store.load(key)
            # Re-check: whoever held the lock before us may have renewed already.
            if record is not None and record.access_token != stale and self._fresh(record):
                return record.access_token
            renewed = self._obtain(key, record)
            self._store.save(key, renewed)
            return renewed.access_token

    def _obtain(self, key: str, current: TokenRecord | None) -> TokenRecord:
        scope = " ".join(self._scopes[key])
        if self._tenant_id is not None:
            form = {
                "grant_type": "client_credentials",
                "scope": scope,
                "tenant_id": self._tenant_id,
            }
            return self._post(ep.TOKEN_CLIENT_CREDENTIALS, form, idempotent=True, scope=scope)
        if current is None or not current.refresh_token:
            raise ReconnectRequired(
                "No Visma.net refresh token is stored for this company; a user must connect"
                " (reconnect) Visma.net by signing in.",
                operation=ep.TOKEN_REFRESH.name,
                method="POST",
            )
        form = {"grant_type": "refresh_token", "refresh_token": current.refresh_token}
        # Not idempotent: if Visma Connect rotates refresh tokens, a lost response already
        # consumed the old one, and resending it would only earn a misleading invalid_grant.
        return self._post(
            ep.TOKEN_REFRESH,
            form,
            idempotent=False,
            scope=scope,
            previous_refresh=current.refresh_token,
        )

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str) -> TokenRecord:
        """Exchange an authorization code; saves and returns the token record."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        record = self._post(
            ep.TOKEN_AUTHORIZATION_CODE,
            form,
            idempotent=False,
            scope=" ".join(self._scopes[TOKEN_KEY_API]),
            extra_secrets=(code, code_verifier),
        )
        with self._locks[TOKEN_KEY_API], self._store.lock(TOKEN_KEY_API):
            self._store.save(TOKEN_KEY_API, record)
        return record

    def authorization_request(
        self,
        *,
        authorize_url: str,
        redirect_uri: str,
        state: str | None,
        nonce: str | None,
    ) -> AuthorizationRequest:
        scopes = self._scopes[TOKEN_KEY_API]
        state = state or secrets.token_urlsafe(32)
        verifier = make_code_verifier()
        params = {
            "client_id": self._client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": " ".join(scopes),
            "state": state,
            "code_challenge": code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        if "openid" in scopes:
            nonce = nonce or secrets.token_urlsafe(16)
            params["nonce"] = nonce
        url = f"{authorize_url}?{urlencode(params, quote_via=quote)}"
        return AuthorizationRequest(url=url, state=state, code_verifier=verifier, nonce=nonce)

    def _post(
        self,
        endpoint: ep.Endpoint,
        form: dict[str, str],
        *,
        idempotent: bool,
        scope: str,
        previous_refresh: str | None = None,
        extra_secrets: Sequence[str] = (),
    ) -> TokenRecord:
        form = {**form, "client_id": self._client_id}
        auth: httpx.Auth | None = None
        if self._client_auth == "client_secret_basic":
            auth = httpx.BasicAuth(self._client_id, self._client_secret)
        else:
            form["client_secret"] = self._client_secret
        response = self._transport.request(
            endpoint,
            data=form,
            auth=auth,
            authenticated=False,
            idempotent=idempotent,
            extra_secrets=(*extra_secrets, previous_refresh or ""),
        )
        try:
            body = response.json()
            access_token = body["access_token"]
        except (ValueError, KeyError, TypeError):
            raise UnexpectedResponseError(
                "Visma Connect answered without an access_token.",
                operation=endpoint.name,
                method="POST",
                status_code=response.status_code,
            ) from None
        lifetime = body.get("expires_in") or DEFAULT_TOKEN_LIFETIME
        return TokenRecord(
            access_token=access_token,
            expires_at=self._clock() + timedelta(seconds=int(lifetime)),
            # Keep the old refresh token unless the server rotated it.
            refresh_token=body.get("refresh_token") or previous_refresh,
            scope=body.get("scope") or scope,
            token_type=body.get("token_type") or "Bearer",
            company_tenant_id=jwt_claim(body.get("id_token"), "tenant_id")
            or jwt_claim(access_token, "tenant_id"),
        )

    def ensure_all(self) -> None:
        """Load (and renew when needed) the access token of every key this provider serves, on
        the calling thread, so that later requests find them in the store's memory."""
        for key in self._scopes:
            self.access_token(key)

    def known_secrets(self) -> list[str]:
        """Values to redact from any text the client emits."""
        values = [self._client_secret]
        for key in self._scopes:
            record = self._store.load(key)
            if record is not None:
                values += [record.access_token, record.refresh_token or ""]
        return values
