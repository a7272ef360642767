"""The agent console in headless Chromium (Debian's chromium, driven by Playwright), against the
whole stack: a web-chat customer asks for a human, an agent sees it arrive live, takes over,
replies through the customer's channel, receives the customer's next message while the bot stays
silent, and hands the conversation back so the bot answers again."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.test_chat_page import CHROMIUM_FLAGS, chromium_path, shot

pytestmark = pytest.mark.e2e

TENANT = "demo"
AGENT_EMAIL = "agent@demo.test"
AGENT_PASSWORD = "demo-agent-password"
ADMIN_EMAIL = "admin@demo.test"
ADMIN_PASSWORD = "demo-admin-password"
TIMEOUT = 30_000
WAIT = re.compile(r"^\d+(s|m \d\ds|h \d\dm)$")  # a ticking waiting time: "12s", "1m 05s"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture()
def page(browser: Browser, stack) -> Iterator[Page]:
    context = browser.new_context(base_url=stack.backend_url, viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


class Customer:
    """A web-chat customer talking to the backend the way chat.js does (one session id)."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.session_id = f"web-e2e-agent-{uuid.uuid4().hex[:12]}"
        self.conversation_id: str | None = None

    def say(self, text: str) -> list[dict[str, Any]]:
        """Send one message; the bot's replies in the same response (none while an agent holds it)."""
        body = {"session_id": self.session_id, "tenant": TENANT, "text": text, "message_id": uuid.uuid4().hex}
        for _ in range(40):  # 503 while Rasa warms up, as chat.js retries it
            res = self.client.post("/channels/web/messages", json=body)
            if res.status_code != 503:
                break
            time.sleep(3)
        assert res.status_code == 200, res.text
        data = res.json()
        self.conversation_id = data["conversation_id"]
        return data["messages"]

    def history(self) -> list[dict[str, Any]]:
        res = self.client.get(f"/channels/web/sessions/{self.session_id}/messages", params={"tenant": TENANT})
        assert res.status_code == 200, res.text
        return res.json()["messages"]


def eventually(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Poll until `check()` is truthy; the worker delivers agent replies asynchronously."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.5)


def sign_in(page: Page, password: str = AGENT_PASSWORD, email: str = AGENT_EMAIL) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Tenant").fill(TENANT)
    page.get_by_role("button", name="Sign in").click()


def test_the_console_sends_a_browser_without_a_session_to_sign_in(page: Page):
    page.goto("/agent/console")
    assert page.url.endswith("/agent")
    sign_in(page, "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("not right", timeout=TIMEOUT)
    assert page.url.endswith("/agent")
    shot(page, "agent-login-error")


def test_an_agent_takes_over_a_web_chat_replies_and_hands_it_back(page: Page, backend: httpx.Client):
    page.goto("/agent")
    sign_in(page)
    expect(page).to_have_url(re.compile(r"/agent/console$"), timeout=TIMEOUT)
    expect(page.locator("#me-name")).to_contain_text("agent", ignore_case=True, timeout=TIMEOUT)
    expect(page.locator("#connection")).to_have_text("Live", timeout=TIMEOUT)
    waiting_tab = page.get_by_role("tab", name="Waiting")
    expect(waiting_tab).to_have_attribute("aria-selected", "true")
    # the tabs are a keyboard tablist: arrows move the selection and the focus
    waiting_tab.focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Mine")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tab", name="Mine")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(waiting_tab).to_have_attribute("aria-selected", "true")
    shot(page, "agent-console-empty")

    # the customer asks for a human; the conversation appears in the Waiting list without a reload
    customer = Customer(backend)
    customer.say("hello")
    customer.say("I want to talk to a human")
    row = page.locator(f'.row[data-conversation-id="{customer.conversation_id}"]')
    expect(row).to_be_visible(timeout=TIMEOUT)
    expect(row).to_have_attribute("data-status", "waiting")
    expect(row.locator(".row__wait")).to_have_text(WAIT, timeout=TIMEOUT)
    shot(page, "agent-waiting")

    # open it: transcript with authors, summary and profile
    row.click()
    transcript = page.get_by_role("log", name="Transcript")
    expect(transcript.locator(".msg--customer", has_text="I want to talk to a human")).to_be_visible(
        timeout=TIMEOUT
    )
    expect(transcript.locator(".msg--bot").first).to_be_visible()
    expect(page.locator("#summary dl")).to_be_visible(timeout=TIMEOUT)

    # take over and reply with Enter
    page.get_by_role("button", name="Take over").click()
    expect(page.locator("#conversation-status")).to_have_text("Assigned", timeout=TIMEOUT)
    # a canned response is inserted into the reply box, not sent
    canned = page.locator("#canned button").first
    expect(canned).to_be_visible()
    page.get_by_label("Reply to the customer").fill("")
    canned.click()
    expect(page.get_by_label("Reply to the customer")).to_have_value(canned.get_attribute("title") or "?")
    assert transcript.locator(".msg--agent").count() == 0
    reply = f"Hello, this is Ada from the support team ({uuid.uuid4().hex[:6]})."
    page.get_by_label("Reply to the customer").fill(reply)
    page.get_by_label("Reply to the customer").press("Enter")
    expect(transcript.locator(".msg--agent", has_text=reply)).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_label("Reply to the customer")).to_have_value("")
    shot(page, "agent-replied")
    assert unlabelled_controls(page) == []

    # the reply reaches the customer's channel as an outbound message written by the agent
    eventually(
        lambda: [
            m
            for m in customer.history()
            if m["direction"] == "outbound" and m["author"] == "agent" and m["text"] == reply
        ],
        "the agent's reply in the customer's web history",
    )
    # and the console follows its delivery: no longer queued once the worker has sent it
    expect(transcript.locator(".msg--agent", has_text=reply)).not_to_have_attribute(
        "data-status", "queued", timeout=TIMEOUT
    )

    # the customer's next message reaches the agent, live, and not the bot
    question = f"Thanks, when is my next repayment due? ({uuid.uuid4().hex[:6]})"
    replies = customer.say(question)
    assert replies == [], f"the bot answered during the takeover: {replies}"
    expect(transcript.locator(".msg--customer", has_text=question)).to_be_visible(timeout=TIMEOUT)
    time.sleep(3)  # give a wrongly woken bot the time to store an answer
    after = _after(customer.history(), question)
    assert [m for m in after if m["direction"] == "outbound" and m["author"] == "bot"] == [], after
    shot(page, "agent-customer-message")

    # hand back: the bot answers the next message again
    page.get_by_role("button", name="Hand back to the bot").click()
    expect(page.locator("#action-status")).to_contain_text("Handed back", timeout=TIMEOUT)
    expect(page.locator("#conversation-status")).not_to_have_text("Assigned", timeout=TIMEOUT)
    replies = customer.say("hello")
    assert replies, "the bot did not answer after the hand-back"
    after = _after(customer.history(), "hello", last=True)
    assert [m for m in after if m["direction"] == "outbound" and m["author"] == "bot"], after
    shot(page, "agent-handed-back")


