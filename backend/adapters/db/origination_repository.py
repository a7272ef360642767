"""SQLAlchemy implementation of the origination ports, scoped to one tenant per unit of work."""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import datetime
from typing import Any, Self, TypeVar

from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.audit import SqlAudit
from backend.adapters.db.lending_models import (
    Agreement,
    BusinessProfile,
    CreditApplication,
    Decision,
    Lender,
    Offer,
    Product,
)
from backend.adapters.db.models import Conversation, Customer, Message
from backend.adapters.db.origination_models import RuleSetRow
from backend.adapters.db.uow import SessionUnitOfWork
from backend.adapters.messaging.sandbox import SandboxMessenger
from backend.services.origination.ports import (
    AgreementRec,
    ApplicationRec,
    CustomerRec,
    DecisionRec,
    DuplicatePhone,
    LenderRec,
    OfferRec,
    ProductRec,
    ProfileRec,
    StaleVersion,
)

R = TypeVar("R")


def _rec(row: Any, cls: type[R]) -> R:
    return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})  # type: ignore[arg-type]


def _values(rec: Any) -> dict[str, Any]:
    return {f.name: getattr(rec, f.name) for f in fields(rec) if getattr(rec, f.name) is not None}


def _after(stmt: Select[Any], model: Any, after: tuple[datetime, uuid.UUID] | None) -> Select[Any]:
    if after is None:
        return stmt
    at, last_id = after
    return stmt.where(or_(model.created_at > at, and_(model.created_at == at, model.id > last_id)))


