"""The hardship use cases against in-memory ports: what is stored, audited and refused."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Self

import pytest

from backend.lending.dates import Frequency
from backend.lending.hardship import HardshipPolicy, OptionCode
from backend.lending.schedules import Amortization, Installment
from backend.services.care.errors import Invalid, NotFound, Refused
from backend.services.care.hardship import TITLES, ApplyPlan, apply_plan, describe, options_for
from backend.services.care.ports import LoanSnapshot, PlanRecord
from tests.unit.test_hardship import RATE, a_loan

TENANT, LOAN = uuid.uuid4(), uuid.uuid4()
NOW = datetime(2026, 2, 1, 9, tzinfo=UTC)


def a_snapshot() -> LoanSnapshot:
    rules = a_loan()
    return LoanSnapshot(
        LOAN,
        TENANT,
        uuid.uuid4(),
        "wc",
        "active",
        RATE,
        Frequency.MONTHLY,
        Amortization.ANNUITY,
        6,
        "NGN",
        rules.dues,
    )


@dataclass
class FakeCare:
    loan: LoanSnapshot | None = field(default_factory=a_snapshot)
    plans_made: list[PlanRecord] = field(default_factory=list)
    rescheduled: list[tuple[list[int], int, int]] = field(default_factory=list)
    audit_rows: list[dict[str, Any]] = field(default_factory=list)
    committed: int = 0

    def __post_init__(self) -> None:
        self.loans = self.plans = self.policies = self.audit = self

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def commit(self) -> None:
        self.committed += 1

    def get(
        self, tenant_id: uuid.UUID, loan_id: uuid.UUID, *, for_update: bool = False
    ) -> LoanSnapshot | None:
        return self.loan if self.loan and (tenant_id, loan_id) == (TENANT, LOAN) else None

    def reschedule(
        self,
        tenant_id: uuid.UUID,
        loan_id: uuid.UUID,
        replaced: Sequence[int],
        rows: Sequence[Installment],
        term_count: int,
    ) -> None:
        self.rescheduled.append((list(replaced), len(rows), term_count))

    def for_loan(self, tenant_id: uuid.UUID, loan_id: uuid.UUID) -> list[PlanRecord]:
        return list(self.plans_made)

    def add(self, plan: PlanRecord) -> None:
        self.plans_made.append(plan)

    def hardship(self, tenant_id: uuid.UUID, product_code: str) -> HardshipPolicy:
        return HardshipPolicy()

    def append(self, tenant_id: uuid.UUID, **row: Any) -> None:
        self.audit_rows.append(row)


def test_applying_a_plan_replaces_the_future_instalments_stores_the_plan_and_audits_it():
    uow = FakeCare()
    plan = apply_plan(ApplyPlan(TENANT, LOAN, OptionCode.EXTEND_TERM, 2, "sick", date(2026, 2, 1)), uow, NOW)
    assert uow.rescheduled == [([1, 2, 3, 4, 5, 6], 8, 8)]
    assert uow.plans_made == [plan] and uow.committed == 1
    assert [r["number"] for r in plan.previous_installments] == [1, 2, 3, 4, 5, 6]
    assert (plan.status, plan.active_until, plan.created_at) == ("active", date(2026, 2, 15), NOW)
    assert [r["action"] for r in uow.audit_rows] == ["loan.hardship_plan_applied"]
    assert uow.audit_rows[0]["data"]["replaced_numbers"] == [1, 2, 3, 4, 5, 6]


def test_a_second_plan_while_one_is_active_is_refused_and_nothing_is_written():
    uow = FakeCare()
    cmd = ApplyPlan(TENANT, LOAN, OptionCode.PAYMENT_HOLIDAY, None, "sick", date(2026, 2, 1))
    apply_plan(cmd, uow, NOW)
    with pytest.raises(Refused) as refused:
        apply_plan(cmd, uow, NOW)
    assert (refused.value.status, refused.value.slug) == (409, "plan-active")
    assert len(uow.rescheduled) == 1 and uow.committed == 1


def test_bad_periods_are_invalid_and_an_unknown_loan_is_not_found():
    with pytest.raises(Invalid) as invalid:
        apply_plan(ApplyPlan(TENANT, LOAN, OptionCode.EXTEND_TERM, 7, "x", date(2026, 2, 1)), FakeCare(), NOW)
    assert (invalid.value.status, invalid.value.slug) == (422, "invalid-periods")
    with pytest.raises(NotFound) as missing:
        options_for(TENANT, uuid.uuid4(), date(2026, 2, 1), FakeCare())
    assert missing.value.slug == "loan-not-found"


def test_each_option_has_a_plain_sentence_with_its_amounts_and_dates():
    offer = options_for(TENANT, LOAN, date(2026, 2, 1), FakeCare())
    sentences = {o.code: describe(o, offer.frequency, "en_NG") for o in offer.options}
    title, holiday = sentences[OptionCode.PAYMENT_HOLIDAY]
    assert title == "Skip next payment"
    assert holiday == (
        "Skip your payment due Sunday 15 February; from Sunday 15 March you pay ₦19,350.16 a month "
        "until Saturday 15 August, ₦3,500.00 more in total."
    )
    assert sentences[OptionCode.EXTEND_TERM][1].startswith(
        "Pay ₦13,144.60 a month instead, with 3 months more"
    )
    assert "for the next 3 months, then ₦15,337.15 a month" in sentences[OptionCode.REDUCED_PAYMENTS][1]


def test_titles_fit_a_whatsapp_reply_button():
    assert all(len(title) <= 20 for title in TITLES.values())
