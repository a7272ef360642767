"""The ledger on SQL: posts domain journal entries, idempotently, inside the caller's transaction.

`SqlLedger` never commits: the use case's unit of work commits the loan change, its audit record and
its postings together, and PostgreSQL checks at that commit that every entry balances.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import bindparam, func, insert, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.adapters.db.ledger_models import LedgerAccount, LedgerEntry, LedgerPosting
from backend.adapters.db.models import utcnow
from backend.lending.ledger import (
    AccountKind,
    AccountRef,
    AlreadyReversed,
    EntryKind,
    JournalEntry,
    LedgerError,
    Posting,
    TransferIdConflict,
    UnknownEntry,
    same_postings,
)
from backend.lending.money import Money

# Hot-path statements, built once (SQLAlchemy then reuses their compiled form): on the Tables, not
# the mapped classes, so executing them skips the ORM's bulk-insert machinery.
_ENTRIES = LedgerEntry.__table__
_INSERT_ENTRY = (
    pg_insert(_ENTRIES)
    .on_conflict_do_nothing(index_elements=["tenant_id", "transfer_id"])
    .returning(_ENTRIES.c.id, _ENTRIES.c.created_at)
)
_INSERT_POSTING = insert(LedgerPosting.__table__)
# PostgreSQL: an entry and its postings in one statement (one round trip instead of two). The
# postings are inserted only if the entry was (ON CONFLICT DO NOTHING leaves `e` empty for a
# transfer id already posted) and in posting order, which the serial posting id keeps.
_POST_ENTRY = text(
    """
    WITH e AS (
        INSERT INTO ledger_entries (id, tenant_id, transfer_id, kind, effective_date, memo, created_at)
        VALUES (:id, :tenant_id, :transfer_id, :kind, :effective_date, :memo, :created_at)
        ON CONFLICT (tenant_id, transfer_id) DO NOTHING
        RETURNING id, created_at
    ), p AS (
        INSERT INTO ledger_postings (entry_id, account_id, amount_minor, currency)
        SELECT e.id, a.account_id, a.amount_minor, a.currency
        FROM e CROSS JOIN unnest(
            CAST(:account_ids AS uuid[]), CAST(:amounts AS bigint[]), CAST(:currencies AS varchar[])
        ) WITH ORDINALITY AS a(account_id, amount_minor, currency, ord)
        ORDER BY a.ord
    )
    SELECT id, created_at FROM e
    """
)
_ACCOUNTS = LedgerAccount.__table__
# The common lookup (one loan's accounts and the tenant-wide ones, in one currency), prebuilt.
_LOAN_AND_TENANT_ACCOUNTS = select(
    _ACCOUNTS.c.id, _ACCOUNTS.c.kind, _ACCOUNTS.c.loan_id, _ACCOUNTS.c.currency
).where(
    _ACCOUNTS.c.tenant_id == bindparam("tenant_id"),
    _ACCOUNTS.c.currency == bindparam("currency"),
    or_(_ACCOUNTS.c.loan_id.is_(None), _ACCOUNTS.c.loan_id == bindparam("loan_id")),
)


class _KnownAccounts:
    """Account ids seen by committed transactions, for the process. An account is never deleted
    or re-keyed, so once its row is committed its id is good forever; ids enter only after the
    unit of work that read or created them committed (`SqlLedger.committed`), so a rolled-back
    account creation can never be handed out. This is what lets a repayment on a loan the process
    has served before post without looking its accounts up."""

    limit = 100_000
    ids: dict[AccountRef, uuid.UUID] = {}  # noqa: RUF012 (one per process, on purpose)

    @classmethod
    def add(cls, ids: dict[AccountRef, uuid.UUID]) -> None:
        if len(cls.ids) + len(ids) > cls.limit:
            cls.ids.clear()
        cls.ids.update(ids)


@dataclass(frozen=True, slots=True)
class PostedEntry:
    """An entry as stored. `replayed` tells a retry (nothing new was posted) from a first post."""

    id: uuid.UUID
    entry: JournalEntry
    created_at: datetime
    replayed: bool = field(default=False, compare=False)


class SqlLedger:
    """Ledger repository over a Session that belongs to the caller (it flushes, never commits)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        # Account ids this repository has seen (it lives for one unit of work). An account row is
        # never deleted or re-keyed, so once the first entry's lookup has read the loan's accounts
        # a repayment's second entry (accrual, then repayment) needs no lookup query.
        self._account_ids: dict[AccountRef, uuid.UUID] = {}

    def post(self, entry: JournalEntry, tenant_id: uuid.UUID) -> PostedEntry:
        """Store `entry`, or return the entry first posted under its transfer id.

        Like a TigerBeetle transfer id, a retry posts nothing and returns the first result; reusing
        the id for different postings raises TransferIdConflict. Two requests racing with one id
        both insert: the unique (tenant, transfer_id) index makes the second wait for the first and
        then fail, which a SAVEPOINT turns into "read the winner's entry" without spoiling the
        caller's transaction."""
        if entry.tenant_id != tenant_id:
            raise LedgerError("the entry's accounts belong to another tenant")
        if entry.reverses is None and self._session.get_bind().dialect.name == "postgresql":
            return self._post_on_postgresql(entry, tenant_id)
        if (first := self._entry_row(tenant_id, entry.transfer_id)) is not None:
            return self._replay(first, entry)
        row = LedgerEntry(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            transfer_id=entry.transfer_id,
            kind=entry.kind.value,
            effective_date=entry.effective_date,
            memo=entry.memo,
            reverses_entry_id=self._reversed_id(tenant_id, entry),
        )
        try:
            with self._session.begin_nested():
                self._session.add(row)
                self._session.flush()
        except IntegrityError:
            if (first := self._entry_row(tenant_id, entry.transfer_id)) is not None:
                return self._replay(first, entry)
            if entry.reverses is not None:
                raise AlreadyReversed(entry.reverses) from None
            raise
        self._add_postings(row.id, entry, tenant_id)
        return PostedEntry(row.id, entry, _utc(row.created_at))

    def _post_on_postgresql(self, entry: JournalEntry, tenant_id: uuid.UUID) -> PostedEntry:
        """The same contract in one round trip instead of five (look up, SAVEPOINT, INSERT entry,
        RELEASE, INSERT postings): INSERT ... ON CONFLICT DO NOTHING waits for a racing insert of
        the same transfer id like the unique index does, and inserts nothing (neither the entry
        nor its postings) if that one committed; we then read the winner. Reversals keep the
        savepoint path, whose second unique key must not abort the caller's transaction."""
        refs = sorted({p.account for p in entry.postings}, key=_ref_key)
        account_ids = self._resolve_accounts(tenant_id, refs)
        inserted = (
            self._session.connection()
            .execute(
                _POST_ENTRY,
                {
                    "id": uuid.uuid4(),
                    "tenant_id": tenant_id,
                    "transfer_id": entry.transfer_id,
                    "kind": entry.kind.value,
                    "effective_date": entry.effective_date,
                    "memo": entry.memo,
                    "created_at": utcnow(),
                    "account_ids": [account_ids[p.account] for p in entry.postings],
                    "amounts": [p.amount.minor for p in entry.postings],
                    "currencies": [p.amount.currency for p in entry.postings],
                },
            )
            .first()
        )
        if inserted is None:
            first = self._entry_row(tenant_id, entry.transfer_id)
            assert first is not None, "a conflicting entry is visible once its transaction committed"
            return self._replay(first, entry)
        entry_id, created_at = inserted
        return PostedEntry(entry_id, entry, _utc(created_at))

    def committed(self) -> None:
        """Called by the unit of work after its commit: the accounts it saw now certainly exist."""
        _KnownAccounts.add(self._account_ids)

    def _add_postings(self, entry_id: uuid.UUID, entry: JournalEntry, tenant_id: uuid.UUID) -> None:
        # Sorted so that two transactions creating the same new accounts take their locks in the
        # same order and cannot deadlock.
        refs = sorted({p.account for p in entry.postings}, key=_ref_key)
        account_ids = self._resolve_accounts(tenant_id, refs)
        # One executemany of a statement built once, through Core: the postings are never read
        # back in this unit of work, so the ORM's identity map and flush bookkeeping (and building
        # the statement per call) would be pure client CPU. Rows go in posting order, which the
        # serial id keeps.
        self._session.execute(
            _INSERT_POSTING,
            [
                {
                    "entry_id": entry_id,
                    "account_id": account_ids[p.account],
                    "amount_minor": p.amount.minor,
                    "currency": p.amount.currency,
                }
                for p in entry.postings
            ],
        )

    def _resolve_accounts(self, tenant_id: uuid.UUID, refs: list[AccountRef]) -> dict[AccountRef, uuid.UUID]:
        """Ids of `refs` (sorted), creating missing accounts in that order; cached per instance."""
        missing = [ref for ref in refs if ref not in self._account_ids]
        if missing:
            known = _KnownAccounts.ids
            self._account_ids.update({ref: known[ref] for ref in missing if ref in known})
            missing = [ref for ref in missing if ref not in self._account_ids]
        if missing:
            self._account_ids.update(self._existing_account_ids(tenant_id, missing))
            for ref in missing:
                if ref not in self._account_ids:
                    self._account_ids[ref] = self._account_id(ref)
        return {ref: self._account_ids[ref] for ref in refs}

    def entries_for_loan(self, tenant_id: uuid.UUID, loan_id: uuid.UUID) -> list[PostedEntry]:
        """Every entry touching one of the loan's accounts, oldest first (its statement)."""
        touching = (
            select(LedgerPosting.entry_id)
            .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
            .where(LedgerAccount.tenant_id == tenant_id, LedgerAccount.loan_id == loan_id)
        )
        rows = self._session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.tenant_id == tenant_id, LedgerEntry.id.in_(touching))
            .order_by(LedgerEntry.effective_date, LedgerEntry.created_at, LedgerEntry.id)
        )
        return [PostedEntry(row.id, self._to_domain(row), _utc(row.created_at)) for row in rows]

    def balance(self, account: AccountRef) -> Money:
        """Sum of the account's postings: positive is a debit balance, negative a credit balance."""
        total = self._session.scalar(
            select(func.coalesce(func.sum(LedgerPosting.amount_minor), 0))
            .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
            .where(*_matches(account))
        )
        return Money(int(total or 0), account.currency)

    def trial_balance(self, tenant_id: uuid.UUID) -> dict[tuple[AccountKind, str], Money]:
        """Totals per account kind and currency over all loans; each currency sums to zero."""
        rows = self._session.execute(
            select(LedgerAccount.kind, LedgerPosting.currency, func.sum(LedgerPosting.amount_minor))
            .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
            .where(LedgerAccount.tenant_id == tenant_id)
            .group_by(LedgerAccount.kind, LedgerPosting.currency)
        )
        return {(AccountKind(kind), cur): Money(int(total), cur) for kind, cur, total in rows}

    def _entry_row(self, tenant_id: uuid.UUID, transfer_id: str) -> LedgerEntry | None:
        return self._session.scalar(
            select(LedgerEntry).where(
                LedgerEntry.tenant_id == tenant_id, LedgerEntry.transfer_id == transfer_id
            )
        )

    def _reversed_id(self, tenant_id: uuid.UUID, entry: JournalEntry) -> uuid.UUID | None:
        if entry.reverses is None:
            return None
        if (original := self._entry_row(tenant_id, entry.reverses)) is None:
            raise UnknownEntry(entry.reverses)
        return original.id

    def _replay(self, row: LedgerEntry, retry: JournalEntry) -> PostedEntry:
        first = self._to_domain(row)
        if not same_postings(first, retry):
            raise TransferIdConflict(retry.transfer_id)
        return PostedEntry(row.id, first, _utc(row.created_at), replayed=True)

    def _to_domain(self, row: LedgerEntry) -> JournalEntry:
        lines = self._session.execute(
            select(LedgerPosting.amount_minor, LedgerPosting.currency, LedgerAccount)
            .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
            .where(LedgerPosting.entry_id == row.id)
            .order_by(LedgerPosting.id)
        )
        postings = tuple(Posting(_ref_of(account), Money(minor, cur)) for minor, cur, account in lines)
        reverses = None
        if row.reverses_entry_id is not None:
            reverses = self._session.scalar(
                select(LedgerEntry.transfer_id).where(LedgerEntry.id == row.reverses_entry_id)
            )
        return JournalEntry(
            row.transfer_id, EntryKind(row.kind), postings, row.effective_date, row.memo, reverses
        )

    def _existing_account_ids(
        self, tenant_id: uuid.UUID, refs: list[AccountRef]
    ) -> dict[AccountRef, uuid.UUID]:
        """Every existing account of the refs' loans and tenant-wide accounts in their currencies,
        in one query: a repayment's accrual and repayment entries touch different kinds of the same
        loan's accounts, so fetching them all at once spares the second entry its lookup."""
        loans = {r.loan_id for r in refs if r.loan_id is not None}
        currencies = {r.currency for r in refs}
        if len(loans) == 1 and len(currencies) == 1:
            rows = self._session.connection().execute(
                _LOAN_AND_TENANT_ACCOUNTS,
                {"tenant_id": tenant_id, "currency": currencies.pop(), "loan_id": loans.pop()},
            )
            return {
                AccountRef(tenant_id, AccountKind(kind), loan_id, currency): account_id
                for account_id, kind, loan_id, currency in rows
            }
        scope = LedgerAccount.loan_id.is_(None)
        if loans:
            scope = scope | LedgerAccount.loan_id.in_(loans)
        rows = self._session.execute(
            select(LedgerAccount.id, LedgerAccount.kind, LedgerAccount.loan_id, LedgerAccount.currency).where(
                LedgerAccount.tenant_id == tenant_id,
                LedgerAccount.currency.in_({r.currency for r in refs}),
                scope,
            )
        )
        return {
            AccountRef(tenant_id, AccountKind(kind), loan_id, currency): account_id
            for account_id, kind, loan_id, currency in rows
        }

    def _account_id(self, ref: AccountRef) -> uuid.UUID:
        """Get or create the account; a concurrent creator wins and we read its row."""
        query = select(LedgerAccount.id).where(*_matches(ref))
        if (found := self._session.scalar(query)) is not None:
            return found
        account = LedgerAccount(
            id=uuid.uuid4(),
            tenant_id=ref.tenant_id,
            kind=ref.kind.value,
            loan_id=ref.loan_id,
            currency=ref.currency,
        )
        try:
            with self._session.begin_nested():
                self._session.add(account)
                self._session.flush()
        except IntegrityError:
            return self._session.scalars(query).one()
        return account.id


def _matches(ref: AccountRef) -> Iterable[object]:
    loan = LedgerAccount.loan_id.is_(None) if ref.loan_id is None else LedgerAccount.loan_id == ref.loan_id
    return (
        LedgerAccount.tenant_id == ref.tenant_id,
        LedgerAccount.kind == ref.kind.value,
        LedgerAccount.currency == ref.currency,
        loan,
    )


def _ref_of(account: LedgerAccount) -> AccountRef:
    return AccountRef(account.tenant_id, AccountKind(account.kind), account.loan_id, account.currency)


def _ref_key(ref: AccountRef) -> tuple[str, str, str, str]:
    return (str(ref.tenant_id), ref.kind.value, str(ref.loan_id or ""), ref.currency)


def _utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
