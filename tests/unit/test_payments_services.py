"""Payments use cases against in-memory fakes of their ports, with the sandbox provider as the
provider and the servicing fakes (tests/unit/test_servicing_services.py) as the loan books."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, Self
from zoneinfo import ZoneInfo

import pytest

from backend.adapters.payments.sandbox_collections import SandboxPayments
from backend.lending.ledger import FeeTreatment
from backend.lending.money import Money
from backend.lending.nuban import check_digit, is_valid
from backend.services.payments.bank_accounts import AddBankAccount, add_bank_account
from backend.services.payments.errors import (
    AccountNotFound,
    InvalidAccountNumber,
    InvalidPayment,
    NotFound,
    NothingDue,
    UnknownBank,
)
from backend.services.payments.instructions import (
    CreateInstruction,
    amount_due,
    confirm_payment,
    create_instruction,
    notify_payout_landed,
)
from backend.services.payments.messages import landed_text, receipt_text
from backend.services.payments.ports import BankAccount, Instruction, Payer
from backend.services.payments.preview import payout_preview
from backend.services.servicing.balances import LoanBalance
from backend.services.servicing.ports import DisbursementRecord
from tests.unit.test_servicing_services import TENANT, FakeUow, disbursed

LAGOS = ZoneInfo("Africa/Lagos")
NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
SECRET = "unit-sandbox-secret"
GTB_OK = "0123456785"  # 012345678 + check digit 5 at GTBank (058)


def ngn(minor: int) -> Money:
    return Money(minor, "NGN")


class FakePayments:
    """The payments unit of work over the servicing fake (loans, agreements)."""

    def __init__(self, books: FakeUow | None = None, customer_id: uuid.UUID | None = None) -> None:
        self.books = books
        self.customer_id = customer_id or uuid.uuid4()
        self.accounts: dict[uuid.UUID, BankAccount] = {}
        self.by_ref: dict[str, Instruction] = {}
        self.audits: list[str] = []
        self.commits = 0
        self.bank_accounts = self.instructions = self.payers = self.audit = self
        self.loans = self.agreements = books

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def commit(self) -> None:
        self.commits += 1

    # bank accounts and instructions share get(): told apart by what is stored
    def get(self, tenant_id: uuid.UUID, some_id: uuid.UUID) -> Any:
        if some_id == self.customer_id:
            return Payer(some_id, "Ada Obi", "en_NG", "ada@example.com")
        if some_id in self.accounts:
            return self.accounts[some_id]
        return next((i for i in self.by_ref.values() if i.id == some_id), None)

    def find(self, tenant_id: uuid.UUID, customer_id: uuid.UUID, bank_code: str, number: str) -> Any:
        return next(
            (a for a in self.accounts.values() if (a.bank_code, a.account_number) == (bank_code, number)),
            None,
        )

    def for_customer(self, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> list[BankAccount]:
        return list(self.accounts.values())

    def add(self, thing: Any) -> None:
        if isinstance(thing, BankAccount):
            self.accounts[thing.id] = thing
        else:
            self.by_ref[thing.reference] = thing

    def by_reference(self, reference: str, *, for_update: bool = False) -> Instruction | None:
        found = self.by_ref.get(reference)
        return None if found is None else replace(found)

    def save(self, instruction: Instruction) -> None:
        self.by_ref[instruction.reference] = instruction

    def append(self, tenant_id: uuid.UUID, *, action: str, **_: Any) -> None:
        self.audits.append(action)


class CountingNames(SandboxPayments):
    def __init__(self) -> None:
        super().__init__(SECRET)
        self.asked = 0

    def resolve(self, *, bank_code: str, account_number: str, hint: str | None) -> str | None:
        self.asked += 1
        return super().resolve(bank_code=bank_code, account_number=account_number, hint=hint)


class Outbox:
    def __init__(self) -> None:
        self.sent: list[tuple[uuid.UUID, str]] = []

    def notify(self, tenant_id: uuid.UUID, customer_id: uuid.UUID, text: str) -> bool:
        self.sent.append((customer_id, text))
        return True


# --- bank accounts --------------------------------------------------------------------------


def test_an_account_that_fails_the_check_digit_is_refused_before_asking_the_bank() -> None:
    uow, names = FakePayments(), CountingNames()
    with pytest.raises(InvalidAccountNumber, match="not a valid Guaranty Trust Bank account number"):
        add_bank_account(AddBankAccount(TENANT, uow.customer_id, "058", "0123456789"), uow, names, NOW)
    assert names.asked == 0
    assert uow.accounts == {}


def test_an_unknown_bank_code_is_refused() -> None:
    uow = FakePayments()
    with pytest.raises(UnknownBank):
        add_bank_account(AddBankAccount(TENANT, uow.customer_id, "999", GTB_OK), uow, CountingNames(), NOW)


def a_valid_number_ending_000(bank_code: str) -> str:
    """The sandbox knows no account ending 000; a valid NUBAN ends so when its check digit is 0."""
    return next(f"{n:07d}00" + "0" for n in range(1000) if check_digit(bank_code, f"{n:07d}00") == 0)


def test_a_valid_number_the_bank_does_not_know_is_refused() -> None:
    uow = FakePayments()
    number = a_valid_number_ending_000("058")
    assert is_valid("058", number)
    with pytest.raises(AccountNotFound, match="no account"):
        add_bank_account(AddBankAccount(TENANT, uow.customer_id, "058", number), uow, CountingNames(), NOW)
    assert uow.accounts == {}


def test_a_verified_account_is_stored_with_the_name_the_bank_gave_and_audited() -> None:
    uow = FakePayments()
    account = add_bank_account(
        AddBankAccount(TENANT, uow.customer_id, "058", GTB_OK), uow, CountingNames(), NOW
    )
    assert account.account_name == "ADA OBI"
    assert account.bank_name == "Guaranty Trust Bank"
    assert account.verified_at == NOW
    assert uow.accounts == {account.id: account}
    assert uow.audits == ["bank_account.added"]


def test_adding_the_same_account_again_returns_the_first_without_a_second_enquiry() -> None:
    uow, names = FakePayments(), CountingNames()
    first = add_bank_account(AddBankAccount(TENANT, uow.customer_id, "058", GTB_OK), uow, names, NOW)
    again = add_bank_account(AddBankAccount(TENANT, uow.customer_id, "058", "012 345 6785"), uow, names, NOW)
    assert again.id == first.id
    assert names.asked == 1


def test_an_unknown_customer_gets_no_account() -> None:
    uow = FakePayments()
    with pytest.raises(NotFound):
        add_bank_account(AddBankAccount(TENANT, uuid.uuid4(), "058", GTB_OK), uow, CountingNames(), NOW)


# --- payout preview -------------------------------------------------------------------------


def _preview_setup(**agreement: Any) -> tuple[FakePayments, BankAccount]:
    books, _loan_id = disbursed(**agreement)
    uow = FakePayments(books, customer_id=books.agreement.customer_id)
    account = add_bank_account(
        AddBankAccount(TENANT, uow.customer_id, "058", GTB_OK), uow, CountingNames(), NOW
    )
    return uow, account


def test_a_deducted_fee_comes_out_of_what_the_borrower_receives() -> None:
    uow, account = _preview_setup()
    p = payout_preview(
        TENANT, uow.books.agreement.agreement_id, account.id, uow, SandboxPayments(SECRET), NOW
    )
    assert p.principal == ngn(100_000_00)
    assert [(f.name, f.amount, f.deducted_at_payout) for f in p.fees] == [
        ("Origination fee", ngn(2_000_00), True)
    ]
    assert p.amount_received == ngn(98_000_00)


def test_a_financed_fee_is_listed_but_the_whole_principal_arrives() -> None:
    uow, account = _preview_setup(fee_treatment=FeeTreatment.FINANCED)
    p = payout_preview(
        TENANT, uow.books.agreement.agreement_id, account.id, uow, SandboxPayments(SECRET), NOW
    )
    assert p.amount_received == ngn(100_000_00)
    assert [f.deducted_at_payout for f in p.fees] == [False]


def test_a_preview_to_someone_elses_account_is_not_found() -> None:
    uow, account = _preview_setup()
    uow.accounts[account.id] = replace(account, customer_id=uuid.uuid4())
    with pytest.raises(NotFound):
        payout_preview(
            TENANT, uow.books.agreement.agreement_id, account.id, uow, SandboxPayments(SECRET), NOW
        )


# --- the sandbox payout rail ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "instant", "lands"),
    [
        (datetime(2026, 11, 27, 16, 59), True, datetime(2026, 11, 27, 16, 59)),  # Friday before 17:00
        (datetime(2026, 11, 27, 17, 0), False, datetime(2026, 11, 30, 9, 0)),  # Friday at 17:00 -> Monday
        (datetime(2026, 11, 28, 11, 0), False, datetime(2026, 11, 30, 9, 0)),  # Saturday -> Monday
        (datetime(2026, 11, 30, 7, 30), True, datetime(2026, 11, 30, 7, 30)),  # Monday morning
        (datetime(2026, 11, 30, 22, 0), False, datetime(2026, 12, 1, 9, 0)),  # Monday night -> Tuesday
        # Christmas Eve evening: Christmas, Boxing Day, Sunday and the observed Boxing Day Monday
        (datetime(2026, 12, 24, 18, 0), False, datetime(2026, 12, 29, 9, 0)),
        (datetime(2026, 10, 1, 10, 0), False, datetime(2026, 10, 2, 9, 0)),  # National Day, a Thursday
    ],
)
def test_a_payout_is_instant_in_banking_hours_else_next_business_morning(
    local: datetime, instant: bool, lands: datetime
) -> None:
    arrival = SandboxPayments(SECRET).arrival(local.replace(tzinfo=LAGOS).astimezone(UTC))
    assert arrival.instant is instant
    assert arrival.at == lands.replace(tzinfo=LAGOS)


def test_banking_hours_are_lagos_hours_not_utc() -> None:
    # 16:30 UTC on a Wednesday is 17:30 in Lagos: after the cut-off.
    arrival = SandboxPayments(SECRET).arrival(datetime(2026, 11, 25, 16, 30, tzinfo=UTC))
    assert not arrival.instant


# --- pay now --------------------------------------------------------------------------------


def test_the_default_amount_is_the_next_instalment_before_anything_is_due() -> None:
    books, loan_id = disbursed()
    loan = books.loans_by_id[loan_id]
    first = loan.dues[0]
    assert amount_due(loan, date(2026, 1, 20)) == first.total_outstanding


def test_the_default_amount_is_everything_overdue_plus_what_falls_due_today() -> None:
    books, loan_id = disbursed()
    loan = books.loans_by_id[loan_id]
    first, second = loan.dues[0], loan.dues[1]
    assert amount_due(loan, second.due_date) == first.total_outstanding + second.total_outstanding


def test_a_settled_loan_has_no_default_amount() -> None:
    books, loan_id = disbursed()
    loan = books.loans_by_id[loan_id]
    paid = tuple(
        replace(d, principal_paid=d.principal, interest_paid=d.interest, fees_paid=d.fees) for d in loan.dues
    )
    with pytest.raises(NothingDue):
        amount_due(replace(loan, dues=paid), date(2026, 1, 20))


def _instruction(method: str = "link", amount: Money | None = None) -> tuple[FakePayments, Instruction]:
    books, loan_id = disbursed()
    uow = FakePayments(books, customer_id=books.agreement.customer_id)
    made = create_instruction(
        CreateInstruction(TENANT, loan_id, method, amount),
        uow,
        SandboxPayments(SECRET, "https://x.test"),
        NOW,
    )
    return uow, made


def test_a_link_instruction_asks_for_the_next_instalment_and_is_stored_pending() -> None:
    uow, made = _instruction()
    loan = uow.books.loans_by_id[made.loan_id]
    assert made.amount == loan.dues[0].total_outstanding
    assert made.status == "pending"
    assert made.link_url == f"https://x.test/sandbox/pay/{made.reference}"
    assert uow.by_ref[made.reference] == made
    assert uow.audits == ["payment_instruction.created"]


def test_a_transfer_account_is_a_valid_nuban_and_unique_per_instruction() -> None:
    _, one = _instruction("virtual_account")
    _, two = _instruction("virtual_account")
    assert one.virtual_account is not None and two.virtual_account is not None
    assert is_valid("035", one.virtual_account.account_number)
    assert one.virtual_account.account_number != two.virtual_account.account_number
    assert one.reference != two.reference


def test_a_partial_amount_is_taken_as_asked() -> None:
    _, made = _instruction(amount=ngn(5_000_00))
    assert made.amount == ngn(5_000_00)


@pytest.mark.parametrize("amount", [Money(100, "KES"), Money(0, "NGN")])
def test_another_currency_or_nothing_is_refused(amount: Money) -> None:
    with pytest.raises(InvalidPayment):
        _instruction(amount=amount)


def test_an_unknown_method_is_refused() -> None:
    with pytest.raises(InvalidPayment):
        _instruction(method="cash")


# --- confirmation and receipts --------------------------------------------------------------


def _event(uow: FakePayments, made: Instruction, amount: Money) -> Any:
    sandbox = SandboxPayments(SECRET)
    raw, headers = sandbox.signed_event(made.reference, amount, datetime(2026, 1, 20, 10, 0, tzinfo=UTC))
    assert sandbox.verify(raw, headers)
    return sandbox.parse(raw)


def test_a_confirmed_payment_is_recorded_under_the_instruction_reference_and_receipted_once() -> None:
    uow, made = _instruction(amount=ngn(10_000_00))
    outbox = Outbox()
    event = _event(uow, made, ngn(10_000_00))
    first = confirm_payment(event, "sandbox", uow, uow.books, outbox)
    assert first.outcome == "recorded"
    assert made.reference in uow.books.paid  # the repayment's provider reference
    assert uow.by_ref[made.reference].status == "paid"
    assert uow.by_ref[made.reference].paid_amount == ngn(10_000_00)
    assert len(outbox.sent) == 1 and outbox.sent[0][0] == made.customer_id
    assert outbox.sent[0][1].startswith("We received ₦10,000.00 on 20 Jan. Balance left: ₦")

    again = confirm_payment(event, "sandbox", uow, uow.books, outbox)
    assert again.outcome == "replayed"
    assert len(uow.books.paid) == 1
    assert len(outbox.sent) == 1


def test_a_reference_we_never_issued_or_from_another_provider_is_ignored() -> None:
    uow, made = _instruction()
    outbox = Outbox()
    event = _event(uow, made, made.amount)
    assert (
        confirm_payment(replace(event, reference="nope"), "sandbox", uow, uow.books, outbox).outcome
        == "ignored"
    )
    assert confirm_payment(event, "paystack", uow, uow.books, outbox).outcome == "ignored"
    assert uow.books.paid == {}
    assert outbox.sent == []


def test_a_tampered_sandbox_webhook_does_not_verify() -> None:
    sandbox = SandboxPayments(SECRET)
    raw, headers = sandbox.signed_event("cap1", ngn(100), NOW)
    assert not sandbox.verify(raw.replace(b"100", b"900"), headers)
    assert not SandboxPayments("another-secret").verify(raw, headers)


def test_the_receipt_reads_like_the_product_text() -> None:
    balance = LoanBalance(
        on=date(2026, 11, 29),
        principal=ngn(170_000_00),
        interest=ngn(10_000_00),
        fees=ngn(0),
        overdue=ngn(0),
        next_due_date=date(2026, 12, 15),
        next_due=ngn(45_000_00),
        credit=ngn(0),
    )
    text = receipt_text(ngn(25_000_00), date(2026, 11, 29), balance, closed=False, locale="en_NG")
    assert (
        text
        == "We received ₦25,000.00 on 29 Nov. Balance left: ₦180,000.00. Next payment ₦45,000.00 due 15 Dec."
    )


def test_a_payment_that_closes_the_loan_says_so() -> None:
    balance = LoanBalance(date(2026, 11, 29), ngn(0), ngn(0), ngn(0), ngn(0), None, None, ngn(0))
    text = receipt_text(ngn(25_000_00), date(2026, 11, 29), balance, closed=True, locale="en_NG")
    assert text == "We received ₦25,000.00 on 29 Nov. Your loan is fully repaid. Thank you!"


def test_the_landed_message_names_the_bank_the_masked_account_and_the_first_due() -> None:
    text = landed_text(
        ngn(98_000_00), "Guaranty Trust Bank", "******6785", (ngn(35_000_00), date(2026, 2, 15)), "en_NG"
    )
    assert text == (
        "Your money has landed: ₦98,000.00 is in your Guaranty Trust Bank account ******6785."
        " First payment ₦35,000.00 due 15 Feb."
    )


def test_only_a_newly_succeeded_payout_is_announced() -> None:
    books, _loan_id = disbursed()
    uow = FakePayments(books, customer_id=books.agreement.customer_id)
    (record,) = books.disbursed.values()
    succeeded = replace(
        record, status="succeeded", destination={"bank_name": "Zenith Bank", "account_number": GTB_OK}
    )
    outbox = Outbox()
    assert notify_payout_landed(replace(succeeded, replayed=True), uow, outbox) is None
    assert notify_payout_landed(replace(succeeded, status="pending"), uow, outbox) is None
    text = notify_payout_landed(succeeded, uow, outbox)
    assert text is not None and "Zenith Bank account ******6785" in text
    assert outbox.sent == [(books.agreement.customer_id, text)]
    assert isinstance(record, DisbursementRecord)
