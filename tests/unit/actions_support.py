"""Trackers as Rasa posts them to the action server, and the backend's HTTP API played back.

The action server's only port is the backend's `/v1` API over HTTP, so that is the one thing the
action tests replace: an `httpx.MockTransport` answering from a table of (method, path) routes,
installed as the pooled client the actions already use (no hook in production code). Everything
else, validators, parsing, formatting, is the real code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client

BASE = "http://backend.test"
CUSTOMER = "7d3c6f0e-5a51-4d1e-9a2f-0c9b1a7e4d21"
CONVERSATION = "0b8f4f3e-1c2d-4e5f-8a9b-112233445566"
METADATA = {
    "request_id": "req-1",
    "tenant": "demo",
    "locale": "en_NG",
    "currency": "NGN",
    "channel": "web",
    "customer_id": CUSTOMER,
    "conversation_id": CONVERSATION,
}


def a_tracker(
    text: str = "",
    *,
    intent: str = "inform_digits",
    confidence: float = 0.95,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    requested_slot: str | None = None,
    active_loop: str | None = None,
    metadata: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    message_id: str = "m-1",
    extracted: dict[str, Any] | None = None,
) -> Tracker:
    """`extracted`: slots Rasa filled from this message before calling a form's validator."""
    meta = {**METADATA, **(metadata or {})}
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": intent, "confidence": confidence}],
        "entities": entities or [],
        "message_id": message_id,
        "metadata": meta,
    }
    user_event = {"event": "user", "timestamp": 1.0, "text": text, "metadata": meta, "parse_data": latest}
    return Tracker.from_dict(
        {
            "sender_id": CONVERSATION,
            "slots": {**(slots or {}), "requested_slot": requested_slot},
            "latest_message": latest,
            "events": [
                *(events or []),
                user_event,
                *({"event": "slot", "name": k, "value": v} for k, v in (extracted or {}).items()),
            ],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        }
    )


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or m.get("response") or "" for m in dispatcher.messages)


def buttons(dispatcher: CollectingDispatcher) -> list[str]:
    return [b["payload"] for m in dispatcher.messages for b in m.get("buttons") or []]


Handler = Callable[[httpx.Request], httpx.Response] | dict[str, Any] | list[Any]


@dataclass
class FakeBackend:
    """`(METHOD, path regex) -> JSON body, or a function of the request` ; unknown routes are 404."""

    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def on(self, method: str, path: str, answer: Handler, status: int = 200) -> FakeBackend:
        self.routes[(method, path)] = (
            answer if callable(answer) else (lambda _r, a=answer, s=status: httpx.Response(s, json=a))
        )
        return self

    def problem(
        self, method: str, path: str, status: int, kind: str, detail: str, **extra: Any
    ) -> FakeBackend:
        body = {
            "type": f"https://errors.credit.test/{kind}",
            "title": kind,
            "status": status,
            "detail": detail,
            **extra,
        }
        self.routes[(method, path)] = lambda _r: httpx.Response(
            status, json=body, headers={"content-type": "application/problem+json"}
        )
        return self

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for (method, pattern), answer in self.routes.items():
            if request.method == method and re.fullmatch(pattern, request.url.path):
                return answer(request)  # type: ignore[operator]
        return httpx.Response(404, json={"title": "not found", "status": 404, "type": "not-found"})

    def bodies(self, method: str, path: str) -> list[dict[str, Any]]:
        return [
            json.loads(r.content or b"{}")
            for r in self.requests
            if r.method == method and re.fullmatch(path, r.url.path)
        ]


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> FakeBackend:
    fake = FakeBackend()
    monkeypatch.setenv("BACKEND_URL", BASE)
    monkeypatch.setitem(
        backend_client._POOLS,
        BASE,
        httpx.AsyncClient(base_url=BASE, transport=httpx.MockTransport(fake.handle)),
    )
    return fake


def form_domain(form: str, slots: list[str]) -> dict[str, Any]:
    """The part of the domain a form validator reads: the form's slots."""
    return {"forms": {form: {"required_slots": slots}}, "slots": {s: {"type": "text"} for s in slots}}
