"""SQL implementations of the servicing ports, and the read queries of the loan endpoints.

Nothing here commits except `SqlServicingUnitOfWork.commit`: the loan, its instalments, the
payment or disbursement row, the ledger entries and the audit row land in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import Row, bindparam, func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from backend.adapters.db.audit import SqlAudit
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
from backend.adapters.db.servicing_models import CreditRefundRow
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
    CreditRefundRecord,
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
    """Loans and their instalments through prebuilt Core statements.

    The repayment path reads a loan and its instalments and writes back a handful of columns: the
    ORM's identity map, `populate_existing` refresh and unit-of-work flush cost more client CPU
    than the statements themselves (docs/ledger.md, Benchmark). So `get` remembers the values it
    read, and `save` writes only the instalments that changed, in one executemany, and the loan
    row only if it changed, advancing its version counter as the ORM's `version_id_col` does. A
    loan created in this unit of work (`add`) is an ORM object until the flush, so it is saved
    through those objects."""

    def __init__(self, session: Session, products: ProductCache | None = None) -> None:
        self._session = session
        self._products = products
        self._loaded: dict[uuid.UUID, _Loaded] = {}
        self._added: dict[uuid.UUID, tuple[Loan, dict[int, Instalment]]] = {}

    def get(self, tenant_id: uuid.UUID, loan_id: uuid.UUID, *, for_update: bool = False) -> LoanState | None:
        """The loan row (locked until commit with `for_update`), then its instalments in a second
        statement: under READ COMMITTED that statement's snapshot is taken after the lock was
        granted, so a payment committed while we waited is seen. One joined SELECT ... FOR UPDATE
        would hand back the instalments as they were before the wait. The loan statement also
        names the tenant's newest active version of the loan's product, so the product port
        needs no query of its own."""
        if loan_id in self._added:
            self._session.flush()
        params = {"loan_id": loan_id, "tenant_id": tenant_id}
        conn = self._session.connection()
        loan = conn.execute(_LOCK_LOAN if for_update else _SELECT_LOAN, params).first()
        if loan is None:
            return None
        rows = conn.execute(_SELECT_INSTALMENTS, {"loan_id": loan_id}).all()
        if self._products is not None:
            self._products.saw(tenant_id, loan.product_code, loan.product_id)
        self._loaded[loan_id] = _Loaded(
            loan.version,
            (loan.status, loan.closed_on, loan.credit_balance_minor),
            {r.number: tuple(r)[_FIRST_MUTABLE:] for r in rows},
        )
        return _state(loan, rows)

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
        self._added[loan.id] = (row, rows)

    def active_ids(self) -> list[tuple[uuid.UUID, uuid.UUID]]:
        rows = self._session.execute(
            select(Loan.tenant_id, Loan.id).where(Loan.status == "active").order_by(Loan.tenant_id, Loan.id)
        )
        return [(tenant_id, loan_id) for tenant_id, loan_id in rows]

    def active_page(
        self, after: tuple[uuid.UUID, uuid.UUID] | None, limit: int
    ) -> list[tuple[uuid.UUID, uuid.UUID]]:
        query = select(Loan.tenant_id, Loan.id).where(Loan.status == "active")
        if after is not None:
            query = query.where(tuple_(Loan.tenant_id, Loan.id) > tuple_(*after))
        rows = self._session.execute(query.order_by(Loan.tenant_id, Loan.id).limit(limit))
        return [(tenant_id, loan_id) for tenant_id, loan_id in rows]

    def save(self, loan: LoanState) -> None:
        if loan.id not in self._loaded:
            self._save_added(loan)
            return
        loaded = self._loaded[loan.id]
        changed = [
            {"b_loan_id": loan.id, "b_number": number, **dict(zip(_MUTABLE, values, strict=True))}
            for number, values in _instalment_values(loan)
            if loaded.instalments[number] != values
        ]
        if changed:
            self._session.connection().execute(_UPDATE_INSTALMENT, changed)
        head = (loan.status, loan.closed_on, loan.credit_balance.minor)
        if head != loaded.head:
            self._session.connection().execute(
                _UPDATE_LOAN,
                {
                    "b_loan_id": loan.id,
                    "status": loan.status,
                    "closed_on": loan.closed_on,
                    "credit_balance_minor": loan.credit_balance.minor,
                    "version": loaded.version + 1,
                },
            )
            self._loaded[loan.id] = replace(loaded, version=loaded.version + 1, head=head)

    def _save_added(self, loan: LoanState) -> None:
        row, instalments = self._added[loan.id]
        row.status = loan.status
        row.closed_on = loan.closed_on
        row.credit_balance_minor = loan.credit_balance.minor
        for number, values in _instalment_values(loan):
            for column, value in zip(_MUTABLE, values, strict=True):
                setattr(instalments[number], column, value)


@dataclass(frozen=True, slots=True)
class _Loaded:
    """What `SqlLoans.get` read, to write back only what changed."""

    version: int
    head: tuple[str, date | None, int]
    instalments: dict[int, tuple[Any, ...]]


_LOANS = Loan.__table__
_INSTALMENTS = Instalment.__table__
_PRODUCTS = ProductRow.__table__
# The instalment columns a use case changes, in `_SELECT_INSTALMENTS` order after the fixed ones.
_MUTABLE = (
    "interest_minor",
    "fees_minor",
    "paid_principal_minor",
    "paid_interest_minor",
    "paid_fees_minor",
    "interest_accrued_minor",
    "late_fee_assessed_on",
)
_FIXED = ("number", "due_date", "principal_minor")
_FIRST_MUTABLE = len(_FIXED)
_NEWEST_PRODUCT = (
    select(_PRODUCTS.c.id)
    .where(
        _PRODUCTS.c.tenant_id == _LOANS.c.tenant_id,
        _PRODUCTS.c.code == _LOANS.c.product_code,
        _PRODUCTS.c.active.is_(True),
    )
    .order_by(_PRODUCTS.c.version.desc())
    .limit(1)
    .scalar_subquery()
    .label("product_id")
)
# Built once: SQLAlchemy caches their compiled form, and on the Tables they skip the ORM.
_SELECT_LOAN = select(*_LOANS.c, _NEWEST_PRODUCT).where(
    _LOANS.c.id == bindparam("loan_id"), _LOANS.c.tenant_id == bindparam("tenant_id")
)
_LOCK_LOAN = _SELECT_LOAN.with_for_update(of=_LOANS)
_SELECT_INSTALMENTS = (
    select(*(_INSTALMENTS.c[name] for name in (*_FIXED, *_MUTABLE)))
    .where(_INSTALMENTS.c.loan_id == bindparam("loan_id"))
    .order_by(_INSTALMENTS.c.number)
)
_UPDATE_INSTALMENT = update(_INSTALMENTS).where(
    _INSTALMENTS.c.loan_id == bindparam("b_loan_id"), _INSTALMENTS.c.number == bindparam("b_number")
)
_UPDATE_LOAN = update(_LOANS).where(_LOANS.c.id == bindparam("b_loan_id"))


def _instalment_values(loan: LoanState) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Each instalment's `_MUTABLE` columns as the loan state says they should now be."""
    zero = Money.zero(loan.currency)
    for due in loan.dues:
        yield (
            due.number,
            (
                due.interest.minor,
                due.fees.minor,
                due.principal_paid.minor,
                due.interest_paid.minor,
                due.fees_paid.minor,
                loan.interest_accrued.get(due.number, zero).minor,
                loan.late_fee_assessed.get(due.number),
            ),
        )


