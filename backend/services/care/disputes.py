"""Disputes: a customer's complaint about a charge or a payment, with a reference they can quote
and a reply-by date we keep.

The reference is "DSP-" and six characters of Crockford's base32: no I, L, O or U, so a reference
read out on a call or retyped on a phone is not mistaken for another (an "O" typed for a "0" is
read back as the same reference), and 32^6 (about a billion) references per tenant make a clash
rare; each one is still checked and drawn again, and a unique key backs the check.

Service levels count business days (`backend.lending.business_days`) in the tenant's time zone:
"payment not reflected" is 2 business days because the customer may be short of money they have
in fact paid, everything else 5. Both, the holidays and the reply-by hour are the tenant's data.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date

from backend.lending.business_days import add_business_days
from backend.lending.money import Money
from backend.services.care.errors import Invalid, NotFound, Refused
from backend.services.care.ports import CareUnitOfWork, DisputeRecord
from backend.services.formatting import safe_locale

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "DSP-"
_READS_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


class Category(StrEnum):
    CHARGE = "charge"
    PAYMENT_NOT_REFLECTED = "payment_not_reflected"
    WRONG_AMOUNT = "wrong_amount"
    OTHER = "other"


class DisputeStatus(StrEnum):
    OPEN = "open"
    IN_REVIEW = "in_review"
    RESOLVED = "resolved"
    REJECTED = "rejected"


# open -> in_review -> resolved | rejected: a dispute is looked at before it is answered, and an
# answer is final (a customer who disagrees opens a new dispute, which keeps both on record).
TRANSITIONS: dict[DisputeStatus, frozenset[DisputeStatus]] = {
    DisputeStatus.OPEN: frozenset({DisputeStatus.IN_REVIEW}),
    DisputeStatus.IN_REVIEW: frozenset({DisputeStatus.RESOLVED, DisputeStatus.REJECTED}),
    DisputeStatus.RESOLVED: frozenset(),
    DisputeStatus.REJECTED: frozenset(),
}
FINAL = frozenset({DisputeStatus.RESOLVED, DisputeStatus.REJECTED})


@dataclass(frozen=True, slots=True)
class DisputePolicy:
    sla_business_days: Mapping[Category, int] = field(
        default_factory=lambda: {
            Category.PAYMENT_NOT_REFLECTED: 2,
            Category.CHARGE: 5,
            Category.WRONG_AMOUNT: 5,
            Category.OTHER: 5,
        }
    )
    holidays: frozenset[date] = frozenset()
    timezone: str = "Africa/Lagos"
    reply_by_hour: int = 17

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> DisputePolicy:
        """A stored policy; categories it leaves out keep their default."""
        default = cls()
        if not data:
            return default
        try:
            days = dict(default.sla_business_days)
            for key, value in dict(data.get("sla_business_days", {})).items():
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    raise ValueError(f"sla_business_days.{key} must be a non-negative integer")
                days[Category(key)] = value
            holidays = frozenset(date.fromisoformat(d) for d in data.get("holidays", []))
            tz = str(data.get("timezone", default.timezone))
            ZoneInfo(tz)
            hour = int(data.get("reply_by_hour", default.reply_by_hour))
            if not 0 <= hour <= 23:
                raise ValueError("reply_by_hour must be 0-23")
        except (ValueError, TypeError, ZoneInfoNotFoundError) as exc:
            raise Invalid(f"the tenant's dispute policy is invalid: {exc}", slug="invalid-policy") from exc
        return cls(days, holidays, tz, hour)

    def due_at(self, category: Category, opened_at: datetime) -> datetime:
        """The reply-by time: `reply_by_hour` local time on the N-th business day after opening."""
        zone = ZoneInfo(self.timezone)
        local_day = opened_at.astimezone(zone).date()
        day = add_business_days(local_day, self.sla_business_days[category], self.holidays)
        return datetime.combine(day, time(self.reply_by_hour), tzinfo=zone).astimezone(UTC)

    def local_day(self, at: datetime) -> date:
        return at.astimezone(ZoneInfo(self.timezone)).date()


def new_reference() -> str:
    return PREFIX + "".join(secrets.choice(CROCKFORD) for _ in range(6))


def normalise_reference(text: str) -> str | None:
    """A reference as a customer may type it ("dsp 7k2m9q", "DSP-7K2M9Q", "7k2m9q", with O for 0),
    in canonical form; None if it cannot be one."""
    compact = "".join(ch for ch in text.upper() if ch.isalnum())
    if compact.startswith("DSP"):
        compact = compact[3:]
    compact = compact.translate(_READS_AS)
    if len(compact) != 6 or any(ch not in CROCKFORD for ch in compact):
        return None
    return PREFIX + compact


def sla_text(policy: DisputePolicy, due_at: datetime, locale: str | None) -> str:
    return (
        f"We'll reply by {format_date(policy.local_day(due_at), 'EEEE d MMMM', locale=safe_locale(locale))}"
    )


@dataclass(frozen=True, slots=True)
class OpenDispute:
    tenant_id: uuid.UUID
    customer_id: uuid.UUID
    category: Category
    description: str
    loan_id: uuid.UUID | None = None
    amount: Money | None = None
    attachment_document_id: uuid.UUID | None = None
    actor: str = "api"


@dataclass(frozen=True, slots=True)
class ChangeStatus:
    tenant_id: uuid.UUID
    reference: str
    status: DisputeStatus
    note: str | None
    actor: str = "api"


def policy_of(tenant_id: uuid.UUID, uow: CareUnitOfWork) -> DisputePolicy:
    return DisputePolicy.from_dict(uow.policies.disputes(tenant_id))


def open_dispute(cmd: OpenDispute, uow: CareUnitOfWork, now: datetime) -> tuple[DisputeRecord, DisputePolicy]:
    with uow:
        if not uow.directory.customer_exists(cmd.tenant_id, cmd.customer_id):
            raise NotFound(f"customer {cmd.customer_id} not found", slug="customer-not-found")
        if cmd.loan_id is not None:
            owner = uow.loans.customer_of(cmd.tenant_id, cmd.loan_id)
            if owner is None:
                raise NotFound(f"loan {cmd.loan_id} not found", slug="loan-not-found")
            if owner != cmd.customer_id:
                raise Invalid("the loan belongs to another customer", slug="loan-not-customers")
        policy = policy_of(cmd.tenant_id, uow)
        reference = new_reference()
        while uow.disputes.reference_taken(cmd.tenant_id, reference):
            reference = new_reference()
        record = DisputeRecord(
            id=uuid.uuid4(),
            tenant_id=cmd.tenant_id,
            reference=reference,
            customer_id=cmd.customer_id,
            loan_id=cmd.loan_id,
            category=cmd.category.value,
            description=cmd.description,
            amount=cmd.amount,
            attachment_document_id=cmd.attachment_document_id,
            status=DisputeStatus.OPEN.value,
            sla_due_at=policy.due_at(cmd.category, now),
            resolution_note=None,
            created_at=now,
            updated_at=now,
        )
        uow.disputes.add(record)
        uow.audit.append(
            cmd.tenant_id,
            actor=cmd.actor,
            action="dispute.opened",
            subject_type="dispute",
            subject_id=str(record.id),
            data={
                "reference": reference,
                "customer_id": str(cmd.customer_id),
                "loan_id": str(cmd.loan_id) if cmd.loan_id else None,
                "category": record.category,
                "amount_minor": cmd.amount.minor if cmd.amount else None,
                "currency": cmd.amount.currency if cmd.amount else None,
                "attachment_document_id": str(cmd.attachment_document_id)
                if cmd.attachment_document_id
                else None,
                "sla_due_at": record.sla_due_at.isoformat(),
            },
        )
        uow.commit()
        return record, policy


def get_dispute(
    tenant_id: uuid.UUID, reference: str, uow: CareUnitOfWork
) -> tuple[DisputeRecord, DisputePolicy]:
    canonical = normalise_reference(reference)
    with uow:
        record = uow.disputes.get(tenant_id, canonical) if canonical else None
        if record is None:
            raise NotFound(f"no dispute {reference}", slug="dispute-not-found")
        return record, policy_of(tenant_id, uow)


def disputes_of(
    tenant_id: uuid.UUID,
    customer_id: uuid.UUID,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
    uow: CareUnitOfWork,
) -> tuple[list[DisputeRecord], DisputePolicy]:
    with uow:
        return uow.disputes.for_customer(tenant_id, customer_id, before, limit), policy_of(tenant_id, uow)


def change_status(
    cmd: ChangeStatus, uow: CareUnitOfWork, now: datetime
) -> tuple[DisputeRecord, DisputePolicy]:
    """Move a dispute on; resolving or rejecting it needs the note the customer will be told."""
    canonical = normalise_reference(cmd.reference)
    with uow:
        record = uow.disputes.get(cmd.tenant_id, canonical, for_update=True) if canonical else None
        if record is None:
            raise NotFound(f"no dispute {cmd.reference}", slug="dispute-not-found")
        current = DisputeStatus(record.status)
        if cmd.status not in TRANSITIONS[current]:
            raise Refused(
                f"a dispute that is {current.value} cannot become {cmd.status.value}",
                slug="invalid-dispute-transition",
            )
        note = (cmd.note or "").strip() or None
        if cmd.status in FINAL and note is None:
            raise Invalid(
                "resolving or rejecting a dispute needs a resolution note", slug="resolution-note-required"
            )
        changed = replace(
            record, status=cmd.status.value, resolution_note=note or record.resolution_note, updated_at=now
        )
        uow.disputes.save(changed)
        uow.audit.append(
            cmd.tenant_id,
            actor=cmd.actor,
            action="dispute.status_changed",
            subject_type="dispute",
            subject_id=str(record.id),
            data={"reference": record.reference, "from": current.value, "to": cmd.status.value, "note": note},
        )
        uow.commit()
        return changed, policy_of(cmd.tenant_id, uow)
