"""The daily servicing pass over every active loan of every tenant, a page at a time.

Per loan, in this order: interest that has fallen due is recognised and held credit pays what is
due (`apply_credit`), then late fees are charged on what is still unpaid after grace
(`assess_late_fees`). Credit goes first so a borrower whose credit covers the instalment is never
charged a late fee. Every step is idempotent on its transfer ids, so a second run on the same day
(a beat retry, a redelivered task) posts nothing.

Batching: loans are read in pages (keyset order: tenant, loan id) and each page is one
transaction, so a book of N loans costs N / page_size commits instead of 2N. Within the page each
loan runs in a savepoint of its own (`isolated()`), so one loan's failure rolls back that loan's
work only and the rest of the page still commits. A failure the savepoint cannot catch (the
deferred ledger balance check runs at COMMIT) fails the page's commit: that page is then redone
one loan per transaction, which finds the bad loan and services the others. Pages stay small
because a page holds its loans' row locks, and its tenants' audit-chain heads, until it commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from backend.services.servicing.credit import apply_credit
from backend.services.servicing.ports import ServicingUnitOfWork
from backend.services.servicing.repayments import assess_late_fees

PAGE_SIZE = 100


class BatchUnitOfWork(ServicingUnitOfWork, Protocol):
    def isolated(self) -> AbstractContextManager[ServicingUnitOfWork]:
        """A unit of work inside this one's transaction whose work is undone, alone, if the block
        raises (a SAVEPOINT); its `commit` only makes the work part of the outer transaction."""
        ...


@dataclass(slots=True)
class DailyRun:
    on: date
    loans: int = 0
    credit_applied: int = 0  # loans whose credit paid something
    late_fees: int = 0  # late fees charged
    failed: list[tuple[uuid.UUID, str]] = field(default_factory=list)  # (loan id, error)
    pages: int = 0


@dataclass(slots=True)
class _Tally:
    credit_applied: int = 0
    late_fees: int = 0
    failed: list[tuple[uuid.UUID, str]] = field(default_factory=list)


def _service(
    batch: BatchUnitOfWork, tenant_id: uuid.UUID, loan_id: uuid.UUID, today: date, tally: _Tally
) -> None:
    try:
        with batch.isolated() as uow:
            credit = apply_credit(tenant_id, loan_id, today, uow)
            fees = assess_late_fees(tenant_id, loan_id, today, uow)
    except Exception as exc:  # one loan's failure must not stop the book; the next run retries it
        tally.failed.append((loan_id, f"{type(exc).__name__}: {exc}"))
        return
    tally.credit_applied += 1 if credit.amount.minor else 0
    tally.late_fees += len(fees.fees)


def run_daily(today: date, new_uow: Callable[[], BatchUnitOfWork], page_size: int = PAGE_SIZE) -> DailyRun:
    """Service every active loan for `today`, a page per transaction (see the module docstring)."""
    run = DailyRun(on=today)
    after: tuple[uuid.UUID, uuid.UUID] | None = None
    while True:
        with new_uow() as batch:
            page = batch.loans.active_page(after, page_size)
            if not page:
                return run
            tally = _Tally()
            for tenant_id, loan_id in page:
                _service(batch, tenant_id, loan_id, today, tally)
            try:
                batch.commit()
            except Exception:
                tally = _one_by_one(page, today, new_uow)
        run.loans += len(page)
        run.pages += 1
        run.credit_applied += tally.credit_applied
        run.late_fees += tally.late_fees
        run.failed.extend(tally.failed)
        after = page[-1]


def _one_by_one(
    page: list[tuple[uuid.UUID, uuid.UUID]], today: date, new_uow: Callable[[], BatchUnitOfWork]
) -> _Tally:
    """The page again, each loan in its own transaction: the page's commit failed, and this finds
    which loan made it fail while the rest are still serviced today."""
    tally = _Tally()
    for tenant_id, loan_id in page:
        with new_uow() as uow:
            _service(uow, tenant_id, loan_id, today, tally)
            try:
                uow.commit()
            except Exception as exc:
                if not tally.failed or tally.failed[-1][0] != loan_id:
                    tally.failed.append((loan_id, f"{type(exc).__name__}: {exc}"))
    return tally
