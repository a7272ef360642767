"""The /chat page in headless Chromium (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("Debian's chromium is needed for browser tests: apt-get install chromium (.ci/run does)")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture()
def page(browser: Browser, stack) -> Iterator[Page]:
    context = browser.new_context(base_url=stack.backend_url)
    yield context.new_page()
    context.close()


def shot(page: Page, name: str) -> Path:
    path = ARTIFACTS / "screenshots" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def test_a_customer_finds_their_limit_by_typing_and_tapping(page: Page):
    page.goto("/chat")
    expect(page.locator("#status")).to_have_text("Online", timeout=30_000)
    page.get_by_label("Your message").fill("hello")
    page.get_by_role("button", name="Send").click()
    page.get_by_role("button", name="How much can I borrow").last.click()
    page.get_by_role("button", name="Retail/shop").last.click()
    expect(page.locator(".msg--bot").last).to_contain_text("average monthly revenue")
    page.get_by_label("Your message").fill("1.2m")
    page.keyboard.press("Enter")
    expect(page.locator(".msg--bot").last).to_contain_text("₦3,600,000.00")
    shot(page, "chat-limit")

    page.reload()
    expect(page.locator(".msg--bot", has_text="₦3,600,000.00")).to_have_count(1)
    expect(page.locator(".msg--me", has_text="1.2m")).to_have_count(1)
    expect(page.locator(".msg--me", has_text="Retail/shop")).to_have_count(1)  # a tap shows as its title
    shot(page, "chat-after-reload")
