"""The daily servicing pass over every active loan of every tenant.

Per loan, in this order: interest that has fallen due is recognised and held credit pays what is
due (`apply_credit`), then late fees are charged on what is still unpaid after grace
(`assess_late_fees`). Credit goes first so a borrower whose credit covers the instalment is never
charged a late fee. Each step runs in its own transaction and is idempotent on its transfer ids,
so a second run on the same day (a beat retry, a redelivered task) posts nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from backend.services.servicing.credit import apply_credit
from backend.services.servicing.ports import ServicingUnitOfWork
from backend.services.servicing.repayments import assess_late_fees


@dataclass(slots=True)
class DailyRun:
    on: date
    loans: int = 0
    credit_applied: int = 0  # loans whose credit paid something
    late_fees: int = 0  # late fees charged
    failed: list[tuple[uuid.UUID, str]] = field(default_factory=list)  # (loan id, error)


def run_daily(today: date, new_uow: Callable[[], ServicingUnitOfWork]) -> DailyRun:
    """Service every active loan for `today`. One loan's failure is recorded and skipped: it must
    not stop the rest of the book from being serviced; the next run retries it."""
    with new_uow() as uow:
        loans = uow.loans.active_ids()
    run = DailyRun(on=today, loans=len(loans))
    for tenant_id, loan_id in loans:
        try:
            if apply_credit(tenant_id, loan_id, today, new_uow()).amount.minor:
                run.credit_applied += 1
            run.late_fees += len(assess_late_fees(tenant_id, loan_id, today, new_uow()).fees)
        except Exception as exc:
            run.failed.append((loan_id, f"{type(exc).__name__}: {exc}"))
    return run
