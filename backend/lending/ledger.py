"""Double-entry ledger: accounts, journal entries and the posting rules of a loan's life.

Sign convention: a posting's amount is signed, DEBIT POSITIVE and CREDIT NEGATIVE. An entry balances
when its postings sum to zero in every currency it touches; an account's balance is the sum of its
postings, so asset and expense accounts (receivables, cash, write-offs) carry positive balances and
liability, equity and income accounts (lender funding, customer credit, income) carry negative ones.

The rules follow standard accrual loan accounting as Apache Fineract's accounting processor applies
it: income is recognised when it is earned or charged (accrual, fee charge), not when cash arrives;
cash only ever settles receivables that exist; a write-off moves what is still owed to an expense.

Entries are immutable: a mistake is undone by `reverse`, a new entry that negates the first, so the
history an auditor reads is never rewritten. Every entry carries a caller-chosen `transfer_id`; as
with TigerBeetle's transfer ids, posting the same id twice must return the first entry, never a
second set of postings (see `Ledger.post` and the SQL repository).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from backend.lending.money import Money


class AccountKind(StrEnum):
    """The chart of accounts of one tenant; some kinds exist once per loan (see LOAN_SCOPED)."""

    PRINCIPAL_RECEIVABLE = "principal_receivable"  # asset: principal the borrower owes
    INTEREST_RECEIVABLE = "interest_receivable"  # asset: interest accrued and not yet paid
    FEES_RECEIVABLE = "fees_receivable"  # asset: fees charged and not yet paid
    CUSTOMER_CREDIT = "customer_credit"  # liability: overpayments we owe back to the borrower
    INTEREST_INCOME = "interest_income"  # income
    FEE_INCOME = "fee_income"  # income
    DISBURSEMENT_SETTLEMENT = "disbursement_settlement"  # asset: cash/clearing at the payment provider
    LENDER_FUNDING = "lender_funding"  # liability/equity: capital the lender put in
    WRITE_OFF_EXPENSE = "write_off_expense"  # expense: losses written off
    PAYOUT_COST_EXPENSE = "payout_cost_expense"  # expense: what the payment provider charges us


# Balances a borrower owes or is owed are kept per loan, so a statement never needs to guess which
# loan a payment settled; income, cash, funding and losses are the tenant's books as a whole.
LOAN_SCOPED: frozenset[AccountKind] = frozenset(
    {
        AccountKind.PRINCIPAL_RECEIVABLE,
        AccountKind.INTEREST_RECEIVABLE,
        AccountKind.FEES_RECEIVABLE,
        AccountKind.CUSTOMER_CREDIT,
    }
)

RECEIVABLES: frozenset[AccountKind] = frozenset(
    {AccountKind.PRINCIPAL_RECEIVABLE, AccountKind.INTEREST_RECEIVABLE, AccountKind.FEES_RECEIVABLE}
)


class EntryKind(StrEnum):
    FUNDING = "funding"
    DISBURSEMENT = "disbursement"
    FEE_CHARGE = "fee_charge"
    INTEREST_ACCRUAL = "interest_accrual"
    REPAYMENT = "repayment"
    LATE_FEE = "late_fee"
    WRITE_OFF = "write_off"
    REVERSAL = "reversal"
    CREDIT_APPLICATION = "credit_application"
    CREDIT_REFUND = "credit_refund"
    PAYOUT_COST = "payout_cost"


class FeeTreatment(StrEnum):
    """How an origination fee is paid: out of the proceeds, or added to what the borrower owes."""

    DEDUCTED = "deducted"
    FINANCED = "financed"


class UnbalancedEntry(ValueError):
    """Postings that do not sum to zero create or destroy money; the books would no longer add up."""


class LedgerError(ValueError):
    """A posting rule was asked for something the books cannot record."""


@dataclass(frozen=True, slots=True)
class AccountRef:
    """Names an account: the tenant's books, its kind, the loan (for loan-scoped kinds) and the
    currency. Accounts are single-currency so that a balance is always one Money."""

    tenant_id: uuid.UUID
    kind: AccountKind
    loan_id: uuid.UUID | None
    currency: str

    def __post_init__(self) -> None:
        if (self.kind in LOAN_SCOPED) != (self.loan_id is not None):
            scope = "needs a loan id" if self.kind in LOAN_SCOPED else "is kept per tenant, not per loan"
            raise LedgerError(f"{self.kind} {scope}")


@dataclass(frozen=True, slots=True)
class Posting:
    """One line of an entry: debit when `amount` is positive, credit when negative."""

    account: AccountRef
    amount: Money

    def __post_init__(self) -> None:
        if self.amount.currency != self.account.currency:
            raise LedgerError(f"{self.amount.currency} posting on a {self.account.currency} account")
        if self.amount.minor == 0:
            raise LedgerError("a zero posting records nothing")

    @classmethod
    def debit(cls, account: AccountRef, amount: Money) -> Posting:
        return cls(account, amount)

    @classmethod
    def credit(cls, account: AccountRef, amount: Money) -> Posting:
        return cls(account, Money(-amount.minor, amount.currency))


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A balanced, immutable set of postings. It refuses to exist unbalanced, with fewer than two
    postings, or across tenants: the check is here so that no caller can forget it, and the
    database repeats it at commit for anything that bypasses this class."""

    transfer_id: str
    kind: EntryKind
    postings: tuple[Posting, ...]
    effective_date: date
    memo: str = ""
    reverses: str | None = None  # transfer id of the entry this one negates

    def __post_init__(self) -> None:
        object.__setattr__(self, "postings", tuple(self.postings))  # a list passed in stays editable
        if not self.transfer_id:
            raise LedgerError("an entry needs a transfer id, or a retry would post twice")
        if len(self.postings) < 2:
            raise UnbalancedEntry("an entry needs at least two postings")
        if len({p.account.tenant_id for p in self.postings}) != 1:
            raise LedgerError("an entry belongs to the books of exactly one tenant")
        if (self.kind is EntryKind.REVERSAL) != (self.reverses is not None):
            raise LedgerError("a reversal, and only a reversal, names the entry it reverses")
        unbalanced = {cur: total for cur, total in sums_by_currency(self.postings).items() if total}
        if unbalanced:
            raise UnbalancedEntry(f"postings do not sum to zero: {unbalanced}")

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.postings[0].account.tenant_id

    @property
    def loan_ids(self) -> frozenset[uuid.UUID]:
        return frozenset(p.account.loan_id for p in self.postings if p.account.loan_id is not None)


