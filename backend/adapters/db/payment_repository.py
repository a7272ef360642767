"""SQL side of the payments use cases: bank accounts, pay-now instructions and payers, plus the
servicing repositories the payments unit of work reuses (loans, agreements, audit) as they are."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.lending_models import Agreement, CreditApplication
from backend.adapters.db.models import Customer
from backend.adapters.db.payment_models import BankAccountRow, PaymentInstructionRow
from backend.adapters.db.servicing_repository import SqlAgreements, SqlAudit, SqlLoans
from backend.adapters.db.uow import SessionUnitOfWork
from backend.lending.money import Money
from backend.services.payments.ports import BankAccount, Instruction, Payer, VirtualAccount

DEFAULT_EMAIL_DOMAIN = "customers.credit-assistant.dev"


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes for timezone-aware columns; they were stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _account(row: BankAccountRow) -> BankAccount:
    return BankAccount(
        id=row.id,
        tenant_id=row.tenant_id,
        customer_id=row.customer_id,
        bank_code=row.bank_code,
        bank_name=row.bank_name,
        account_number=row.account_number,
        account_name=row.account_name,
        verified_at=_aware(row.verified_at),
    )


class SqlBankAccounts:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, tenant_id: uuid.UUID, account_id: uuid.UUID) -> BankAccount | None:
        row = self._session.scalar(
            select(BankAccountRow).where(
                BankAccountRow.tenant_id == tenant_id, BankAccountRow.id == account_id
            )
        )
        return None if row is None else _account(row)

    def find(
        self, tenant_id: uuid.UUID, customer_id: uuid.UUID, bank_code: str, account_number: str
    ) -> BankAccount | None:
        row = self._session.scalar(
            select(BankAccountRow).where(
                BankAccountRow.tenant_id == tenant_id,
                BankAccountRow.customer_id == customer_id,
                BankAccountRow.bank_code == bank_code,
                BankAccountRow.account_number == account_number,
            )
        )
        return None if row is None else _account(row)

    def for_customer(self, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> list[BankAccount]:
        rows = self._session.scalars(
            select(BankAccountRow)
            .where(BankAccountRow.tenant_id == tenant_id, BankAccountRow.customer_id == customer_id)
            .order_by(BankAccountRow.created_at.desc(), BankAccountRow.id)
        )
        return [_account(r) for r in rows]

    def add(self, account: BankAccount) -> None:
        self._session.add(
            BankAccountRow(
                id=account.id,
                tenant_id=account.tenant_id,
                customer_id=account.customer_id,
                bank_code=account.bank_code,
                bank_name=account.bank_name,
                account_number=account.account_number,
                account_name=account.account_name,
                verified_at=account.verified_at,
            )
        )
        self._session.flush()


def _instruction(row: PaymentInstructionRow) -> Instruction:
    va = (
        VirtualAccount(row.va_bank_name or "", row.va_account_number, row.va_account_name or "")
        if row.va_account_number
        else None
    )
    return Instruction(
        id=row.id,
        tenant_id=row.tenant_id,
        loan_id=row.loan_id,
        customer_id=row.customer_id,
        reference=row.reference,
        provider=row.provider,
        method=row.method,
        amount=Money(row.amount_minor, row.currency),
        status=row.status,
        link_url=row.link_url,
        virtual_account=va,
        expires_at=_aware(row.expires_at),
        created_at=_aware(row.created_at),
        paid_amount=Money(row.paid_amount_minor, row.currency) if row.paid_amount_minor is not None else None,
        paid_at=_aware(row.paid_at) if row.paid_at else None,
        payment_id=row.payment_id,
    )


class SqlInstructions:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, tenant_id: uuid.UUID, instruction_id: uuid.UUID) -> Instruction | None:
        row = self._session.scalar(
            select(PaymentInstructionRow).where(
                PaymentInstructionRow.tenant_id == tenant_id, PaymentInstructionRow.id == instruction_id
            )
        )
        return None if row is None else _instruction(row)

    def by_reference(self, reference: str, *, for_update: bool = False) -> Instruction | None:
        query = select(PaymentInstructionRow).where(PaymentInstructionRow.reference == reference)
        if for_update:
            query = query.with_for_update()
        row = self._session.scalar(query)
        return None if row is None else _instruction(row)

    def add(self, instruction: Instruction) -> None:
        va = instruction.virtual_account
        self._session.add(
            PaymentInstructionRow(
                id=instruction.id,
                tenant_id=instruction.tenant_id,
                loan_id=instruction.loan_id,
                customer_id=instruction.customer_id,
                reference=instruction.reference,
                provider=instruction.provider,
                method=instruction.method,
                amount_minor=instruction.amount.minor,
                currency=instruction.amount.currency,
                status=instruction.status,
                link_url=instruction.link_url,
                va_bank_name=va.bank_name if va else None,
                va_account_number=va.account_number if va else None,
                va_account_name=va.account_name if va else None,
                expires_at=instruction.expires_at,
                created_at=instruction.created_at,
            )
        )
        self._session.flush()

    def save(self, instruction: Instruction) -> None:
        row = self._session.get_one(PaymentInstructionRow, instruction.id)
        row.status = instruction.status
        row.paid_amount_minor = instruction.paid_amount.minor if instruction.paid_amount else None
        row.paid_at = instruction.paid_at
        row.payment_id = instruction.payment_id
        self._session.flush()


class SqlPayers:
    def __init__(self, session: Session, email_domain: str) -> None:
        self._session = session
        self._domain = email_domain

    def get(self, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> Payer | None:
        row = self._session.scalar(
            select(Customer).where(Customer.tenant_id == tenant_id, Customer.id == customer_id)
        )
        if row is None:
            return None
        return Payer(row.id, row.full_name, row.locale, f"{row.id.hex}@{self._domain}")


class SqlPaymentsUnitOfWork(SessionUnitOfWork):
    def __init__(
        self,
        sessions: sessionmaker[Session] | None = None,
        *,
        session: Session | None = None,
        email_domain: str = DEFAULT_EMAIL_DOMAIN,
    ) -> None:
        super().__init__(sessions, session=session)
        self._email_domain = email_domain

    def _bind(self, session: Session) -> None:
        self.bank_accounts = SqlBankAccounts(session)
        self.instructions = SqlInstructions(session)
        self.payers = SqlPayers(session, self._email_domain)
        self.loans = SqlLoans(session)
        self.agreements = SqlAgreements(session)
        self.audit = SqlAudit(session)


def agreement_customer(session: Session, tenant_id: uuid.UUID, agreement_id: uuid.UUID) -> uuid.UUID | None:
    """The borrower of an agreement: a payout may only go to that customer's own account."""
    return session.scalar(
        select(CreditApplication.customer_id)
        .join(Agreement, Agreement.application_id == CreditApplication.id)
        .where(Agreement.id == agreement_id, Agreement.tenant_id == tenant_id)
    )
