"""Repayment schedules: annuity, equal principal and flat (add-on) interest.

Conventions, chosen so that every figure on a schedule can be re-derived by hand from the row
above it and so that the sum of the rows is exact to the minor unit:

* The periodic rate is the nominal annual rate divided by the periods in a year
  (`Frequency.periods_per_year`): that is how lenders quote and how calculators (HP-12C, BA II Plus)
  compute the payment.
* The periodic payment is rounded half-up to the minor unit; each row's interest is rounded half-up
  on that row's opening balance; principal = payment - interest; the last payment is whatever clears
  the balance exactly, so rounding never leaves a cent owed or overpaid.
* Odd first period (arrears): the regular first period is one frequency step before the first
  payment date. Days between the disbursement and that date ("odd days", negative for a short first
  period) earn simple interest on actual days, annual_rate x days / 365, on the principal. That odd-day
  interest is collected with the first instalment (on top of, or off, the periodic payment) instead of
  being capitalised: the periodic payment stays that of a regular loan and no row ever amortises
  negatively, even for a long first period on a 30-year loan.
* In advance: the first payment falls on the first payment date (normally the disbursement day) and
  repays principal only; days between disbursement and that date earn odd-day interest as above.
  Each later payment pays one period's interest on the balance left after the previous payment.
* Flat (add-on): interest = principal x annual rate x term in years, charged on the original
  principal whatever is repaid, split straight-line across the rows (remainder cents on the first
  rows); this is the convention of informal and micro lenders and the reason its APR is far above its
  quoted rate.
* Upfront fee: if financed it is added to the principal that the schedule amortises (the borrower
  receives the requested principal); if not, it is deducted at disbursement. Either way it is a cost of
  credit the APR must include (see `Schedule.cash_flows`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from enum import StrEnum

from backend.lending.dates import Frequency, due_date
from backend.lending.money import Money
from backend.lending.products import BnplTerms
from backend.lending.products import Frequency as ProductFrequency

DAYS_IN_YEAR = Decimal(365)


class Amortization(StrEnum):
    ANNUITY = "annuity"
    EQUAL_PRINCIPAL = "equal_principal"
    FLAT = "flat"
    PAY_IN_N = "pay_in_n"
    """BNPL at 0%: the price in N equal parts, the odd cent on the first (`BnplTerms`)."""
    BULLET = "bullet"
    """One payment at maturity (invoice financing): principal plus simple interest on actual days."""


class PaymentTiming(StrEnum):
    ARREARS = "arrears"
    ADVANCE = "advance"


class InvalidTerms(ValueError):
    """Terms no schedule can honour (for example a first payment before the money is paid out)."""


@dataclass(frozen=True, slots=True)
class LoanTerms:
    """What the borrower asked for; `annual_rate` is a fraction (0.1325 for 13.25%)."""

    principal: Money
    annual_rate: Decimal
    term_count: int
    frequency: Frequency
    amortization: Amortization
    disbursement_date: date
    first_payment_date: date
    payment_timing: PaymentTiming = PaymentTiming.ARREARS
    upfront_fee: Money | None = None
    fee_financed: bool = False

    @property
    def fee(self) -> Money:
        return self.upfront_fee if self.upfront_fee is not None else Money.zero(self.principal.currency)

    @property
    def financed(self) -> Money:
        """The balance the schedule amortises: a financed fee is lent too, and earns interest."""
        return self.principal + self.fee if self.fee_financed else self.principal

    @property
    def periodic_rate(self) -> Decimal:
        return self.annual_rate / self.frequency.periods_per_year


@dataclass(frozen=True, slots=True)
class Installment:
    number: int
    due_date: date
    payment: Money
    principal: Money
    interest: Money
    balance: Money


@dataclass(frozen=True, slots=True)
class Schedule:
    terms: LoanTerms
    payment: Money
    """The periodic payment (annuity, flat) or the first instalment's payment (equal principal)."""
    installments: tuple[Installment, ...]

    @property
    def total_interest(self) -> Money:
        return _sum((row.interest for row in self.installments), self.terms.principal.currency)

    @property
    def total_repayable(self) -> Money:
        return _sum((row.payment for row in self.installments), self.terms.principal.currency)

    def cash_flows(self) -> tuple[Money, date, list[tuple[date, Money]]]:
        """(amount the borrower actually gets, when, the payments): the input of an APR.

        A fee deducted at disbursement lowers the cash received; a financed fee raises the payments.
        Either way the APR rises above the nominal rate, which is the point of the APR."""
        terms = self.terms
        received = terms.principal if terms.fee_financed else terms.principal - terms.fee
        return received, terms.disbursement_date, [(row.due_date, row.payment) for row in self.installments]


