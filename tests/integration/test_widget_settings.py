"""Widget settings API, the origin rule, CORS on the web channel and the widget script, on
PostgreSQL through the real app (Rasa is down here, so a message gets a 503 after it is stored)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from backend.api.routes.widget import (
    InvalidOrigin,
    contrast_ratio,
    normalise_origin,
    origin_allowed,
    readable_text_colour,
    text_direction,
)
from tests.integration.conftest import DEMO_AUTH

SHOP = "https://shop.example"
SETTINGS = {
    "display_name": "Demo Lender",
    "primary_color": "#1F4B99",
    "text_color": "#ffffff",
    "avatar_url": None,
    "greeting": "Hello from the shop",
    "locale": "en_NG",
    "allowed_origins": [SHOP, "http://localhost:*"],
}


@pytest.fixture()
def shop_allowed(client) -> Iterator[dict]:
    """The demo tenant allows https://shop.example for one test, then gets its settings back."""
    before = client.get("/v1/widget-settings", headers=DEMO_AUTH).json()
    response = client.put("/v1/widget-settings", json=SETTINGS, headers=DEMO_AUTH)
    assert response.status_code == 200, response.text
    yield response.json()
    keep = {k: before[k] for k in SETTINGS}
    assert client.put("/v1/widget-settings", json=keep, headers=DEMO_AUTH).status_code == 200


# -- the pure rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTPS://Shop.Example:443", "https://shop.example"),
        ("http://shop.example:80/", "http://shop.example"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://[::1]:3000", "http://[::1]:3000"),
    ],
)
def test_origins_are_compared_as_browsers_serialise_them(raw: str, expected: str):
    assert normalise_origin(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "shop.example",
        "ftp://shop.example",
        "https://shop.example/path",
        "https://u:p@shop.example",
        "null",
        "https://*.example",
        "https://shop.example:*",
    ],
)
def test_anything_but_scheme_host_port_is_refused(raw: str):
    with pytest.raises(InvalidOrigin):
        normalise_origin(raw, allow_wildcard_port=True)


def test_local_wildcards_match_any_port_in_sandbox_mode_only():
    allowed = ["http://127.0.0.1:*", SHOP]
    assert origin_allowed("http://127.0.0.1:51234", allowed, sandbox=True)
    assert not origin_allowed("http://127.0.0.1:51234", allowed, sandbox=False)
    assert not origin_allowed("http://127.0.0.1.evil.example:80", allowed, sandbox=True)
    assert not origin_allowed("http://localhost:3000", allowed, sandbox=True)
    assert origin_allowed("https://shop.example", allowed, sandbox=False)
    assert not origin_allowed("https://shop.example.evil.example", allowed, sandbox=True)
    assert not origin_allowed("null", allowed, sandbox=True)


def test_an_unreadable_text_colour_falls_back_to_dark_text():
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21.0)
    assert readable_text_colour("#1f4b99", "#ffffff") == "#ffffff"  # 8.6:1 kept
    assert readable_text_colour("#ffeb3b", "#ffffff") == "#1a1a1a"  # 1.2:1 refused
    assert readable_text_colour("#000000", "#111111") == "#ffffff"  # dark on black: white instead


def test_arabic_hebrew_persian_and_urdu_read_right_to_left():
    assert [text_direction(x) for x in ("ar_EG", "he_IL", "fa_IR", "ur_PK", "en_NG", "ha_NG")] == [
        "rtl",
        "rtl",
        "rtl",
        "rtl",
        "ltr",
        "ltr",
    ]


# -- the settings API -------------------------------------------------------------------------------


def test_the_demo_tenant_is_seeded_with_local_origins(client):
    response = client.get("/v1/widget-settings", headers=DEMO_AUTH)
    assert response.status_code == 200
    body = response.json()
    assert body["tenant"] == "demo"
    assert body["allowed_origins"] == ["http://localhost:*", "http://127.0.0.1:*"]
    assert body["dir"] == "ltr"


def test_settings_need_an_api_key(client):
    assert client.get("/v1/widget-settings").status_code == 401
    assert client.put("/v1/widget-settings", json=SETTINGS).status_code == 401


