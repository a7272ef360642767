"""SQL implementations of the care ports.

Loans and instalments are read here through the lending models, not through the servicing
repository, and written only by `SqlCareLoans.reschedule`, under the same `SELECT ... FOR UPDATE`
on the loan row that every servicing use case takes first."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, exists, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.adapters.db import audit
from backend.adapters.db.care_models import CarePolicy, Dispute, HandoffRequest, HardshipPlan
from backend.adapters.db.lending_models import Instalment, Loan
from backend.adapters.db.models import Conversation, Customer
from backend.adapters.db.servicing_repository import instalment_dues
from backend.adapters.db.uow import SessionUnitOfWork
from backend.lending.dates import Frequency
from backend.lending.hardship import HardshipPolicy, InvalidPolicy
from backend.lending.money import Money
from backend.lending.schedules import Amortization, Installment
from backend.services.agents.sla import InvalidPolicy as InvalidSlaPolicy
from backend.services.agents.sla import SlaPolicy
from backend.services.care.errors import Invalid
from backend.services.care.ports import DisputeRecord, HandoffRecord, LoanSnapshot, PlanRecord


class SqlCareLoans:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(
        self, tenant_id: uuid.UUID, loan_id: uuid.UUID, *, for_update: bool = False
    ) -> LoanSnapshot | None:
        query = select(Loan).where(Loan.id == loan_id, Loan.tenant_id == tenant_id)
        if for_update:
            query = query.with_for_update()
        loan = self._session.scalars(query.execution_options(populate_existing=True)).one_or_none()
        if loan is None:
            return None
        rows = self._session.scalars(
            select(Instalment)
            .where(Instalment.loan_id == loan.id)
            .order_by(Instalment.number)
            .execution_options(populate_existing=True)
        ).all()
        c = loan.currency
        return LoanSnapshot(
            id=loan.id,
            tenant_id=loan.tenant_id,
            customer_id=loan.customer_id,
            product_code=loan.product_code,
            status=loan.status,
            annual_rate=Decimal(loan.annual_rate),
            frequency=Frequency(loan.frequency),
            amortization=Amortization(loan.amortization),
            term_count=loan.term_count,
            currency=c,
            dues=instalment_dues(rows, c),
            interest_accrued={r.number: Money(r.interest_accrued_minor, c) for r in rows},
            late_fee_assessed=frozenset(r.number for r in rows if r.late_fee_assessed_on is not None),
        )

    def reschedule(
        self,
        tenant_id: uuid.UUID,
        loan_id: uuid.UUID,
        replaced: Sequence[int],
        rows: Sequence[Installment],
        term_count: int,
    ) -> None:
        loan = self._session.scalar(select(Loan).where(Loan.id == loan_id, Loan.tenant_id == tenant_id))
        assert loan is not None
        self._session.execute(
            delete(Instalment).where(Instalment.loan_id == loan_id, Instalment.number.in_(list(replaced)))
        )
        self._session.add_all(
            Instalment(
                loan_id=loan_id,
                number=r.number,
                due_date=r.due_date,
                principal_minor=r.principal.minor,
                interest_minor=r.interest.minor,
                fees_minor=0,
                paid_principal_minor=0,
                paid_interest_minor=0,
                paid_fees_minor=0,
                interest_accrued_minor=0,
            )
            for r in rows
        )
        loan.term_count = term_count
        self._session.flush()

    def customer_of(self, tenant_id: uuid.UUID, loan_id: uuid.UUID) -> uuid.UUID | None:
        return self._session.scalar(
            select(Loan.customer_id).where(Loan.id == loan_id, Loan.tenant_id == tenant_id)
        )


def _rows_json(rows: Sequence[Installment]) -> list[dict[str, Any]]:
    return [
        {
            "number": r.number,
            "due_date": r.due_date.isoformat(),
            "payment_minor": r.payment.minor,
            "principal_minor": r.principal.minor,
            "interest_minor": r.interest.minor,
            "balance_minor": r.balance.minor,
        }
        for r in rows
    ]


def _rows(data: list[dict[str, Any]], currency: str) -> tuple[Installment, ...]:
    return tuple(
        Installment(
            r["number"],
            date.fromisoformat(r["due_date"]),
            Money(r["payment_minor"], currency),
            Money(r["principal_minor"], currency),
            Money(r["interest_minor"], currency),
            Money(r["balance_minor"], currency),
        )
        for r in data
    )


def _plan(row: HardshipPlan) -> PlanRecord:
    return PlanRecord(
        id=row.id,
        tenant_id=row.tenant_id,
        loan_id=row.loan_id,
        option_code=row.option_code,
        periods=row.periods,
        status=row.status,
        reason=row.reason,
        as_of=row.as_of,
        active_until=row.active_until,
        currency=row.currency,
        extra_cost=Money(row.extra_cost_minor, row.currency),
        previous_term_count=row.previous_term_count,
        installments=_rows(row.installments, row.currency),
        previous_installments=tuple(row.previous_installments),
        actor=row.actor,
        created_at=row.created_at,
    )


class SqlHardshipPlans:
    def __init__(self, session: Session) -> None:
        self._session = session

    def for_loan(self, tenant_id: uuid.UUID, loan_id: uuid.UUID) -> list[PlanRecord]:
        rows = self._session.scalars(
            select(HardshipPlan)
            .where(HardshipPlan.tenant_id == tenant_id, HardshipPlan.loan_id == loan_id)
            .order_by(HardshipPlan.created_at, HardshipPlan.id)
        )
        return [_plan(r) for r in rows]

    def add(self, plan: PlanRecord) -> None:
        self._session.add(
            HardshipPlan(
                id=plan.id,
                tenant_id=plan.tenant_id,
                loan_id=plan.loan_id,
                option_code=plan.option_code,
                periods=plan.periods,
                status=plan.status,
                reason=plan.reason,
                as_of=plan.as_of,
                active_until=plan.active_until,
                currency=plan.currency,
                extra_cost_minor=plan.extra_cost.minor,
                previous_term_count=plan.previous_term_count,
                installments=_rows_json(plan.installments),
                previous_installments=list(plan.previous_installments),
                actor=plan.actor,
                created_at=plan.created_at,
            )
        )
        self._session.flush()


class SqlPolicies:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _definition(self, tenant_id: uuid.UUID, kind: str, scope: str) -> dict[str, Any] | None:
        return self._session.scalar(
            select(CarePolicy.definition).where(
                CarePolicy.tenant_id == tenant_id, CarePolicy.kind == kind, CarePolicy.scope == scope
            )
        )

    def hardship(self, tenant_id: uuid.UUID, product_code: str) -> HardshipPolicy:
        definition = self._definition(tenant_id, "hardship", product_code)
        if definition is None:
            definition = self._definition(tenant_id, "hardship", "")
        try:
            return HardshipPolicy.from_dict(definition or {})
        except InvalidPolicy as exc:
            raise Invalid(f"the tenant's hardship policy is invalid: {exc}", slug="invalid-policy") from exc

    def disputes(self, tenant_id: uuid.UUID) -> dict[str, Any] | None:
        return self._definition(tenant_id, "disputes", "")

    def set(self, tenant_id: uuid.UUID, kind: str, scope: str, definition: dict[str, Any]) -> None:
        set_policy(self._session, tenant_id, kind, scope, definition)


def set_policy(
    session: Session, tenant_id: uuid.UUID, kind: str, scope: str, definition: dict[str, Any]
) -> None:
    """Store a tenant's policy as given (the admin endpoints validate it first, through the port)."""
    row = session.scalar(
        select(CarePolicy).where(
            CarePolicy.tenant_id == tenant_id, CarePolicy.kind == kind, CarePolicy.scope == scope
        )
    )
    if row is None:
        session.add(CarePolicy(tenant_id=tenant_id, kind=kind, scope=scope, definition=definition))
    else:
        row.definition = definition
    session.flush()


