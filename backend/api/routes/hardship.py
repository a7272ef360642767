"""/v1/loans/{loan_id}/hardship-options and /hardship-plans: what a borrower who cannot pay may
choose, and applying the choice to the loan.

Amounts are decimal strings in major units, each beside its integer `*_minor`, with the currency
once per response, as the loan-quote calculator returns them; schedule rows have the calculator's
row shape."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from backend.adapters.db.care_repository import SqlCareUnitOfWork
from backend.api import idempotency
from backend.api.deps import ComponentsDep, CurrentTenant
from backend.api.errors import Problem
from backend.api.routes.calculators import InstallmentOut
from backend.api.routes.servicing_schemas import TodayDep
from backend.lending.hardship import OptionCode
from backend.lending.money import Money
from backend.lending.schedules import Installment
from backend.services.care.errors import CareError
from backend.services.care.hardship import ApplyPlan, apply_plan, describe, options_for, plans_of
from backend.services.care.policies import hardship_policy, hardship_policy_json, set_hardship_policy
from backend.services.care.ports import PlanRecord

router = APIRouter(prefix="/v1/loans/{loan_id}", tags=["hardship"])


def _problem(exc: CareError) -> Problem:
    return Problem(exc.status, exc.slug, exc.detail)


def _rows(rows: Iterable[Installment]) -> list[InstallmentOut]:
    return [
        InstallmentOut(
            number=r.number,
            due_date=r.due_date,
            payment=str(r.payment.major),
            principal=str(r.principal.major),
            interest=str(r.interest.major),
            balance=str(r.balance.major),
        )
        for r in rows
    ]


class HardshipOptionOut(BaseModel):
    code: OptionCode
    title: str
    summary: str = Field(description="One plain sentence for the customer.")
    periods: int = Field(description="Periods of relief: 1 for a holiday, N extended or reduced.")
    new_payment: str = Field(description="The first payment under the plan.")
    new_payment_minor: int
    later_payment: str = Field(description="The regular payment once the relief period is over.")
    later_payment_minor: int
    current_total_repayable: str = Field(description="What the rescheduled instalments cost today.")
    current_total_repayable_minor: int
    new_total_repayable: str = Field(description="What the new instalments cost in total.")
    new_total_repayable_minor: int
    extra_cost: str = Field(description="new_total_repayable - current_total_repayable: extra interest.")
    extra_cost_minor: int
    current_maturity_date: date
    new_maturity_date: date
    skipped_due_date: date | None = Field(description="The payment a holiday skips; null otherwise.")
    installments: list[InstallmentOut]


class HardshipOptionsOut(BaseModel):
    loan_id: uuid.UUID
    as_of: date
    currency: str
    arrears: str = Field(description="Unpaid on instalments already due: still owed, not rescheduled.")
    arrears_minor: int
    options: list[HardshipOptionOut]


def _amount(money: Money) -> tuple[str, int]:
    return str(money.major), money.minor


@router.get("/hardship-options", response_model=HardshipOptionsOut)
def get_hardship_options(
    loan_id: uuid.UUID,
    tenant: CurrentTenant,
    c: ComponentsDep,
    today: TodayDep,
    as_of: Annotated[date | None, Query(description="YYYY-MM-DD; default today.")] = None,
) -> HardshipOptionsOut:
    """Every option the loan's product allows today, each with its complete new schedule and cost."""
    day = as_of or today
    try:
        offer = options_for(tenant.id, loan_id, day, SqlCareUnitOfWork(c.sessions))
    except CareError as exc:
        raise _problem(exc) from exc
    arrears = offer.options[0].arrears if offer.options else Money.zero(offer.currency)
    options = []
    for o in offer.options:
        title, summary = describe(o, offer.frequency, tenant.default_locale)
        options.append(
            HardshipOptionOut(
                code=o.code,
                title=title,
                summary=summary,
                periods=o.periods,
                new_payment=str(o.new_payment.major),
                new_payment_minor=o.new_payment.minor,
                later_payment=str(o.later_payment.major),
                later_payment_minor=o.later_payment.minor,
                current_total_repayable=str(o.current_total.major),
                current_total_repayable_minor=o.current_total.minor,
                new_total_repayable=str(o.new_total_repayable.major),
                new_total_repayable_minor=o.new_total_repayable.minor,
                extra_cost=str(o.extra_cost.major),
                extra_cost_minor=o.extra_cost.minor,
                current_maturity_date=o.current_maturity_date,
                new_maturity_date=o.new_maturity_date,
                skipped_due_date=o.skipped_due_date,
                installments=_rows(o.installments),
            )
        )
    return HardshipOptionsOut(
        loan_id=loan_id,
        as_of=day,
        currency=offer.currency,
        arrears=str(arrears.major),
        arrears_minor=arrears.minor,
        options=options,
    )


class HardshipPlanIn(BaseModel):
    option_code: OptionCode
    periods: int | None = Field(
        default=None, ge=1, le=120, description="Default: the option's offered periods."
    )
    reason: str = Field(min_length=1, max_length=500, description="The customer's reason, in their words.")


