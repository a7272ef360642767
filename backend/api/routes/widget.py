"""/v1/widget-settings: a tenant's web chat widget (theme, greeting, locale, allowed origins), and
the origin policy the public web channel endpoints enforce with those settings.

The origin rule is deliberately small, because it is a security boundary:
- an entry is an exact origin, `scheme://host[:port]` (http or https, no path), compared after
  lower-casing and dropping the scheme's default port, exactly as browsers serialise the `Origin`
  header (RFC 6454 section 6.1);
- `http://localhost:*`, `http://127.0.0.1:*` and `http://[::1]:*` match any port of that local host,
  and only while the deployment is in sandbox mode; in production they match nothing, so a seeded
  default can never open a live tenant to every page on a visitor's machine;
- `Origin: null` (sandboxed iframes, file:// pages) never matches.

Contrast follows WCAG 2.1 (success criterion 1.4.3, relative luminance from G18): the tenant's text
colour is kept when it reaches 4.5:1 on the primary colour, otherwise a dark one (or white on a
very dark primary) is used, so a tenant's brand choice cannot make the launcher unreadable.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter
from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.adapters.db.models import Tenant, utcnow
from backend.adapters.db.widget_models import (
    DEFAULT_GREETING,
    DEFAULT_PRIMARY,
    DEFAULT_TEXT,
    SANDBOX_DEFAULT_ORIGINS,
    TenantWidgetSettings,
)
from backend.api.deps import ComponentsDep, CurrentTenant
from backend.api.errors import Problem
from backend.api.widget_strings import widget_strings

router = APIRouter(prefix="/v1/widget-settings", tags=["widget"])

MAX_ORIGINS = 20
LOCAL_WILDCARDS = frozenset({"http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"})
DARK_TEXT = "#1a1a1a"
LIGHT_TEXT = "#ffffff"
MIN_CONTRAST = 4.5
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur"})
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
LOCALE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidOrigin(ValueError):
    """An allowed-origins entry that is not `scheme://host[:port]`."""


def normalise_origin(value: str, *, allow_wildcard_port: bool = False) -> str:
    """`HTTPS://Shop.Example:443` -> `https://shop.example`; raises InvalidOrigin otherwise.

    Example: normalise_origin("http://127.0.0.1:*", allow_wildcard_port=True) == "http://127.0.0.1:*"
    """
    raw = value.strip()
    wildcard = allow_wildcard_port and raw.endswith(":*")
    candidate = raw[:-2] if wildcard else raw
    try:
        parts = urlsplit(candidate)
        port = parts.port
    except ValueError as exc:
        raise InvalidOrigin(f"{value!r} is not scheme://host[:port]") from exc
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if (
        scheme not in DEFAULT_PORTS
        or not host
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
        or "*" in host
    ):
        raise InvalidOrigin(f"{value!r} is not scheme://host[:port] (http or https, no path)")
    netloc = f"[{host}]" if ":" in host else host
    if wildcard:
        origin = f"{scheme}://{netloc}:*"
        if origin not in LOCAL_WILDCARDS:
            raise InvalidOrigin(f"{value!r}: a ':*' port is only allowed for http://localhost or 127.0.0.1")
        return origin
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}"


def origin_allowed(origin: str, allowed: Sequence[str], *, sandbox: bool) -> bool:
    """Whether a browser's `Origin` header may use the tenant's widget.

    Example: origin_allowed("http://127.0.0.1:5173", ["http://127.0.0.1:*"], sandbox=True) is True,
    and False with sandbox=False.
    """
    try:
        presented = normalise_origin(origin)
    except InvalidOrigin:
        return False  # includes "null"
    for entry in allowed:
        if entry in LOCAL_WILDCARDS:
            host = entry[:-2]  # "http://127.0.0.1"
            port = presented[len(host) + 1 :] if presented.startswith(host + ":") else ""
            if sandbox and (presented == host or port.isdigit()):
                return True
        elif entry == presented:
            return True
    return False


def _luminance(colour: str) -> float:
    """Relative luminance of `#rrggbb` (WCAG 2.1 definition)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two `#rrggbb` colours, 1.0 to 21.0; e.g. ("#ffffff", "#000000") -> 21.0."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable_text_colour(primary: str, text: str) -> str:
    """The tenant's text colour if it reaches 4.5:1 on the primary colour, else a dark one (white
    when even dark text fails on a very dark primary).

    Example: readable_text_colour("#ffeb3b", "#ffffff") == "#1a1a1a"
    """
    if contrast_ratio(primary, text) >= MIN_CONTRAST:
        return text.lower()
    if contrast_ratio(primary, DARK_TEXT) >= MIN_CONTRAST:
        return DARK_TEXT
    return LIGHT_TEXT


