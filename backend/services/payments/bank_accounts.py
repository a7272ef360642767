"""Add a payout bank account: the check digit first (free, instant), then the bank's own name
enquiry, then store. Adding the same account twice returns the first one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from backend.lending.banks import bank_by_code
from backend.lending.nuban import is_valid, mask, normalise
from backend.services.payments.errors import AccountNotFound, InvalidAccountNumber, NotFound, UnknownBank
from backend.services.payments.ports import AccountNames, BankAccount, PaymentsUnitOfWork


@dataclass(frozen=True, slots=True)
class AddBankAccount:
    tenant_id: uuid.UUID
    customer_id: uuid.UUID
    bank_code: str
    account_number: str
    actor: str = "api"


def add_bank_account(
    cmd: AddBankAccount, uow: PaymentsUnitOfWork, names: AccountNames, now: datetime
) -> BankAccount:
    bank = bank_by_code(cmd.bank_code)
    if bank is None:
        raise UnknownBank(
            f"We don't know the bank with code {cmd.bank_code}. Pick it from the list of banks."
        )
    number = normalise(cmd.account_number)
    if not is_valid(bank.code, number):
        raise InvalidAccountNumber(
            f"{number} is not a valid {bank.name} account number. Please check the 10 digits and try again."
        )
    with uow:
        payer = uow.payers.get(cmd.tenant_id, cmd.customer_id)
        if payer is None:
            raise NotFound(f"customer {cmd.customer_id} not found")
        if (known := uow.bank_accounts.find(cmd.tenant_id, cmd.customer_id, bank.code, number)) is not None:
            return known
        name = names.resolve(bank_code=bank.code, account_number=number, hint=payer.full_name)
        if name is None:
            raise AccountNotFound(f"{bank.name} says there is no account {number}. Please check the number.")
        account = BankAccount(
            id=uuid.uuid4(),
            tenant_id=cmd.tenant_id,
            customer_id=cmd.customer_id,
            bank_code=bank.code,
            bank_name=bank.name,
            account_number=number,
            account_name=name,
            verified_at=now,
        )
        uow.bank_accounts.add(account)
        uow.audit.append(
            cmd.tenant_id,
            actor=cmd.actor,
            action="bank_account.added",
            subject_type="customer",
            subject_id=str(cmd.customer_id),
            data={
                "bank_account_id": str(account.id),
                "bank_code": bank.code,
                "account_number_masked": mask(number),
                "account_name": name,
            },
        )
        uow.commit()
        return account
