"""Posting rules of the double-entry ledger (backend.lending.ledger), no I/O."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from backend.lending.ledger import (
    AccountKind,
    AccountRef,
    AlreadyReversed,
    EntryKind,
    FeeTreatment,
    JournalEntry,
    Ledger,
    LedgerError,
    LoanAccounts,
    Posting,
    RepaymentParts,
    TransferIdConflict,
    UnbalancedEntry,
    UnknownEntry,
    disbursement,
    fee_charge,
    funding,
    interest_accrual,
    late_fee,
    repayment,
    reverse,
    sums_by_currency,
    write_off,
)
from backend.lending.money import CurrencyMismatch, Money

TENANT = uuid.uuid4()
DAY = date(2026, 11, 29)
K = AccountKind


def a_loan(currency: str = "NGN") -> LoanAccounts:
    return LoanAccounts(TENANT, uuid.uuid4(), currency)


def ngn(minor: int) -> Money:
    return Money(minor, "NGN")


def lines(entry: JournalEntry) -> dict[AccountKind, int]:
    """Net minor units per account kind: debit positive, credit negative."""
    out: dict[AccountKind, int] = {}
    for p in entry.postings:
        out[p.account.kind] = out.get(p.account.kind, 0) + p.amount.minor
    return out


def test_a_fee_deducted_from_proceeds_pays_out_less_than_the_borrower_owes():
    entry = disbursement(
        "d1",
        loan=a_loan(),
        principal=ngn(100_000),
        origination_fee=ngn(3_000),
        treatment=FeeTreatment.DEDUCTED,
        on=DAY,
    )
    assert lines(entry) == {
        K.PRINCIPAL_RECEIVABLE: 100_000,
        K.DISBURSEMENT_SETTLEMENT: -97_000,
        K.FEE_INCOME: -3_000,
    }
    assert entry.kind is EntryKind.DISBURSEMENT


def test_a_financed_fee_is_capitalised_into_the_principal_owed():
    entry = disbursement(
        "d1",
        loan=a_loan(),
        principal=ngn(100_000),
        origination_fee=ngn(3_000),
        treatment=FeeTreatment.FINANCED,
        on=DAY,
    )
    assert lines(entry) == {
        K.PRINCIPAL_RECEIVABLE: 103_000,
        K.DISBURSEMENT_SETTLEMENT: -100_000,
        K.FEE_INCOME: -3_000,
    }


def test_a_disbursement_without_fee_has_two_postings():
    entry = disbursement(
        "d1",
        loan=a_loan(),
        principal=ngn(50_000),
        origination_fee=ngn(0),
        treatment=FeeTreatment.DEDUCTED,
        on=DAY,
    )
    assert lines(entry) == {K.PRINCIPAL_RECEIVABLE: 50_000, K.DISBURSEMENT_SETTLEMENT: -50_000}


def test_a_deducted_fee_that_eats_the_whole_loan_is_refused():
    with pytest.raises(LedgerError):
        disbursement(
            "d1",
            loan=a_loan(),
            principal=ngn(1_000),
            origination_fee=ngn(1_000),
            treatment=FeeTreatment.DEDUCTED,
            on=DAY,
        )


def test_fees_and_late_fees_are_receivable_and_earned_at_once():
    loan = a_loan()
    assert lines(fee_charge("f", loan=loan, amount=ngn(500), on=DAY)) == {
        K.FEES_RECEIVABLE: 500,
        K.FEE_INCOME: -500,
    }
    late = late_fee("l", loan=loan, amount=ngn(700), on=DAY)
    assert lines(late) == {K.FEES_RECEIVABLE: 700, K.FEE_INCOME: -700}
    assert late.kind is EntryKind.LATE_FEE


def test_interest_accrual_recognises_income_before_cash_arrives():
    entry = interest_accrual("i", loan=a_loan(), amount=ngn(1_234), on=DAY)
    assert lines(entry) == {K.INTEREST_RECEIVABLE: 1_234, K.INTEREST_INCOME: -1_234}


def test_a_repayment_settles_receivables_by_part_and_holds_the_overpayment_for_the_borrower():
    parts = RepaymentParts.of("NGN", principal=10_000, interest=1_000, fees=500, overpayment=250)
    entry = repayment("r", loan=a_loan(), parts=parts, on=DAY)
    assert lines(entry) == {
        K.DISBURSEMENT_SETTLEMENT: 11_750,
        K.PRINCIPAL_RECEIVABLE: -10_000,
        K.INTEREST_RECEIVABLE: -1_000,
        K.FEES_RECEIVABLE: -500,
        K.CUSTOMER_CREDIT: -250,
    }


def test_a_repayment_omits_parts_that_are_zero():
    entry = repayment("r", loan=a_loan(), parts=RepaymentParts.of("NGN", interest=900), on=DAY)
    assert lines(entry) == {K.DISBURSEMENT_SETTLEMENT: 900, K.INTEREST_RECEIVABLE: -900}


def test_a_repayment_of_nothing_or_a_negative_part_is_refused():
    with pytest.raises(LedgerError):
        repayment("r", loan=a_loan(), parts=RepaymentParts.of("NGN"), on=DAY)
    with pytest.raises(LedgerError):
        RepaymentParts.of("NGN", principal=-1, interest=2)


def test_a_repayment_in_another_currency_than_the_loan_is_refused():
    with pytest.raises(LedgerError):
        repayment("r", loan=a_loan("NGN"), parts=RepaymentParts.of("KES", principal=1), on=DAY)


def test_repayment_parts_in_two_currencies_are_refused():
    with pytest.raises(CurrencyMismatch):
        RepaymentParts(Money(1, "NGN"), Money(1, "KES"), Money(0, "NGN"), Money(0, "NGN"))


def test_a_write_off_moves_what_is_owed_to_expense():
    entry = write_off("w", loan=a_loan(), principal=ngn(8_000), interest=ngn(300), fees=ngn(0), on=DAY)
    assert lines(entry) == {
        K.WRITE_OFF_EXPENSE: 8_300,
        K.PRINCIPAL_RECEIVABLE: -8_000,
        K.INTEREST_RECEIVABLE: -300,
    }


def test_funding_raises_cash_and_what_we_owe_the_lender():
    entry = funding("fund", tenant_id=TENANT, amount=ngn(1_000_000), on=DAY)
    assert lines(entry) == {K.DISBURSEMENT_SETTLEMENT: 1_000_000, K.LENDER_FUNDING: -1_000_000}


def test_an_unbalanced_entry_refuses_to_exist():
    loan = a_loan()
    with pytest.raises(UnbalancedEntry):
        JournalEntry(
            "x",
            EntryKind.FEE_CHARGE,
            (Posting.debit(loan[K.FEES_RECEIVABLE], ngn(500)), Posting.credit(loan[K.FEE_INCOME], ngn(499))),
            DAY,
        )


def test_an_entry_with_a_single_posting_refuses_to_exist():
    with pytest.raises(UnbalancedEntry):
        JournalEntry("x", EntryKind.FEE_CHARGE, (Posting.debit(a_loan()[K.FEES_RECEIVABLE], ngn(1)),), DAY)


def test_balance_is_per_currency_so_naira_cannot_offset_shillings():
    naira, shillings = a_loan("NGN"), a_loan("KES")
    with pytest.raises(UnbalancedEntry):
        JournalEntry(
            "x",
            EntryKind.FEE_CHARGE,
            (
                Posting.debit(naira[K.FEES_RECEIVABLE], Money(500, "NGN")),
                Posting.credit(shillings[K.FEE_INCOME], Money(500, "KES")),
            ),
            DAY,
        )


def test_an_entry_balanced_in_each_of_two_currencies_is_accepted():
    naira, shillings = a_loan("NGN"), a_loan("KES")
    entry = JournalEntry(
        "x",
        EntryKind.FEE_CHARGE,
        (
            Posting.debit(naira[K.FEES_RECEIVABLE], Money(500, "NGN")),
            Posting.credit(naira[K.FEE_INCOME], Money(500, "NGN")),
            Posting.debit(shillings[K.FEES_RECEIVABLE], Money(70, "KES")),
            Posting.credit(shillings[K.FEE_INCOME], Money(70, "KES")),
        ),
        DAY,
    )
    assert sums_by_currency(entry.postings) == {"NGN": 0, "KES": 0}


def test_a_posting_in_a_currency_other_than_its_account_is_refused():
    with pytest.raises(LedgerError):
        Posting.debit(a_loan("NGN")[K.FEES_RECEIVABLE], Money(1, "KES"))


def test_a_zero_posting_is_refused():
    with pytest.raises(LedgerError):
        Posting.debit(a_loan()[K.FEES_RECEIVABLE], ngn(0))


def test_loan_scoped_accounts_need_a_loan_and_tenant_accounts_refuse_one():
    with pytest.raises(LedgerError):
        AccountRef(TENANT, K.PRINCIPAL_RECEIVABLE, None, "NGN")
    with pytest.raises(LedgerError):
        AccountRef(TENANT, K.FEE_INCOME, uuid.uuid4(), "NGN")


def test_an_entry_across_two_tenants_is_refused():
    other = LoanAccounts(uuid.uuid4(), uuid.uuid4(), "NGN")
    with pytest.raises(LedgerError):
        JournalEntry(
            "x",
            EntryKind.FEE_CHARGE,
            (Posting.debit(a_loan()[K.FEES_RECEIVABLE], ngn(5)), Posting.credit(other[K.FEE_INCOME], ngn(5))),
            DAY,
        )


def test_entries_are_immutable():
    entry = fee_charge("f", loan=a_loan(), amount=ngn(500), on=DAY)
    with pytest.raises(AttributeError):
        entry.memo = "edited"  # type: ignore[misc]


def test_a_reversal_negates_every_posting_and_names_the_original():
    entry = repayment("r", loan=a_loan(), parts=RepaymentParts.of("NGN", principal=10, fees=5), on=DAY)
    undo = reverse(entry, "r-rev")
    assert undo.kind is EntryKind.REVERSAL and undo.reverses == "r"
    assert [(p.account, -p.amount.minor) for p in undo.postings] == [
        (p.account, p.amount.minor) for p in entry.postings
    ]


def test_a_reversal_needs_its_own_transfer_id_and_reversals_are_not_reversed():
    entry = fee_charge("f", loan=a_loan(), amount=ngn(500), on=DAY)
    with pytest.raises(LedgerError):
        reverse(entry, "f")
    with pytest.raises(LedgerError):
        reverse(reverse(entry, "f-rev"), "f-rev-rev")


def test_the_in_memory_ledger_returns_the_first_entry_for_a_retried_transfer_id():
    ledger, loan = Ledger(), a_loan()
    first = ledger.post(fee_charge("f", loan=loan, amount=ngn(500), on=DAY))
    assert ledger.post(fee_charge("f", loan=loan, amount=ngn(500), on=DAY)) is first
    assert ledger.balance(loan[K.FEES_RECEIVABLE]) == ngn(500)


def test_reusing_a_transfer_id_for_different_postings_is_refused():
    ledger, loan = Ledger(), a_loan()
    ledger.post(fee_charge("f", loan=loan, amount=ngn(500), on=DAY))
    with pytest.raises(TransferIdConflict):
        ledger.post(fee_charge("f", loan=loan, amount=ngn(501), on=DAY))


def test_an_entry_is_reversed_at_most_once_and_only_if_it_exists():
    ledger, loan = Ledger(), a_loan()
    entry = ledger.post(fee_charge("f", loan=loan, amount=ngn(500), on=DAY))
    ledger.post(reverse(entry, "f-rev-1"))
    assert ledger.balance(loan[K.FEES_RECEIVABLE]) == ngn(0)
    with pytest.raises(AlreadyReversed):
        ledger.post(reverse(entry, "f-rev-2"))
    with pytest.raises(UnknownEntry):
        ledger.post(reverse(fee_charge("never", loan=loan, amount=ngn(1), on=DAY), "never-rev"))


def test_the_trial_balance_sums_to_zero_per_currency():
    ledger = Ledger()
    naira, shillings = a_loan("NGN"), a_loan("KES")
    for loan in (naira, shillings):
        cur = loan.currency
        ledger.post(
            disbursement(
                f"d-{cur}",
                loan=loan,
                principal=Money(90_000, cur),
                origination_fee=Money(900, cur),
                treatment=FeeTreatment.DEDUCTED,
                on=DAY,
            )
        )
        ledger.post(interest_accrual(f"i-{cur}", loan=loan, amount=Money(1_500, cur), on=DAY))
        ledger.post(
            repayment(
                f"r-{cur}", loan=loan, parts=RepaymentParts.of(cur, principal=5_000, interest=1_500), on=DAY
            )
        )
    totals = ledger.trial_balance(TENANT)
    for cur in ("NGN", "KES"):
        assert sum(m.minor for (kind, c), m in totals.items() if c == cur) == 0
    assert totals[(K.PRINCIPAL_RECEIVABLE, "KES")] == Money(85_000, "KES")


def test_credit_applied_settles_receivables_without_moving_cash():
    from backend.lending.ledger import credit_application

    parts = RepaymentParts.of("NGN", principal=700, interest=300)
    entry = credit_application("c1", loan=a_loan(), parts=parts, on=DAY)
    assert lines(entry) == {
        AccountKind.CUSTOMER_CREDIT: 1000,
        AccountKind.PRINCIPAL_RECEIVABLE: -700,
        AccountKind.INTEREST_RECEIVABLE: -300,
    }
    with pytest.raises(LedgerError):
        leftover = RepaymentParts.of("NGN", principal=1, overpayment=1)
        credit_application("c2", loan=a_loan(), parts=leftover, on=DAY)


def test_a_credit_refund_and_a_payout_cost_are_paid_from_the_settlement_account():
    from backend.lending.ledger import credit_refund, payout_cost

    refund = credit_refund("r1", loan=a_loan(), amount=Money(500, "NGN"), on=DAY)
    assert lines(refund) == {AccountKind.CUSTOMER_CREDIT: 500, AccountKind.DISBURSEMENT_SETTLEMENT: -500}
    cost = payout_cost("f1", tenant_id=TENANT, amount=Money(1000, "NGN"), on=DAY)
    assert lines(cost) == {AccountKind.PAYOUT_COST_EXPENSE: 1000, AccountKind.DISBURSEMENT_SETTLEMENT: -1000}
    assert all(p.account.loan_id is None for p in cost.postings)
