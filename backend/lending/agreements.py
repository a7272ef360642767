"""Loan agreements: a versioned template rendered with the loan's terms, and its fingerprint.

The signed document is the rendered text, and its SHA-256 is what the signature evidence points
at: if a single character of the terms changed after signing, the hash would no longer match, so
what the customer agreed to can always be proven (and a template fix never rewrites history,
because the template version is stored with the agreement).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from string import Template


class MissingTerm(ValueError):
    """The template names a term the loan did not provide: never sign a document with a hole."""


@dataclass(frozen=True, slots=True)
class AgreementTemplate:
    name: str
    version: str
    body: str

    def placeholders(self) -> set[str]:
        return {
            match.group("named") or match.group("braced")
            for match in Template.pattern.finditer(self.body)
            if match.group("named") or match.group("braced")
        }


@dataclass(frozen=True, slots=True)
class RenderedAgreement:
    template_name: str
    template_version: str
    text: str
    sha256: str


def render(template: AgreementTemplate, terms: dict[str, str]) -> RenderedAgreement:
    """Fill every placeholder; a missing term is an error, unused terms are ignored."""
    missing = template.placeholders() - terms.keys()
    if missing:
        raise MissingTerm(f"the agreement needs {', '.join(sorted(missing))}")
    text = Template(template.body).substitute(terms)
    return RenderedAgreement(template.name, template.version, text, sha256_of(text))


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


LOAN_AGREEMENT_V1 = AgreementTemplate(
    name="loan-agreement",
    version="1",
    body="""LOAN AGREEMENT (template loan-agreement v1)

Lender: $lender_name
Borrower: $borrower_name
Agreement reference: $reference

1. Amount. The lender lends the borrower $principal, paid to the borrower's chosen account after
   any origination fee of $fees is deducted, so the borrower receives $amount_received.
2. Interest and cost. The nominal annual interest rate is $nominal_rate. The annual percentage
   rate (APR), which includes all fees, is $apr. The total amount repayable is $total_repayable.
3. Repayment. $term_count instalments of $payment, $frequency, the first on $first_due_date.
   The full schedule is attached and forms part of this agreement.
4. Late payment. $late_fee_terms
5. Early repayment. The borrower may repay early at any time; interest is charged only to the
   day of repayment.
6. Complaints and disputes. Contact $support_contact; we answer within $dispute_sla.

Signed electronically by the borrower with a one-time code sent to $signer_contact.
""",
)
