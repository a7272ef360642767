"""The real `QuoteFn` for offers: the schedule engine and the APR, wired with fixed dates.

An offer's instalment, interest and APR come from the same `build_schedule` the customer's
schedule preview and signed agreement use, so the three can never disagree. Dates are inputs
(the caller's clock), never read here: the same inputs always quote the same figures.

The APR convention is the EU APRC (actual days / 365, one decimal): Nigeria, Kenya and Ghana have
no Appendix-J style convention of their own, and the APRC counts every fee over real dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from backend.lending.apr import eu_aprc
from backend.lending.dates import Frequency, due_date
from backend.lending.money import Money
from backend.lending.offers import Quote, QuoteFn
from backend.lending.schedules import Amortization, LoanTerms, Schedule, build_schedule

DEFAULT_AMORTIZATION = Amortization.ANNUITY


def first_due_on(disbursed_on: date, frequency: Frequency) -> date:
    """One full period after the payout: a regular first period, so no odd-day interest."""
    return due_date(disbursed_on, 1, frequency)


def offer_terms(
    principal: Money,
    annual_rate: Decimal,
    term_count: int,
    frequency: Frequency,
    fee: Money,
    disbursed_on: date,
    amortization: Amortization = DEFAULT_AMORTIZATION,
    maturity: date | None = None,
) -> LoanTerms:
    """The loan an offer describes, the fee deducted at payout (not financed). `maturity` fixes the
    first (for a bullet, the only) payment date, e.g. an invoice's due date; otherwise it is one
    period after the payout."""
    return LoanTerms(
        principal=principal,
        annual_rate=annual_rate,
        term_count=term_count,
        frequency=frequency,
        amortization=amortization,
        disbursement_date=disbursed_on,
        first_payment_date=maturity or first_due_on(disbursed_on, frequency),
        upfront_fee=fee,
    )


def offer_schedule(
    principal: Money,
    annual_rate: Decimal,
    term_count: int,
    frequency: Frequency,
    fee: Money,
    disbursed_on: date,
    amortization: Amortization = DEFAULT_AMORTIZATION,
    maturity: date | None = None,
) -> Schedule:
    return build_schedule(
        offer_terms(principal, annual_rate, term_count, frequency, fee, disbursed_on, amortization, maturity)
    )


def apr_of(schedule: Schedule) -> Decimal:
    """APR in percent (fees included), from the schedule's own cash flows."""
    return eu_aprc(*schedule.cash_flows())


@dataclass(frozen=True, slots=True)
class ScheduleQuote:
    """A `QuoteFn` for loans paid out on `disbursed_on`."""

    disbursed_on: date
    amortization: Amortization = DEFAULT_AMORTIZATION
    maturity: date | None = None

    def __call__(
        self, principal: Money, annual_rate: Decimal, term_count: int, frequency: Frequency, fee: Money
    ) -> Quote:
        schedule = offer_schedule(
            principal,
            annual_rate,
            term_count,
            frequency,
            fee,
            self.disbursed_on,
            self.amortization,
            self.maturity,
        )
        return Quote(schedule.payment, schedule.total_interest, apr_of(schedule))


def quote_fn(
    disbursed_on: date, amortization: Amortization = DEFAULT_AMORTIZATION, maturity: date | None = None
) -> QuoteFn:
    return ScheduleQuote(disbursed_on, amortization, maturity)