def test_settings_are_saved_normalised_and_read_back(client, shop_allowed):
    assert shop_allowed["primary_color"] == "#1f4b99"
    assert shop_allowed["allowed_origins"] == [SHOP, "http://localhost:*"]
    assert shop_allowed["updated_at"] is not None
    again = client.get("/v1/widget-settings", headers=DEMO_AUTH).json()
    assert again["greeting"] == "Hello from the shop"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("primary_color", "blue"),
        ("text_color", "#fff"),
        ("locale", "arabic"),
        ("allowed_origins", ["https://shop.example/widget"]),
        ("allowed_origins", ["https://*.example"]),
        ("allowed_origins", [f"https://s{i}.example" for i in range(21)]),
        ("avatar_url", "javascript:alert(1)"),
    ],
)
def test_invalid_settings_are_a_422_and_change_nothing(client, field, value):
    before = client.get("/v1/widget-settings", headers=DEMO_AUTH).json()
    response = client.put("/v1/widget-settings", json={**SETTINGS, field: value}, headers=DEMO_AUTH)
    assert response.status_code == 422
    assert client.get("/v1/widget-settings", headers=DEMO_AUTH).json() == before


def test_the_service_key_cannot_change_widget_settings(client):
    service = {"Authorization": "Bearer svc_integration_key", "X-Tenant": "demo"}
    assert client.put("/v1/widget-settings", json=SETTINGS, headers=service).status_code == 403


# -- origins on the public endpoints ----------------------------------------------------------------


def test_widget_config_answers_an_allowed_origin_with_cors(client, shop_allowed):
    response = client.get("/channels/web/widget-config?tenant=demo", headers={"Origin": SHOP})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == SHOP
    assert "Origin" in response.headers["vary"]
    body = response.json()
    assert body["greeting"] == "Hello from the shop"
    assert body["lang"] == "en-NG" and body["dir"] == "ltr"
    assert "allowed_origins" not in body


