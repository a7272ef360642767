"""SQL implementations of the servicing ports, and the read queries of the loan endpoints.

Nothing here commits except `SqlServicingUnitOfWork.commit`: the loan, its instalments, the
payment or disbursement row, the ledger entries and the audit row land in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, tuple_
from sqlalchemy.orm import Session

from backend.adapters.db import audit
from backend.adapters.db.ledger_repository import SqlLedger
from backend.adapters.db.lending_models import (
    Agreement,
    CreditApplication,
    Disbursement,
    Instalment,
    Loan,
    Offer,
    Payment,
)
from backend.adapters.db.lending_models import CreditLine as CreditLineRow
from backend.adapters.db.lending_models import Product as ProductRow
from backend.adapters.db.uow import SessionUnitOfWork
from backend.lending.allocation import InstalmentDue
from backend.lending.dates import Frequency
from backend.lending.ledger import FeeTreatment, JournalEntry
from backend.lending.money import Money
from backend.lending.products import DEFAULT_PRODUCTS, Product
from backend.lending.schedules import Amortization
from backend.services.servicing.errors import NotFound
from backend.services.servicing.ports import (
    CreditLineState,
    DisbursableAgreement,
    DisbursementRecord,
    LoanState,
    PaymentRecord,
)


class SqlAgreements:
    def __init__(self, session: Session) -> None:
        self._session = session

    def for_disbursement(self, tenant_id: uuid.UUID, agreement_id: uuid.UUID) -> DisbursableAgreement | None:
        agreement = self._session.scalar(
            select(Agreement)
            .where(Agreement.id == agreement_id, Agreement.tenant_id == tenant_id)
            .with_for_update()
        )
        if agreement is None:
            return None
        offer = self._session.get(Offer, agreement.offer_id)
        application = self._session.get(CreditApplication, agreement.application_id)
        assert offer is not None and application is not None
        return DisbursableAgreement(
            tenant_id=tenant_id,
            agreement_id=agreement.id,
            agreement_status=agreement.status,
            application_id=application.id,
            application_status=application.status,
            customer_id=application.customer_id,
            product_code=application.product_code,
            lender_code=offer.lender_code,
            principal=Money(offer.amount_minor, offer.currency),
            annual_rate=Decimal(offer.annual_rate),
            term_count=offer.term_count,
            frequency=Frequency(offer.frequency),
            amortization=Amortization(offer.amortization),
            origination_fee=Money(sum(int(f.get("amount_minor", 0)) for f in offer.fees), offer.currency),
            fee_treatment=_treatment(offer.fees),
            maturity=offer.maturity_date,
        )


def _treatment(fees: list[dict[str, Any]]) -> FeeTreatment:
    """Offers deduct the origination fee at payout unless a fee says it is financed."""
    financed = any(f.get("treatment") == FeeTreatment.FINANCED.value for f in fees)
    return FeeTreatment.FINANCED if financed else FeeTreatment.DEDUCTED


class SqlApplications:
    def __init__(self, session: Session) -> None:
        self._session = session

    def set_status(self, tenant_id: uuid.UUID, application_id: uuid.UUID, status: str) -> None:
        row = self._session.get(CreditApplication, application_id)
        if row is None or row.tenant_id != tenant_id:
            raise NotFound(f"application {application_id} not found")
        row.status = status


class SqlLoans:
    """Loads a loan with its instalments and remembers the rows, so `save` writes back in place."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._rows: dict[uuid.UUID, tuple[Loan, dict[int, Instalment]]] = {}

    def get(self, tenant_id: uuid.UUID, loan_id: uuid.UUID, *, for_update: bool = False) -> LoanState | None:
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
        self._rows[loan.id] = (loan, {r.number: r for r in rows})
        return to_state(loan, rows)

    def add(self, loan: LoanState) -> None:
        row = Loan(
            id=loan.id,
            tenant_id=loan.tenant_id,
            application_id=loan.application_id,
            customer_id=loan.customer_id,
            agreement_id=loan.agreement_id,
            lender_code=loan.lender_code,
            product_code=loan.product_code,
            principal_minor=loan.principal.minor,
            currency=loan.currency,
            annual_rate=str(loan.annual_rate),
            amortization=loan.amortization.value,
            frequency=loan.frequency.value,
            term_count=loan.term_count,
            status=loan.status,
            disbursed_on=loan.disbursed_on,
            credit_balance_minor=loan.credit_balance.minor,
            credit_line_id=loan.credit_line_id,
        )
        self._session.add(row)
        self._session.flush()  # the instalments' foreign key needs the loan row first
        rows = {}
        for due in loan.dues:
            rows[due.number] = Instalment(
                loan_id=loan.id,
                number=due.number,
                due_date=due.due_date,
                principal_minor=due.principal.minor,
                interest_minor=due.interest.minor,
                fees_minor=due.fees.minor,
                paid_principal_minor=0,
                paid_interest_minor=0,
                paid_fees_minor=0,
                interest_accrued_minor=0,
            )
        self._session.add_all(rows.values())
        self._rows[loan.id] = (row, rows)

    def active_ids(self) -> list[tuple[uuid.UUID, uuid.UUID]]:
        rows = self._session.execute(
            select(Loan.tenant_id, Loan.id).where(Loan.status == "active").order_by(Loan.tenant_id, Loan.id)
        )
        return [(tenant_id, loan_id) for tenant_id, loan_id in rows]

    def save(self, loan: LoanState) -> None:
        row, instalments = self._rows[loan.id]
        row.status = loan.status
        row.closed_on = loan.closed_on
        row.credit_balance_minor = loan.credit_balance.minor
        for due in loan.dues:
            inst = instalments[due.number]
            inst.interest_minor = due.interest.minor
            inst.fees_minor = due.fees.minor
            inst.paid_principal_minor = due.principal_paid.minor
            inst.paid_interest_minor = due.interest_paid.minor
            inst.paid_fees_minor = due.fees_paid.minor
            inst.interest_accrued_minor = loan.interest_accrued.get(
                due.number, Money.zero(loan.currency)
            ).minor
            inst.late_fee_assessed_on = loan.late_fee_assessed.get(due.number)


