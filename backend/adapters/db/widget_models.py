"""A tenant's web chat widget settings as data: theme, greeting, locale and the allowed origins.

One row per tenant (the tenant id is the key). `allowed_origins` is a JSON list of
`scheme://host[:port]` strings; `http://localhost:*` / `http://127.0.0.1:*` entries are honoured
only in sandbox mode (see `backend.api.routes.widget.origin_allowed`), so a production tenant can
never be opened to every local page by a seed default.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.adapters.db.models import Base, Tenant, utcnow

DEFAULT_PRIMARY = "#1f4b99"
DEFAULT_TEXT = "#ffffff"
DEFAULT_GREETING = "Hello! Ask me how much you can borrow, or type 'help'."
# Any port of the visitor's own machine: honoured in sandbox mode only (the API's origin rule).
SANDBOX_DEFAULT_ORIGINS = ("http://localhost:*", "http://127.0.0.1:*")


class TenantWidgetSettings(Base):
    __tablename__ = "tenant_widget_settings"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    display_name: Mapped[str] = mapped_column(String(200))
    primary_color: Mapped[str] = mapped_column(String(7))
    text_color: Mapped[str] = mapped_column(String(7))
    avatar_url: Mapped[str | None] = mapped_column(String(500), default=None)
    greeting: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(16))
    allowed_origins: Mapped[list[str]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def default_row(tenant: Tenant, *, sandbox: bool) -> TenantWidgetSettings:
    """A tenant's first widget settings: its name and locale, a blue theme that passes WCAG AA,
    and, in sandbox mode, the local origins so `make run` can embed the widget at once."""
    return TenantWidgetSettings(
        tenant_id=tenant.id,
        display_name=tenant.name,
        primary_color=DEFAULT_PRIMARY,
        text_color=DEFAULT_TEXT,
        avatar_url=None,
        greeting=DEFAULT_GREETING,
        locale=tenant.default_locale,
        allowed_origins=list(SANDBOX_DEFAULT_ORIGINS) if sandbox else [],
        updated_at=utcnow(),
    )