class HardshipPlanOut(BaseModel):
    id: uuid.UUID
    loan_id: uuid.UUID
    option_code: OptionCode
    periods: int
    status: str = Field(description="active until active_until, then completed.")
    reason: str
    as_of: date
    active_until: date = Field(description="Due date of the first payment at the plan's regular amount.")
    currency: str
    extra_cost: str
    extra_cost_minor: int
    created_at: datetime
    installments: list[InstallmentOut]
    replaced_installments: list[dict[str, Any]] = Field(
        description="The instalments the plan replaced, as they stood (amounts in minor units)."
    )

    @classmethod
    def of(cls, plan: PlanRecord, today: date) -> HardshipPlanOut:
        return cls(
            id=plan.id,
            loan_id=plan.loan_id,
            option_code=OptionCode(plan.option_code),
            periods=plan.periods,
            status=plan.status_on(today),
            reason=plan.reason,
            as_of=plan.as_of,
            active_until=plan.active_until,
            currency=plan.currency,
            extra_cost=str(plan.extra_cost.major),
            extra_cost_minor=plan.extra_cost.minor,
            created_at=plan.created_at,
            installments=_rows(plan.installments),
            replaced_installments=list(plan.previous_installments),
        )


class HardshipPlansOut(BaseModel):
    items: list[HardshipPlanOut]
    next_cursor: str | None = Field(default=None, description="Always null: a loan has a few plans at most.")


@router.post("/hardship-plans", response_model=HardshipPlanOut, status_code=201)
def create_hardship_plan(
    loan_id: uuid.UUID,
    body: HardshipPlanIn,
    tenant: CurrentTenant,
    c: ComponentsDep,
    today: TodayDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Apply an option: the loan's unpaid future instalments are replaced by its schedule. A replay
    with the same Idempotency-Key returns the first plan."""
    cmd = ApplyPlan(
        tenant_id=tenant.id,
        loan_id=loan_id,
        option_code=body.option_code,
        periods=body.periods,
        reason=body.reason,
        as_of=today,
        actor=f"api:{tenant.slug}",
    )

    def run(session: Session) -> dict[str, Any]:
        try:
            plan = apply_plan(cmd, SqlCareUnitOfWork.joining(session), datetime.now(UTC))
        except CareError as exc:
            raise _problem(exc) from exc
        return HardshipPlanOut.of(plan, today).model_dump(mode="json")

    body_key = {"loan_id": str(loan_id), "hardship_plan": body.model_dump(mode="json")}
    return idempotency.once(c.sessions, tenant, idempotency_key, body_key, run)


@router.get("/hardship-plans", response_model=HardshipPlansOut)
def get_hardship_plans(
    loan_id: uuid.UUID, tenant: CurrentTenant, c: ComponentsDep, today: TodayDep
) -> HardshipPlansOut:
    """The loan's plans, oldest first."""
    try:
        plans = plans_of(tenant.id, loan_id, SqlCareUnitOfWork(c.sessions))
    except CareError as exc:
        raise _problem(exc) from exc
    return HardshipPlansOut(items=[HardshipPlanOut.of(p, today) for p in plans])


policy_router = APIRouter(prefix="/v1/hardship-policy", tags=["admin"])
ProductQuery = Annotated[str, Query(max_length=64, description='A product code; "" for every product.')]


class HardshipPolicyIn(BaseModel):
    """Fields left out keep their default (see docs/hardship.md)."""

    options: list[OptionCode] | None = None
    extension_periods: int | None = Field(default=None, ge=1, le=120)
    max_extension_periods: int | None = Field(default=None, ge=1, le=120)
    reduced_fraction: str | None = Field(default=None, pattern=r"^0\.\d{1,4}$", examples=["0.5"])
    reduced_periods: int | None = Field(default=None, ge=1, le=120)
    max_reduced_periods: int | None = Field(default=None, ge=1, le=120)
    max_plans_per_loan: int | None = Field(default=None, ge=1, le=20)


class HardshipPolicyOut(BaseModel):
    product_code: str
    options: list[OptionCode]
    extension_periods: int
    max_extension_periods: int
    reduced_fraction: str
    reduced_periods: int
    max_reduced_periods: int
    max_plans_per_loan: int


@policy_router.get("", response_model=HardshipPolicyOut)
def get_hardship_policy(
    tenant: CurrentTenant, c: ComponentsDep, product_code: ProductQuery = ""
) -> dict[str, Any]:
    """The policy a product's loans get: its own, else the tenant's, else the defaults."""
    try:
        policy = hardship_policy(tenant.id, product_code, SqlCareUnitOfWork(c.sessions))
    except CareError as exc:
        raise _problem(exc) from exc
    return {"product_code": product_code, **hardship_policy_json(policy)}


@policy_router.put("", response_model=HardshipPolicyOut)
def put_hardship_policy(
    body: HardshipPolicyIn, tenant: CurrentTenant, c: ComponentsDep, product_code: ProductQuery = ""
) -> dict[str, Any]:
    """Replace the tenant's (or one product's) hardship policy; validated before it is stored."""
    definition = body.model_dump(mode="json", exclude_none=True)
    try:
        policy = set_hardship_policy(
            tenant.id, product_code, definition, SqlCareUnitOfWork(c.sessions), f"api:{tenant.slug}"
        )
    except CareError as exc:
        raise _problem(exc) from exc
    return {"product_code": product_code, **hardship_policy_json(policy)}
