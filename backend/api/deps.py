"""FastAPI dependencies: the app's components, the unit of work and the calling tenant."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.models import ApiKey, Tenant
from backend.adapters.db.uow import SqlUnitOfWork
from backend.api.errors import Problem
from backend.api_keys import hash_api_key
from backend.components import Components


@dataclass(frozen=True, slots=True)
class TenantContext:
    id: uuid.UUID
    slug: str
    default_locale: str
    default_currency: str
    via_service_key: bool = False


def components(request: Request) -> Components:
    return request.app.state.components


ComponentsDep = Annotated[Components, Depends(components)]


def session_factory(c: ComponentsDep) -> sessionmaker[Session]:
    return c.sessions


def unit_of_work(c: ComponentsDep) -> SqlUnitOfWork:
    return SqlUnitOfWork(c.sessions)


UowDep = Annotated[SqlUnitOfWork, Depends(unit_of_work)]

UNAUTHORIZED = {"WWW-Authenticate": 'Bearer realm="v1"'}


def _presented_key(authorization: str | None, x_api_key: str | None) -> str | None:
    if x_api_key:
        return x_api_key.strip()
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


def current_tenant(
    c: ComponentsDep,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
    x_tenant: Annotated[str | None, Header()] = None,
) -> TenantContext:
    """A tenant's API key names its tenant; the action server's service key names one in X-Tenant."""
    key = _presented_key(authorization, x_api_key)
    if not key:
        raise Problem(
            401, "unauthorized", "Send your API key as 'Authorization: Bearer <key>'.", UNAUTHORIZED
        )
    service_key = c.settings.service_api_key
    with c.sessions() as session:
        if service_key and hmac.compare_digest(key.encode(), service_key.encode()):
            if not x_tenant:
                raise Problem(400, "tenant-required", "The service key must name a tenant in X-Tenant.")
            tenant = session.scalar(select(Tenant).where(Tenant.slug == x_tenant))
            via_service = True
        else:
            tenant = session.scalar(
                select(Tenant)
                .join(ApiKey, ApiKey.tenant_id == Tenant.id)
                .where(ApiKey.key_hash == hash_api_key(key), ApiKey.revoked_at.is_(None))
            )
            via_service = False
    if tenant is None:
        raise Problem(401, "unauthorized", "This API key is not valid.", UNAUTHORIZED)
    return TenantContext(tenant.id, tenant.slug, tenant.default_locale, tenant.default_currency, via_service)


CurrentTenant = Annotated[TenantContext, Depends(current_tenant)]
