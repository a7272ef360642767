"""Random loan lives against the in-memory ledger: whatever happens, the books balance.

Hypothesis drives disbursements, fees, accruals, late fees, payments (allocated fees, then
interest, then principal, then overpayment, as a service would), write-offs, retries and reversals
over several loans in two currencies, and checks after every step that each currency balances,
receivables never go negative, and a reversal restores the loan's balances.
"""

from __future__ import annotations

import uuid
from datetime import date

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from backend.lending.ledger import (
    LOAN_SCOPED,
    RECEIVABLES,
    AccountKind,
    AccountRef,
    FeeTreatment,
    JournalEntry,
    Ledger,
    LoanAccounts,
    RepaymentParts,
    disbursement,
    fee_charge,
    interest_accrual,
    late_fee,
    repayment,
    reverse,
    write_off,
)
from backend.lending.money import Money

TENANT = uuid.uuid4()
DAY = date(2026, 11, 29)
CURRENCIES = ("NGN", "KES")
K = AccountKind
amounts = st.integers(min_value=1, max_value=5_000_000)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.ledger = Ledger()
        self.loans: list[LoanAccounts] = []
        self.written_off: set[uuid.UUID] = set()
        # Per loan, the entries still standing, newest last, with the loan's balances before each.
        self.undo: dict[uuid.UUID, list[tuple[JournalEntry, dict[AccountKind, int]]]] = {}
        self.ids = 0

    def _tid(self) -> str:
        self.ids += 1
        return f"t{self.ids}"

    def _loan_balances(self, loan: LoanAccounts) -> dict[AccountKind, int]:
        return {kind: self.ledger.balance(loan[kind]).minor for kind in LOAN_SCOPED}

    def _post(self, loan: LoanAccounts, entry: JournalEntry) -> None:
        before = self._loan_balances(loan)
        assert self.ledger.post(entry) is entry
        self.undo[loan.loan_id].append((entry, before))

    def _pick(self, data: st.DataObject, *, open_only: bool = True) -> LoanAccounts:
        pool = [loan for loan in self.loans if not open_only or loan.loan_id not in self.written_off]
        return data.draw(st.sampled_from(pool))

    def _has_open_loan(self) -> bool:
        return any(loan.loan_id not in self.written_off for loan in self.loans)

    @precondition(lambda self: len(self.loans) < 6)
    @rule(
        currency=st.sampled_from(CURRENCIES),
        principal=st.integers(min_value=2, max_value=50_000_000),
        fee_share=st.integers(min_value=0, max_value=99),
        treatment=st.sampled_from(FeeTreatment),
    )
    def disburse(self, currency: str, principal: int, fee_share: int, treatment: FeeTreatment) -> None:
        loan = LoanAccounts(TENANT, uuid.uuid4(), currency)
        self.loans.append(loan)
        self.undo[loan.loan_id] = []
        fee = Money(principal * fee_share // 100, currency)
        self._post(
            loan,
            disbursement(
                self._tid(),
                loan=loan,
                principal=Money(principal, currency),
                origination_fee=fee,
                treatment=treatment,
                on=DAY,
            ),
        )

    @precondition(_has_open_loan)
    @rule(data=st.data(), amount=amounts, late=st.booleans())
    def charge_fee(self, data: st.DataObject, amount: int, late: bool) -> None:
        loan = self._pick(data)
        rule_ = late_fee if late else fee_charge
        self._post(loan, rule_(self._tid(), loan=loan, amount=Money(amount, loan.currency), on=DAY))

    @precondition(_has_open_loan)
    @rule(data=st.data(), amount=amounts)
    def accrue_interest(self, data: st.DataObject, amount: int) -> None:
        loan = self._pick(data)
        self._post(
            loan, interest_accrual(self._tid(), loan=loan, amount=Money(amount, loan.currency), on=DAY)
        )

    @precondition(_has_open_loan)
    @rule(data=st.data(), amount=st.integers(min_value=1, max_value=80_000_000))
    def pay(self, data: st.DataObject, amount: int) -> None:
        loan = self._pick(data)
        owed = self._loan_balances(loan)
        left = amount
        split = {}
        for kind in (K.FEES_RECEIVABLE, K.INTEREST_RECEIVABLE, K.PRINCIPAL_RECEIVABLE):
            split[kind] = min(left, owed[kind])
            left -= split[kind]
        parts = RepaymentParts.of(
            loan.currency,
            fees=split[K.FEES_RECEIVABLE],
            interest=split[K.INTEREST_RECEIVABLE],
            principal=split[K.PRINCIPAL_RECEIVABLE],
            overpayment=left,
        )
        self._post(loan, repayment(self._tid(), loan=loan, parts=parts, on=DAY))

    @precondition(_has_open_loan)
    @rule(data=st.data())
    def write_off_outstanding(self, data: st.DataObject) -> None:
        loan = self._pick(data)
        owed = self._loan_balances(loan)
        if not any(owed[kind] for kind in RECEIVABLES):
            return
        money = {kind: Money(owed[kind], loan.currency) for kind in RECEIVABLES}
        entry = write_off(
            self._tid(),
            loan=loan,
            principal=money[K.PRINCIPAL_RECEIVABLE],
            interest=money[K.INTEREST_RECEIVABLE],
            fees=money[K.FEES_RECEIVABLE],
            on=DAY,
        )
        self._post(loan, entry)
        self.written_off.add(loan.loan_id)
        assert all(self.ledger.balance(loan[kind]).minor == 0 for kind in RECEIVABLES)

    @precondition(lambda self: any(self.undo.values()))
    @rule(data=st.data())
    def reverse_latest(self, data: st.DataObject) -> None:
        loan = data.draw(st.sampled_from([loan for loan in self.loans if self.undo[loan.loan_id]]))
        entry, before = self.undo[loan.loan_id].pop()
        everything_before = dict(self.ledger.balances())
        undo = reverse(entry, self._tid())
        self.ledger.post(undo)
        assert self._loan_balances(loan) == before
        for posting in entry.postings:
            was = everything_before[posting.account].minor
            assert self.ledger.balance(posting.account).minor == was - posting.amount.minor
        if entry.kind.value == "write_off":
            self.written_off.discard(loan.loan_id)

    @precondition(lambda self: bool(self.ledger.entries))
    @rule(data=st.data())
    def retry_a_posted_transfer(self, data: st.DataObject) -> None:
        entry = data.draw(st.sampled_from(sorted(self.ledger.entries.values(), key=lambda e: e.transfer_id)))
        before = dict(self.ledger.balances())
        assert self.ledger.post(entry) is self.ledger.entries[entry.transfer_id]
        assert dict(self.ledger.balances()) == before

    @invariant()
    def each_currency_balances(self) -> None:
        totals = dict.fromkeys(CURRENCIES, 0)
        for (_kind, currency), money in self.ledger.trial_balance(TENANT).items():
            totals[currency] += money.minor
        assert totals == dict.fromkeys(CURRENCIES, 0)

    @invariant()
    def receivables_never_go_negative(self) -> None:
        for loan in self.loans:
            for kind in RECEIVABLES:
                assert self.ledger.balance(loan[kind]).minor >= 0, (loan, kind)
            assert self.ledger.balance(loan[K.CUSTOMER_CREDIT]).minor <= 0

    @invariant()
    def currencies_never_mix_on_an_account(self) -> None:
        for ref, money in self.ledger.balances().items():
            assert isinstance(ref, AccountRef) and money.currency == ref.currency


TestLedgerStateMachine = LedgerMachine.TestCase
TestLedgerStateMachine.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
