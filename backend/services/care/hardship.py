"""Hardship: the options a borrower who cannot pay may choose from, and applying the one chosen.

Applying a plan replaces the loan's unpaid future instalments with the option's schedule, under the
loan row lock repayments take, and stores the plan with the instalments it replaced, its audit row
in the same transaction. No ledger entry is needed: no money moves, principal receivable is the
same principal, and interest is only recognised as instalments fall due or are paid
(`backend.services.servicing.accounting`), so the future interest a plan changes was never booked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from babel.dates import format_date

from backend.lending.allocation import InstalmentDue
from backend.lending.dates import Frequency
from backend.lending.hardship import (
    HardshipOption,
    LoanForHardship,
    NotEligible,
    OptionCode,
    build_option,
    hardship_options,
)
from backend.lending.money import Money
from backend.services.care.errors import Invalid, NotFound, Refused
from backend.services.care.ports import CareUnitOfWork, LoanSnapshot, PlanRecord
from backend.services.formatting import format_money, safe_locale

# Reasons that no other request can fix now (409) versus a request written wrong (422).
_INVALID_REASONS = frozenset({"option-not-offered", "invalid-periods"})

# Titles fit a WhatsApp reply button (20 characters), where the bot offers the choice.
TITLES = {
    OptionCode.PAYMENT_HOLIDAY: "Skip next payment",
    OptionCode.EXTEND_TERM: "Spread it longer",
    OptionCode.REDUCED_PAYMENTS: "Pay less for a while",
}
PERIOD_WORDS = {
    Frequency.WEEKLY: ("week", "weeks"),
    Frequency.FORTNIGHTLY: ("fortnight", "fortnights"),
    Frequency.SEMI_MONTHLY: ("half-month", "half-months"),
    Frequency.MONTHLY: ("month", "months"),
    Frequency.QUARTERLY: ("quarter", "quarters"),
}


@dataclass(frozen=True, slots=True)
class HardshipOffer:
    loan_id: uuid.UUID
    as_of: date
    currency: str
    frequency: Frequency
    options: tuple[HardshipOption, ...]


@dataclass(frozen=True, slots=True)
class ApplyPlan:
    tenant_id: uuid.UUID
    loan_id: uuid.UUID
    option_code: OptionCode
    periods: int | None
    reason: str
    as_of: date
    actor: str = "api"


def refusal(exc: NotEligible) -> Refused | Invalid:
    error = Invalid if exc.reason in _INVALID_REASONS else Refused
    return error(str(exc), slug=exc.reason)


def _for_rules(loan: LoanSnapshot, plans: list[PlanRecord], as_of: date) -> LoanForHardship:
    return LoanForHardship(
        status=loan.status,
        annual_rate=loan.annual_rate,
        frequency=loan.frequency,
        amortization=loan.amortization,
        dues=loan.dues,
        interest_accrued=loan.interest_accrued,
        late_fee_assessed=loan.late_fee_assessed,
        active_plan=any(p.status_on(as_of) == "active" for p in plans),
        plans_so_far=len(plans),
    )


def options_for(tenant_id: uuid.UUID, loan_id: uuid.UUID, as_of: date, uow: CareUnitOfWork) -> HardshipOffer:
    with uow:
        loan = uow.loans.get(tenant_id, loan_id)
        if loan is None:
            raise NotFound(f"loan {loan_id} not found", slug="loan-not-found")
        policy = uow.policies.hardship(tenant_id, loan.product_code)
        rules = _for_rules(loan, uow.plans.for_loan(tenant_id, loan_id), as_of)
        try:
            options = hardship_options(rules, policy, as_of)
        except NotEligible as exc:
            raise refusal(exc) from exc
    return HardshipOffer(loan_id, as_of, loan.currency, loan.frequency, options)


def _row_json(row: Any) -> dict[str, Any]:
    return {
        "number": row.number,
        "due_date": row.due_date.isoformat(),
        "payment_minor": row.payment.minor,
        "principal_minor": row.principal.minor,
        "interest_minor": row.interest.minor,
        "balance_minor": row.balance.minor,
    }


def _due_json(due: InstalmentDue, accrued: Money | None) -> dict[str, Any]:
    """A replaced instalment exactly as it stood, so the previous schedule can be restored."""
    return {
        "number": due.number,
        "due_date": due.due_date.isoformat(),
        "principal_minor": due.principal.minor,
        "interest_minor": due.interest.minor,
        "fees_minor": due.fees.minor,
        "paid_principal_minor": due.principal_paid.minor,
        "paid_interest_minor": due.interest_paid.minor,
        "paid_fees_minor": due.fees_paid.minor,
        "interest_accrued_minor": accrued.minor if accrued else 0,
    }


def apply_plan(cmd: ApplyPlan, uow: CareUnitOfWork, now: datetime) -> PlanRecord:
    """Reschedule the loan by the chosen option; the loan row stays locked until commit, so a
    repayment arriving meanwhile is allocated against the new instalments, never the old ones."""
    with uow:
        loan = uow.loans.get(cmd.tenant_id, cmd.loan_id, for_update=True)
        if loan is None:
            raise NotFound(f"loan {cmd.loan_id} not found", slug="loan-not-found")
        plans = uow.plans.for_loan(cmd.tenant_id, cmd.loan_id)
        policy = uow.policies.hardship(cmd.tenant_id, loan.product_code)
        try:
            option = build_option(
                _for_rules(loan, plans, cmd.as_of), policy, cmd.as_of, cmd.option_code, cmd.periods
            )
        except NotEligible as exc:
            raise refusal(exc) from exc
        replaced = [d.number for d in option.replaced]
        term_count = len(loan.dues) - len(replaced) + len(option.installments)
        uow.loans.reschedule(cmd.tenant_id, loan.id, replaced, option.installments, term_count)
        plan = PlanRecord(
            id=uuid.uuid4(),
            tenant_id=cmd.tenant_id,
            loan_id=loan.id,
            option_code=option.code.value,
            periods=option.periods,
            status="active",
            reason=cmd.reason,
            as_of=cmd.as_of,
            active_until=option.active_until,
            currency=loan.currency,
            extra_cost=option.extra_cost,
            previous_term_count=loan.term_count,
            installments=option.installments,
            previous_installments=tuple(
                _due_json(d, loan.interest_accrued.get(d.number)) for d in option.replaced
            ),
            actor=cmd.actor,
            created_at=now,
        )
        uow.plans.add(plan)
        uow.audit.append(
            cmd.tenant_id,
            actor=cmd.actor,
            action="loan.hardship_plan_applied",
            subject_type="loan",
            subject_id=str(loan.id),
            data={
                "plan_id": str(plan.id),
                "option_code": plan.option_code,
                "periods": plan.periods,
                "reason": cmd.reason,
                "as_of": cmd.as_of.isoformat(),
                "replaced_numbers": replaced,
                "new_installments": [_row_json(r) for r in option.installments],
                "extra_cost_minor": option.extra_cost.minor,
                "currency": loan.currency,
            },
        )
        uow.commit()
        return plan


def plans_of(tenant_id: uuid.UUID, loan_id: uuid.UUID, uow: CareUnitOfWork) -> list[PlanRecord]:
    with uow:
        if uow.loans.get(tenant_id, loan_id) is None:
            raise NotFound(f"loan {loan_id} not found", slug="loan-not-found")
        return uow.plans.for_loan(tenant_id, loan_id)


def _day(value: date, locale: str) -> str:
    return format_date(value, "EEEE d MMMM", locale=locale)


def describe(option: HardshipOption, frequency: Frequency, locale: str | None) -> tuple[str, str]:
    """The option's title and one plain sentence a customer reads in chat."""
    loc = safe_locale(locale)

    def money(m: Money) -> str:
        return format_money(m, loc)

    one, many = PERIOD_WORDS[frequency]
    periods = f"{option.periods} {one if option.periods == 1 else many}"
    end, extra = _day(option.new_maturity_date, loc), money(option.extra_cost)
    pay, later = money(option.new_payment), money(option.later_payment)
    if option.code is OptionCode.PAYMENT_HOLIDAY:
        assert option.skipped_due_date is not None
        skipped, first = _day(option.skipped_due_date, loc), _day(option.first_due_date, loc)
        summary = (
            f"Skip your payment due {skipped}; from {first} you pay {pay} a {one} "
            f"until {end}, {extra} more in total."
        )
    elif option.code is OptionCode.EXTEND_TERM:
        summary = (
            f"Pay {pay} a {one} instead, with {periods} more to pay, until {end}; "
            f"it costs {extra} more in interest."
        )
    else:
        summary = (
            f"Pay {pay} for the next {periods}, then {later} a {one} until {end}; "
            f"it costs {extra} more in interest."
        )
    return TITLES[option.code], summary
