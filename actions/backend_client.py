"""The only way out of ``actions/``: a typed HTTP client for the backend's ``/v1`` API.

Actions never touch the database (import-linter contract in pyproject.toml); every decision about
money and credit is the backend's, the action server only relays. Retries happen only when the
connection itself failed: a request that reached the backend may have had an effect, and the
Idempotency-Key makes the one retry we could want safe to leave to the caller.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

log = structlog.get_logger(__name__)

DEFAULT_BACKEND_URL = "http://127.0.0.1:8000"
# Connect fails fast (a dead backend should not hold the chat); read allows a slow decision.
TIMEOUT = httpx.Timeout(10.0, connect=2.0)
CONNECT_ATTEMPTS = 3


class BackendError(Exception):
    """Base class: anything that means the backend did not give us a usable answer."""


class BackendUnavailable(BackendError):
    """The backend could not be reached or timed out; the customer is asked to try again later."""


@dataclass(frozen=True, slots=True)
class Problem:
    """An RFC 9457 problem document as the backend returns it on 4xx/5xx."""

    status: int
    title: str
    detail: str | None = None
    type: str = "about:blank"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """The last segment of the stable ``type`` URI (e.g. ``wrong-code``)."""
        return self.type.rstrip("/").rsplit("/", 1)[-1]


class BackendProblem(BackendError):
    """The backend answered with an error (application/problem+json or otherwise)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(f"{problem.status} {problem.title}: {problem.detail or ''}".strip())
        self.problem = problem


@dataclass(frozen=True, slots=True)
class MoneyOut:
    """Money as the backend sends it: integer minor units plus its own display string."""

    amount_minor: int
    currency: str
    formatted: str


@dataclass(frozen=True, slots=True)
class EligibilityResult:
    """The backend's decision; ``reasons`` are already plain language for the customer."""

    eligible: bool
    limit: MoneyOut | None
    reasons: tuple[str, ...]
    rule_version: str | None


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Who is asking, taken from the message metadata the gateway sends with every user turn."""

    tenant: str
    idempotency_key: str
    request_id: str | None = None


_POOLS: dict[str, httpx.AsyncClient] = {}


def _pooled(base_url: str) -> httpx.AsyncClient:
    """One keep-alive pool per backend URL for the action server's lifetime, made on first use.

    Building an httpx client loads a TLS context (tens of milliseconds) and a new connection costs
    a handshake: per call, that was most of the action's own latency."""
    client = _POOLS.get(base_url)
    if client is None or client.is_closed:
        client = _POOLS[base_url] = httpx.AsyncClient(
            base_url=base_url, timeout=TIMEOUT, limits=httpx.Limits(max_keepalive_connections=20)
        )
    return client


class BackendClient:
    """Async client for ``/v1``. Instances are cheap: they share the process's connection pool
    (nothing connects at import time); an injected transport gets a client of its own."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = (base_url or os.environ.get("BACKEND_URL") or DEFAULT_BACKEND_URL).rstrip("/")
        self.api_key = api_key if api_key is not None else os.environ.get("SERVICE_API_KEY", "")
        self._transport = transport

    def _headers(self, ctx: RequestContext) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "X-Tenant": ctx.tenant,
            "Idempotency-Key": ctx.idempotency_key,
            "Accept": "application/json, application/problem+json",
        }
        if ctx.request_id:
            headers["X-Request-ID"] = ctx.request_id
        return headers

    async def request(
        self,
        method: str,
        path: str,
        ctx: RequestContext,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """Call ``/v1`` and return the JSON body; 4xx/5xx become ``BackendProblem``.

        Retries only when the connection could not be made: a request that reached the backend may
        have had its effect, and the Idempotency-Key makes the caller's retry safe instead.
        """
        if self._transport is not None:
            async with httpx.AsyncClient(
                base_url=self.base_url, timeout=TIMEOUT, transport=self._transport
            ) as client:
                response = await self._send(client, method, path, ctx, json, params)
        else:
            response = await self._send(_pooled(self.base_url), method, path, ctx, json, params)
        if response.status_code >= 400:
            raise BackendProblem(_problem_of(response))
        if response.status_code == 204 or not response.content:
            return {}
        try:
            return response.json()
        except ValueError as exc:
            raise BackendProblem(Problem(response.status_code, "Response is not JSON")) from exc

    async def get(self, path: str, ctx: RequestContext, **params: Any) -> Any:
        return await self.request("GET", path, ctx, params={k: v for k, v in params.items() if v is not None})

    async def post(self, path: str, body: dict[str, Any], ctx: RequestContext) -> Any:
        return await self.request("POST", path, ctx, json=body)

    async def put(self, path: str, body: dict[str, Any], ctx: RequestContext) -> Any:
        return await self.request("PUT", path, ctx, json=body)

    async def patch(self, path: str, body: dict[str, Any], ctx: RequestContext) -> Any:
        return await self.request("PATCH", path, ctx, json=body)

    async def _post(self, path: str, body: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        return await self.post(path, body, ctx)

    async def _send(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        ctx: RequestContext,
        body: dict[str, Any] | None,
        params: dict[str, Any] | None,
    ) -> httpx.Response:
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception_type(httpx.ConnectError),
                stop=stop_after_attempt(CONNECT_ATTEMPTS),
                wait=wait_exponential(multiplier=0.2, max=1.0),
                reraise=True,
            ):
                with attempt:
                    response = await client.request(
                        method, path, json=body, params=params, headers=self._headers(ctx)
                    )
        except httpx.TransportError as exc:  # connect errors after retries, timeouts, resets
            raise BackendUnavailable(f"{type(exc).__name__} calling {path}") from exc
        return response

    async def check_eligibility(
        self,
        *,
        conversation_id: str,
        business_type: str,
        amount_minor: int,
        currency: str,
        locale: str | None,
        ctx: RequestContext,
    ) -> EligibilityResult:
        """Ask the backend how much this business could borrow (``POST /v1/eligibility``)."""
        body = {
            "conversation_id": conversation_id,
            "business_type": business_type,
            "monthly_revenue": {"amount_minor": amount_minor, "currency": currency},
            "locale": locale,
        }
        data = await self._post("/v1/eligibility", body, ctx)
        try:
            limit = data.get("limit")
            return EligibilityResult(
                eligible=bool(data["eligible"]),
                limit=MoneyOut(int(limit["amount_minor"]), str(limit["currency"]), str(limit["formatted"]))
                if limit
                else None,
                reasons=tuple(str(r) for r in data.get("reasons") or ()),
                rule_version=data.get("rule_version"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BackendProblem(Problem(200, "Unexpected eligibility response", str(exc))) from exc


def _problem_of(response: httpx.Response) -> Problem:
    """Read a problem document, tolerating a proxy's HTML error page."""
    try:
        data = response.json()
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    return Problem(
        status=int(data.get("status") or response.status_code),
        title=str(data.get("title") or response.reason_phrase or "Error"),
        detail=data.get("detail"),
        type=str(data.get("type") or "about:blank"),
        extra={k: v for k, v in data.items() if k not in ("status", "title", "detail", "type")},
    )
