import pytest

from backend.lending.agreements import LOAN_AGREEMENT_V1, AgreementTemplate, MissingTerm, render, sha256_of

TERMS = {
    "lender_name": "Demo Lender",
    "borrower_name": "Ada Okafor",
    "reference": "AGR-0001",
    "principal": "₦500,000.00",
    "fees": "₦5,000.00",
    "amount_received": "₦495,000.00",
    "nominal_rate": "36.00%",
    "apr": "41.27%",
    "total_repayable": "₦552,345.67",
    "term_count": "6",
    "payment": "₦92,057.61",
    "frequency": "monthly",
    "first_due_date": "10 January 2027",
    "late_fee_terms": "A fee of ₦2,000.00 after a 3-day grace period.",
    "support_contact": "support@demo-lender.example",
    "dispute_sla": "5 business days",
    "signer_contact": "+234 803 123 4567",
}


def test_rendering_fills_every_term_and_fingerprints_the_text():
    agreement = render(LOAN_AGREEMENT_V1, TERMS)
    assert "Ada Okafor" in agreement.text and "₦552,345.67" in agreement.text and "$" not in agreement.text
    assert agreement.sha256 == sha256_of(agreement.text)
    assert (agreement.template_name, agreement.template_version) == ("loan-agreement", "1")


def test_a_changed_term_changes_the_hash():
    assert (
        render(LOAN_AGREEMENT_V1, TERMS).sha256
        != render(LOAN_AGREEMENT_V1, {**TERMS, "apr": "41.28%"}).sha256
    )


def test_a_missing_term_is_refused_by_name():
    terms = {k: v for k, v in TERMS.items() if k != "apr"}
    with pytest.raises(MissingTerm, match="apr"):
        render(LOAN_AGREEMENT_V1, terms)


def test_placeholders_are_found_in_both_spellings():
    assert AgreementTemplate("t", "1", "$a and ${b}, $$literal").placeholders() == {"a", "b"}