def _state(loan: Row[Any], rows: Sequence[Row[Any]]) -> LoanState:
    c = loan.currency
    dues = []
    accrued = {}
    assessed = {}
    for number, due_on, principal, interest, fees, paid_p, paid_i, paid_f, accrued_i, fee_on in rows:
        dues.append(
            InstalmentDue(
                number,
                due_on,
                Money(principal, c),
                Money(interest, c),
                Money(fees, c),
                Money(paid_p, c),
                Money(paid_i, c),
                Money(paid_f, c),
            )
        )
        accrued[number] = Money(accrued_i, c)
        if fee_on is not None:
            assessed[number] = fee_on
    return _loan_state(loan, tuple(dues), accrued, assessed)


def _loan_state(
    loan: Any,
    dues: tuple[InstalmentDue, ...],
    accrued: dict[int, Money],
    assessed: dict[int, Any],
) -> LoanState:
    """A loan row (Core row or ORM object: the same column names) with its dues as the domain view."""
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
        dues=dues,
        interest_accrued=accrued,
        late_fee_assessed=assessed,
        closed_on=loan.closed_on,
        credit_line_id=loan.credit_line_id,
    )


def instalment_dues(rows: Sequence[Instalment], currency: str) -> tuple[InstalmentDue, ...]:
    """The stored instalment rows as the lending core's dues (what is owed and what was paid)."""
    return tuple(
        InstalmentDue(
            r.number,
            r.due_date,
            Money(r.principal_minor, currency),
            Money(r.interest_minor, currency),
            Money(r.fees_minor, currency),
            Money(r.paid_principal_minor, currency),
            Money(r.paid_interest_minor, currency),
            Money(r.paid_fees_minor, currency),
        )
        for r in rows
    )