def to_state(loan: Loan, rows: Sequence[Instalment]) -> LoanState:
    """The domain view of a loan row and its instalment rows (none, for a list of loans)."""
    c = loan.currency
    return LoanState(
        id=loan.id,
        tenant_id=loan.tenant_id,
        application_id=loan.application_id,
        customer_id=loan.customer_id,
        agreement_id=loan.agreement_id,
        lender_code=loan.lender_code,
        product_code=loan.product_code,
        principal=Money(loan.principal_minor, c),
        annual_rate=Decimal(loan.annual_rate),
        amortization=Amortization(loan.amortization),
        frequency=Frequency(loan.frequency),
        term_count=loan.term_count,
        status=loan.status,
        disbursed_on=loan.disbursed_on or loan.created_at.date(),
        credit_balance=Money(loan.credit_balance_minor, c),
        dues=tuple(
            InstalmentDue(
                r.number,
                r.due_date,
                Money(r.principal_minor, c),
                Money(r.interest_minor, c),
                Money(r.fees_minor, c),
                Money(r.paid_principal_minor, c),
                Money(r.paid_interest_minor, c),
                Money(r.paid_fees_minor, c),
            )
            for r in rows
        ),
        interest_accrued={r.number: Money(r.interest_accrued_minor, c) for r in rows},
        late_fee_assessed={r.number: r.late_fee_assessed_on for r in rows if r.late_fee_assessed_on},
        closed_on=loan.closed_on,
        credit_line_id=loan.credit_line_id,
    )


class SqlCreditLines:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(
        self, tenant_id: uuid.UUID, line_id: uuid.UUID, *, for_update: bool = False
    ) -> CreditLineState | None:
        query = select(CreditLineRow).where(CreditLineRow.id == line_id, CreditLineRow.tenant_id == tenant_id)
        if for_update:
            query = query.with_for_update()
        row = self._session.scalar(query.execution_options(populate_existing=True))
        return None if row is None else credit_line_state(row)

    def for_application(self, tenant_id: uuid.UUID, application_id: uuid.UUID) -> CreditLineState | None:
        row = self._session.scalar(
            select(CreditLineRow).where(
                CreditLineRow.tenant_id == tenant_id, CreditLineRow.application_id == application_id
            )
        )
        return None if row is None else credit_line_state(row)

    def add(self, line: CreditLineState) -> None:
        self._session.add(
            CreditLineRow(
                id=line.id,
                tenant_id=line.tenant_id,
                application_id=line.application_id,
                agreement_id=line.agreement_id,
                customer_id=line.customer_id,
                product_code=line.product_code,
                lender_code=line.lender_code,
                limit_minor=line.limit.minor,
                currency=line.limit.currency,
                annual_rate=str(line.annual_rate),
                term_count=line.term_count,
                frequency=line.frequency.value,
                status=line.status,
                closed_on=line.closed_on,
            )
        )
        self._session.flush()  # a draw in the same transaction references it

    def save(self, line: CreditLineState) -> None:
        row = self._session.get(CreditLineRow, line.id)
        assert row is not None and row.tenant_id == line.tenant_id
        row.status, row.closed_on = line.status, line.closed_on

    def drawn(self, tenant_id: uuid.UUID, line_id: uuid.UUID, currency: str) -> Money:
        unpaid = self._session.scalar(
            select(func.coalesce(func.sum(Instalment.principal_minor - Instalment.paid_principal_minor), 0))
            .join(Loan, Loan.id == Instalment.loan_id)
            .where(Loan.tenant_id == tenant_id, Loan.credit_line_id == line_id, Loan.status != "cancelled")
        )
        return Money(int(unpaid or 0), currency)

    def open_draws(self, tenant_id: uuid.UUID, line_id: uuid.UUID) -> int:
        return (
            self._session.scalar(
                select(func.count())
                .select_from(Loan)
                .where(Loan.tenant_id == tenant_id, Loan.credit_line_id == line_id, Loan.status == "active")
            )
            or 0
        )


