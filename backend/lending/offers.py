"""Offers from a tenant's lenders for an approved decision, cheapest first.

A customer comparing credit in a chat sees at most three offers (more does not fit a WhatsApp list
and does not help anyone choose), ordered by what they will pay back in total, with every fee
shown: a low headline rate with a large fee must not sort ahead of an honest one.

The repayment arithmetic is not done here. `make_offers` takes a `QuoteFn`, so the schedule and APR
engine (`backend.lending.schedules` / `apr`) is wired by the caller and an offer never disagrees
with the schedule the customer will sign. Wiring it (the caller fixes the dates and the APR
convention of the tenant's regulator, e.g. `eu_aprc` or `us_actuarial_apr`)::

    def quote(principal: Money, annual_rate: Decimal, term_count: int,
              frequency: Frequency, fee: Money) -> Quote:
        schedule = build_schedule(LoanTerms(principal, annual_rate, term_count, frequency,
                                            Amortization.ANNUITY, disbursed_on, first_due_on,
                                            upfront_fee=fee))
        return Quote(schedule.payment, schedule.total_interest, eu_aprc(*schedule.cash_flows()))

Contract of a QuoteFn: `principal` is the amount lent; `fee` is the origination fee, deducted from
the payout (not financed, not interest bearing); `annual_rate` is the nominal yearly rate as a
fraction (Decimal("0.30") = 30 %); `term_count` is the number of instalments at `frequency`. It
returns the regular instalment and the total interest (Money in the principal's currency) and the
APR in PERCENT (Decimal("34.56")), as `backend.lending.apr` returns it; the APR counts the fee.
It must be pure and deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from backend.lending.dates import Frequency
from backend.lending.money import Money
from backend.lending.underwriting import Decision, Outcome

__all__ = [
    "MAX_OFFERS",
    "Fee",
    "Frequency",
    "GradePricing",
    "Lender",
    "Offer",
    "Quote",
    "QuoteFn",
    "make_offers",
]

MAX_OFFERS = 3
_PERCENT = Decimal(100)


@dataclass(frozen=True, slots=True)
class Quote:
    periodic_payment: Money
    total_interest: Money
    apr: Decimal  # percent


class QuoteFn(Protocol):
    def __call__(
        self, principal: Money, annual_rate: Decimal, term_count: int, frequency: Frequency, fee: Money
    ) -> Quote: ...


@dataclass(frozen=True, slots=True)
class GradePricing:
    """A lender's price for one risk grade. `origination_fee_percent` is in percent (1.5 = 1.5 %)."""

    annual_rate: Decimal
    origination_fee_percent: Decimal

    def __post_init__(self) -> None:
        if self.annual_rate < 0 or self.origination_fee_percent < 0:
            raise ValueError("rates and fees cannot be negative")


@dataclass(frozen=True, slots=True)
class Lender:
    """A funding partner of the tenant. A grade missing from `pricing` is one the lender does not
    fund: it makes no offer rather than a guessed price."""

    id: str
    name: str
    pricing: Mapping[str, GradePricing]
    terms: frozenset[int]
    frequencies: frozenset[Frequency]
    max_amount: Money
    min_amount: Money | None = None


@dataclass(frozen=True, slots=True)
class Fee:
    name: str
    amount: Money


@dataclass(frozen=True, slots=True)
class Offer:
    lender_id: str
    lender_name: str
    amount: Money
    term_count: int
    frequency: Frequency
    periodic_payment: Money
    nominal_rate: Decimal  # fraction, as priced
    apr: Decimal  # percent, fees included
    fees: tuple[Fee, ...]
    total_interest: Money
    total_repayable: Money  # principal + interest + every fee: all the customer pays for this loan

    @property
    def paid_out(self) -> Money:
        """The origination fee is deducted at payout, so this is what reaches the customer."""
        out = self.amount
        for fee in self.fees:
            out = out - fee.amount
        return out

    @property
    def cost_of_credit(self) -> Money:
        """Everything paid beyond the principal: interest plus every fee."""
        return self.total_repayable - self.amount


def make_offers(
    decision: Decision,
    lenders: Iterable[Lender],
    requested_term: int,
    frequency: Frequency,
    quote_fn: QuoteFn,
    *,
    match_terms: bool = True,
) -> list[Offer]:
    """Up to three offers for an approval, sorted by total repayable (then APR, then lender id so
    the order is stable). Each lender lends the approved limit or its own maximum, whichever is
    lower; a lender that cannot serve the grade, term, frequency, currency or amount is skipped.

    A lender's `terms` are instalment counts; a single-payment advance (invoice financing) has
    none to match, so its caller passes `match_terms=False`."""
    if decision.outcome is not Outcome.APPROVE or decision.limit is None or decision.grade is None:
        return []
    offers = [
        offer
        for lender in lenders
        if (
            offer := _offer(
                lender, decision.grade, decision.limit, requested_term, frequency, quote_fn, match_terms
            )
        )
    ]
    offers.sort(key=lambda o: (o.total_repayable.minor, o.apr, o.lender_id))
    return offers[:MAX_OFFERS]


def _offer(
    lender: Lender,
    grade: str,
    limit: Money,
    term: int,
    frequency: Frequency,
    quote_fn: QuoteFn,
    match_terms: bool = True,
) -> Offer | None:
    pricing = lender.pricing.get(grade)
    if pricing is None or (match_terms and term not in lender.terms) or frequency not in lender.frequencies:
        return None
    if lender.max_amount.currency != limit.currency:
        return None
    amount = min(limit, lender.max_amount, key=lambda m: m.minor)
    if amount.minor <= 0 or (lender.min_amount is not None and amount < lender.min_amount):
        return None
    fee = amount.times(pricing.origination_fee_percent / _PERCENT)
    quote = quote_fn(amount, pricing.annual_rate, term, frequency, fee)
    fees = (Fee("origination", fee),) if fee.minor else ()
    total = amount + quote.total_interest
    for item in fees:
        total = total + item.amount
    return Offer(
        lender_id=lender.id,
        lender_name=lender.name,
        amount=amount,
        term_count=term,
        frequency=frequency,
        periodic_payment=quote.periodic_payment,
        nominal_rate=pricing.annual_rate,
        apr=quote.apr,
        fees=fees,
        total_interest=quote.total_interest,
        total_repayable=total,
    )
