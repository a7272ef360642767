"""Twilio's Messages API (https://www.twilio.com/docs/messaging/api/message-resource): the live
sender for WhatsApp and SMS, and the downloader of the media customers send.

- Send: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded, HTTP basic auth
  with the account sid and auth token. WhatsApp addresses take a `whatsapp:` prefix on `To` and
  `From`. A Messaging Service (`MessagingServiceSid`) is preferred to a bare `From` number when both
  are configured: it applies the account's opt-out lists and picks the sender.
- Errors come as `{"code": 21211, "message": ..., "more_info": ..., "status": 400}`. Transient
  ones (HTTP 429 / code 20429 "Too Many Requests", 5xx, no connection) are retried with jittered
  exponential backoff; 63016 (WhatsApp outside the 24-hour customer-service window) raises
  `OutsideServiceWindow` so the worker sends the approved template or falls back to SMS; any
  other 4xx is final (`SendError(code=<Twilio code>)`), e.g. 21610 "unsubscribed recipient" for a
  number that texted STOP.
- Media: a `MediaUrlN` of an incoming message is an `api.twilio.com` URL that needs our basic auth
  (when "HTTP Basic Authentication for media" is on) and redirects to the file's short-lived
  storage URL; httpx drops the Authorization header on that cross-origin redirect.

Why httpx and not `twilio.rest.Client`: the client's transport is `requests` (its only
alternative is aiohttp), so it could not be driven by an `httpx.MockTransport` in tests nor share
our timeouts; and the one call we make is a form POST whose fields and error body Twilio
documents. The twilio package is still what verifies webhooks (`channels.twilio.verify`).

Twilio's Messages API takes no idempotency key, so a request whose answer was lost (read
timeout, connection dropped after sending) is NOT retried here: it may have been delivered.
It raises `SendError(code="no_response")` and the worker decides (the status callback, or the
message list, will show whether it went). Retrying is safe only when Twilio certainly did not
take the message: no connection was made, or it answered 429/5xx.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
import structlog
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter
from tenacity.wait import wait_base

from backend.adapters.messaging.base import OutsideServiceWindow, SendError, SendResult

log = structlog.get_logger(__name__)

API_BASE = "https://api.twilio.com"
MESSAGING_BASE = "https://messaging.twilio.com"
# Seconds a typing indicator may take before the answer goes ahead without it.
TYPING_TIMEOUT = 3.0
WHATSAPP_PREFIX = "whatsapp:"
OUTSIDE_WINDOW = 63016
TOO_MANY_REQUESTS = 20429
MAX_MEDIA_BYTES = 10 * 1024 * 1024
MEDIA_HOSTS = ("api.twilio.com",)
# Nothing was sent on these: safe to try again.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class _Transient(Exception):
    """Twilio did not take the request (429, 5xx, no connection): try again after a pause."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class MediaFetchError(Exception):
    """A customer's media file could not be downloaded (refused, too large, not a Twilio URL)."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


def _error(response: httpx.Response) -> tuple[str, str]:
    """(Twilio's error code, its message) from an error answer, the HTTP status when not JSON."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = body.get("code")
    message = str(body.get("message") or response.reason_phrase or "Twilio refused the request")
    return (str(code) if code is not None else str(response.status_code)), message


class TwilioSender:
    """Sends rendered `channels.twilio` bodies through Twilio; one instance per account."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        whatsapp_from: str | None = None,
        status_callback: str | None = None,
        transport: httpx.BaseTransport | None = None,
        base_url: str = API_BASE,
        messaging_base_url: str = MESSAGING_BASE,
        timeout: float = 15.0,
        max_attempts: int = 4,
        wait: wait_base | None = None,
    ) -> None:
        self._sid = account_sid
        self._from_number = from_number
        self._service = messaging_service_sid
        self._whatsapp_from = whatsapp_from
        self._status_callback = status_callback
        self._base = base_url.rstrip("/")
        self._messaging_base = messaging_base_url.rstrip("/")
        self._http = httpx.Client(auth=(account_sid, auth_token), transport=transport, timeout=timeout)
        self._max_attempts = max(1, max_attempts)
        self._wait = wait if wait is not None else wait_exponential_jitter(initial=0.5, max=8.0)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> TwilioSender:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def for_channel(self, channel: Literal["sms", "whatsapp"]) -> ChannelSender:
        """This sender bound to one channel, as the gateway's `Sender` for that channel: the
        gateway knows a customer by E.164 number alone, and the same number may be on both."""
        return ChannelSender(self, channel)

    @property
    def messages_url(self) -> str:
        return f"{self._base}/2010-04-01/Accounts/{self._sid}/Messages.json"

    def show_typing(self, message_sid: str) -> None:
        """WhatsApp: "typing..." for the customer, whose message Twilio also marks read (blue
        ticks), until our reply is delivered or 25 s pass (Typing Indicators, public beta:
        `POST /v2/Indicators/Typing.json`). One attempt with a short timeout: a courtesy that
        must not delay the answer it announces. Raises SendError when Twilio refuses."""
        try:
            response = self._http.post(
                f"{self._messaging_base}/v2/Indicators/Typing.json",
                data={"channel": "whatsapp", "messageId": message_sid},
                timeout=TYPING_TIMEOUT,
            )
        except httpx.TransportError as exc:
            raise SendError(f"Twilio typing indicator: {type(exc).__name__}", code="network") from exc
        if response.status_code >= 400:
            code, message = _error(response)
            raise SendError(message, code=code)

    def _addresses(self, recipient: str, channel: Literal["sms", "whatsapp"] | None) -> dict[str, str]:
        """`To` and the sender field for a recipient: WhatsApp when asked or when the recipient
        already carries the `whatsapp:` prefix."""
        prefixed = recipient.lower().startswith(WHATSAPP_PREFIX)
        whatsapp = channel == "whatsapp" or (channel is None and prefixed)
        number = recipient[len(WHATSAPP_PREFIX) :] if prefixed else recipient
        if whatsapp:
            fields = {"To": WHATSAPP_PREFIX + number}
            if self._whatsapp_from:
                sender = self._whatsapp_from
                if not sender.lower().startswith(WHATSAPP_PREFIX):
                    sender = WHATSAPP_PREFIX + sender
                return {**fields, "From": sender}
            if self._service:
                return {**fields, "MessagingServiceSid": self._service}
            raise SendError("no WhatsApp sender configured (TWILIO_WHATSAPP_FROM)", code="not_configured")
        if self._service:
            return {"To": number, "MessagingServiceSid": self._service}
        if self._from_number:
            return {"To": number, "From": self._from_number}
        raise SendError(
            "no SMS sender configured (TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID)",
            code="not_configured",
        )

    def _post_once(self, form: Mapping[str, Any]) -> SendResult:
        try:
            response = self._http.post(self.messages_url, data=dict(form))
        except NOT_SENT as exc:
            raise _Transient(f"Twilio unreachable: {type(exc).__name__}", "unreachable") from exc
        except httpx.TransportError as exc:
            raise SendError(
                f"no answer from Twilio ({type(exc).__name__}); the message may have been sent",
                code="no_response",
            ) from exc
        if response.status_code in (200, 201):
            try:
                body = response.json()
            except ValueError:
                body = {}
            sid = body.get("sid") if isinstance(body, dict) else None
            if not sid:
                raise SendError("Twilio accepted the message but returned no sid", code="no_sid")
            return SendResult(
                provider=self.name, provider_message_id=str(sid), status=str(body.get("status") or "queued")
            )
        code, message = _error(response)
        if response.status_code == 429 or code == str(TOO_MANY_REQUESTS) or response.status_code >= 500:
            raise _Transient(message, code)
        if code == str(OUTSIDE_WINDOW):
            raise OutsideServiceWindow(message, code=code)
        raise SendError(message, code=code, retryable=False)

    def _post(self, form: Mapping[str, Any], idempotency_key: str) -> SendResult:
        retrying = Retrying(
            retry=retry_if_exception_type(_Transient),
            stop=stop_after_attempt(self._max_attempts),
            wait=self._wait,
            reraise=True,
        )
        try:
            result = retrying(self._post_once, form)
        except _Transient as exc:
            log.warning("twilio_send_gave_up", idempotency_key=idempotency_key, code=exc.code)
            raise SendError(str(exc), code=exc.code, retryable=True) from exc
        except SendError as exc:
            log.warning("twilio_send_refused", idempotency_key=idempotency_key, code=exc.code)
            raise
        log.info("twilio_sent", idempotency_key=idempotency_key, sid=result.provider_message_id)
        return result

    def send(
        self,
        recipient: str,
        body: dict[str, Any],
        *,
        idempotency_key: str,
        channel: Literal["sms", "whatsapp"] | None = None,
    ) -> SendResult:
        """Send one rendered body (`Body`, `MediaUrl`, or `ContentSid`...) to an E.164 number.

        Returns Twilio's message sid and first status ("queued", "accepted" with a Messaging
        Service). Raises OutsideServiceWindow (63016), SendError(code=<Twilio code>) for a final
        refusal, SendError(retryable=True) once retries of a transient failure are used up, and
        SendError(code="no_response") when Twilio may or may not have taken it.
        `idempotency_key` only labels the logs: Twilio's API has none (see the module docstring)."""
        form: dict[str, Any] = {**body, **self._addresses(recipient, channel)}
        if self._status_callback and "StatusCallback" not in form:
            form["StatusCallback"] = self._status_callback
        return self._post(form, idempotency_key)

    def send_template(
        self,
        recipient: str,
        content_sid: str,
        variables: dict[str, Any],
        *,
        idempotency_key: str,
        channel: Literal["sms", "whatsapp"] = "whatsapp",
    ) -> SendResult:
        """Send an approved Content API template (`ContentSid` HX..., `ContentVariables` as a JSON
        object of strings keyed "1", "2"...): the only message WhatsApp delivers more than 24 hours
        after the customer last wrote. No `Body`: Twilio rejects a template sent as Body there."""
        body = {
            "ContentSid": content_sid,
            "ContentVariables": json.dumps({str(k): str(v) for k, v in variables.items()}),
        }
        return self.send(recipient, body, idempotency_key=idempotency_key, channel=channel)

    def fetch_media(self, url: str) -> tuple[bytes, str]:
        """The bytes and content type of a customer's `MediaUrlN`, at most 10 MB.

        Only Twilio's own media URLs are fetched, so our credentials never go elsewhere. The
        redirect to the storage URL is followed. Raises MediaFetchError (retryable for 429, 5xx
        and network errors: a GET may be repeated)."""
        parts = urlsplit(url)
        if parts.scheme != "https" or (parts.hostname or "") not in MEDIA_HOSTS:
            raise MediaFetchError(f"not a Twilio media URL: {parts.scheme}://{parts.hostname}")
        retrying = Retrying(
            retry=retry_if_exception_type(_Transient),
            stop=stop_after_attempt(self._max_attempts),
            wait=self._wait,
            reraise=True,
        )
        try:
            return retrying(self._fetch_once, url)
        except _Transient as exc:
            raise MediaFetchError(str(exc), retryable=True) from exc

    def _fetch_once(self, url: str) -> tuple[bytes, str]:
        try:
            with self._http.stream("GET", url, follow_redirects=True) as response:
                if response.status_code == 429 or response.status_code >= 500:
                    raise _Transient(
                        f"media download answered {response.status_code}", str(response.status_code)
                    )
                if response.status_code != 200:
                    raise MediaFetchError(f"media download answered {response.status_code}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > MAX_MEDIA_BYTES:
                    raise MediaFetchError("media larger than 10 MB")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > MAX_MEDIA_BYTES:
                        raise MediaFetchError("media larger than 10 MB")
                    chunks.append(chunk)
                content_type = response.headers.get("content-type", "application/octet-stream")
                return b"".join(chunks), content_type.split(";")[0].strip().lower()
        except httpx.TransportError as exc:
            raise _Transient(f"media download failed: {type(exc).__name__}", "unreachable") from exc


class ChannelSender:
    """A `Sender` for one Twilio channel: `send(recipient, body, idempotency_key=...)` as in
    `backend.adapters.messaging.base.Sender`, with WhatsApp or SMS decided by the channel."""

    name = TwilioSender.name

    def __init__(self, sender: TwilioSender, channel: Literal["sms", "whatsapp"]) -> None:
        self.sender = sender
        self.channel: Literal["sms", "whatsapp"] = channel

    def send(self, recipient: str, body: dict[str, Any], *, idempotency_key: str) -> SendResult:
        return self.sender.send(recipient, body, idempotency_key=idempotency_key, channel=self.channel)

    def send_template(
        self, recipient: str, content_sid: str, variables: dict[str, Any], *, idempotency_key: str
    ) -> SendResult:
        return self.sender.send_template(
            recipient, content_sid, variables, idempotency_key=idempotency_key, channel=self.channel
        )

    def fetch_media(self, url: str) -> tuple[bytes, str]:
        return self.sender.fetch_media(url)