def sums_by_currency(postings: Iterable[Posting]) -> dict[str, int]:
    """Net minor units per currency; zero everywhere means balanced."""
    totals: dict[str, int] = defaultdict(int)
    for posting in postings:
        totals[posting.amount.currency] += posting.amount.minor
    return dict(totals)


@dataclass(frozen=True, slots=True)
class LoanAccounts:
    """The accounts one loan's entries touch, in the loan's currency."""

    tenant_id: uuid.UUID
    loan_id: uuid.UUID
    currency: str

    def __getitem__(self, kind: AccountKind) -> AccountRef:
        loan = self.loan_id if kind in LOAN_SCOPED else None
        return AccountRef(self.tenant_id, kind, loan, self.currency)


def _entry(
    transfer_id: str, kind: EntryKind, on: date, memo: str, lines: Iterable[Posting | None]
) -> JournalEntry:
    return JournalEntry(transfer_id, kind, tuple(p for p in lines if p is not None), on, memo)


def _positive(amount: Money, what: str) -> None:
    if amount.minor <= 0:
        raise LedgerError(f"{what} must be positive")


def _non_negative(amount: Money, what: str) -> None:
    if amount.minor < 0:
        raise LedgerError(f"{what} must not be negative")


def _dr(account: AccountRef, amount: Money) -> Posting | None:
    return Posting.debit(account, amount) if amount.minor else None


def _cr(account: AccountRef, amount: Money) -> Posting | None:
    return Posting.credit(account, amount) if amount.minor else None


def funding(
    transfer_id: str, *, tenant_id: uuid.UUID, amount: Money, on: date, memo: str = ""
) -> JournalEntry:
    """The lender tops up the float at the payment provider: cash (an asset) goes up, a debit;
    what we owe the lender goes up, a credit to lender funding."""
    _positive(amount, "funding")
    cash = AccountRef(tenant_id, AccountKind.DISBURSEMENT_SETTLEMENT, None, amount.currency)
    funds = AccountRef(tenant_id, AccountKind.LENDER_FUNDING, None, amount.currency)
    return _entry(transfer_id, EntryKind.FUNDING, on, memo, [_dr(cash, amount), _cr(funds, amount)])


