"""The demo tenant every fresh install has, so `make run` can be chatted with at once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.models import ApiKey, Tenant
from backend.api_keys import display_prefix, hash_api_key
from backend.settings import Settings

DEMO_TENANT_SLUG = "demo"


def seed_demo_tenant(sessions: sessionmaker[Session], settings: Settings) -> Tenant:
    """Create the demo tenant and register DEMO_TENANT_API_KEY for it; idempotent."""
    with sessions.begin() as session:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == DEMO_TENANT_SLUG))
        if tenant is None:
            tenant = Tenant(
                slug=DEMO_TENANT_SLUG,
                name="Demo Lender",
                default_locale=settings.default_locale,
                default_currency=settings.default_currency,
            )
            session.add(tenant)
            session.flush()
        if settings.demo_tenant_api_key:
            key_hash = hash_api_key(settings.demo_tenant_api_key)
            if session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash)) is None:
                session.add(
                    ApiKey(
                        tenant_id=tenant.id,
                        name="demo",
                        key_hash=key_hash,
                        display_prefix=display_prefix(settings.demo_tenant_api_key),
                    )
                )
        session.expunge(tenant)
        return tenant
