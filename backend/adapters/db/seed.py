"""The demo tenant every fresh install has, so `make run` can be chatted with at once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.agent_models import Agent, CannedResponse
from backend.adapters.db.lending_models import Lender, Product
from backend.adapters.db.models import ApiKey, Tenant
from backend.adapters.db.origination_models import RuleSetRow
from backend.adapters.db.widget_models import TenantWidgetSettings, default_row
from backend.api_keys import display_prefix, hash_api_key
from backend.lending.lender_config import DEMO_LENDERS
from backend.lending.products import DEFAULT_PRODUCT_DATA
from backend.lending.underwriting_config import parse_ruleset
from backend.lending.underwriting_default import DEFAULT_RULESET_YAML
from backend.services.agents.auth import hash_password
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
        _seed_lending(session, tenant)
        if session.get(TenantWidgetSettings, tenant.id) is None:  # never overwrite an admin's edit
            session.add(default_row(tenant, sandbox=settings.sandbox_mode))
        if settings.sandbox_mode:
            _seed_agents(session, tenant)
        session.expunge(tenant)
        return tenant


def _seed_lending(session: Session, tenant: Tenant) -> None:
    """Products, lenders and the default rule set, each added only if the tenant has none, so an
    admin's later edits are never overwritten by a restart."""
    if session.scalar(select(Product.id).where(Product.tenant_id == tenant.id).limit(1)) is None:
        for data in DEFAULT_PRODUCT_DATA:
            session.add(
                Product(tenant_id=tenant.id, code=data["code"], version=1, kind=data["kind"], definition=data)
            )
    if session.scalar(select(Lender.id).where(Lender.tenant_id == tenant.id).limit(1)) is None:
        for code, name, pricing in DEMO_LENDERS:
            session.add(Lender(tenant_id=tenant.id, code=code, name=name, pricing=pricing))
    if session.scalar(select(RuleSetRow.id).where(RuleSetRow.tenant_id == tenant.id).limit(1)) is None:
        ruleset = parse_ruleset(DEFAULT_RULESET_YAML)
        session.add(
            RuleSetRow(
                tenant_id=tenant.id,
                ruleset_id=ruleset.id,
                version=ruleset.version,
                text=DEFAULT_RULESET_YAML,
            )
        )


# Sandbox only: well-known passwords must never exist on a live tenant.
DEMO_AGENTS = (
    ("agent@demo.test", "Ada Agent", "agent", "demo-agent-password"),
    ("admin@demo.test", "Tunde Admin", "admin", "demo-admin-password"),
)
DEMO_CANNED = (
    (
        "Greeting",
        "Hello, I am from the support team. I have read your conversation so far; give me a moment.",
    ),
    ("Checking", "Thank you for waiting. I am checking your account now and will be back with you shortly."),
    (
        "Back to the assistant",
        "I have handed you back to our assistant. Write 'agent' any time to reach us again.",
    ),
)


def _seed_agents(session: Session, tenant: Tenant) -> None:
    """The two demo agents and three canned responses, each added only when missing."""
    for email, name, role, password in DEMO_AGENTS:
        found = session.scalar(select(Agent.id).where(Agent.tenant_id == tenant.id, Agent.email == email))
        if found is None:
            session.add(
                Agent(
                    tenant_id=tenant.id,
                    email=email,
                    name=name,
                    role=role,
                    password_hash=hash_password(password),
                    online=False,
                    failed_logins=0,
                )
            )
    if (
        session.scalar(select(CannedResponse.id).where(CannedResponse.tenant_id == tenant.id).limit(1))
        is None
    ):
        for title, text in DEMO_CANNED:
            session.add(CannedResponse(tenant_id=tenant.id, title=title, text=text))