def _dispute(row: Dispute) -> DisputeRecord:
    return DisputeRecord(
        id=row.id,
        tenant_id=row.tenant_id,
        reference=row.reference,
        customer_id=row.customer_id,
        loan_id=row.loan_id,
        category=row.category,
        description=row.description,
        amount=Money(row.amount_minor, row.currency)
        if row.amount_minor is not None and row.currency
        else None,
        attachment_document_id=row.attachment_document_id,
        status=row.status,
        sla_due_at=row.sla_due_at,
        resolution_note=row.resolution_note,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlDisputes:
    def __init__(self, session: Session) -> None:
        self._session = session

    def reference_taken(self, tenant_id: uuid.UUID, reference: str) -> bool:
        return bool(
            self._session.scalar(
                select(exists().where(Dispute.tenant_id == tenant_id, Dispute.reference == reference))
            )
        )

    def add(self, record: DisputeRecord) -> None:
        self._session.add(
            Dispute(
                id=record.id,
                tenant_id=record.tenant_id,
                reference=record.reference,
                customer_id=record.customer_id,
                loan_id=record.loan_id,
                category=record.category,
                description=record.description,
                amount_minor=record.amount.minor if record.amount else None,
                currency=record.amount.currency if record.amount else None,
                attachment_document_id=record.attachment_document_id,
                status=record.status,
                sla_due_at=record.sla_due_at,
                resolution_note=record.resolution_note,
                created_at=record.created_at,
                updated_at=record.updated_at,
            )
        )
        self._session.flush()

    def get(self, tenant_id: uuid.UUID, reference: str, *, for_update: bool = False) -> DisputeRecord | None:
        query = select(Dispute).where(Dispute.tenant_id == tenant_id, Dispute.reference == reference)
        if for_update:
            query = query.with_for_update()
        row = self._session.scalar(query.execution_options(populate_existing=True))
        return None if row is None else _dispute(row)

    def save(self, record: DisputeRecord) -> None:
        row = self._session.get(Dispute, record.id)
        assert row is not None and row.tenant_id == record.tenant_id
        row.status, row.resolution_note, row.updated_at = (
            record.status,
            record.resolution_note,
            record.updated_at,
        )
        self._session.flush()

    def for_customer(
        self,
        tenant_id: uuid.UUID,
        customer_id: uuid.UUID,
        before: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[DisputeRecord]:
        query = select(Dispute).where(Dispute.tenant_id == tenant_id, Dispute.customer_id == customer_id)
        if before is not None:
            query = query.where(tuple_(Dispute.created_at, Dispute.id) < tuple_(*before))
        rows = self._session.scalars(
            query.order_by(Dispute.created_at.desc(), Dispute.id.desc()).limit(limit)
        )
        return [_dispute(r) for r in rows]


def _handoff(row: HandoffRequest, *, replayed: bool = False) -> HandoffRecord:
    return HandoffRecord(
        id=row.id,
        tenant_id=row.tenant_id,
        conversation_id=row.conversation_id,
        reason=row.reason,
        note=row.note,
        priority=row.priority,
        status=row.status,
        assigned_agent_id=row.assigned_agent_id,
        created_at=row.created_at,
        replayed=replayed,
    )


class SqlHandoffs:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _waiting_row(self, tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> HandoffRequest | None:
        return self._session.scalar(
            select(HandoffRequest).where(
                HandoffRequest.tenant_id == tenant_id,
                HandoffRequest.conversation_id == conversation_id,
                HandoffRequest.status == "waiting",
            )
        )

    def waiting(self, tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> HandoffRecord | None:
        row = self._waiting_row(tenant_id, conversation_id)
        return None if row is None else _handoff(row)

    def _due_times(self, record: HandoffRecord) -> tuple[datetime, datetime]:
        """The SLA due times, fixed when the request is stored: the tenant's handoff policy (or
        the defaults) measured in its support hours (`backend.services.agents.sla`)."""
        definition = self._session.scalar(
            select(CarePolicy.definition).where(
                CarePolicy.tenant_id == record.tenant_id, CarePolicy.kind == "handoff", CarePolicy.scope == ""
            )
        )
        try:
            policy = SlaPolicy.from_data(definition)
        except InvalidSlaPolicy:
            policy = SlaPolicy()  # a broken policy must not stop a customer reaching a human
        return policy.due_times(record.priority, record.created_at)

    def add(self, record: HandoffRecord) -> HandoffRecord:
        first_due, resolution_due = self._due_times(record)
        row = HandoffRequest(
            first_response_due_at=first_due,
            resolution_due_at=resolution_due,
            id=record.id,
            tenant_id=record.tenant_id,
            conversation_id=record.conversation_id,
            reason=record.reason,
            note=record.note,
            priority=record.priority,
            status=record.status,
            assigned_agent_id=record.assigned_agent_id,
            created_at=record.created_at,
            updated_at=record.created_at,
        )
        try:
            with self._session.begin_nested():  # a savepoint: losing the race keeps the transaction
                self._session.add(row)
                self._session.flush()
        except IntegrityError:
            winner = self._waiting_row(record.tenant_id, record.conversation_id)
            if winner is None:
                raise
            return _handoff(winner, replayed=True)
        return record

    def for_conversation(
        self,
        tenant_id: uuid.UUID,
        conversation_id: uuid.UUID,
        before: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[HandoffRecord]:
        query = select(HandoffRequest).where(
            HandoffRequest.tenant_id == tenant_id, HandoffRequest.conversation_id == conversation_id
        )
        if before is not None:
            query = query.where(tuple_(HandoffRequest.created_at, HandoffRequest.id) < tuple_(*before))
        rows = self._session.scalars(
            query.order_by(HandoffRequest.created_at.desc(), HandoffRequest.id.desc()).limit(limit)
        )
        return [_handoff(r) for r in rows]


class SqlDirectory:
    def __init__(self, session: Session) -> None:
        self._session = session

    def customer_exists(self, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> bool:
        return bool(
            self._session.scalar(
                select(exists().where(Customer.id == customer_id, Customer.tenant_id == tenant_id))
            )
        )

    def conversation_exists(self, tenant_id: uuid.UUID, conversation_id: uuid.UUID) -> bool:
        return bool(
            self._session.scalar(
                select(
                    exists().where(Conversation.id == conversation_id, Conversation.tenant_id == tenant_id)
                )
            )
        )


class SqlCareUnitOfWork(SessionUnitOfWork):
    def _bind(self, session: Session) -> None:
        self.loans = SqlCareLoans(session)
        self.plans = SqlHardshipPlans(session)
        self.policies = SqlPolicies(session)
        self.disputes = SqlDisputes(session)
        self.handoffs = SqlHandoffs(session)
        self.directory = SqlDirectory(session)
        self.audit = audit.SqlAudit(session)