def to_state(loan: Loan, rows: Sequence[Instalment]) -> LoanState:
    """The domain view of a loan row and its instalment rows (none, for a list of loans)."""
    c = loan.currency
    return _loan_state(
        loan,
        instalment_dues(rows, c),
        {r.number: Money(r.interest_accrued_minor, c) for r in rows},
        {r.number: r.late_fee_assessed_on for r in rows if r.late_fee_assessed_on},
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
        row = (
            self._session.connection()
            .execute(_PAYMENT_BY_REF, {"tenant_id": tenant_id, "provider_ref": provider_ref})
            .first()
        )
        return None if row is None else payment_record(row)

    def add(self, record: PaymentRecord) -> None:
        """One INSERT now, through Core: the row is never read back as an object in this unit of
        work (a lookup by provider_ref queries the table), so the ORM's flush bookkeeping would be
        pure client CPU on the repayment path."""
        self._session.connection().execute(
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


# Built once, on the Table, so executing them skips the ORM (identity map, autoflush, bulk insert).
_PAYMENTS = Payment.__table__
_INSERT_PAYMENT = insert(_PAYMENTS)
_PAYMENT_BY_REF = select(_PAYMENTS).where(
    _PAYMENTS.c.tenant_id == bindparam("tenant_id"), _PAYMENTS.c.provider_ref == bindparam("provider_ref")
)


def payment_record(row: Payment | Row[Any]) -> PaymentRecord:
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


class SqlCreditRefunds:
    def __init__(self, session: Session) -> None:
        self._session = session

    def latest(self, tenant_id: uuid.UUID, loan_id: uuid.UUID) -> CreditRefundRecord | None:
        row = self._session.scalar(
            select(CreditRefundRow)
            .where(CreditRefundRow.tenant_id == tenant_id, CreditRefundRow.loan_id == loan_id)
            .order_by(CreditRefundRow.attempt.desc())
            .limit(1)
        )
        return None if row is None else _credit_refund(row)

    def get(
        self, tenant_id: uuid.UUID, refund_id: uuid.UUID, *, for_update: bool = False
    ) -> CreditRefundRecord | None:
        query = select(CreditRefundRow).where(
            CreditRefundRow.id == refund_id, CreditRefundRow.tenant_id == tenant_id
        )
        if for_update:
            query = query.with_for_update()
        row = self._session.scalar(query.execution_options(populate_existing=True))
        return None if row is None else _credit_refund(row)

    def add(self, record: CreditRefundRecord) -> None:
        self._session.add(
            CreditRefundRow(
                id=record.id,
                tenant_id=record.tenant_id,
                loan_id=record.loan_id,
                attempt=record.attempt,
                amount_minor=record.amount.minor,
                fee_minor=record.provider_fee.minor,
                currency=record.amount.currency,
                provider=record.provider,
                provider_ref=record.provider_ref,
                transfer_id=record.transfer_id,
                destination=record.destination,
                status=record.status,
                reason=record.reason,
                settled_on=record.settled_on,
            )
        )
        self._session.flush()  # a retry racing on the same attempt fails here, not at commit

    def set_outcome(self, record: CreditRefundRecord) -> None:
        row = self._session.get(CreditRefundRow, record.id)
        assert row is not None and row.tenant_id == record.tenant_id
        row.status, row.fee_minor = record.status, record.provider_fee.minor
        row.reason, row.settled_on = record.reason, record.settled_on


def _credit_refund(row: CreditRefundRow) -> CreditRefundRecord:
    return CreditRefundRecord(
        id=row.id,
        tenant_id=row.tenant_id,
        loan_id=row.loan_id,
        attempt=row.attempt,
        amount=Money(row.amount_minor, row.currency),
        provider_fee=Money(row.fee_minor, row.currency),
        provider=row.provider,
        provider_ref=row.provider_ref,
        transfer_id=row.transfer_id,
        destination=row.destination,
        status=row.status,
        reason=row.reason,
        settled_on=row.settled_on,
    )


def credit_refund_of(
    session: Session, tenant_id: uuid.UUID, refund_id: uuid.UUID
) -> CreditRefundRecord | None:
    return SqlCreditRefunds(session).get(tenant_id, refund_id)


class ProductCache:
    """Parsed products by their row id, for the process: a product version's definition never
    changes (an edit is a new version, a new row), so parsing it once is enough. Per unit of work,
    it also remembers which row is a tenant's newest active version of a code, as the loan query
    saw it (`None`: the tenant has none, the built-in catalogue applies)."""

    _parsed: ClassVar[dict[uuid.UUID, Product]] = {}
    _LIMIT: ClassVar[int] = 4096

    def __init__(self) -> None:
        self.newest: dict[tuple[uuid.UUID, str], uuid.UUID | None] = {}

    def saw(self, tenant_id: uuid.UUID, code: str, product_id: uuid.UUID | None) -> None:
        self.newest[(tenant_id, code)] = product_id

    def parsed(self, product_id: uuid.UUID, definition: dict[str, Any]) -> Product:
        if (product := self._parsed.get(product_id)) is None:
            if len(self._parsed) >= self._LIMIT:
                self._parsed.clear()
            product = self._parsed[product_id] = Product.from_dict(definition)
        return product

    def known(self, product_id: uuid.UUID) -> Product | None:
        return self._parsed.get(product_id)


class SqlProducts:
    """The tenant's newest active version of a product, else the built-in catalogue."""

    def __init__(self, session: Session, cache: ProductCache | None = None) -> None:
        self._session = session
        self._cache = cache or ProductCache()

    def get(self, tenant_id: uuid.UUID, code: str) -> Product:
        key = (tenant_id, code)
        if key in self._cache.newest:
            product_id = self._cache.newest[key]
            if product_id is None:
                return _default_product(code)
            if (known := self._cache.known(product_id)) is not None:
                return known
        row = self._session.execute(
            select(ProductRow.id, ProductRow.definition)
            .where(ProductRow.tenant_id == tenant_id, ProductRow.code == code, ProductRow.active.is_(True))
            .order_by(ProductRow.version.desc())
            .limit(1)
        ).first()
        if row is None:
            return _default_product(code)
        return self._cache.parsed(row.id, row.definition)


def _default_product(code: str) -> Product:
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
        products = ProductCache()
        self.loans = SqlLoans(session, products)
        self.credit_lines = SqlCreditLines(session)
        self.disbursements = SqlDisbursements(session)
        self.payments = SqlPayments(session)
        self.credit_refunds = SqlCreditRefunds(session)
        self.ledger = SqlServicingLedger(session)
        self.audit = SqlAudit(session)
        self.products = SqlProducts(session, products)

    def commit(self) -> None:
        super().commit()
        if self._outer is None:  # joined: the outer transaction commits later, or not at all
            self.ledger.committed()

    @contextmanager
    def isolated(self) -> Iterator[SqlServicingUnitOfWork]:
        """A unit of work joined to this one's transaction inside a SAVEPOINT: if the block raises,
        only its own work is rolled back (the daily job's one loan of a page)."""
        with self.session.begin_nested():
            yield type(self).joining(self.session)


# Read side of the loan endpoints: plain queries, no locks.


def list_loans(
    session: Session,
    tenant_id: uuid.UUID,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    credit_line_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
) -> list[Loan]:
    """`credit_line_id` narrows to one line's draws (a line has no draw list of its own);
    `customer_id` to one customer's loans (what the chat shows them)."""
    query = select(Loan).where(Loan.tenant_id == tenant_id)
    if credit_line_id is not None:
        query = query.where(Loan.credit_line_id == credit_line_id)
    if customer_id is not None:
        query = query.where(Loan.customer_id == customer_id)
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
