"""Bank statement features from a CSV export: average monthly inflow, months covered, bounces.

Banks' CSV exports differ in column names and sign conventions, so the parser accepts the common
spellings and is strict about everything else: a statement we misread would lend on money the
customer never had. It only counts; the underwriting rules decide what the counts mean.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from backend.lending.money import Money, exponent_of
from backend.lending.underwriting import BankStatementFeatures


class UnreadableStatement(ValueError):
    """The file is not a statement we can read; the message says what to send instead."""


DATE_COLUMNS = ("date", "transaction date", "trans date", "value date", "posted date")
DESCRIPTION_COLUMNS = ("description", "narration", "details", "remarks", "particulars")
AMOUNT_COLUMNS = ("amount", "amount (ngn)", "transaction amount")
CREDIT_COLUMNS = ("credit", "credit amount", "deposit", "money in")
DEBIT_COLUMNS = ("debit", "debit amount", "withdrawal", "money out")

# Words Nigerian banks put in the narration of a payment that came back unpaid (NIP reversals,
# cheques returned "DAUD" (drawn against uncleared deposit), direct debits returned for lack of funds).
_BOUNCE = re.compile(
    r"\b(bounced?|returned|reversal|reversed|insufficient\s+funds?|unpaid|dishono(?:u)?red|daud|nsf)\b",
    re.IGNORECASE,
)
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d-%b-%Y", "%d %b %Y", "%Y/%m/%d")


@dataclass(frozen=True, slots=True)
class _Row:
    on: date
    amount: Decimal
    description: str


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    for index, name in enumerate(header):
        if name.strip().lower() in names:
            return index
    return None


def _parse_date(raw: str) -> date:
    text = raw.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise UnreadableStatement(f"{raw!r} is not a date we can read (use YYYY-MM-DD or DD/MM/YYYY).")


def _parse_amount(raw: str) -> Decimal:
    text = raw.strip().replace(",", "").replace("₦", "").replace("NGN", "").strip()
    if not text:
        return Decimal(0)
    negative = text.startswith("(") and text.endswith(")")  # accountants' negative
    try:
        value = Decimal(text.strip("()"))
    except InvalidOperation:
        raise UnreadableStatement(f"{raw!r} is not an amount.") from None
    return -value if negative else value


def _rows(text: str) -> list[_Row]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    lines = [line for line in reader if any(cell.strip() for cell in line)]
    if not lines:
        raise UnreadableStatement("The statement is empty.")
    header = lines[0]
    at, what = _column(header, DATE_COLUMNS), _column(header, DESCRIPTION_COLUMNS)
    amount = _column(header, AMOUNT_COLUMNS)
    credit, debit = _column(header, CREDIT_COLUMNS), _column(header, DEBIT_COLUMNS)
    if at is None or what is None or (amount is None and credit is None):
        raise UnreadableStatement(
            "The statement needs date, description and amount columns (or credit and debit columns)."
        )
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        cells = line + [""] * (len(header) - len(line))
        try:
            if amount is not None:
                value = _parse_amount(cells[amount])
            else:
                assert credit is not None
                value = _parse_amount(cells[credit]) - (
                    _parse_amount(cells[debit]) if debit is not None else 0
                )
            rows.append(_Row(_parse_date(cells[at]), value, cells[what]))
        except UnreadableStatement as exc:
            raise UnreadableStatement(f"Line {number}: {exc}") from None
    if not rows:
        raise UnreadableStatement("The statement has a header but no transactions.")
    return rows


def months_between(first: date, last: date) -> int:
    """Calendar months touched (3 Jan to 28 Mar is 3): banks export whole calendar months, and
    counting partial ones as whole can only lower the average, never inflate it."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


def features_from_csv(text: str, currency: str) -> BankStatementFeatures:
    """Average monthly inflow is total credits (bounced items excluded: money that came back was
    never the customer's) over the months covered, in minor units rounded down; a bounced item is
    any line whose narration says it was returned or reversed for lack of funds."""
    rows = _rows(text)
    is_bounce = [bool(_BOUNCE.search(r.description)) for r in rows]
    inflow = sum(
        (r.amount for r, b in zip(rows, is_bounce, strict=True) if r.amount > 0 and not b), Decimal(0)
    )
    first, last = min(r.on for r in rows), max(r.on for r in rows)
    months = months_between(first, last)
    scale = Decimal(10) ** exponent_of(currency)
    average_minor = int((inflow * scale / months).to_integral_value(rounding="ROUND_FLOOR"))
    return BankStatementFeatures(
        average_monthly_inflow=Money(average_minor, currency),
        bounced_payments=sum(is_bounce),
        months_covered=months,
    )