class SqlOriginationRepository:
    def __init__(self, session: Session, tenant_id: uuid.UUID) -> None:
        self._s = session
        self._t = tenant_id

    def _one(self, model: Any, key: uuid.UUID, *, for_update: bool = False) -> Any:
        stmt = select(model).where(model.id == key, model.tenant_id == self._t)
        return self._s.scalar(stmt.with_for_update() if for_update else stmt)

    # customers
    def add_customer(self, rec: CustomerRec) -> None:
        """In a savepoint, so losing the phone race leaves the (possibly shared, idempotent)
        transaction usable for the 409 instead of aborting it."""
        try:
            with self._s.begin_nested():
                self._s.add(Customer(tenant_id=self._t, **_values(rec)))
                self._s.flush()
        except IntegrityError as exc:
            if self.customer_by_phone(rec.phone_e164 or "") is not None:
                raise DuplicatePhone(rec.phone_e164) from exc
            raise

    def customer(self, customer_id: uuid.UUID) -> CustomerRec | None:
        row = self._one(Customer, customer_id)
        return _rec(row, CustomerRec) if row else None

    def customer_by_phone(self, phone_e164: str) -> CustomerRec | None:
        row = self._s.scalar(
            select(Customer).where(Customer.tenant_id == self._t, Customer.phone_e164 == phone_e164).limit(1)
        )
        return _rec(row, CustomerRec) if row else None

    def customers(self, after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[CustomerRec]:
        stmt = _after(select(Customer).where(Customer.tenant_id == self._t), Customer, after)
        rows = self._s.scalars(stmt.order_by(Customer.created_at, Customer.id).limit(limit))
        return [_rec(r, CustomerRec) for r in rows]

    def profile(self, customer_id: uuid.UUID) -> ProfileRec | None:
        row = self._s.scalar(
            select(BusinessProfile).where(
                BusinessProfile.tenant_id == self._t, BusinessProfile.customer_id == customer_id
            )
        )
        return _rec(row, ProfileRec) if row else None

    def put_profile(self, rec: ProfileRec) -> None:
        row = self._s.scalar(
            select(BusinessProfile).where(
                BusinessProfile.tenant_id == self._t, BusinessProfile.customer_id == rec.customer_id
            )
        )
        if row is None:
            self._s.add(BusinessProfile(tenant_id=self._t, **_values(rec)))
        else:
            for f in fields(rec):
                setattr(row, f.name, getattr(rec, f.name))
        self._s.flush()

    # catalogue
    def product(self, code: str) -> ProductRec | None:
        row = self._s.scalar(
            select(Product)
            .where(Product.tenant_id == self._t, Product.code == code, Product.active.is_(True))
            .order_by(Product.version.desc())
            .limit(1)
        )
        return _rec(row, ProductRec) if row else None

    def products(self) -> list[ProductRec]:
        rows = self._s.scalars(
            select(Product)
            .where(Product.tenant_id == self._t, Product.active.is_(True))
            .order_by(Product.code, Product.version)
        )
        return [_rec(r, ProductRec) for r in rows]

    def add_product_version(self, rec: ProductRec) -> None:
        self._s.execute(
            update(Product).where(Product.tenant_id == self._t, Product.code == rec.code).values(active=False)
        )
        self._s.add(Product(tenant_id=self._t, **_values(rec)))
        self._s.flush()

    def lenders(self, active_only: bool = True) -> list[LenderRec]:
        stmt = select(Lender).where(Lender.tenant_id == self._t)
        if active_only:
            stmt = stmt.where(Lender.active.is_(True))
        return [_rec(r, LenderRec) for r in self._s.scalars(stmt.order_by(Lender.code))]

    def lender(self, code: str) -> LenderRec | None:
        row = self._s.scalar(select(Lender).where(Lender.tenant_id == self._t, Lender.code == code))
        return _rec(row, LenderRec) if row else None

    def put_lender(self, rec: LenderRec) -> None:
        row = self._s.scalar(select(Lender).where(Lender.tenant_id == self._t, Lender.code == rec.code))
        if row is None:
            self._s.add(Lender(tenant_id=self._t, **_values(rec)))
        else:
            row.name, row.pricing, row.active = rec.name, rec.pricing, rec.active
        self._s.flush()

    def ruleset_text(self) -> str | None:
        return self._s.scalar(
            select(RuleSetRow.text)
            .where(RuleSetRow.tenant_id == self._t, RuleSetRow.active.is_(True))
            .order_by(RuleSetRow.created_at.desc(), RuleSetRow.version.desc())
            .limit(1)
        )

    # applications
    def add_application(self, rec: ApplicationRec) -> None:
        values = _values(rec)
        values.pop("version", None)
        self._s.add(CreditApplication(tenant_id=self._t, **values))
        self._s.flush()

    def application(self, application_id: uuid.UUID, *, for_update: bool = False) -> ApplicationRec | None:
        row = self._one(CreditApplication, application_id, for_update=for_update)
        return _rec(row, ApplicationRec) if row else None

    def applications(
        self, customer_id: uuid.UUID | None, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[ApplicationRec]:
        stmt = select(CreditApplication).where(CreditApplication.tenant_id == self._t)
        if customer_id is not None:
            stmt = stmt.where(CreditApplication.customer_id == customer_id)
        stmt = _after(stmt, CreditApplication, after)
        rows = self._s.scalars(stmt.order_by(CreditApplication.created_at, CreditApplication.id).limit(limit))
        return [_rec(r, ApplicationRec) for r in rows]

    def save_application(self, rec: ApplicationRec, expected_version: int) -> ApplicationRec:
        row = self._one(CreditApplication, rec.id)
        if row is None or row.version != expected_version:
            raise StaleVersion(str(rec.id))
        for f in fields(rec):
            if f.name not in {"id", "version", "created_at"}:
                setattr(row, f.name, getattr(rec, f.name))
        self._s.flush()
        return _rec(row, ApplicationRec)

    def add_decision(self, rec: DecisionRec) -> None:
        self._s.add(Decision(tenant_id=self._t, **_values(rec)))
        self._s.flush()

    def latest_decision(self, application_id: uuid.UUID) -> DecisionRec | None:
        row = self._s.scalar(
            select(Decision)
            .where(Decision.tenant_id == self._t, Decision.application_id == application_id)
            .order_by(Decision.created_at.desc())
            .limit(1)
        )
        return _rec(row, DecisionRec) if row else None

    def add_offer(self, rec: OfferRec) -> None:
        self._s.add(Offer(tenant_id=self._t, **_values(rec)))
        self._s.flush()

    def offers(self, application_id: uuid.UUID) -> list[OfferRec]:
        rows = self._s.scalars(
            select(Offer)
            .where(Offer.tenant_id == self._t, Offer.application_id == application_id)
            .order_by(Offer.rank)
        )
        return [_rec(r, OfferRec) for r in rows]

    def offer(self, offer_id: uuid.UUID) -> OfferRec | None:
        row = self._one(Offer, offer_id)
        return _rec(row, OfferRec) if row else None

    def set_offer_status(self, offer_id: uuid.UUID, status: str) -> None:
        self._s.execute(
            update(Offer).where(Offer.id == offer_id, Offer.tenant_id == self._t).values(status=status)
        )

    def add_agreement(self, rec: AgreementRec) -> None:
        self._s.add(Agreement(tenant_id=self._t, **_values(rec)))
        self._s.flush()

    def agreement(self, agreement_id: uuid.UUID, *, for_update: bool = False) -> AgreementRec | None:
        row = self._one(Agreement, agreement_id, for_update=for_update)
        return _rec(row, AgreementRec) if row else None

    def save_agreement(self, rec: AgreementRec) -> None:
        row = self._one(Agreement, rec.id)
        assert row is not None
        for name in ("status", "otp_challenge", "signed_at", "signer", "channel", "evidence"):
            setattr(row, name, getattr(rec, name))
        self._s.flush()


class SqlNotifier:
    """Writes the message on the customer's latest conversation and 'sends' it via the sandbox
    outbox in the same transaction (a live provider would be called by the worker instead)."""

    def __init__(self, session: Session, tenant_id: uuid.UUID) -> None:
        self._s, self._t = session, tenant_id

    def send_to_customer(self, customer_id: uuid.UUID, text: str) -> bool:
        conversation = self._s.scalar(
            select(Conversation)
            .where(Conversation.tenant_id == self._t, Conversation.customer_id == customer_id)
            .order_by(Conversation.last_message_at.desc())
            .limit(1)
        )
        if conversation is None:
            return False
        message = Message(
            conversation_id=conversation.id, direction="outbound", author="bot", text=text, status="sent"
        )
        self._s.add(message)
        self._s.flush()
        SandboxMessenger().send(
            self._s,
            message.id,
            conversation.channel,
            conversation.channel_identity,
            {"text": text, "buttons": []},
        )
        return True


class SqlOriginationUow(SessionUnitOfWork):
    """One tenant, one session; `joining` takes part in an outer transaction (idempotent requests)."""

    def __init__(
        self,
        tenant_id: uuid.UUID,
        sessions: sessionmaker[Session] | None = None,
        *,
        session: Session | None = None,
    ) -> None:
        super().__init__(sessions, session=session)
        self.tenant_id = tenant_id

    @classmethod
    def joining(cls, session: Session, tenant_id: uuid.UUID) -> Self:  # type: ignore[override]
        return cls(tenant_id, session=session)

    def _bind(self, session: Session) -> None:
        self.repo = SqlOriginationRepository(session, self.tenant_id)
        self.audit = SqlAudit(session, self.tenant_id)
        self.notifier = SqlNotifier(session, self.tenant_id)