def text_direction(locale: str) -> str:
    """ "rtl" for Arabic, Hebrew, Persian and Urdu locales (e.g. "ar_EG"), else "ltr"."""
    return "rtl" if locale.split("_", 1)[0].lower() in RTL_LANGUAGES else "ltr"


def bcp47(locale: str) -> str:
    """The HTML `lang` value of a POSIX-style locale: "en_NG" -> "en-NG"."""
    return locale.replace("_", "-")


# -- reading and writing settings ----------------------------------------------------------------


class WidgetSettingsValues(BaseModel):
    """A tenant's widget settings, as stored (defaults when the tenant never saved any)."""

    display_name: str
    primary_color: str
    text_color: str
    avatar_url: str | None
    greeting: str
    locale: str
    allowed_origins: list[str]
    updated_at: datetime | None = None


def defaults_for(tenant: Tenant, *, sandbox: bool = False) -> WidgetSettingsValues:
    """What an unconfigured tenant gets: its name, a blue theme, its locale and no origins (the
    sandbox demo seed adds the local wildcards)."""
    return WidgetSettingsValues(
        display_name=tenant.name,
        primary_color=DEFAULT_PRIMARY,
        text_color=DEFAULT_TEXT,
        avatar_url=None,
        greeting=DEFAULT_GREETING,
        locale=tenant.default_locale,
        allowed_origins=list(SANDBOX_DEFAULT_ORIGINS) if sandbox else [],
    )


def load_settings(session: Session, tenant_slug: str) -> WidgetSettingsValues | None:
    """The widget settings of the tenant with that slug; None when there is no such tenant.

    Example: load_settings(session, "demo").allowed_origins == ["http://localhost:*", ...]
    """
    tenant = session.scalar(select(Tenant).where(Tenant.slug == tenant_slug))
    if tenant is None:
        return None
    row = session.get(TenantWidgetSettings, tenant.id)
    if row is None:
        return defaults_for(tenant)
    return _values(row)


def _values(row: TenantWidgetSettings) -> WidgetSettingsValues:
    return WidgetSettingsValues(
        display_name=row.display_name,
        primary_color=row.primary_color,
        text_color=row.text_color,
        avatar_url=row.avatar_url,
        greeting=row.greeting,
        locale=row.locale,
        allowed_origins=list(row.allowed_origins or []),
        updated_at=row.updated_at,
    )


def public_config(tenant_slug: str, values: WidgetSettingsValues) -> dict[str, Any]:
    """What `GET /channels/web/widget-config` tells the widget: theme, greeting, lang and dir, and
    its own words in the tenant's language; the allowed origins stay private."""
    return {
        "tenant": tenant_slug,
        "display_name": values.display_name,
        "avatar_url": values.avatar_url,
        "greeting": values.greeting,
        "locale": values.locale,
        "lang": bcp47(values.locale),
        "dir": text_direction(values.locale),
        "strings": widget_strings(values.locale),
        "theme": {
            "primary_color": values.primary_color.lower(),
            "text_color": readable_text_colour(values.primary_color, values.text_color),
            "requested_text_color": values.text_color.lower(),
        },
    }