def credit_line_state(row: CreditLineRow) -> CreditLineState:
    return CreditLineState(
        id=row.id,
        tenant_id=row.tenant_id,
        application_id=row.application_id,
        agreement_id=row.agreement_id,
        customer_id=row.customer_id,
        product_code=row.product_code,
        lender_code=row.lender_code,
        limit=Money(row.limit_minor, row.currency),
        annual_rate=Decimal(row.annual_rate),
        term_count=row.term_count,
        frequency=Frequency(row.frequency),
        status=row.status,
        closed_on=row.closed_on,
    )


class SqlDisbursements:
    def __init__(self, session: Session) -> None:
        self._session = session

    def for_application(self, tenant_id: uuid.UUID, application_id: uuid.UUID) -> DisbursementRecord | None:
        row = self._session.scalar(
            select(Disbursement)
            .join(Loan, Loan.id == Disbursement.loan_id)
            .where(
                Loan.application_id == application_id,
                Disbursement.tenant_id == tenant_id,
                Disbursement.status != "failed",
            )
        )
        return None if row is None else _disbursement(row)

    def failed_count(self, tenant_id: uuid.UUID, application_id: uuid.UUID) -> int:
        return (
            self._session.scalar(
                select(func.count())
                .select_from(Disbursement)
                .join(Loan, Loan.id == Disbursement.loan_id)
                .where(
                    Loan.application_id == application_id,
                    Disbursement.tenant_id == tenant_id,
                    Disbursement.status == "failed",
                )
            )
            or 0
        )

    def get(
        self, tenant_id: uuid.UUID, disbursement_id: uuid.UUID, *, for_update: bool = False
    ) -> DisbursementRecord | None:
        query = select(Disbursement).where(
            Disbursement.id == disbursement_id, Disbursement.tenant_id == tenant_id
        )
        if for_update:
            query = query.with_for_update()
        row = self._session.scalar(query.execution_options(populate_existing=True))
        return None if row is None else _disbursement(row)

    def set_outcome(self, record: DisbursementRecord) -> None:
        row = self._session.get(Disbursement, record.id)
        assert row is not None and row.tenant_id == record.tenant_id
        row.status = record.status
        row.fee_minor = record.provider_fee.minor

    def add(self, record: DisbursementRecord) -> None:
        self._session.add(
            Disbursement(
                id=record.id,
                tenant_id=record.tenant_id,
                loan_id=record.loan_id,
                amount_minor=record.amount.minor,
                fee_minor=record.provider_fee.minor,
                currency=record.amount.currency,
                provider=record.provider,
                provider_ref=record.provider_ref,
                destination=record.destination,
                status=record.status,
                expected_arrival=record.expected_arrival,
            )
        )


def _disbursement(row: Disbursement) -> DisbursementRecord:
    return DisbursementRecord(
        id=row.id,
        tenant_id=row.tenant_id,
        loan_id=row.loan_id,
        amount=Money(row.amount_minor, row.currency),
        provider_fee=Money(row.fee_minor, row.currency),
        provider=row.provider,
        provider_ref=row.provider_ref,
        destination=row.destination,
        status=row.status,
        expected_arrival=row.expected_arrival,
    )


