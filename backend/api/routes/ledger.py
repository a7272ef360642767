"""GET /v1/ledger/trial-balance: the tenant's books by account kind; each currency nets to zero."""

from __future__ import annotations

from fastapi import APIRouter

from backend.adapters.db.ledger_repository import SqlLedger
from backend.api.deps import ComponentsDep, CurrentTenant
from backend.api.routes.servicing_schemas import TrialBalanceLine, TrialBalanceOut
from backend.api.schemas import MoneyOut
from backend.lending.money import Money

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])


@router.get("/trial-balance", response_model=TrialBalanceOut)
def get_trial_balance(tenant: CurrentTenant, c: ComponentsDep) -> TrialBalanceOut:
    with c.sessions() as session:
        balances = SqlLedger(session).trial_balance(tenant.id)
    loc = tenant.default_locale
    totals: dict[str, int] = {}
    lines = []
    for (kind, currency), amount in sorted(balances.items()):
        totals[currency] = totals.get(currency, 0) + amount.minor
        lines.append(TrialBalanceLine(account=kind.value, balance=MoneyOut.of(amount, loc)))
    return TrialBalanceOut(
        lines=lines, totals=[MoneyOut.of(Money(v, cur), loc) for cur, v in sorted(totals.items())]
    )
