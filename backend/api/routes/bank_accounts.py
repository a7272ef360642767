"""Payout bank accounts of a customer, and the list of banks (with "which bank is this number
from?" suggestions): /v1/customers/{id}/bank-accounts and /v1/banks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from backend.adapters.payments.providers import payments
from backend.api import idempotency
from backend.api.deps import ComponentsDep, CurrentTenant
from backend.api.paging import CursorQuery, LimitQuery, Page, decode_cursor, encode_cursor
from backend.api.routes.payments import NowDep, as_problem, payments_uow
from backend.lending.banks import BANKS, Bank, find_bank
from backend.lending.nuban import candidate_banks, mask
from backend.services.payments.bank_accounts import AddBankAccount, add_bank_account
from backend.services.payments.errors import NotFound, PaymentsError
from backend.services.payments.ports import BankAccount

router = APIRouter(prefix="/v1/customers/{customer_id}/bank-accounts", tags=["bank accounts"])
banks_router = APIRouter(prefix="/v1/banks", tags=["bank accounts"])


class BankAccountIn(BaseModel):
    bank_code: str = Field(min_length=3, max_length=6, pattern="^[0-9]+$", examples=["058"])
    account_number: str = Field(
        min_length=10, max_length=14, description="10-digit NUBAN; spaces and dashes are ignored."
    )


class BankAccountOut(BaseModel):
    id: uuid.UUID
    bank_code: str
    bank_name: str
    account_number_masked: str
    account_name: str
    verified_at: datetime

    @classmethod
    def of(cls, a: BankAccount) -> BankAccountOut:
        return cls(
            id=a.id,
            bank_code=a.bank_code,
            bank_name=a.bank_name,
            account_number_masked=mask(a.account_number),
            account_name=a.account_name,
            verified_at=a.verified_at,
        )


@router.post("", response_model=BankAccountOut, status_code=201)
def create_bank_account(
    customer_id: uuid.UUID,
    body: BankAccountIn,
    tenant: CurrentTenant,
    c: ComponentsDep,
    now: NowDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Check the NUBAN check digit for the bank, resolve the holder's name with the bank, store.
    Refusals: 422 `invalid-account-number` (typo), `unknown-bank`, `account-not-found` (the bank
    knows no such account); 404 `not-found` (customer). Adding a known account returns it."""
    cmd = AddBankAccount(
        tenant.id, customer_id, body.bank_code, body.account_number, actor=f"api:{tenant.slug}"
    )

    def run(session: Session) -> dict[str, Any]:
        try:
            account = add_bank_account(cmd, payments_uow(c, session), payments(c.settings), now)
        except PaymentsError as exc:
            raise as_problem(exc) from exc
        return BankAccountOut.of(account).model_dump(mode="json")

    return idempotency.once(c.sessions, tenant, idempotency_key, body.model_dump(mode="json"), run)


@router.get("", response_model=Page[BankAccountOut])
def list_bank_accounts(
    customer_id: uuid.UUID,
    tenant: CurrentTenant,
    c: ComponentsDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[BankAccountOut]:
    """Newest first: the account the customer added last is the one the bot offers first."""
    uow = payments_uow(c)
    with uow:
        if uow.payers.get(tenant.id, customer_id) is None:
            raise as_problem(NotFound(f"customer {customer_id} not found"))
        accounts = uow.bank_accounts.for_customer(tenant.id, customer_id)
    after = decode_cursor(cursor, 1)
    if after is not None:
        ids = [str(a.id) for a in accounts]
        accounts = accounts[ids.index(after[0]) + 1 :] if after[0] in ids else []
    page = accounts[:limit]
    more = len(accounts) > limit
    return Page(
        items=[BankAccountOut.of(a) for a in page], next_cursor=encode_cursor(page[-1].id) if more else None
    )


class BankOut(BaseModel):
    code: str
    name: str
    short_name: str
    aliases: list[str]

    @classmethod
    def of(cls, b: Bank) -> BankOut:
        return cls(code=b.code, name=b.name, short_name=b.short_name, aliases=list(b.aliases))


class BanksOut(BaseModel):
    items: list[BankOut]
    next_cursor: str | None = None


@banks_router.get("", response_model=BanksOut)
def list_banks(
    _tenant: CurrentTenant,
    account_number: Annotated[
        str | None, Query(description="Only the banks for which this 10-digit number passes the check digit.")
    ] = None,
    q: Annotated[
        str | None, Query(max_length=60, description="What the customer typed: 'gtb', 'first bank'.")
    ] = None,
) -> BanksOut:
    """Every bank we pay into (one page: the list is short); `account_number` narrows it to the
    banks the number could belong to, `q` to the bank a customer's words name."""
    banks: list[Bank] = list(BANKS)
    if account_number is not None:
        digits = "".join(ch for ch in account_number if ch.isdigit())
        banks = candidate_banks(digits) if len(digits) == 10 else []
    if q is not None:
        found = find_bank(q)
        banks = [b for b in banks if found is not None and b.code == found.code]
    return BanksOut(items=[BankOut.of(b) for b in banks])