class SqlPayments:
    def __init__(self, session: Session) -> None:
        self._session = session

    def by_provider_ref(self, tenant_id: uuid.UUID, provider_ref: str) -> PaymentRecord | None:
        row = self._session.scalar(
            select(Payment).where(Payment.tenant_id == tenant_id, Payment.provider_ref == provider_ref)
        )
        return None if row is None else payment_record(row)

    def add(self, record: PaymentRecord) -> None:
        """One INSERT now, through Core: the row is never read back as an object in this unit of
        work (a lookup by provider_ref queries the table), so the ORM's flush bookkeeping would be
        pure client CPU on the repayment path."""
        self._session.execute(
            _INSERT_PAYMENT,
            {
                "id": record.id,
                "tenant_id": record.tenant_id,
                "loan_id": record.loan_id,
                "amount_minor": record.amount.minor,
                "currency": record.amount.currency,
                "received_on": record.received_on,
                "provider_ref": record.provider_ref,
                "allocation": record.allocation,
                "ledger_transfer_id": record.ledger_transfer_id,
            },
        )


# Built once, on the Table, so executing it skips the ORM's bulk-insert machinery.
_INSERT_PAYMENT = insert(Payment.__table__)


def payment_record(row: Payment) -> PaymentRecord:
    return PaymentRecord(
        id=row.id,
        tenant_id=row.tenant_id,
        loan_id=row.loan_id,
        amount=Money(row.amount_minor, row.currency),
        received_on=row.received_on,
        provider_ref=row.provider_ref,
        allocation=row.allocation,
        ledger_transfer_id=row.ledger_transfer_id,
    )


class SqlAudit:
    def __init__(self, session: Session) -> None:
        self._session = session

    def append(
        self,
        tenant_id: uuid.UUID,
        *,
        actor: str,
        action: str,
        subject_type: str,
        subject_id: str,
        data: dict[str, Any],
    ) -> None:
        audit.append(
            self._session,
            tenant_id,
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            data=data,
        )


class SqlProducts:
    """The tenant's newest active version of a product, else the built-in catalogue."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, tenant_id: uuid.UUID, code: str) -> Product:
        definition = self._session.scalar(
            select(ProductRow.definition)
            .where(ProductRow.tenant_id == tenant_id, ProductRow.code == code, ProductRow.active.is_(True))
            .order_by(ProductRow.version.desc())
            .limit(1)
        )
        if definition is not None:
            return Product.from_dict(definition)
        if code in DEFAULT_PRODUCTS:
            return DEFAULT_PRODUCTS[code]
        raise NotFound(f"product {code!r} not found")


class SqlServicingLedger(SqlLedger):
    """The ledger as the servicing port sees it: posting, plus looking an entry up by transfer id."""

    def entry(self, tenant_id: uuid.UUID, transfer_id: str) -> JournalEntry | None:
        row = self._entry_row(tenant_id, transfer_id)
        return None if row is None else self._to_domain(row)


class SqlServicingUnitOfWork(SessionUnitOfWork):
    def _bind(self, session: Session) -> None:
        self.agreements = SqlAgreements(session)
        self.applications = SqlApplications(session)
        self.loans = SqlLoans(session)
        self.credit_lines = SqlCreditLines(session)
        self.disbursements = SqlDisbursements(session)
        self.payments = SqlPayments(session)
        self.ledger = SqlServicingLedger(session)
        self.audit = SqlAudit(session)
        self.products = SqlProducts(session)


# Read side of the loan endpoints: plain queries, no locks.


def list_loans(
    session: Session,
    tenant_id: uuid.UUID,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    credit_line_id: uuid.UUID | None = None,
) -> list[Loan]:
    """`credit_line_id` narrows to one line's draws (a line has no draw list of its own)."""
    query = select(Loan).where(Loan.tenant_id == tenant_id)
    if credit_line_id is not None:
        query = query.where(Loan.credit_line_id == credit_line_id)
    if after is not None:
        query = query.where(tuple_(Loan.created_at, Loan.id) > tuple_(*after))
    return list(session.scalars(query.order_by(Loan.created_at, Loan.id).limit(limit)))


def loan_state(session: Session, tenant_id: uuid.UUID, loan_id: uuid.UUID) -> LoanState | None:
    return SqlLoans(session).get(tenant_id, loan_id)


def payments_of(session: Session, tenant_id: uuid.UUID, loan_id: uuid.UUID) -> list[PaymentRecord]:
    rows = session.scalars(
        select(Payment)
        .where(Payment.tenant_id == tenant_id, Payment.loan_id == loan_id)
        .order_by(Payment.created_at, Payment.id)
    )
    return [payment_record(r) for r in rows]


def disbursement_of(session: Session, tenant_id: uuid.UUID, loan_id: uuid.UUID) -> DisbursementRecord | None:
    row = session.scalar(
        select(Disbursement).where(Disbursement.tenant_id == tenant_id, Disbursement.loan_id == loan_id)
    )
    return None if row is None else _disbursement(row)