def disbursement(
    transfer_id: str,
    *,
    loan: LoanAccounts,
    principal: Money,
    origination_fee: Money,
    treatment: FeeTreatment,
    on: date,
    memo: str = "",
) -> JournalEntry:
    """Pay out a loan. The borrower now owes principal (debit the principal receivable) and cash
    leaves the settlement account (credit). The origination fee is earned at payout (credit fee
    income) and paid either:

    - DEDUCTED: out of the proceeds. The borrower owes `principal` and receives principal − fee,
      so cash falls by less than the receivable rises and the difference is the fee.
    - FINANCED: added to the loan. The borrower receives `principal` and owes principal + fee, so
      the fee is capitalised into the principal receivable and bears interest like the rest.

    Recognising the whole fee at payout (rather than spreading it over the term, as IFRS 9's
    effective-interest method would) matches how the fee is disclosed to the borrower; deferral is
    a reporting adjustment made elsewhere.
    """
    _positive(principal, "principal")
    _non_negative(origination_fee, "origination fee")
    if treatment is FeeTreatment.DEDUCTED:
        if not origination_fee < principal:
            raise LedgerError("a fee deducted from the proceeds must leave something to pay out")
        owed, paid_out = principal, principal - origination_fee
    else:
        owed, paid_out = principal + origination_fee, principal
    return _entry(
        transfer_id,
        EntryKind.DISBURSEMENT,
        on,
        memo,
        [
            _dr(loan[AccountKind.PRINCIPAL_RECEIVABLE], owed),
            _cr(loan[AccountKind.DISBURSEMENT_SETTLEMENT], paid_out),
            _cr(loan[AccountKind.FEE_INCOME], origination_fee),
        ],
    )


def _fee(
    kind: EntryKind, transfer_id: str, loan: LoanAccounts, amount: Money, on: date, memo: str
) -> JournalEntry:
    _positive(amount, "fee")
    lines = [_dr(loan[AccountKind.FEES_RECEIVABLE], amount), _cr(loan[AccountKind.FEE_INCOME], amount)]
    return _entry(transfer_id, kind, on, memo, lines)


def fee_charge(
    transfer_id: str, *, loan: LoanAccounts, amount: Money, on: date, memo: str = ""
) -> JournalEntry:
    """Charge a fee: the borrower owes it (debit fees receivable) and it is earned now (credit fee
    income), on the accrual basis, whether or not it is ever collected."""
    return _fee(EntryKind.FEE_CHARGE, transfer_id, loan, amount, on, memo)


def late_fee(
    transfer_id: str, *, loan: LoanAccounts, amount: Money, on: date, memo: str = ""
) -> JournalEntry:
    """A penalty for a missed instalment: posted like any fee (debit fees receivable, credit fee
    income) but as its own entry kind, because regulators and statements report penalties apart."""
    return _fee(EntryKind.LATE_FEE, transfer_id, loan, amount, on, memo)


def interest_accrual(
    transfer_id: str, *, loan: LoanAccounts, amount: Money, on: date, memo: str = ""
) -> JournalEntry:
    """Interest earned over a period: income is recognised as time passes (credit interest income)
    and the borrower owes it from then on (debit interest receivable). A repayment later settles
    the receivable; it never touches income, so cash timing cannot distort earnings."""
    _positive(amount, "accrued interest")
    lines = [
        _dr(loan[AccountKind.INTEREST_RECEIVABLE], amount),
        _cr(loan[AccountKind.INTEREST_INCOME], amount),
    ]
    return _entry(transfer_id, EntryKind.INTEREST_ACCRUAL, on, memo, lines)


@dataclass(frozen=True, slots=True)
class RepaymentParts:
    """A payment already split by the product's allocation strategy (e.g. fees, then interest,
    then principal). The ledger records the split; choosing it is the allocator's job."""

    principal: Money
    interest: Money
    fees: Money
    overpayment: Money

    def __post_init__(self) -> None:
        for name in ("principal", "interest", "fees", "overpayment"):
            _non_negative(getattr(self, name), name)
        self.total  # noqa: B018 - raises CurrencyMismatch if the parts disagree on currency

    @classmethod
    def of(
        cls,
        currency: str,
        *,
        principal: int = 0,
        interest: int = 0,
        fees: int = 0,
        overpayment: int = 0,
    ) -> RepaymentParts:
        """Build from minor units of one currency (tests and allocators deal in integers)."""
        return cls(
            Money(principal, currency),
            Money(interest, currency),
            Money(fees, currency),
            Money(overpayment, currency),
        )

    @property
    def total(self) -> Money:
        return self.principal + self.interest + self.fees + self.overpayment