def unlabelled_controls(page: Page) -> list[str]:
    """Visible form controls and buttons without an accessible name (label, aria-label or text)."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll("input, select, textarea, button"))
            .filter((el) => el.offsetParent !== null && el.type !== "hidden")
            .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
                && !el.getAttribute("aria-labelledby") && !el.textContent.trim())
            .map((el) => el.outerHTML.slice(0, 80))"""
    )


def _after(history: list[dict[str, Any]], text: str, *, last: bool = False) -> list[dict[str, Any]]:
    """The messages stored after the customer's message with this text (its last one if `last`)."""
    marks = [i for i, m in enumerate(history) if m["direction"] == "inbound" and m["text"] == text]
    assert marks, f"{text!r} is not in the history: {history}"
    return history[(marks[-1] if last else marks[0]) + 1 :]


def test_online_agents_get_requests_by_round_robin_and_transfer_and_resolve_them(
    browser: Browser, stack, backend: httpx.Client
):
    consoles: dict[str, Page] = {}
    for email, password in ((AGENT_EMAIL, AGENT_PASSWORD), (ADMIN_EMAIL, ADMIN_PASSWORD)):
        context = browser.new_context(base_url=stack.backend_url, viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto("/agent")
        sign_in(page, password, email)
        expect(page.locator("#connection")).to_have_text("Live", timeout=TIMEOUT)
        consoles[email] = page
    try:
        names = {
            email: page.locator("#me-name").inner_text().split(" · ")[0] for email, page in consoles.items()
        }
        for page in consoles.values():
            page.get_by_role("switch", name="Available").check()
            expect(page.locator("#presence-text")).to_have_text("Online", timeout=TIMEOUT)

        # with both online, a new request is assigned at once to one of them: it is in their Mine
        customer = Customer(backend)
        customer.say("hello")
        customer.say("I want to talk to a human")
        row = f'.row[data-conversation-id="{customer.conversation_id}"]'
        for page in consoles.values():
            page.get_by_role("tab", name="All").click()
            expect(page.locator(row)).to_have_attribute("data-status", "assigned", timeout=TIMEOUT)
        holder_email = next(
            email
            for email, page in consoles.items()
            if page.locator(row).get_by_text(f"With {names[email]}").count() == 1
        )
        other_email = ADMIN_EMAIL if holder_email == AGENT_EMAIL else AGENT_EMAIL
        holder, other = consoles[holder_email], consoles[other_email]

        # the holder transfers it to the other agent, chosen from the online agents
        holder.get_by_role("tab", name="Mine").click()
        holder.locator(row).click()
        holder.get_by_role("button", name="Transfer", exact=True).click()
        option = holder.locator("#transfer-agent option", has_text=names[other_email])
        expect(option).to_have_count(1)
        holder.get_by_label("Transfer to").select_option(value=option.get_attribute("value"))
        shot(holder, "agent-transfer")
        holder.locator("#transfer-form").get_by_role("button", name="Transfer").click()
        expect(holder.locator("#action-status")).to_contain_text("Transferred", timeout=TIMEOUT)
        expect(holder.locator(row)).to_have_count(0, timeout=TIMEOUT)  # gone from the holder's Mine

        # it arrives live in the other agent's Mine; they resolve it with a note
        other.get_by_role("tab", name="Mine").click()
        expect(other.locator(row)).to_be_visible(timeout=TIMEOUT)
        other.locator(row).click()
        expect(other.locator("#conversation-meta")).to_contain_text(
            f"With {names[other_email]}", timeout=TIMEOUT
        )
        other.get_by_role("button", name="Resolve", exact=True).click()
        other.get_by_label("Resolution note").fill("Explained the repayment date; nothing else needed.")
        other.get_by_role("button", name="Resolve conversation").click()
        expect(other.locator("#conversation-status")).to_have_text("Resolved", timeout=TIMEOUT)
        expect(other.locator(row)).to_have_count(0, timeout=TIMEOUT)
        shot(other, "agent-resolved")
    finally:
        # leave both offline, so no other test's requests are assigned to them
        for page in consoles.values():
            page.get_by_role("switch", name="Available").uncheck()
            expect(page.locator("#presence-text")).to_have_text("Offline", timeout=TIMEOUT)
            page.context.close()
