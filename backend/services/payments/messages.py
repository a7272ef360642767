"""The words of the proactive payment messages: short, amounts in the customer's locale, and
always what happens next, because the next question after "did it arrive?" is "what now?"."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date, format_datetime

from backend.lending.money import Money
from backend.services.formatting import format_money, safe_locale
from backend.services.servicing.balances import LoanBalance


def short_date(day: date, locale: str | None) -> str:
    """ "29 Nov": the year is noise in a chat about this month's payment."""
    return format_date(day, "d MMM", locale=safe_locale(locale))


def receipt_text(paid: Money, paid_on: date, balance: LoanBalance, closed: bool, locale: str | None) -> str:
    """ "We received ₦25,000.00 on 29 Nov. Balance left: ₦180,000.00. Next payment ₦45,000.00 due
    15 Dec." A payment that closes the loan says so instead of quoting a zero balance."""
    received = f"We received {format_money(paid, locale)} on {short_date(paid_on, locale)}."
    if closed:
        return f"{received} Your loan is fully repaid. Thank you!"
    text = f"{received} Balance left: {format_money(balance.total, locale)}."
    if balance.overdue.minor:
        text += f" Still overdue: {format_money(balance.overdue, locale)}."
    if balance.next_due is not None and balance.next_due_date is not None:
        text += (
            f" Next payment {format_money(balance.next_due, locale)}"
            f" due {short_date(balance.next_due_date, locale)}."
        )
    return text


def landed_text(
    amount: Money,
    bank_name: str | None,
    account_masked: str | None,
    first_due: tuple[Money, date] | None,
    locale: str | None,
) -> str:
    """ "Your money has landed: ₦97,500.00 is in your Guaranty Trust Bank account ******6789.
    First payment ₦18,725.00 due 29 Dec.\""""
    where = (
        f" is in your {bank_name} account {account_masked}"
        if bank_name and account_masked
        else " is in your account"
    )
    text = f"Your money has landed: {format_money(amount, locale)}{where}."
    if first_due is not None:
        text += f" First payment {format_money(first_due[0], locale)} due {short_date(first_due[1], locale)}."
    return text


def arrival_text(at: datetime, instant: bool, locale: str | None) -> str:
    """ "instantly", or "Mon 30 Nov, 09:00" (Lagos time, as the borrower reads their clock)."""
    if instant:
        return "instantly"
    return format_datetime(at, "EEE d MMM, HH:mm", tzinfo=at.tzinfo, locale=safe_locale(locale))