def repayment(
    transfer_id: str, *, loan: LoanAccounts, parts: RepaymentParts, on: date, memo: str = ""
) -> JournalEntry:
    """Cash received (debit settlement) settles receivables (credit principal, interest and fees
    receivable by the allocated parts). Anything beyond what is owed is the borrower's money, held
    for refund or a later instalment: a liability, credit customer credit. Income is untouched:
    it was recognised when accrued or charged."""
    if parts.total.currency != loan.currency:
        raise LedgerError(f"a {parts.total.currency} payment on a {loan.currency} loan")
    _positive(parts.total, "repayment")
    return _entry(
        transfer_id,
        EntryKind.REPAYMENT,
        on,
        memo,
        [
            _dr(loan[AccountKind.DISBURSEMENT_SETTLEMENT], parts.total),
            _cr(loan[AccountKind.PRINCIPAL_RECEIVABLE], parts.principal),
            _cr(loan[AccountKind.INTEREST_RECEIVABLE], parts.interest),
            _cr(loan[AccountKind.FEES_RECEIVABLE], parts.fees),
            _cr(loan[AccountKind.CUSTOMER_CREDIT], parts.overpayment),
        ],
    )


def credit_application(
    transfer_id: str, *, loan: LoanAccounts, parts: RepaymentParts, on: date, memo: str = ""
) -> JournalEntry:
    """Held customer credit pays instalments: what we owed the borrower falls (debit customer
    credit) and the receivables it settles fall (credit them by the allocated parts). No cash moves,
    so the settlement account is untouched; `parts.overpayment` must be zero, because credit left
    over simply stays where it is."""
    if parts.overpayment.minor:
        raise LedgerError("credit applied to dues cannot itself leave an overpayment")
    _positive(parts.total, "credit applied")
    return _entry(
        transfer_id,
        EntryKind.CREDIT_APPLICATION,
        on,
        memo,
        [
            _dr(loan[AccountKind.CUSTOMER_CREDIT], parts.total),
            _cr(loan[AccountKind.PRINCIPAL_RECEIVABLE], parts.principal),
            _cr(loan[AccountKind.INTEREST_RECEIVABLE], parts.interest),
            _cr(loan[AccountKind.FEES_RECEIVABLE], parts.fees),
        ],
    )


def credit_refund(
    transfer_id: str, *, loan: LoanAccounts, amount: Money, on: date, memo: str = ""
) -> JournalEntry:
    """Pay held credit back to the borrower: the liability is settled (debit customer credit) with
    cash leaving the settlement account (credit)."""
    _positive(amount, "refund")
    lines = [
        _dr(loan[AccountKind.CUSTOMER_CREDIT], amount),
        _cr(loan[AccountKind.DISBURSEMENT_SETTLEMENT], amount),
    ]
    return _entry(transfer_id, EntryKind.CREDIT_REFUND, on, memo, lines)


def payout_cost(
    transfer_id: str, *, tenant_id: uuid.UUID, amount: Money, on: date, memo: str = ""
) -> JournalEntry:
    """The provider's own charge for a payout: an operating expense of the lender (debit payout
    cost), taken from the float at the provider (credit settlement). It is not the borrower's
    origination fee and never touches a loan's accounts."""
    _positive(amount, "payout cost")
    cost = AccountRef(tenant_id, AccountKind.PAYOUT_COST_EXPENSE, None, amount.currency)
    cash = AccountRef(tenant_id, AccountKind.DISBURSEMENT_SETTLEMENT, None, amount.currency)
    return _entry(transfer_id, EntryKind.PAYOUT_COST, on, memo, [_dr(cost, amount), _cr(cash, amount)])


def write_off(
    transfer_id: str,
    *,
    loan: LoanAccounts,
    principal: Money,
    interest: Money,
    fees: Money,
    on: date,
    memo: str = "",
) -> JournalEntry:
    """Give up on what is still owed: the receivables are cleared (credit each by its outstanding
    amount) and the loss is an expense (debit write-off expense). Pass the outstanding balances:
    writing off more than is owed would turn a receivable negative, i.e. a debt we owe the
    borrower. Interest and fees go to the expense too (Fineract's "losses written off"), because
    their income was already recognised when accrued or charged."""
    for amount, what in ((principal, "principal"), (interest, "interest"), (fees, "fees")):
        _non_negative(amount, what)
    total = principal + interest + fees
    _positive(total, "write-off")
    return _entry(
        transfer_id,
        EntryKind.WRITE_OFF,
        on,
        memo,
        [
            _dr(loan[AccountKind.WRITE_OFF_EXPENSE], total),
            _cr(loan[AccountKind.PRINCIPAL_RECEIVABLE], principal),
            _cr(loan[AccountKind.INTEREST_RECEIVABLE], interest),
            _cr(loan[AccountKind.FEES_RECEIVABLE], fees),
        ],
    )


