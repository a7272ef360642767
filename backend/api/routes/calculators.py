"""POST /v1/loan-quotes and POST /v1/apr: stateless calculators over `backend.lending`.

Nothing is stored, so there is no idempotency key: the same body always gives the same answer.
Amounts travel as decimal strings in major units ("5000.00") and are parsed strictly: a JSON number
is refused because a float cannot carry a cent exactly, and more decimals than the currency has are
refused rather than silently rounded.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, BeforeValidator, Field, StrictStr

from backend.api.deps import CurrentTenant
from backend.api.errors import Problem
from backend.lending.apr import AprError, UnitPeriod, eu_aprc, us_actuarial_apr
from backend.lending.dates import Frequency
from backend.lending.money import MINOR_UNIT_EXPONENTS, Money
from backend.lending.schedules import Amortization, InvalidTerms, LoanTerms, PaymentTiming, build_schedule

router = APIRouter(tags=["calculators"])

_DECIMAL = re.compile(r"^\d{1,15}(\.\d{1,12})?$")
MAX_TERM_COUNT = 1200
MAX_ANNUAL_RATE = Decimal(10)


def _decimal_text(value: object) -> object:
    """Only a JSON string of plain digits is a decimal here: 1e3, "NaN", floats and ints are refused."""
    if isinstance(value, str) and _DECIMAL.match(value):
        return value
    raise ValueError('must be a decimal written as a string, e.g. "5000.00"')


DecimalText = Annotated[
    StrictStr,
    BeforeValidator(_decimal_text),
    Field(description='A non-negative decimal as a JSON string, e.g. "5000.00"; never a number.'),
]
Currency = Annotated[str, Field(pattern="^[A-Z]{3}$", description="ISO 4217 code.")]


def _money(amount: str, currency: str, field: str) -> Money:
    if currency not in MINOR_UNIT_EXPONENTS:
        raise Problem(422, "unsupported-currency", f"{currency} is not a currency we handle.")
    places = -Decimal(amount).as_tuple().exponent
    if places > MINOR_UNIT_EXPONENTS[currency]:
        raise Problem(
            422,
            "invalid-amount",
            f"{field} has {places} decimals; {currency} allows {MINOR_UNIT_EXPONENTS[currency]}.",
        )
    return Money.of(amount, currency)


class LoanQuoteIn(BaseModel):
    """A loan to price. Odd first periods are allowed between half and two regular periods."""

    principal: DecimalText
    currency: Currency
    annual_rate: DecimalText = Field(description='Nominal annual rate as a fraction: "0.1325" is 13.25%.')
    term_count: int = Field(ge=1, le=MAX_TERM_COUNT, strict=True, description="Number of instalments.")
    frequency: Frequency
    amortization: Amortization
    upfront_fee: DecimalText = "0.00"
    fee_financed: bool = Field(default=False, description="True: the fee is added to the principal.")
    disbursement_date: date
    first_payment_date: date
    payment_timing: PaymentTiming = PaymentTiming.ARREARS


class InstallmentOut(BaseModel):
    number: int
    due_date: date
    payment: str
    principal: str
    interest: str
    balance: str


class LoanQuoteOut(BaseModel):
    payment: str = Field(
        description="The periodic payment (annuity, flat) or the first instalment (equal principal)."
    )
    total_interest: str
    total_repayable: str
    apr: str = Field(description="US Regulation Z Appendix J APR in percent, 2 decimals.")
    aprc: str = Field(description="EU Consumer Credit Directive APRC in percent, 1 decimal.")
    installments: list[InstallmentOut]


class PaymentIn(BaseModel):
    date: date
    amount: DecimalText


class AprIn(BaseModel):
    """Cash flows of a single-advance loan; the currency only sets how many decimals are allowed."""

    advance: DecimalText
    currency: Currency = "USD"
    advance_date: date
    payments: list[PaymentIn] = Field(min_length=1, max_length=MAX_TERM_COUNT)
    method: Literal["us_actuarial", "eu_aprc"]
    unit_period: UnitPeriod = Field(
        default=UnitPeriod.MONTH, description="Appendix J unit period; ignored by eu_aprc."
    )


class AprOut(BaseModel):
    apr: str = Field(description="Percent: 2 decimals for us_actuarial, 1 for eu_aprc.")


def _rate(text: str) -> Decimal:
    rate = Decimal(text)
    if rate > MAX_ANNUAL_RATE:
        raise Problem(422, "invalid-rate", f"annual_rate {text} is above {MAX_ANNUAL_RATE} (1000%).")
    return rate


@router.post("/v1/loan-quotes", response_model=LoanQuoteOut)
def create_loan_quote(body: LoanQuoteIn, tenant: CurrentTenant) -> LoanQuoteOut:
    """Price a loan: its schedule, totals, APR (Reg Z) and APRC (EU). Nothing is stored."""
    principal = _money(body.principal, body.currency, "principal")
    terms = LoanTerms(
        principal=principal,
        annual_rate=_rate(body.annual_rate),
        term_count=body.term_count,
        frequency=body.frequency,
        amortization=body.amortization,
        disbursement_date=body.disbursement_date,
        first_payment_date=body.first_payment_date,
        payment_timing=body.payment_timing,
        upfront_fee=_money(body.upfront_fee, body.currency, "upfront_fee"),
        fee_financed=body.fee_financed,
    )
    try:
        schedule = build_schedule(terms)
        received, on, payments = schedule.cash_flows()
        apr = us_actuarial_apr(received, on, payments, _UNIT_OF[body.frequency])
        aprc = eu_aprc(received, on, payments)
    except (InvalidTerms, AprError) as exc:
        raise Problem(422, "invalid-loan-terms", str(exc)) from exc
    return LoanQuoteOut(
        payment=str(schedule.payment.major),
        total_interest=str(schedule.total_interest.major),
        total_repayable=str(schedule.total_repayable.major),
        apr=str(apr),
        aprc=str(aprc),
        installments=[
            InstallmentOut(
                number=row.number,
                due_date=row.due_date,
                payment=str(row.payment.major),
                principal=str(row.principal.major),
                interest=str(row.interest.major),
                balance=str(row.balance.major),
            )
            for row in schedule.installments
        ],
    )


_UNIT_OF = {
    Frequency.WEEKLY: UnitPeriod.WEEK,
    Frequency.FORTNIGHTLY: UnitPeriod.FORTNIGHT,
    Frequency.SEMI_MONTHLY: UnitPeriod.SEMI_MONTH,
    Frequency.MONTHLY: UnitPeriod.MONTH,
    Frequency.QUARTERLY: UnitPeriod.QUARTER,
}


@router.post("/v1/apr", response_model=AprOut)
def compute_apr(body: AprIn, tenant: CurrentTenant) -> AprOut:
    """The APR of given cash flows, by Reg Z Appendix J (`us_actuarial`) or EU Annex I (`eu_aprc`)."""
    advance = _money(body.advance, body.currency, "advance")
    payments = [
        (p.date, _money(p.amount, body.currency, f"payments[{i}].amount"))
        for i, p in enumerate(body.payments)
    ]
    try:
        if body.method == "us_actuarial":
            rate = us_actuarial_apr(advance, body.advance_date, payments, body.unit_period)
        else:
            rate = eu_aprc(advance, body.advance_date, payments)
    except AprError as exc:
        raise Problem(422, "invalid-cash-flows", str(exc)) from exc
    return AprOut(apr=str(rate))
