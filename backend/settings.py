"""Process settings, read from the environment (and an optional `.env` file).

Every name here is documented in the README's configuration table. Nothing in this module opens
a connection: it only describes where things are.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = REPO_ROOT / "var"


class Settings(BaseSettings):
    """What a backend, worker or launcher process needs to know about its surroundings."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{VAR_DIR / 'app.db'}",
        description="SQLAlchemy URL of the application database (SQLite under var/ by default).",
    )
    rasa_tracker_database_url: str | None = Field(
        default=None,
        description="Database for Rasa's tracker store; derived from DATABASE_URL when unset "
        "(a sibling database named <db>_rasa, or var/rasa_tracker.db for SQLite).",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL (Celery broker, Rasa lock store). Unset: in-process tasks.",
    )
    celery_queue: str = Field(
        default="celery",
        description="Celery queue the backend sends tasks to and the worker consumes; give each "
        "stack sharing one Redis database its own (the test sessions do).",
    )
    rasa_url: str = Field(default="http://127.0.0.1:5005", description="Rasa HTTP server.")
    actions_url: str = Field(
        default="http://127.0.0.1:5055/webhook", description="Action server webhook (for Rasa)."
    )
    backend_url: str = Field(
        default="http://127.0.0.1:8000", description="Where the action server reaches the backend."
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The backend's public URL (webhook signatures are computed against it).",
    )
    port: int = Field(default=8000, description="Port the backend listens on.")
    backend_workers: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description=(
            "uvicorn worker processes of the backend (the launcher's `--workers`). Unset: one on "
            "the embedded SQLite default, otherwise one per CPU core up to 4, so a burst of "
            "provider webhooks is acknowledged on every core instead of queueing behind one GIL."
        ),
    )
    background_niceness: int = Field(
        default=5,
        ge=0,
        le=19,
        description=(
            "How much lower the launcher runs Rasa, the action server and the Celery worker than "
            "the backend (Unix nice). When they share cores, a provider's webhook is acknowledged "
            "before the bot's next turn is worked on: a slow acknowledgement makes Twilio and Meta "
            "redeliver, a bot reply a few milliseconds later does not. 0 turns it off."
        ),
    )
    demo_tenant_api_key: str | None = Field(
        default=None, description="API key of the seeded demo tenant; generated when unset."
    )
    service_api_key: str | None = Field(
        default=None,
        description="Key the action server uses to call /v1 on behalf of a conversation's tenant.",
    )
    default_locale: str = Field(default="en_NG", description="Locale of a new customer.")
    default_currency: str = Field(default="NGN", description="Currency of a new customer.")
    sandbox_mode: bool = Field(
        default=True,
        description="Sandbox providers: KYC defaults to verified and signing codes of customers "
        "with no conversation are returned in the API response. Never true in production.",
    )
    signing_secret: str = Field(
        default="sandbox-signing-secret",
        description="HMAC key for the hashes of e-signature one-time codes (set it in production).",
    )
    payments_provider: str = Field(
        default="sandbox", description="Payments provider for pay-now and name enquiry: sandbox or paystack."
    )
    payments_sandbox_secret: str = Field(
        default="sandbox-payments-secret",
        description="HMAC-SHA512 key the sandbox payments provider signs its webhooks with.",
    )
    paystack_secret_key: str | None = Field(
        default=None, description="Paystack secret key (sk_live_/sk_test_); also verifies its webhooks."
    )
    paystack_base_url: str = Field(default="https://api.paystack.co", description="Paystack API base URL.")
    payer_email_domain: str = Field(
        default="customers.credit-assistant.dev",
        description="Domain of the stand-in e-mail a provider needs for a customer who gave none.",
    )
    identity_encryption_key: str | None = Field(
        default=None,
        description="Fernet key (urlsafe base64 of 32 bytes) encrypting BVN/NIN at rest and keying their "
        "look-up hashes. Unset: in sandbox mode one is generated once into var/secrets.env; otherwise "
        "identity numbers cannot be stored.",
    )
    kyc_provider: str = Field(
        default="sandbox",
        description="sandbox (outcomes chosen by the data) or smile_id (Smile ID Enhanced KYC).",
    )
    smile_id_partner_id: str | None = Field(default=None, description="Smile ID partner id.")
    smile_id_api_key: str | None = Field(default=None, description="Smile ID API key (signs requests).")
    smile_id_base_url: str = Field(
        default="https://testapi.smileidentity.com",
        description="Smile ID API; production is api.smileidentity.com.",
    )
    log_level: str = Field(default="INFO")
    log_format: str = Field(default="json", description="json (default) or console.")
    rasa_timeout_seconds: float = Field(default=30.0, description="Time allowed for one Rasa turn.")
    meta_app_secret: str | None = Field(
        default=None,
        description="Meta app secret: verifies X-Hub-Signature-256 on WhatsApp Cloud API webhooks.",
    )
    meta_verify_token: str | None = Field(
        default=None, description="Token Meta echoes in the WhatsApp webhook verification handshake."
    )
    meta_access_token: str | None = Field(
        default=None, description="Graph API access token (system user) for the WhatsApp Cloud API."
    )
    meta_phone_number_id: str | None = Field(
        default=None, description="WhatsApp business phone number id to send from. Unset: sandbox."
    )
    meta_api_version: str = Field(default="v21.0", description="Graph API version of the Cloud API.")
    meta_reengagement_template: str | None = Field(
        default=None,
        description="Approved template sent outside WhatsApp's 24-hour window (error 131047).",
    )
    meta_template_language: str = Field(default="en", description="Language code of that template.")
    twilio_account_sid: str | None = Field(
        default=None, description="Twilio account SID (AC...). Unset: SMS and WhatsApp go to the outbox."
    )
    twilio_auth_token: str | None = Field(
        default=None, description="Twilio auth token: basic auth for the API and X-Twilio-Signature checks."
    )
    twilio_from_number: str | None = Field(
        default=None, description="Twilio SMS sender in E.164 (used when no messaging service is set)."
    )
    twilio_whatsapp_from: str | None = Field(
        default=None, description="Twilio WhatsApp sender, E.164 with or without the whatsapp: prefix."
    )
    twilio_messaging_service_sid: str | None = Field(
        default=None, description="Twilio Messaging Service (MG...); preferred to TWILIO_FROM_NUMBER."
    )
    twilio_whatsapp_template_sid: str | None = Field(
        default=None,
        description="Approved Content API template (HX...) sent outside WhatsApp's 24-hour window (63016).",
    )
    assist_model: str | None = Field(
        default=None,
        description="LangChain chat model for knowledge answers and handoff summaries, as an "
        "init_chat_model string (e.g. openai:gpt-4o-mini; the provider's key in its usual variable, "
        "e.g. OPENAI_API_KEY). Unset: offline (BM25 retrieval, extractive answers and summaries).",
    )
    assist_model_timeout_seconds: float = Field(
        default=20.0, description="Time allowed for one model call before the offline answer is used."
    )

    @property
    def embedded(self) -> bool:
        """True when no Redis is configured: Celery runs tasks in-process."""
        return not self.redis_url

    @property
    def backend_processes(self) -> int:
        """`backend_workers`, or its default: one on the embedded SQLite default (one writer),
        one per core up to 4 otherwise."""
        if self.backend_workers is not None:
            return self.backend_workers
        if self.embedded or self.database_url.startswith("sqlite"):
            return 1
        return max(1, min(4, os.cpu_count() or 1))


@lru_cache
def get_settings() -> Settings:
    return Settings()
