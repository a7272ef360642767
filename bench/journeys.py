"""The borrower journeys as scripts of chat turns, shared by the latency benchmark.

Each step is what a customer sends through the web channel: words, a tapped button's payload, a
file, or the one-time code read back from the conversation (as the customer reads it on their
phone). `run_journeys` drives one customer through all of them and times every turn, by journey.
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from dataclasses import dataclass, field

import httpx

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CODE = object()  # the signing code from the conversation


@dataclass(frozen=True)
class Step:
    text: str | None = None
    payload: str | None = None
    file: tuple[str, str, bytes] | None = None
    code: bool = False


def t(words: str) -> Step:
    return Step(text=words)


def p(payload: str) -> Step:
    return Step(payload=payload)


def f(name: str, kind: str, content: bytes) -> Step:
    return Step(file=(name, kind, content))


JOURNEYS: dict[str, list[Step]] = {
    "1 onboarding + 2 application": [
        t("hi"), t("I want to apply for a loan"), p("/affirm"),
        p('/choose_product{"product":"working_capital"}'), t("amaka okafor"), t("12/03/1990"),
        Step(text="my bvn is {bvn}"), f("id.jpg", "image/jpeg", JPEG), f("me.jpg", "image/jpeg", JPEG),
        t("Mama Put Foods"), t("rc 123451"), t("12345678-0001"),
        p('/inform_business_type{"business_type":"retail"}'), t("3 years"), t("1.5m"),
        f("cac.pdf", "application/pdf", PDF), t("500k"), p('/inform_term{"term":"6 months"}'),
        p('/inform_term{"frequency":"monthly"}'), t("restock my shop"), t("change the amount to 600k"),
    ],
    "3 decision + 4 offers": [p("/affirm"), p('/choose_option{"option":"1"}'), t("show me the offers")],
    "5 signing + 6 payout": [
        p('/choose_option{"option":"1"}'), p("/affirm"), Step(code=True), t("0123456785"), p("/affirm"),
    ],
    "7 repayment": [
        t("how much do I owe"), t("when is my next payment"), t("show me my schedule"),
        p('/pay_now{"amount":"20000"}'), t("I want to pay off my loan"),
    ],
    "8 hardship": [t("I can't pay this month"), p('/report_hardship{"option":"extend_term"}'), p("/affirm")],
    "9 disputes": [
        t("you charged me wrongly"), p('/open_dispute{"option":"charge"}'),
        t("I was charged twice on 3 December"), p("/deny"), t("status of my dispute"),
    ],
    "10 everywhere": [
        t("what is APR"), t("help"), t("asdf qwer"), t("thank you"), t("I want to talk to a human"),
    ],
}  # fmt: skip


@dataclass
class Timings:
    by_journey: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def run_journeys(client: httpx.Client, api_key: str, timings: Timings) -> None:
    """One customer through every journey, in order, timing each turn."""
    session = f"bench-{uuid.uuid4().hex[:12]}"
    # one identity number per customer: the backend refuses a BVN another customer registered
    bvn = f"222{uuid.uuid4().int % 10**7:07d}1"
    conversation_id = ""
    last_buttons: list[str] = []
    for journey, steps in JOURNEYS.items():
        for step in steps:
            body: dict = {"session_id": session, "message_id": uuid.uuid4().hex}
            if step.code:
                code = _latest_code(client, api_key, conversation_id)
                body["text"] = code or "000000"
            elif step.file:
                name, kind, content = step.file
                body["attachments"] = [
                    {
                        "filename": name,
                        "content_type": kind,
                        "content_base64": base64.b64encode(content).decode(),
                    }
                ]
            elif step.payload:
                body["payload"] = step.payload
            else:
                body["text"] = (step.text or "").replace("{bvn}", bvn)
            started = time.perf_counter()
            response = client.post("/channels/web/messages", json=body)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                timings.errors.append(f"{journey}: {response.status_code} {response.text[:200]}")
                continue
            data = response.json()
            conversation_id = data["conversation_id"]
            last_buttons = [b["payload"] for m in data["messages"] for b in m["buttons"]]
            timings.by_journey.setdefault(journey, []).append(elapsed)
            if step.text == "0123456785" and any(b.startswith("/choose_bank") for b in last_buttons):
                client.post(
                    "/channels/web/messages",
                    json={"session_id": session, "payload": last_buttons[0], "message_id": uuid.uuid4().hex},
                )


def _latest_code(client: httpx.Client, api_key: str, conversation_id: str) -> str | None:
    messages = client.get(
        f"/v1/conversations/{conversation_id}/messages", headers={"Authorization": f"Bearer {api_key}"}
    ).json()["messages"]
    for message in reversed(messages):
        found = re.search(r"code to sign .*?(\d{6})", message.get("text") or "")
        if found:
            return found.group(1)
    return None
