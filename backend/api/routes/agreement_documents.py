"""GET /agreements/{tenant}/{agreement_id}?sig=...: the customer's copy of their agreement."""

from __future__ import annotations

import html
import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from backend.adapters.db.models import Tenant
from backend.api import agreement_links
from backend.api.deps import ComponentsDep, TenantContext
from backend.api.errors import Problem
from backend.api.routes._origination import problems, uow_for
from backend.services.origination import agreements as svc

router = APIRouter(tags=["agreements"])


@router.get("/agreements/{tenant_slug}/{agreement_id}", response_class=HTMLResponse, include_in_schema=True)
def agreement_document(
    tenant_slug: str,
    agreement_id: uuid.UUID,
    c: ComponentsDep,
    sig: Annotated[str, Query(min_length=16, max_length=64)],
) -> HTMLResponse:
    """The agreement as rendered and hashed; a wrong or missing signature is a 404 (no oracle)."""
    if not agreement_links.verify(c.settings.signing_secret, tenant_slug, agreement_id, sig):
        raise Problem(404, "not-found", "No such agreement.")
    with c.sessions() as session:
        tenant = session.query(Tenant).filter(Tenant.slug == tenant_slug).one_or_none()
        if tenant is None:
            raise Problem(404, "not-found", "No such agreement.")
        ctx = TenantContext(tenant.id, tenant.slug, tenant.default_locale, tenant.default_currency)
    with problems():
        view = svc.get_agreement(agreement_id, uow_for(c.sessions, ctx))
    a = view.agreement
    signed = (
        f"Signed {a.signed_at:%d %b %Y %H:%M} UTC by {html.escape(a.signer or '')}"
        if a.signed_at
        else "Not signed yet"
    )
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Credit agreement</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#111}}
pre{{white-space:pre-wrap;font:inherit}} .meta{{color:#555;font-size:.9rem}}</style></head>
<body><main><h1>Credit agreement</h1>
<p class="meta">{html.escape(signed)} · template {html.escape(a.template_name)}
v{html.escape(a.template_version)}
· SHA-256 <code>{html.escape(a.sha256)}</code></p>
<pre>{html.escape(a.text)}</pre></main></body></html>"""
    return HTMLResponse(body)
