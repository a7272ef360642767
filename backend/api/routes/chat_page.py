"""The built-in web chat page, and `/widget.js`: the script a tenant embeds on its own site.

`/widget.js` is served with a short public cache (5 minutes) and an ETag of its content, so a fix
reaches every embedding site within minutes while repeat page views revalidate cheaply; its
stylesheet is fetched as `/static/widget.css?v=<version>`, so the pair always matches.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
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
        "eventsUrl": f"/channels/web/sessions/{{session}}/events?tenant={tenant}",
        "readyUrl": "/readyz",
    }
    return templates.TemplateResponse(
        request, "chat.html", {"tenant_name": name, "config": config, "static_base": "/static"}
    )


WIDGET_FILES = ("widget.js", "widget.css")
WIDGET_MAX_AGE = 300


@cache
def widget_version() -> str:
    """A short hash of the widget's script and stylesheet: the `?v=` of its stylesheet and ETag."""
    digest = hashlib.sha256()
    for name in WIDGET_FILES:
        digest.update((WEB / "static" / name).read_bytes())
    return digest.hexdigest()[:12]


@router.get("/widget.js")
def widget_script(request: Request) -> Response:
    """The embeddable widget: `<script src="https://<host>/widget.js" data-tenant="demo" async>`."""
    version = widget_version()
    etag = f'"{version}"'
    headers = {
        "Cache-Control": f"public, max-age={WIDGET_MAX_AGE}",
        "ETag": etag,
        "X-Widget-Version": version,
        # the script is public; any site may load it (which tenant it talks to is checked per call)
        "Access-Control-Allow-Origin": "*",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    body = (WEB / "static" / "widget.js").read_text(encoding="utf-8").replace("__WIDGET_VERSION__", version)
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)
