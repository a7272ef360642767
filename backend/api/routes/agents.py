"""Agents as users of a tenant: created with the tenant's API key (`/v1/agents`), signing in to the
console (`/agent/login`, `/agent/logout`), and the session and CSRF checks every `/agent/api/*`
call goes through (`current_agent`).

Cookies: `agent_session` is HttpOnly and SameSite=Strict (RFC 6265bis 4.1.2.7: never sent on a
cross-site request), Secure when PUBLIC_BASE_URL is https; `csrf_token` is readable by the
page's script, which echoes it in `X-CSRF-Token` on every non-GET call (double submit).
"""

from __future__ import annotations

import html
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Header, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from backend.adapters.db.agent_repository import SqlAgentUnitOfWork
from backend.api.deps import ComponentsDep, CurrentTenant
from backend.api.errors import Problem
from backend.components import Components
from backend.services.agents import auth
from backend.services.agents.errors import AgentError, LockedOut
from backend.services.agents.queue import assign_waiting

router = APIRouter(tags=["agents"])

SESSION_COOKIE = "agent_session"
CSRF_COOKIE = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
CONSOLE_PATH = "/agent/console"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def now() -> datetime:
    return datetime.now(UTC)


def problem(exc: AgentError) -> Problem:
    headers = {"Retry-After": str(exc.retry_after_seconds)} if isinstance(exc, LockedOut) else None
    return Problem(exc.status, exc.slug, exc.detail, headers)


def uow(c: Components) -> SqlAgentUnitOfWork:
    return SqlAgentUnitOfWork(c.sessions)


# -- /v1/agents: the tenant's admin creates and lists agents ----------------------------------------


class AgentIn(BaseModel):
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    name: str = Field(min_length=1, max_length=200)
    role: Literal["agent", "supervisor", "admin"]
    password: str = Field(min_length=12, max_length=200)


class AgentOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    role: str


@router.post("/v1/agents", response_model=AgentOut, status_code=201)
def create_agent(body: AgentIn, tenant: CurrentTenant, c: ComponentsDep) -> dict[str, Any]:
    """Create an agent of the calling tenant; 409 `agent-exists` when the email is taken."""
    cmd = auth.CreateAgent(
        tenant.id, body.email, body.name, body.role, body.password, actor=f"api:{tenant.slug}"
    )
    try:
        agent = auth.create_agent(cmd, uow(c), now())
    except AgentError as exc:
        raise problem(exc) from exc
    return {"id": agent.id, "email": agent.email, "name": agent.name, "role": agent.role}


@router.get("/v1/agents")
def list_agents(tenant: CurrentTenant, c: ComponentsDep) -> dict[str, Any]:
    agents = auth.agents_of(tenant.id, uow(c))
    return {
        "items": [
            {"id": str(a.id), "email": a.email, "name": a.name, "role": a.role, "online": a.online}
            for a in agents
        ]
    }


# -- login and logout -------------------------------------------------------------------------------


def _secure(c: Components) -> bool:
    return (c.settings.public_base_url or "").lower().startswith("https://")


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept


def _failure_page(status: int, message: str, tenant: str) -> HTMLResponse:
    back = f"/agent?tenant={html.escape(tenant, quote=True)}"
    body = (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Sign in failed</title>"
        f'<p>{html.escape(message)}</p><p><a href="{back}">Try again</a></p></html>'
    )
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


@router.post("/agent/login", response_model=None)
def agent_login(
    request: Request,
    c: ComponentsDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=200)],
    tenant: Annotated[str, Form(max_length=64)] = "demo",
) -> Response:
    """303 to the console with the session and CSRF cookies; 401 for wrong credentials (a page for
    a browser form, problem JSON otherwise); 429 while the email is locked after 5 failures."""
    try:
        issued = auth.login(tenant, email, password, uow(c), now())
    except AgentError as exc:
        if _wants_html(request):
            response = _failure_page(exc.status, exc.detail, tenant)
            if isinstance(exc, LockedOut):
                response.headers["Retry-After"] = str(exc.retry_after_seconds)
            return response
        raise problem(exc) from exc
    response = RedirectResponse(CONSOLE_PATH, status_code=303, headers={"Cache-Control": "no-store"})
    # No Max-Age: browser-session cookies. The 12-hour idle expiry is the server's (each use
    # moves it), which a fixed cookie lifetime would cut short for an agent working all day.
    secure = _secure(c)
    response.set_cookie(
        SESSION_COOKIE, issued.token, path="/", httponly=True, samesite="strict", secure=secure
    )
    response.set_cookie(
        CSRF_COOKIE, issued.csrf_token, path="/", httponly=False, samesite="strict", secure=secure
    )
    return response


@router.post("/agent/logout", response_model=None)
def agent_logout(request: Request, c: ComponentsDep) -> Response:
    """End the session (its row is deleted) and clear both cookies; 303 to the sign-in page."""
    auth.logout(request.cookies.get(SESSION_COOKIE), uow(c))
    response = RedirectResponse("/agent", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


# -- the session and CSRF checks of /agent/api/* ----------------------------------------------------


def current_agent(
    request: Request,
    c: ComponentsDep,
    x_csrf_token: Annotated[str | None, Header(alias=CSRF_HEADER)] = None,
) -> auth.AgentContext:
    """401 without a valid session; 403 for a non-GET whose X-CSRF-Token does not equal both the
    `csrf_token` cookie and the session's token."""
    try:
        ctx = auth.authenticate(request.cookies.get(SESSION_COOKIE), uow(c), now())
    except AgentError as exc:
        raise problem(exc) from exc
    if request.method not in SAFE_METHODS and not (
        auth.csrf_ok(request.cookies.get(CSRF_COOKIE), x_csrf_token)
        and auth.csrf_ok(ctx.csrf_token, x_csrf_token)
    ):
        raise Problem(403, "csrf-failed", f"Send the csrf_token cookie's value in {CSRF_HEADER}.")
    return ctx


CurrentAgent = Annotated[auth.AgentContext, Depends(current_agent)]


def assign_now(c: Components, tenant_id: uuid.UUID) -> None:
    """Round-robin right away (a request created, an agent online); the worker beat catches the rest."""
    assign_waiting(uow(c), tenant_id, now())
