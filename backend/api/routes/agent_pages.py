"""The agent console's two pages: `/agent` (sign in) and `/agent/console` (the inbox).

The pages are static shells; everything they show comes from `/agent/api/*` (see
`backend.api.routes.agent_console_api`), which checks the session and CSRF token on every call.
The console page checks the session the same way (`auth.authenticate`) only to send a browser
without a valid one to the sign-in page; no conversation data is ever rendered server side.

Both pages are served `Cache-Control: no-store` (a shared computer's back button must not show
a signed-out console) and with a Content-Security-Policy that allows only this origin's scripts,
styles and connections, so an injected customer message cannot run script in an agent's browser.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from backend.api.deps import ComponentsDep
from backend.api.routes.agents import SESSION_COOKIE, now, uow
from backend.gateway.router import DEFAULT_TENANT
from backend.services.agents import auth
from backend.services.agents.errors import AgentError

WEB = Path(__file__).resolve().parents[2] / "web"
templates = Jinja2Templates(directory=WEB / "templates")
router = APIRouter(include_in_schema=False)

LOGIN_PATH = "/agent"
CONSOLE_PATH = "/agent/console"
# The console's script reads these; the API paths are the agent backend's (agents.py).
CONSOLE_CONFIG = {
    "apiBase": "/agent/api",
    "eventsUrl": "/agent/api/events",
    "loginUrl": LOGIN_PATH,
    "logoutUrl": "/agent/logout",
    "csrfCookie": "csrf_token",
    "csrfHeader": "X-CSRF-Token",
}
# Login failures the page can name when a non-JavaScript form post comes back with ?error=.
LOGIN_ERRORS = {
    "invalid": "The email, password or tenant is not right. Please check them and try again.",
    "locked": "Too many failed attempts. Please wait 15 minutes and try again.",
    "expired": "Your session has ended. Please sign in again.",
}
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


@router.get(LOGIN_PATH, response_class=HTMLResponse)
def agent_login_page(
    request: Request,
    tenant: Annotated[str, Query(max_length=64)] = DEFAULT_TENANT,
    error: Annotated[str | None, Query(max_length=32)] = None,
) -> HTMLResponse:
    """The sign-in form; it posts to `/agent/login` (email, password, tenant slug)."""
    return templates.TemplateResponse(
        request,
        "agent_login.html",
        {"tenant": tenant, "error": LOGIN_ERRORS.get(error or ""), "static_base": "/static"},
        headers=PAGE_HEADERS,
    )


@router.get(CONSOLE_PATH, response_class=HTMLResponse, response_model=None)
def agent_console_page(request: Request, c: ComponentsDep) -> Response:
    """The console shell, or a 303 to the sign-in page when the browser holds no valid session
    (`?error=expired` when it held one that has ended, so the page can say why)."""
    token = request.cookies.get(SESSION_COOKIE)
    try:
        auth.authenticate(token, uow(c), now())
    except AgentError:
        target = LOGIN_PATH if not token else f"{LOGIN_PATH}?error=expired"
        return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
    return templates.TemplateResponse(
        request,
        "agent_console.html",
        {"config": CONSOLE_CONFIG, "static_base": "/static"},
        headers=PAGE_HEADERS,
    )
