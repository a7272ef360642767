"""The built-in web chat page (the embeddable widget comes with the channels work)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from backend.adapters.db.models import Tenant
from backend.api.deps import ComponentsDep
from backend.api.errors import Problem
from backend.gateway.router import DEFAULT_TENANT

WEB = Path(__file__).resolve().parents[2] / "web"
templates = Jinja2Templates(directory=WEB / "templates")
router = APIRouter(include_in_schema=False)


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/chat")


@router.get("/chat", response_class=HTMLResponse)
def chat_page(
    request: Request, c: ComponentsDep, tenant: Annotated[str, Query(max_length=64)] = DEFAULT_TENANT
) -> HTMLResponse:
    with c.sessions() as session:
        name = session.scalar(select(Tenant.name).where(Tenant.slug == tenant))
    if name is None:
        raise Problem(404, "unknown-tenant", f"No tenant called {tenant!r}.")
    config = {
        "tenant": tenant,
        "messagesUrl": "/channels/web/messages",
        "historyUrl": f"/channels/web/sessions/{{session}}/messages?tenant={tenant}",
        "readyUrl": "/readyz",
    }
    return templates.TemplateResponse(
        request, "chat.html", {"tenant_name": name, "config": config, "static_base": "/static"}
    )
