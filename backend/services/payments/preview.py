"""What the borrower will receive before they say "pay me": principal, the fees taken out of it,
the amount that lands and when. The same fee rule as the disbursement itself
(`backend.services.servicing.disbursement.pay_out`): an origination fee with the `deducted`
treatment comes out of the proceeds; a `financed` fee is added to what is owed and so is listed,
but not subtracted. The provider's transfer charge is the lender's cost, never the borrower's."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from backend.lending.ledger import FeeTreatment
from backend.lending.money import Money
from backend.services.payments.errors import NotFound
from backend.services.payments.ports import Arrival, BankAccount, PaymentsUnitOfWork, PayoutRail


@dataclass(frozen=True, slots=True)
class FeeLine:
    name: str
    amount: Money
    deducted_at_payout: bool


@dataclass(frozen=True, slots=True)
class PayoutPreview:
    agreement_id: uuid.UUID
    principal: Money
    fees: tuple[FeeLine, ...]
    amount_received: Money
    arrival: Arrival
    account: BankAccount


def payout_preview(
    tenant_id: uuid.UUID,
    agreement_id: uuid.UUID,
    bank_account_id: uuid.UUID,
    uow: PaymentsUnitOfWork,
    rail: PayoutRail,
    now: datetime,
) -> PayoutPreview:
    with uow:
        agreement = uow.agreements.for_disbursement(tenant_id, agreement_id)
        if agreement is None:
            raise NotFound(f"agreement {agreement_id} not found")
        account = uow.bank_accounts.get(tenant_id, bank_account_id)
        if account is None or account.customer_id != agreement.customer_id:
            raise NotFound(f"bank account {bank_account_id} not found for this borrower")
    fees: list[FeeLine] = []
    if agreement.origination_fee.minor:
        fees.append(
            FeeLine(
                "Origination fee",
                agreement.origination_fee,
                deducted_at_payout=agreement.fee_treatment is FeeTreatment.DEDUCTED,
            )
        )
    received = agreement.principal
    for fee in fees:
        if fee.deducted_at_payout:
            received = received - fee.amount
    return PayoutPreview(
        agreement_id=agreement_id,
        principal=agreement.principal,
        fees=tuple(fees),
        amount_received=received,
        arrival=rail.arrival(now),
        account=account,
    )
