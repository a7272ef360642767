"""Which verification provider and vault this process uses, from settings; built once each."""

from __future__ import annotations

from functools import lru_cache

from backend.adapters.kyc.sandbox import SandboxVerifier
from backend.adapters.kyc.smile_id import SmileIdVerifier
from backend.adapters.kyc.vault import FernetVault, identity_key
from backend.services.onboarding.ports import VerificationProvider
from backend.settings import Settings


def provider_for(settings: Settings) -> VerificationProvider:
    return _provider(
        settings.kyc_provider,
        settings.smile_id_partner_id,
        settings.smile_id_api_key,
        settings.smile_id_base_url,
    )


@lru_cache(maxsize=4)
def _provider(kind: str, partner_id: str | None, api_key: str | None, base_url: str) -> VerificationProvider:
    if kind == "smile_id":
        if not partner_id or not api_key:
            raise RuntimeError("KYC_PROVIDER=smile_id needs SMILE_ID_PARTNER_ID and SMILE_ID_API_KEY")
        return SmileIdVerifier(partner_id, api_key, base_url)
    if kind != "sandbox":
        raise RuntimeError(f"Unknown KYC_PROVIDER {kind!r}: sandbox or smile_id")
    return SandboxVerifier()


def vault_for(settings: Settings) -> FernetVault:
    return _vault(identity_key(settings))


@lru_cache(maxsize=4)
def _vault(key: str) -> FernetVault:
    return FernetVault(key)