def _colour(value: str) -> str:
    if not COLOUR.match(value):
        raise ValueError("a colour is #rrggbb")
    return value.lower()


def _locale(value: str) -> str:
    if not LOCALE.match(value):
        raise ValueError("a locale looks like en_NG or ar_EG")
    return value


def _origins(values: list[str]) -> list[str]:
    if len(values) > MAX_ORIGINS:
        raise ValueError(f"at most {MAX_ORIGINS} allowed origins")
    out: list[str] = []
    for value in values:
        try:
            origin = normalise_origin(value, allow_wildcard_port=True)
        except InvalidOrigin as exc:
            raise ValueError(str(exc)) from exc
        if origin not in out:
            out.append(origin)
    return out


def _avatar(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError("avatar_url must be an http(s) URL")
    return value


class WidgetSettingsIn(BaseModel):
    display_name: str = Field(min_length=1, max_length=200)
    primary_color: Annotated[str, AfterValidator(_colour)] = Field(examples=["#1f4b99"])
    text_color: Annotated[str, AfterValidator(_colour)] = Field(examples=["#ffffff"])
    avatar_url: Annotated[str | None, AfterValidator(_avatar)] = Field(default=None, max_length=500)
    greeting: str = Field(default=DEFAULT_GREETING, min_length=1, max_length=1000)
    locale: Annotated[str, AfterValidator(_locale)] = Field(examples=["en_NG", "ar_EG"])
    allowed_origins: Annotated[list[str], AfterValidator(_origins)] = Field(
        default_factory=list,
        description="Exact origins `scheme://host[:port]`, at most 20; `http://localhost:*` and "
        "`http://127.0.0.1:*` match any local port, in sandbox mode only.",
    )


class WidgetSettingsOut(WidgetSettingsIn):
    tenant: str
    dir: str = Field(description="ltr or rtl, from the locale.")
    effective_text_color: str = Field(description="text_color, or a readable fallback (4.5:1).")
    updated_at: datetime | None


def _out(slug: str, values: WidgetSettingsValues) -> WidgetSettingsOut:
    return WidgetSettingsOut(
        tenant=slug,
        dir=text_direction(values.locale),
        effective_text_color=readable_text_colour(values.primary_color, values.text_color),
        **values.model_dump(),
    )


@router.get("", response_model=WidgetSettingsOut)
def get_widget_settings(tenant: CurrentTenant, c: ComponentsDep) -> WidgetSettingsOut:
    with c.sessions() as session:
        values = load_settings(session, tenant.slug)
    if values is None:  # pragma: no cover - the API key names an existing tenant
        raise Problem(404, "unknown-tenant", "No such tenant.")
    return _out(tenant.slug, values)


@router.put("", response_model=WidgetSettingsOut)
def put_widget_settings(body: WidgetSettingsIn, tenant: CurrentTenant, c: ComponentsDep) -> WidgetSettingsOut:
    """Replace the tenant's widget settings; takes effect on the widget's next page load."""
    if tenant.via_service_key:
        raise Problem(403, "forbidden", "Widget settings are changed with the tenant's own API key.")
    with c.sessions.begin() as session:
        row = session.get(TenantWidgetSettings, tenant.id)
        if row is None:
            row = TenantWidgetSettings(tenant_id=tenant.id)
            session.add(row)
        for field, value in body.model_dump().items():
            setattr(row, field, value)
        row.updated_at = utcnow()
        session.flush()
        values = _values(row)
    return _out(tenant.slug, values)


__all__ = [
    "InvalidOrigin",
    "WidgetSettingsValues",
    "contrast_ratio",
    "load_settings",
    "normalise_origin",
    "origin_allowed",
    "public_config",
    "readable_text_colour",
    "router",
    "text_direction",
]
