"""The embeddable widget in headless Chromium, on a page served from another origin than the API.

A tiny `http.server` plays the tenant's website: its page embeds
`<script src="{backend}/widget.js" data-tenant="demo" async>`. The demo tenant allows exactly that
origin through the settings API; a second server on another port plays a site it never allowed."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import text

from tests.e2e.conftest import API_KEY, ARTIFACTS
from tests.e2e.test_chat_page import CHROMIUM_FLAGS, chromium_path

pytestmark = pytest.mark.e2e

AUTH = {"Authorization": f"Bearer {API_KEY}"}
NAME = "Demo Lender"
TIMEOUT = 30_000
# 1x1 transparent PNG
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


class HostSite:
    """A website of its own origin whose one page embeds the widget."""

    def __init__(self, backend_url: str) -> None:
        page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ada's Shop</title>
<style>body {{ font: 18px Georgia, serif; color: #900; }} button {{ background: lime; }}</style></head>
<body><h1>Ada's Shop</h1><p><a href="#about">About us</a></p>
<script src="{backend_url}/widget.js" data-tenant="demo" async></script></body></html>""".encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # http.server's name for the GET handler
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *_: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def sites(stack) -> Iterator[tuple[HostSite, HostSite]]:
    shop, stranger = HostSite(stack.backend_url), HostSite(stack.backend_url)
    yield shop, stranger
    shop.close()
    stranger.close()


def put_settings(backend_url: str, **changes: object) -> dict:
    with httpx.Client(base_url=backend_url, headers=AUTH, trust_env=False, timeout=30) as api:
        current = api.get("/v1/widget-settings").json()
        keep = ("display_name", "primary_color", "text_color", "avatar_url", "greeting", "locale")
        body = {**{k: current[k] for k in keep}, "allowed_origins": current["allowed_origins"], **changes}
        response = api.put("/v1/widget-settings", json=body)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def shop(stack, sites) -> Iterator[HostSite]:
    """The demo tenant allows the shop's exact origin, and only it, for this module."""
    site = sites[0]
    before = put_settings(stack.backend_url)
    put_settings(stack.backend_url, allowed_origins=[site.origin], locale="en_NG")
    yield site
    put_settings(stack.backend_url, allowed_origins=before["allowed_origins"], locale=before["locale"])


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    yield context.new_page()
    context.close()


def shot(page: Page, name: str) -> Path:
    path = ARTIFACTS / "screenshots" / f"widget-{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def open_widget(page: Page, url: str) -> None:
    page.goto(url)
    launcher = page.get_by_role("button", name=f"Open chat with {NAME}")
    expect(launcher).to_be_visible(timeout=TIMEOUT)
    launcher.click()
    expect(page.get_by_role("dialog", name=f"Chat with {NAME}")).to_be_visible()


def bot(page: Page):
    return page.locator(".cw .msg--bot")


def focused(page: Page, prop: str = "className") -> str:
    """A property of the focused element inside the widget's shadow root ("" when outside)."""
    return page.evaluate(
        f"""() => {{
        const host = document.activeElement;
        const inner = host && host.shadowRoot && host.shadowRoot.activeElement;
        return inner ? String(inner.{prop}) : "";
    }}"""
    )


def session_id(page: Page) -> str:
    return page.evaluate("() => window.CreditChatWidget.demo.sessionId")


def test_a_shop_visitor_finds_their_limit_reloads_and_gets_a_message_pushed(page: Page, shop, stack, db):
    open_widget(page, shop.origin + "/")
    log = page.get_by_role("log", name=f"Conversation with {NAME}")
    expect(log).to_have_attribute("aria-live", "polite")
    expect(page.get_by_label("Your message")).to_be_focused()
    expect(page.locator(".cw .msg--greeting")).to_have_count(1)
    # the host page's lime buttons and serif font never reach the widget
    send_bg = page.locator(".cw-send").evaluate("b => getComputedStyle(b).backgroundColor")
    assert send_bg == "rgb(31, 75, 153)"

    page.get_by_label("Your message").fill("how much can I borrow")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Retail/shop").last.click(timeout=TIMEOUT)
    expect(bot(page).last).to_contain_text("average monthly revenue", timeout=TIMEOUT)
    page.get_by_label("Your message").fill("1.2m")
    page.keyboard.press("Enter")
    expect(page.locator(".cw-typing")).to_be_hidden(timeout=TIMEOUT)
    expect(bot(page).last).to_contain_text("₦3,600,000.00", timeout=TIMEOUT)
    shot(page, "journey")

    page.reload()
    page.get_by_role("button", name=f"Open chat with {NAME}").click(timeout=TIMEOUT)
    expect(page.locator(".cw .msg--bot", has_text="₦3,600,000.00")).to_have_count(1, timeout=TIMEOUT)
    expect(page.locator(".cw .msg--me", has_text="1.2m")).to_have_count(1)
    expect(page.locator(".cw .msg--me", has_text="Retail/shop")).to_have_count(1)
    expect(page.locator(".cw .msg--greeting")).to_have_count(0)
    shot(page, "after-reload")

    page.wait_for_function("() => window.CreditChatWidget.demo.state === 'ready'")
    conversation_id = db.execute(
        text("SELECT id FROM conversations WHERE channel = 'web' AND channel_identity = :s"),
        {"s": session_id(page)},
    ).scalar_one()
    pushed = httpx.post(
        f"{stack.backend_url}/v1/conversations/{conversation_id}/messages",
        json={"text": "Hi, this is Ada from the lending team. Your limit is ready."},
        headers=AUTH,
        trust_env=False,
        timeout=30,
    )
    assert pushed.status_code == 202, pushed.text
    expect(bot(page).last).to_contain_text("Ada from the lending team", timeout=TIMEOUT)
    shot(page, "live-push")


