"""Onboarding rules without I/O: what is asked next, bank statement features, which referrals
documents clear, document sniffing, the sandbox provider, Smile ID's protocol and the vault."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from backend.adapters.kyc.sandbox import SandboxVerifier
from backend.adapters.kyc.smile_id import SmileIdVerifier, interpret, signature
from backend.adapters.kyc.vault import FernetVault, MissingIdentityKey
from backend.lending.bank_statements import UnreadableStatement, features_from_csv
from backend.lending.eligibility import BusinessType
from backend.lending.money import Money
from backend.lending.onboarding import ApplicantType, OnboardingFacts, missing
from backend.lending.referrals import cleared_knockouts, decide_with_cleared, document_kind_for
from backend.lending.underwriting import KycResult, Outcome, UnderwritingInput, decide
from backend.lending.underwriting_config import parse_ruleset
from backend.lending.underwriting_default import DEFAULT_RULESET_YAML
from backend.services.onboarding.documents import sniff_matches
from backend.services.onboarding.errors import ProviderUnavailable
from backend.services.onboarding.ports import KybRequest, KycRequest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kyc"


def _facts(applicant: ApplicantType, *known: str, consented: bool = True) -> OnboardingFacts:
    return OnboardingFacts(consented=consented, applicant_type=applicant, known=frozenset(known))


def test_consent_is_asked_before_anything_else() -> None:
    assert missing(_facts(ApplicantType.INDIVIDUAL, "full_name", consented=False))[0] == "consent"


def test_a_returning_customer_is_asked_only_what_is_missing_in_order() -> None:
    assert missing(_facts(ApplicantType.INDIVIDUAL, "full_name", "id_number")) == [
        "date_of_birth",
        "id_document",
        "selfie",
    ]


def test_business_details_are_asked_only_of_a_business() -> None:
    personal = ("full_name", "date_of_birth", "id_number", "id_document", "selfie")
    assert missing(_facts(ApplicantType.INDIVIDUAL, *personal)) == []
    assert missing(_facts(ApplicantType.BUSINESS, *personal, "business_name", "tin")) == [
        "registration_number",
        "business_type",
        "months_in_business",
        "registration_document",
    ]


STATEMENT = """Date,Description,Amount
2026-01-05,POS settlement,"1,000,000.00"
2026-01-20,Rent,-50000.00
2026-02-05,Transfer from Bola,900000.00
2026-02-10,NIP reversal insufficient funds,300000.00
2026-03-05,POS settlement,1100000.00
2026-03-12,Cheque returned unpaid DAUD,-20000.00
"""


def test_a_csv_statement_gives_inflow_months_and_bounced_items() -> None:
    features = features_from_csv(STATEMENT, "NGN")
    assert features.months_covered == 3
    assert features.bounced_payments == 2
    # 3,000,000 of credits over 3 months; the reversed 300,000 never was the customer's money
    assert features.average_monthly_inflow == Money(100_000_000, "NGN")


def test_credit_and_debit_columns_and_day_first_dates_are_read_too() -> None:
    text = "\ufeffTrans Date,Narration,Debit,Credit\n05/01/2026,Salary,,250000\n28/02/2026,ATM,10000,\n"
    features = features_from_csv(text, "NGN")
    assert features.months_covered == 2
    assert features.average_monthly_inflow == Money(12_500_000, "NGN")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("Date,Amount\n2026-01-01,5\n", "columns"),
        ("Date,Description,Amount\n", "no transactions"),
        ("Date,Description,Amount\nyesterday,x,5\n", "Line 2"),
        ("Date,Description,Amount\n2026-01-01,x,five\n", "amount"),
    ],
)
def test_a_statement_we_cannot_read_is_refused_with_the_reason(text: str, problem: str) -> None:
    with pytest.raises(UnreadableStatement, match=problem):
        features_from_csv(text, "NGN")


def test_requested_documents_map_to_the_kind_that_answers_them() -> None:
    assert document_kind_for("bank_statement_6m") == "bank_statement"
    assert document_kind_for("business_registration") == "registration_document"
    assert document_kind_for("id_document") == "id_document"
    assert document_kind_for("utility_bill") == "other"


RULESET = parse_ruleset(DEFAULT_RULESET_YAML)


def _young_business() -> UnderwritingInput:
    return UnderwritingInput(
        requested_amount=Money(100_000_000, "NGN"),
        product_kind="working_capital",
        business_type=BusinessType.RETAIL,
        months_in_business=4,
        monthly_revenue=Money(100_000_000, "NGN"),
        kyc=KycResult.VERIFIED,
    )


def test_a_referral_the_evidence_cannot_change_is_cleared_by_all_its_documents() -> None:
    assert decide(_young_business(), RULESET).outcome is Outcome.REFER
    assert cleared_knockouts(RULESET, {"bank_statement_3m"}) == ()
    cleared = cleared_knockouts(RULESET, {"bank_statement_3m", "business_registration"})
    assert cleared == ("business_young",)
    assert decide_with_cleared(_young_business(), RULESET, cleared).outcome is not Outcome.REFER


def test_a_referral_that_reads_the_evidence_is_never_cleared_by_documents_alone() -> None:
    received = {"bank_statement_6m", "id_document"}
    cleared = cleared_knockouts(RULESET, received)
    assert "statement_too_short" not in cleared and "kyc_needs_review" not in cleared


def test_decline_rules_are_never_cleared() -> None:
    young = _young_business()
    too_new = UnderwritingInput(
        requested_amount=young.requested_amount,
        product_kind=young.product_kind,
        business_type=young.business_type,
        months_in_business=1,
        monthly_revenue=young.monthly_revenue,
        kyc=young.kyc,
    )
    assert decide_with_cleared(too_new, RULESET, ["business_too_new"]).outcome is Outcome.DECLINE


@pytest.mark.parametrize(
    ("content_type", "content", "ok"),
    [
        ("image/jpeg", b"\xff\xd8\xff\xe0rest", True),
        ("image/jpeg", b"\x89PNG\r\n\x1a\nrest", False),
        ("image/png", b"\x89PNG\r\n\x1a\nrest", True),
        ("image/webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ", True),
        ("application/pdf", b"%PDF-1.4", True),
        ("application/pdf", b"MZ\x90\x00", False),
        ("text/csv", b"Date,Amount\n", True),
        ("text/csv", b"\x00\x01binary", False),
    ],
)
def test_the_bytes_must_be_what_the_content_type_says(content_type: str, content: bytes, ok: bool) -> None:
    assert sniff_matches(content_type, content) is ok


def _kyc(id_number: str) -> KycRequest:
    return KycRequest(
        reference=str(uuid.uuid4()),
        full_name="Ada Obi",
        date_of_birth=date(1990, 4, 3),
        id_type="bvn",
        id_number=id_number,
        phone_e164="+2348031234567",
    )


@pytest.mark.parametrize(
    ("id_number", "status"),
    [("22123456780", "failed"), ("22123456789", "needs_review"), ("22123456781", "verified")],
)
def test_the_sandbox_outcome_is_chosen_by_the_last_digit(id_number: str, status: str) -> None:
    result = SandboxVerifier().verify_person(_kyc(id_number))
    assert result.status == status
    assert bool(result.reasons) is (status != "verified")


def test_the_sandbox_kyb_outcome_is_chosen_by_the_registration_number() -> None:
    request = KybRequest(str(uuid.uuid4()), "Ada Stores", "RC123450", None, "retail")
    assert SandboxVerifier().verify_business(request).status == "failed"


def test_the_smile_id_signature_is_hmac_of_timestamp_partner_and_sid_request() -> None:
    expected = base64.b64encode(
        hmac.new(b"key", b"2026-11-29T10:00:00+00:00" + b"085" + b"sid_request", hashlib.sha256).digest()
    ).decode()
    assert signature("key", "085", "2026-11-29T10:00:00+00:00") == expected


def _fixture(name: str) -> dict[str, object]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def _smile(name: str, seen: list[httpx.Request], status_code: int = 200) -> SmileIdVerifier:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status_code, json=_fixture(name))

    client = httpx.Client(
        transport=httpx.MockTransport(handler), base_url="https://testapi.smileidentity.com"
    )
    return SmileIdVerifier(
        "085", "api-key", "unused", client=client, clock=lambda: datetime(2026, 11, 29, 10, tzinfo=UTC)
    )


def test_smile_id_is_sent_the_documented_enhanced_kyc_request() -> None:
    seen: list[httpx.Request] = []
    result = _smile("smile_id_validated_exact", seen).verify_person(_kyc("22123456781"))
    assert result.status == "verified" and result.provider_reference == "0000000857"
    request = seen[0]
    assert request.method == "POST" and request.url.path == "/v1/id_verification"
    body = json.loads(request.content)
    assert body["id_type"] == "BVN" and body["country"] == "NG" and body["dob"] == "1990-04-03"
    assert body["first_name"] == "Ada" and body["last_name"] == "Obi"
    assert body["partner_params"]["job_type"] == 5
    assert body["signature"] == signature("api-key", "085", body["timestamp"])


def test_a_partial_name_match_needs_review_and_a_missing_number_fails() -> None:
    partial = _smile("smile_id_validated_partial_name", []).verify_person(_kyc("22123456781"))
    assert partial.status == "needs_review" and "spelled differently" in partial.reasons[0]
    missing_number = _smile("smile_id_not_found", []).verify_person(_kyc("22123456781"))
    assert missing_number.status == "failed"


def test_an_unavailable_register_or_a_5xx_is_retryable_not_a_failed_customer() -> None:
    with pytest.raises(ProviderUnavailable):
        _smile("smile_id_authority_unavailable", []).verify_person(_kyc("22123456781"))
    with pytest.raises(ProviderUnavailable):
        _smile("smile_id_validated_exact", [], status_code=502).verify_person(_kyc("22123456781"))


def test_a_name_that_does_not_match_fails_with_the_field_named() -> None:
    status, reasons = interpret(
        {"ResultCode": "1012", "Actions": {"Names": "Exact Match", "DOB": "No Match"}}
    )
    assert status == "failed" and "date of birth" in reasons[0]


def test_the_vault_round_trips_and_its_lookup_hash_is_keyed() -> None:
    vault = FernetVault(Fernet.generate_key().decode())
    token = vault.encrypt("22123456789")
    assert "22123456789" not in token and vault.decrypt(token) == "22123456789"
    other = FernetVault(Fernet.generate_key().decode())
    assert vault.lookup_hash("22123456789") == vault.lookup_hash("22123456789")
    assert vault.lookup_hash("22123456789") != other.lookup_hash("22123456789")
    assert vault.lookup_hash("22123456789") != hashlib.sha256(b"22123456789").hexdigest()
    with pytest.raises(ValueError):
        other.decrypt(token)


def test_a_short_key_is_refused() -> None:
    with pytest.raises(MissingIdentityKey):
        FernetVault(base64.urlsafe_b64encode(b"short").decode())


def test_kobo_amounts_add_up_exactly_with_no_float_rounding() -> None:
    features = features_from_csv("Date,Description,Amount\n2026-01-01,x,0.10\n2026-01-02,y,0.20\n", "NGN")
    assert features.average_monthly_inflow.minor == 30  # 0.1 + 0.2 in floats is 0.30000000000000004