def _sum(amounts: Iterator[Money], currency: str) -> Money:
    total = Money.zero(currency)
    for amount in amounts:
        total = total + amount
    return total


def _validate(terms: LoanTerms) -> None:
    if terms.term_count < 1:
        raise InvalidTerms("term_count must be at least 1")
    if terms.annual_rate < 0:
        raise InvalidTerms("annual_rate cannot be negative")
    if terms.principal.minor <= 0:
        raise InvalidTerms("principal must be positive")
    if terms.fee.minor < 0 or terms.fee.currency != terms.principal.currency:
        raise InvalidTerms("upfront_fee must be a non-negative amount in the principal's currency")
    if not terms.fee_financed and terms.fee.minor >= terms.principal.minor:
        raise InvalidTerms("a fee deducted at disbursement must be smaller than the principal")


def odd_days(terms: LoanTerms) -> int:
    """Days of simple interest added to (positive) or taken off (negative) the first instalment.

    Bounded so that the first period stays between half a regular period and just under two: beyond
    that the 'first period' would really be a missed payment or a payment before any interest."""
    first, freq = terms.first_payment_date, terms.frequency
    regular = (first - due_date(first, -1, freq)).days
    if terms.payment_timing is PaymentTiming.ADVANCE:
        days = (first - terms.disbursement_date).days
        if not 0 <= days < regular:
            raise InvalidTerms("in advance, the first payment is due within one period of disbursement")
        return days
    days = (due_date(first, -1, freq) - terms.disbursement_date).days
    if not -regular // 2 <= days < regular:
        raise InvalidTerms(
            f"the first period must last between half and two regular periods ({regular} days)"
        )
    return days


def annuity_factor(rate: Decimal, count: int, timing: PaymentTiming) -> Decimal:
    """Payment per unit of principal: i / (1 - (1+i)^-n), divided by (1+i) when paid in advance."""
    if rate == 0:
        return Decimal(1) / count
    with localcontext() as ctx:
        ctx.prec = 34
        factor = rate / (1 - (1 + rate) ** -count)
        return factor / (1 + rate) if timing is PaymentTiming.ADVANCE else factor


def build_schedule(terms: LoanTerms) -> Schedule:
    """The full schedule for `terms`; raises InvalidTerms for terms that cannot be scheduled."""
    _validate(terms)
    if terms.amortization is Amortization.BULLET:
        return _bullet(terms)
    if terms.amortization is Amortization.PAY_IN_N:
        return _pay_in_n(terms)
    days = odd_days(terms)
    odd_fraction = terms.annual_rate * days / DAYS_IN_YEAR
    dates = [due_date(terms.first_payment_date, k, terms.frequency) for k in range(terms.term_count)]
    builder = {
        Amortization.ANNUITY: _annuity,
        Amortization.EQUAL_PRINCIPAL: _equal_principal,
        Amortization.FLAT: _flat,
    }[terms.amortization]
    return builder(terms, dates, odd_fraction)


def _first_period_rate(terms: LoanTerms) -> Decimal:
    """Rate of the regular part of the first period: none when the first payment is in advance."""
    return Decimal(0) if terms.payment_timing is PaymentTiming.ADVANCE else terms.periodic_rate