def test_the_widget_works_with_the_keyboard_alone(page: Page, shop):
    page.goto(shop.origin + "/")
    expect(page.get_by_role("button", name=f"Open chat with {NAME}")).to_be_visible(timeout=TIMEOUT)
    page.keyboard.press("Tab")  # the shop's own link
    page.keyboard.press("Tab")  # then the launcher
    assert "cw-launcher" in focused(page)
    assert focused(page, "matches(':focus-visible')") == "true"
    outline = page.evaluate(
        "() => getComputedStyle(document.activeElement.shadowRoot.activeElement).outlineStyle"
    )
    assert outline == "solid"  # a visible focus ring
    page.keyboard.press("Enter")
    assert focused(page, "id") == "cw-text"  # focus moved into the panel

    page.keyboard.type("hello")
    page.keyboard.press("Enter")
    expect(bot(page).last.get_by_role("button").first).to_be_visible(timeout=TIMEOUT)
    replies_before = bot(page).count()
    page.keyboard.press("Shift+Tab")  # from the message field back to the newest suggested reply
    assert "cw-choice" in focused(page)
    choice = focused(page, "textContent")
    page.keyboard.press("Enter")
    expect(page.locator(".cw .msg--me").last).to_have_text(f"You: {choice}")
    expect(bot(page)).not_to_have_count(replies_before, timeout=TIMEOUT)
    shot(page, "keyboard")

    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert "cw-launcher" in focused(page)  # focus back on the launcher
    expect(page.get_by_role("button", name=f"Open chat with {NAME}")).to_have_attribute(
        "aria-expanded", "false"
    )


def test_a_file_is_sent_from_the_paperclip(page: Page, shop):
    open_widget(page, shop.origin + "/")
    with page.expect_response(lambda r: r.url.split("?")[0].endswith("/channels/web/messages")) as sent:
        page.locator("#cw-file").set_input_files(
            {"name": "id-card.png", "mimeType": "image/png", "buffer": PNG}
        )
    assert sent.value.status == 200
    expect(page.locator(".cw .msg--me").last).to_contain_text("📎 id-card.png")
    expect(page.locator(".cw .msg--note", has_text="Something went wrong")).to_have_count(0)


def test_an_arabic_tenant_reads_right_to_left_in_arabic(page: Page, shop, stack):
    put_settings(stack.backend_url, locale="ar_EG")
    try:
        page.goto(shop.origin + "/")
        launcher = page.get_by_role("button", name=f"افتح المحادثة مع {NAME}")
        expect(launcher).to_be_visible(timeout=TIMEOUT)
        launcher.click()
        expect(page.get_by_role("dialog", name=f"محادثة مع {NAME}")).to_be_visible()
        wrap = page.locator(".cw")
        expect(wrap).to_have_attribute("dir", "rtl")
        expect(wrap).to_have_attribute("lang", "ar-EG")
        # the widget's own words are Arabic too, for the eye and for a screen reader
        expect(page.get_by_label("رسالتك")).to_have_attribute("placeholder", "اكتب رسالة…")
        expect(page.get_by_role("button", name="إرسال")).to_be_visible()
        expect(page.get_by_role("button", name=f"أغلق المحادثة مع {NAME}")).to_be_visible()
        # an English reply keeps its own direction inside the right-to-left widget
        expect(page.locator(".cw .msg__text").first).to_have_attribute("dir", "auto")
        direction = page.locator(".cw .msg__text").first.evaluate("e => getComputedStyle(e).direction")
        assert direction == "ltr"
        box = page.locator(".cw-launcher").bounding_box()
        assert box is not None and box["x"] < 1100 / 2  # the launcher moved to the left corner
        shot(page, "rtl")
    finally:
        put_settings(stack.backend_url, locale="en_NG")


def test_a_site_the_tenant_never_allowed_gets_no_widget_and_no_session(page: Page, shop, sites, stack, db):
    stranger = sites[1]
    page.goto(stranger.origin + "/")
    page.wait_for_function(
        "() => window.CreditChatWidget && window.CreditChatWidget.demo.state === 'refused'"
    )
    expect(page.locator(".cw-launcher")).to_have_count(0)
    assert page.evaluate("() => Object.keys(localStorage).length") == 0
    # a hand-written call from that page is refused by the server, not only hidden by the browser
    sid = "web-stranger-0001"
    outcome = page.evaluate(
        """async ([url, sid]) => {
            try {
                await fetch(url + "/channels/web/messages?tenant=demo", {method: "POST",
                    headers: {"Content-Type": "application/json"},
                    body: JSON.stringify({session_id: sid, tenant: "demo", text: "hi"})});
                return "answered";
            } catch (e) { return "blocked"; }
        }""",
        [stack.backend_url, sid],
    )
    assert outcome == "blocked"
    count = db.execute(text("SELECT count(*) FROM conversations WHERE channel_identity = :s"), {"s": sid})
    assert count.scalar() == 0
    shot(page, "refused")
