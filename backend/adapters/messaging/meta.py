"""Meta's WhatsApp Cloud API (Graph API): the live WhatsApp sender.

- Send: `POST /{version}/{phone_number_id}/messages` with `messaging_product`, `recipient_type`,
  `to` and a message object rendered by `channels.whatsapp_cloud`; the answer's `messages[0].id`
  (a wamid) is what status webhooks refer to.
- Media: a webhook carries a media id; `GET /{version}/{media_id}` answers a short-lived URL that
  must itself be fetched with the same bearer token.
- Read receipts: `POST .../messages` with `status: read` and the customer's message id.

Errors come as `{"error": {"code", "message", "error_data": {"details"}}}` (WhatsApp error codes
reference). Throttling (4, 80007, 130429, 131056), HTTP 429 and 5xx are retried with exponential
backoff; 131047 ("Re-engagement message": more than 24 hours since the customer last wrote) raises
`OutsideServiceWindow` so the outbound task sends the approved template instead. The Cloud API has
no idempotency key, so a request whose answer was lost (a read timeout) is NOT retried here: it
may have been delivered, and a second send would repeat the message to the customer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import structlog
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from backend.adapters.messaging.base import OutsideServiceWindow, SendError, SendResult

log = structlog.get_logger(__name__)

BASE_URL = "https://graph.facebook.com"
API_VERSION = "v21.0"
THROTTLING_CODES = frozenset({4, 80007, 130429, 131056})
REENGAGEMENT_CODE = 131047
MAX_MEDIA_BYTES = 10 * 1024 * 1024
# Seconds a read receipt may take before the answer goes ahead without it.
READ_RECEIPT_TIMEOUT = 3.0


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, SendError) and exc.retryable


class MetaSender:
    """Sends rendered WhatsApp messages through one business phone number."""

    name = "meta"

    def __init__(
        self,
        phone_number_id: str,
        access_token: str,
        *,
        api_version: str = API_VERSION,
        base_url: str = BASE_URL,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 15.0,
        attempts: int = 4,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._phone_number_id = phone_number_id
        self._version = api_version
        self._base = base_url.rstrip("/")
        self._http = httpx.Client(
            transport=transport,
            timeout=timeout,
            headers={"Authorization": f"Bearer {access_token}"},
        )
        self._attempts = attempts
        self._sleep = sleep

    def _retrying(self) -> Retrying:
        return Retrying(
            retry=retry_if_exception(_retryable),
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential_jitter(initial=0.5, max=8.0),
            sleep=self._sleep,
            reraise=True,
        )

    def _request(self, method: str, url: str, *, idempotent: bool, **kwargs: Any) -> httpx.Response:
        """One HTTP exchange, its failures turned into `SendError`s that say whether a retry is safe.

        A connection that never opened sent nothing, so it is always safe to retry; a timeout after
        the request left is only safe for reads (`idempotent`)."""
        try:
            response = self._http.request(method, url, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            log.warning("meta_unreachable", url=url, error=type(exc).__name__)
            raise SendError("WhatsApp Cloud API unreachable", code="network", retryable=True) from exc
        except httpx.TransportError as exc:
            log.warning("meta_no_answer", url=url, error=type(exc).__name__)
            raise SendError(
                "WhatsApp Cloud API did not answer", code="timeout", retryable=idempotent
            ) from exc
        if response.status_code >= 400:
            raise _error(response)
        return response

    def _call(self, method: str, path: str, *, idempotent: bool = False, **kwargs: Any) -> dict[str, Any]:
        response = self._retrying()(
            self._request, method, f"{self._base}/{self._version}/{path}", idempotent=idempotent, **kwargs
        )
        return _json(response)

    def send(self, recipient: str, body: dict[str, Any], *, idempotency_key: str) -> SendResult:
        """Send one message object to a customer's WhatsApp number ("+2348031234567" or digits).

        `idempotency_key` is only logged: Meta offers none, so exactly-once is the outbound task's
        job (it records the wamid and never re-sends a message that has one)."""
        message = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": recipient.removeprefix("whatsapp:").lstrip("+"),
            **body,
        }
        answer = self._call("POST", f"{self._phone_number_id}/messages", json=message)
        messages = answer.get("messages")
        if not isinstance(messages, list) or not messages or not isinstance(messages[0], dict):
            raise SendError("WhatsApp Cloud API answered without a message id", code="no_message_id")
        wamid = str(messages[0].get("id"))
        log.info("meta_sent", wamid=wamid, type=body.get("type"), idempotency_key=idempotency_key)
        return SendResult(
            provider=self.name,
            provider_message_id=wamid,
            status=str(messages[0].get("message_status") or "accepted"),
        )

    def fetch_media(self, media_id: str) -> tuple[bytes, str]:
        """The bytes and content type of a file a customer sent, at most 10 MB.

        The URL Meta returns expires after a few minutes, so it is fetched at once; it needs the
        same bearer token as the API. Files over the cap are refused without reading them whole."""
        info = self._call("GET", media_id, idempotent=True)
        url, content_type = info.get("url"), str(info.get("mime_type") or "application/octet-stream")
        if not isinstance(url, str) or not url:
            raise SendError("WhatsApp media has no URL", code="media_missing")
        size = info.get("file_size")
        if size is not None and str(size).isdigit() and int(size) > MAX_MEDIA_BYTES:
            raise SendError("WhatsApp media is larger than 10 MB", code="media_too_large")
        return self._retrying()(self._download, url, content_type)

    def _download(self, url: str, content_type: str) -> tuple[bytes, str]:
        try:
            with self._http.stream("GET", url) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _error(response)
                chunks, total = [], 0
                for chunk in response.iter_bytes():
                    total += len(chunk)
                    if total > MAX_MEDIA_BYTES:
                        raise SendError("WhatsApp media is larger than 10 MB", code="media_too_large")
                    chunks.append(chunk)
                header = response.headers.get("Content-Type")
        except httpx.TransportError as exc:
            log.warning("meta_media_unreachable", error=type(exc).__name__)
            raise SendError("WhatsApp media download failed", code="network", retryable=True) from exc
        return b"".join(chunks), (header or content_type).split(";")[0].strip()

    def mark_read(self, message_id: str, *, typing: bool = False) -> None:
        """Blue ticks on the customer's message and, with `typing`, "typing..." until our reply
        (or 25 s, Meta's limit). One attempt with a short timeout: it is a courtesy, and a retry
        would only delay the answer it announces."""
        body: dict[str, Any] = {"messaging_product": "whatsapp", "status": "read", "message_id": message_id}
        if typing:
            body["typing_indicator"] = {"type": "text"}
        self._request(
            "POST",
            f"{self._base}/{self._version}/{self._phone_number_id}/messages",
            idempotent=True,
            json=body,
            timeout=READ_RECEIPT_TIMEOUT,
        )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error(response: httpx.Response) -> SendError:
    """Meta's error object as our exception: the re-engagement code as `OutsideServiceWindow`,
    throttling and server errors as retryable, everything else final."""
    error = _json(response).get("error")
    error = error if isinstance(error, dict) else {}
    code = error.get("code")
    details = (
        error.get("error_data", {}).get("details") if isinstance(error.get("error_data"), dict) else None
    )
    message = str(details or error.get("message") or f"HTTP {response.status_code}")
    log.warning("meta_refused", status=response.status_code, code=code, message=message)
    code_text = str(code) if code is not None else str(response.status_code)
    if code == REENGAGEMENT_CODE:
        return OutsideServiceWindow(message, code=code_text)
    retryable = response.status_code == 429 or response.status_code >= 500 or code in THROTTLING_CODES
    return SendError(message, code=code_text, retryable=retryable)