def _annuity(terms: LoanTerms, dates: list[date], odd_fraction: Decimal) -> Schedule:
    financed, rate = terms.financed, terms.periodic_rate
    payment = financed.times(annuity_factor(rate, terms.term_count, terms.payment_timing))
    rows: list[Installment] = []
    balance = financed
    for number, due in enumerate(dates, start=1):
        if number == 1:
            regular = _first_period_rate(terms)
            interest = balance.times(regular + odd_fraction)
            due_now = payment + (interest - balance.times(regular))
        else:
            interest = balance.times(rate)
            due_now = payment
        # On a very long, high-rate term the early rows' principal is a fraction of a cent, and the
        # payment's half-up rounding can leave it a cent below zero: pay interest only instead, so
        # no row amortises negatively (the last row absorbs the cent).
        principal = max(due_now - interest, Money.zero(balance.currency))
        if number == len(dates) or balance < principal:
            principal = balance  # the last payment clears the balance exactly, and never overshoots
        rows.append(_row(number, due, principal, interest, balance - principal))
        balance = balance - principal
    return Schedule(terms, payment, tuple(rows))


def _equal_principal(terms: LoanTerms, dates: list[date], odd_fraction: Decimal) -> Schedule:
    """Principal split equally (remainder cents on the first rows); interest on the declining balance."""
    rows: list[Installment] = []
    balance = terms.financed
    for number, (due, principal) in enumerate(
        zip(dates, terms.financed.split(len(dates)), strict=True), start=1
    ):
        rate = _first_period_rate(terms) + odd_fraction if number == 1 else terms.periodic_rate
        interest = balance.times(rate)
        rows.append(_row(number, due, principal, interest, balance - principal))
        balance = balance - principal
    return Schedule(terms, rows[0].payment, tuple(rows))


def _flat(terms: LoanTerms, dates: list[date], odd_fraction: Decimal) -> Schedule:
    financed, count = terms.financed, len(dates)
    years = Decimal(count) / terms.frequency.periods_per_year
    regular_interest = financed.times(terms.annual_rate * years)
    odd_interest = financed.times(odd_fraction)
    payment = (financed + regular_interest).times(Decimal(1) / count)
    rows: list[Installment] = []
    balance = financed
    for number, (due, interest) in enumerate(zip(dates, regular_interest.split(count), strict=True), start=1):
        principal = payment - interest
        if number == count or balance < principal:
            principal = balance
        if number == 1:
            interest = interest + odd_interest
        rows.append(_row(number, due, principal, interest, balance - principal))
        balance = balance - principal
    return Schedule(terms, payment, tuple(rows))


def _bullet(terms: LoanTerms) -> Schedule:
    """A single repayment on the first payment date (an invoice's due date): there is no regular
    period, so interest is simple interest on the actual days lent, the discount fee's usual basis."""
    if terms.term_count != 1:
        raise InvalidTerms("a bullet loan is repaid in one payment")
    days = (terms.first_payment_date - terms.disbursement_date).days
    if days < 1:
        raise InvalidTerms("a bullet loan matures after the payout")
    financed = terms.financed
    interest = financed.times(terms.annual_rate * days / DAYS_IN_YEAR)
    row = _row(1, terms.first_payment_date, financed, interest, Money.zero(financed.currency))
    return Schedule(terms, row.payment, (row,))


def _pay_in_n(terms: LoanTerms) -> Schedule:
    """Interest-free equal parts, split by the product rule so the schedule, the offer and the
    instalments stored at payout are the same figures (remainder on the first part)."""
    if terms.annual_rate != 0:
        raise InvalidTerms("pay-in-N is interest-free; price it with fees")
    split = BnplTerms(terms.term_count, ProductFrequency(terms.frequency.value))
    parts = split.instalment_amounts(terms.financed)
    zero = Money.zero(terms.financed.currency)
    rows: list[Installment] = []
    balance = terms.financed
    for number, part in enumerate(parts, start=1):
        balance = balance - part
        rows.append(
            _row(number, due_date(terms.first_payment_date, number - 1, terms.frequency), part, zero, balance)
        )
    return Schedule(terms, rows[0].payment, tuple(rows))


def _row(number: int, due: date, principal: Money, interest: Money, balance: Money) -> Installment:
    return Installment(number, due, principal + interest, principal, interest, balance)
