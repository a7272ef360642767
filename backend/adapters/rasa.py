"""HTTP client for the Rasa server's REST channel and status API."""

from __future__ import annotations

from typing import Any

import httpx
import structlog

from channels.messages import BotReply

log = structlog.get_logger(__name__)


class RasaUnavailable(RuntimeError):
    """Rasa is not answering (still loading its model, restarting, or down)."""


class RasaClient:
    """One pooled connection set per process; Rasa's lock store orders turns per sender."""

    def __init__(self, base_url: str, timeout_seconds: float = 30.0) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout_seconds, connect=2.0),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
        )

    def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[BotReply]:
        try:
            response = self._client.post(
                "/webhooks/rest/webhook", json={"sender": sender, "message": text, "metadata": metadata}
            )
        except httpx.TransportError as exc:
            raise RasaUnavailable(str(exc) or type(exc).__name__) from exc
        if response.status_code >= 500 or response.status_code == 404:
            raise RasaUnavailable(f"rasa answered {response.status_code}")
        response.raise_for_status()
        return [BotReply.from_rasa(message) for message in response.json()]

    def tracker_paused(self, sender: str) -> bool:
        """Whether Rasa's tracker for this conversation is paused (a person holds it)."""
        try:
            response = self._client.get(f"/conversations/{sender}/tracker", params={"include_events": "NONE"})
        except httpx.TransportError as exc:
            raise RasaUnavailable(str(exc) or type(exc).__name__) from exc
        if response.status_code >= 400:
            raise RasaUnavailable(f"rasa answered {response.status_code}")
        return bool(response.json().get("paused"))

    def append_event(self, sender: str, event: dict[str, Any]) -> None:
        """Record an event (pause, resume) on the conversation's tracker."""
        try:
            response = self._client.post(
                f"/conversations/{sender}/tracker/events", json=event, params={"include_events": "NONE"}
            )
        except httpx.TransportError as exc:
            raise RasaUnavailable(str(exc) or type(exc).__name__) from exc
        if response.status_code >= 400:
            raise RasaUnavailable(f"rasa answered {response.status_code}")

    def ready(self) -> tuple[bool, str]:
        """True once Rasa answers /status with a loaded model."""
        try:
            response = self._client.get("/status", timeout=2.0)
        except httpx.TransportError as exc:
            return False, f"unreachable: {type(exc).__name__}"
        if response.status_code != 200:
            return False, f"status {response.status_code}"
        model = response.json().get("model_file")
        return (True, str(model)) if model else (False, "no model loaded")

    def close(self) -> None:
        self._client.close()
