"""Offers for the product kinds that are not an amortising term loan.

Working capital and lines of credit are priced by the tenant's lenders (`offers.make_offers`).
Two kinds need a different shape, and that shape is a money rule, so it lives here (pure):

* BNPL is 0% by definition: one offer from the platform's own book, the price split by
  `BnplTerms.instalment_amounts`; its only cost is the product's fee, so with no fee its APR is 0.
* Invoice financing advances `advance_rate` of the invoice, never more than underwriting approved;
  lenders price it as one repayment on the invoice's due date.
"""

from __future__ import annotations

from dataclasses import replace

from backend.lending.dates import Frequency
from backend.lending.money import Money
from backend.lending.offers import Fee, Offer, QuoteFn
from backend.lending.products import BnplTerms, InvoiceFinancingTerms, Product
from backend.lending.underwriting import Decision, Outcome

BNPL_LENDER = "platform"
"""BNPL is funded on the platform's own book (merchant-subsidised), not by a pricing lender."""


def bnpl_offer(decision: Decision, product: Product, price: Money, quote_fn: QuoteFn) -> Offer | None:
    """The one interest-free offer: the purchase price, if underwriting approved at least that much
    (a pay-in-N plan pays for one purchase; it cannot be a smaller, different one)."""
    if not isinstance(product.terms, BnplTerms):
        raise ValueError(f"{product.code} is not a BNPL product")
    if decision.outcome is not Outcome.APPROVE or decision.limit is None or decision.limit < price:
        return None
    terms = product.terms
    frequency = Frequency(terms.frequency.value)
    fee = product.origination_fee.for_principal(price)
    quote = quote_fn(price, product.annual_interest_rate, terms.instalments, frequency, fee)
    fees = (Fee("origination", fee),) if fee.minor else ()
    return Offer(
        lender_id=BNPL_LENDER,
        lender_name=product.name,
        amount=price,
        term_count=terms.instalments,
        frequency=frequency,
        periodic_payment=quote.periodic_payment,
        nominal_rate=product.annual_interest_rate,
        apr=quote.apr,
        fees=fees,
        total_interest=quote.total_interest,
        total_repayable=price + quote.total_interest + fee,
    )


def invoice_decision(decision: Decision, product: Product, invoice_amount: Money) -> Decision:
    """The decision with its limit cut to the advance: lenders then lend the lower of the two."""
    if not isinstance(product.terms, InvoiceFinancingTerms):
        raise ValueError(f"{product.code} is not invoice financing")
    if decision.limit is None:
        return decision
    advance = product.terms.advance_for(invoice_amount)
    return replace(decision, limit=min(decision.limit, advance, key=lambda m: m.minor))