def test_widget_config_refuses_other_origins(client, shop_allowed):
    response = client.get(
        "/channels/web/widget-config?tenant=demo", headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


def test_an_unknown_tenant_looks_like_a_refused_origin(client):
    response = client.get("/channels/web/widget-config?tenant=nope", headers={"Origin": SHOP})
    assert response.status_code == 403


def test_the_rtl_locale_reaches_the_widget(client, shop_allowed):
    put = client.put("/v1/widget-settings", json={**SETTINGS, "locale": "ar_EG"}, headers=DEMO_AUTH)
    assert put.json()["dir"] == "rtl"
    body = client.get("/channels/web/widget-config?tenant=demo", headers={"Origin": SHOP}).json()
    assert (body["dir"], body["lang"]) == ("rtl", "ar-EG")
    assert body["strings"]["send"] == "إرسال"


@pytest.mark.parametrize(
    ("locale", "send", "placeholder"),
    [
        ("en_NG", "Send", "Type a message…"),
        ("fr_SN", "Envoyer", "Écrivez un message…"),
        ("pt_BR", "Enviar", "Escreva uma mensagem…"),
        ("ha_NG", "Send", "Type a message…"),  # no Hausa catalog yet: English, never blank
    ],
)
def test_the_widget_gets_its_own_words_in_the_tenant_language(
    client, shop_allowed, locale, send, placeholder
):
    client.put("/v1/widget-settings", json={**SETTINGS, "locale": locale}, headers=DEMO_AUTH)
    config = client.get("/channels/web/widget-config?tenant=demo", headers={"Origin": SHOP}).json()
    strings = config["strings"]
    assert (strings["send"], strings["placeholder"]) == (send, placeholder)
    assert strings["open"].replace("{name}", "Ada") != strings["open"]  # the name has its slot


def test_a_failing_theme_contrast_is_corrected_in_the_config(client, shop_allowed):
    yellow = {**SETTINGS, "primary_color": "#ffeb3b", "text_color": "#ffffff"}
    assert client.put("/v1/widget-settings", json=yellow, headers=DEMO_AUTH).json()[
        "effective_text_color"
    ] == ("#1a1a1a")
    theme = client.get("/channels/web/widget-config?tenant=demo", headers={"Origin": SHOP}).json()["theme"]
    assert theme["text_color"] == "#1a1a1a"
    assert theme["requested_text_color"] == "#ffffff"


def test_a_disallowed_origin_gets_no_session(client, db, shop_allowed):
    session_id = f"web-{uuid.uuid4().hex}"
    body = {"session_id": session_id, "tenant": "demo", "text": "hi"}
    response = client.post("/channels/web/messages", json=body, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert response.json()["type"].endswith("/origin-not-allowed")
    count = db.execute(
        text("SELECT count(*) FROM conversations WHERE channel_identity = :s"), {"s": session_id}
    ).scalar()
    assert count == 0
    history = client.get(
        f"/channels/web/sessions/{session_id}/messages?tenant=demo",
        headers={"Origin": "https://evil.example"},
    )
    assert history.status_code == 403


def test_an_allowed_origin_can_post_and_read_errors_too(client, db, shop_allowed):
    session_id = f"web-{uuid.uuid4().hex}"
    body = {"session_id": session_id, "text": "hi", "message_id": "m-1"}
    response = client.post("/channels/web/messages?tenant=demo", json=body, headers={"Origin": SHOP})
    assert response.status_code == 503  # Rasa is down here; the message is kept
    assert response.headers["access-control-allow-origin"] == SHOP
    stored = db.execute(
        text("SELECT count(*) FROM conversations WHERE channel_identity = :s"), {"s": session_id}
    ).scalar()
    assert stored == 1
    history = client.get(
        f"/channels/web/sessions/{session_id}/messages?tenant=demo", headers={"Origin": SHOP}
    )
    assert history.status_code == 200
    assert history.headers["access-control-allow-origin"] == SHOP
    assert [m["text"] for m in history.json()["messages"]] == ["hi"]


def test_the_query_and_body_tenant_must_agree(client, shop_allowed):
    body = {"session_id": f"web-{uuid.uuid4().hex}", "tenant": "other", "text": "hi"}
    assert client.post("/channels/web/messages?tenant=demo", json=body).status_code == 422


def test_requests_without_origin_and_same_origin_requests_keep_working(client):
    body = {"session_id": f"web-{uuid.uuid4().hex}", "text": "hi"}
    assert client.post("/channels/web/messages", json=body).status_code == 503  # no Origin
    same = client.post("/channels/web/messages", json=body, headers={"Origin": "http://testserver"})
    assert same.status_code == 503
    assert "access-control-allow-origin" not in same.headers


def test_local_pages_are_allowed_by_the_sandbox_default(client):
    response = client.get(
        "/channels/web/widget-config?tenant=demo", headers={"Origin": "http://127.0.0.1:5173"}
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://127.0.0.1:5173"


@pytest.mark.parametrize(
    "path",
    [
        "/channels/web/messages?tenant=demo",
        "/channels/web/sessions/web-abcdefgh/messages?tenant=demo",
        "/channels/web/sessions/web-abcdefgh/events?tenant=demo",
        "/channels/web/widget-config?tenant=demo",
    ],
)
def test_cors_preflight_is_answered_for_allowed_origins_only(client, shop_allowed, path):
    ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    allowed = client.options(path, headers={"Origin": SHOP, **ask})
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == SHOP
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert "content-type" in allowed.headers["access-control-allow-headers"].lower()
    refused = client.options(path, headers={"Origin": "https://evil.example", **ask})
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers


# -- the script -------------------------------------------------------------------------------------


def test_widget_js_is_cacheable_and_versioned(client):
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "max-age=300" in response.headers["cache-control"]
    version = response.headers["x-widget-version"]
    assert f'"{version}"' == response.headers["etag"]
    assert f'const VERSION = "{version}"' in response.text
    assert "__WIDGET_VERSION__" not in response.text
    again = client.get("/widget.js", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert client.get(f"/static/widget.css?v={version}").status_code == 200
