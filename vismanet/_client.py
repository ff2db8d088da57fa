"""``VismaNetClient``: one object per Visma.net company."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Literal

import httpx

from vismanet import _endpoints as ep
from vismanet._auth import (
    INTERACTIVE_SCOPES,
    SALESORDER_SCOPES,
    SERVICE_SCOPES,
    TOKEN_KEY_API,
    TOKEN_KEY_SALESORDERS,
    AuthorizationRequest,
    TokenProvider,
    TokenRecord,
    TokenStore,
)
from vismanet._resources.attachments import Attachments
from vismanet._resources.companies import Companies
from vismanet._resources.customers import CustomerLocations, Customers
from vismanet._resources.inventory import Inventory, ItemClasses, SalesOrderTypes, Warehouses
from vismanet._resources.invoices import CustomerInvoices
from vismanet._resources.sales_orders import SalesOrders
from vismanet._retry import RateLimitedEvent, RateLimitStatus, RetryPolicy
from vismanet._transport import Transport

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
DEFAULT_USER_AGENT = "vismanet-python/0.1 (+https://github.com/werkbon)"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class VismaNetClient:
    """A client for one Visma.net company (tenant): ERP API, Sales Orders v3, Visma Connect.

    Two ways to authenticate, chosen by ``tenant_id``:

    * ``tenant_id=None`` — interactive API (authorization code + PKCE). Send the user to
      ``authorization_request(...).url``, then call ``exchange_code(...)``; the refresh token
      (``offline_access``) keeps the connection alive. The v3 API is called with the same token.
    * ``tenant_id="<company tenant GUID>"`` — service API (client credentials). Tokens are
      fetched on demand; by default a separate token with the v3 scopes is used for the Sales
      Orders API (pass ``salesorder_scopes=()`` to use one token for both).

    The client is thread-safe; share one per company. Nothing is global: every setting is a
    constructor argument.

    Args:
        client_id: Visma Developer Portal client id.
        client_secret: Its secret; never logged or shown in errors.
        token_store: Where tokens live (``InMemoryTokenStore`` or the application's own).
        tenant_id: Company tenant id for the service API; ``None`` for the interactive API.
        scopes: Scopes of the main token. Default: ``INTERACTIVE_SCOPES`` or ``SERVICE_SCOPES``.
        salesorder_scopes: Scopes of a separate v3 token (service API only). Default:
            ``SALESORDER_SCOPES`` for the service API; ``()`` shares the main token.
        erp_base_url: ERP API root (``/v1``, ``/v2`` paths).
        salesorder_base_url: Sales Orders v3 API root (``/api/v3`` paths).
        connect_base_url: Visma Connect root (``/connect/token``, ``/connect/authorize``).
        context_base_url: Root of the legacy company list (``/resources/v1/context``).
        timeout: Seconds, or an ``httpx.Timeout``; ignored when ``http_client`` is given.
        retry_policy: When to retry; see ``RetryPolicy``.
        refresh_margin: Renew a token this long before it expires.
        user_agent: Sent on every request; Visma asks integrators to identify themselves.
        client_auth: ``"client_secret_post"`` (secret in the form) or
            ``"client_secret_basic"`` (HTTP Basic) at the token endpoint.
        http_client: An ``httpx.Client`` to use (tests pass one with ``MockTransport``); the
            caller then owns closing it.
        sleep: Called with seconds to wait between attempts.
        on_rate_limited: Called on every 429 with a ``RateLimitedEvent`` (before sleeping),
            e.g. to pause all work for this company until ``retry_after`` has passed.
        clock: Returns the current aware UTC time (token expiry, rate-limit timestamps).

    Raises:
        ValueError: contradictory or missing arguments.
    """

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        token_store: TokenStore,
        tenant_id: str | None = None,
        scopes: Sequence[str] | None = None,
        salesorder_scopes: Sequence[str] | None = None,
        erp_base_url: str = "https://api.finance.visma.net",
        salesorder_base_url: str = "https://salesorder.visma.net",
        connect_base_url: str = "https://connect.visma.com",
        context_base_url: str = "https://api.finance.visma.net/API",
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry_policy: RetryPolicy | None = None,
        refresh_margin: timedelta = timedelta(seconds=60),
        user_agent: str = DEFAULT_USER_AGENT,
        client_auth: Literal["client_secret_post", "client_secret_basic"] = "client_secret_post",
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        on_rate_limited: Callable[[RateLimitedEvent], None] | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        if not client_id or not client_secret:
            raise ValueError("client_id and client_secret are required")
        if client_auth not in ("client_secret_post", "client_secret_basic"):
            raise ValueError(f"unknown client_auth {client_auth!r}")
        token_scopes: dict[str, Sequence[str]]
        if tenant_id is None:
            if salesorder_scopes:
                raise ValueError(
                    "a separate Sales Orders token needs the client-credentials flow (tenant_id)"
                )
            token_scopes = {TOKEN_KEY_API: tuple(scopes or INTERACTIVE_SCOPES)}
        else:
            token_scopes = {TOKEN_KEY_API: tuple(scopes or SERVICE_SCOPES)}
            v3_scopes = SALESORDER_SCOPES if salesorder_scopes is None else salesorder_scopes
            if v3_scopes:
                token_scopes[TOKEN_KEY_SALESORDERS] = tuple(v3_scopes)
        self.tenant_id = tenant_id
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=timeout)
        self._transport = Transport(
            http=self._http,
            base_urls={
                "erp": erp_base_url,
                "erp_legacy": context_base_url,
                "salesorders_v3": salesorder_base_url,
                "connect": connect_base_url,
            },
            retry_policy=retry_policy or RetryPolicy(),
            user_agent=user_agent,
            sleep=sleep,
            on_rate_limited=on_rate_limited,
            clock=clock,
        )
        self._tokens = TokenProvider(
            transport=self._transport,
            client_id=client_id,
            client_secret=client_secret,
            store=token_store,
            tenant_id=tenant_id,
            scopes=token_scopes,
            refresh_margin=refresh_margin,
            clock=clock,
            client_auth=client_auth,
        )
        self._transport.tokens = self._tokens

        self.companies = Companies(self._transport)
        self.customers = Customers(self._transport)
        self.customer_locations = CustomerLocations(self._transport)
        self.inventory = Inventory(self._transport)
        self.item_classes = ItemClasses(self._transport)
        self.warehouses = Warehouses(self._transport)
        self.sales_order_types = SalesOrderTypes(self._transport)
        self.sales_orders = SalesOrders(self._transport)
        self.customer_invoices = CustomerInvoices(self._transport)
        self.attachments = Attachments(self._transport)

    def ensure_tokens(self) -> None:
        """Load the access token of every API this client calls from the token store on the
        calling thread, renewing one that is (nearly) expired (``POST /connect/token``), so
        that requests sent next, also from other threads, find them in the store's memory.
        Raises ``ReconnectRequired`` (or another ``VismaNetError``) as a request would."""
        self._tokens.ensure_all()

    @property
    def rate_limit(self) -> RateLimitStatus | None:
        """``X-RateLimit-*`` headers of the most recent response that carried them."""
        return self._transport.rate_limit

    def authorization_request(
        self, *, redirect_uri: str, state: str | None = None, nonce: str | None = None
    ) -> AuthorizationRequest:
        """Build the Visma Connect sign-in URL (authorization code + PKCE S256).

        Builds ``GET {connect_base_url}/connect/authorize`` (contract ``auth.authorize``) with
        ``response_type=code``, the main scopes, a random ``state`` (unless given), the S256
        ``code_challenge`` and, with ``openid``, a ``nonce``. No request is sent. Keep
        ``state`` and ``code_verifier`` server-side; on the callback check the state with
        ``states_match`` and pass the code to ``exchange_code``.

        Raises:
            ValueError: the client was built for the service API (``tenant_id`` set).
        """
        if self.tenant_id is not None:
            raise ValueError("the authorization-code flow is for the interactive API")
        return self._tokens.authorization_request(
            authorize_url=self._transport.url(ep.AUTHORIZE),
            redirect_uri=redirect_uri,
            state=state,
            nonce=nonce,
        )

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str) -> TokenRecord:
        """Exchange the callback's code for tokens and save them in the token store.

        Calls ``POST /connect/token`` with ``grant_type=authorization_code`` and the PKCE
        ``code_verifier`` (contract ``auth.token.authorization_code``). The returned record's
        ``expires_at`` is an aware UTC datetime.

        Raises:
            ReconnectRequired: ``invalid_grant`` (code used, expired, or verifier mismatch).
            AuthenticationError: ``invalid_client`` (wrong client id or secret).
            ValueError: the client was built for the service API (``tenant_id`` set).
            VismaNetError: any other subclass.
        """
        if self.tenant_id is not None:
            raise ValueError("the authorization-code flow is for the interactive API")
        return self._tokens.exchange_code(
            code=code, redirect_uri=redirect_uri, code_verifier=code_verifier
        )

    def close(self) -> None:
        """Close the HTTP connection pool (only if the client created it)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> VismaNetClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "service" if self.tenant_id else "interactive"
        return f"VismaNetClient(mode={mode!r}, tenant_id={self.tenant_id!r})"