def reverse(entry: JournalEntry, transfer_id: str, *, on: date | None = None, memo: str = "") -> JournalEntry:
    """The entry that undoes `entry`: every posting negated, on the same accounts. Entries are never
    edited or deleted, so the trail shows both the mistake and its correction. The reversal is
    dated `on` (default: the original's effective date, which restores every dated balance)."""
    if entry.kind is EntryKind.REVERSAL:
        raise LedgerError("reverse the original entry again instead of reversing a reversal")
    if transfer_id == entry.transfer_id:
        raise LedgerError("a reversal needs a transfer id of its own")
    negated = tuple(Posting(p.account, Money(-p.amount.minor, p.amount.currency)) for p in entry.postings)
    return JournalEntry(
        transfer_id,
        EntryKind.REVERSAL,
        negated,
        on or entry.effective_date,
        memo or f"reversal of {entry.transfer_id}",
        reverses=entry.transfer_id,
    )


class TransferIdConflict(LedgerError):
    """A transfer id was reused for different postings: a retry must repeat the same request."""


class AlreadyReversed(LedgerError):
    """An entry is reversed at most once; a second reversal would double the correction."""


class UnknownEntry(LedgerError):
    """A reversal names an entry the books do not hold."""


def same_postings(a: JournalEntry, b: JournalEntry) -> bool:
    """Whether two entries record the same movement (order of postings aside), so a retry can be
    told from a reused transfer id."""

    def key(e: JournalEntry) -> tuple[object, ...]:
        lines = sorted((str(p.account), p.amount.minor) for p in e.postings)
        return (e.kind, e.effective_date, e.reverses, lines)

    return key(a) == key(b)


@dataclass
class Ledger:
    """An in-memory ledger with the same contract as the SQL repository: idempotent on transfer id,
    one reversal per entry, balances as the sum of postings. Used by the pure tests and as a fake
    for use-case tests."""

    entries: dict[str, JournalEntry] = field(default_factory=dict)
    reversed_by: dict[str, str] = field(default_factory=dict)
    _balances: dict[AccountRef, int] = field(default_factory=lambda: defaultdict(int))

    def post(self, entry: JournalEntry) -> JournalEntry:
        """Record `entry`, or return the first entry posted under its transfer id."""
        if (first := self.entries.get(entry.transfer_id)) is not None:
            if not same_postings(first, entry):
                raise TransferIdConflict(entry.transfer_id)
            return first
        if entry.reverses is not None:
            if entry.reverses not in self.entries:
                raise UnknownEntry(entry.reverses)
            if entry.reverses in self.reversed_by:
                raise AlreadyReversed(entry.reverses)
            self.reversed_by[entry.reverses] = entry.transfer_id
        self.entries[entry.transfer_id] = entry
        for posting in entry.postings:
            self._balances[posting.account] += posting.amount.minor
        return entry

    def balance(self, account: AccountRef) -> Money:
        return Money(self._balances.get(account, 0), account.currency)

    def balances(self) -> Mapping[AccountRef, Money]:
        return {ref: Money(minor, ref.currency) for ref, minor in self._balances.items()}

    def trial_balance(self, tenant_id: uuid.UUID) -> dict[tuple[AccountKind, str], Money]:
        """Totals per account kind and currency; in each currency they sum to zero."""
        totals: dict[tuple[AccountKind, str], int] = defaultdict(int)
        for ref, minor in self._balances.items():
            if ref.tenant_id == tenant_id:
                totals[(ref.kind, ref.currency)] += minor
        return {key: Money(minor, key[1]) for key, minor in totals.items()}

    def entries_for_loan(self, loan_id: uuid.UUID) -> list[JournalEntry]:
        return [e for e in self.entries.values() if loan_id in e.loan_ids]


__all__ = [
    "LOAN_SCOPED",
    "RECEIVABLES",
    "AccountKind",
    "AccountRef",
    "AlreadyReversed",
    "EntryKind",
    "FeeTreatment",
    "JournalEntry",
    "Ledger",
    "LedgerError",
    "LoanAccounts",
    "Posting",
    "RepaymentParts",
    "TransferIdConflict",
    "UnbalancedEntry",
    "UnknownEntry",
    "credit_application",
    "credit_refund",
    "disbursement",
    "fee_charge",
    "funding",
    "interest_accrual",
    "late_fee",
    "payout_cost",
    "repayment",
    "reverse",
    "same_postings",
    "sums_by_currency",
    "write_off",
]
