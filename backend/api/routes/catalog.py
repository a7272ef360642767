"""/v1/products and /v1/lenders: a tenant's admin of what it offers and who funds it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from backend.api import idempotency
from backend.api.deps import ComponentsDep, CurrentTenant
from backend.api.routes._origination import problems, uow_for, uow_in
from backend.services.origination import catalog as svc
from backend.services.origination.ports import LenderRec, ProductRec

products_router = APIRouter(prefix="/v1/products", tags=["admin"])
lenders_router = APIRouter(prefix="/v1/lenders", tags=["admin"])


class ProductOut(BaseModel):
    code: str
    version: int
    kind: str
    definition: dict[str, Any]

    @classmethod
    def of(cls, rec: ProductRec) -> ProductOut:
        return cls(code=rec.code, version=rec.version, kind=rec.kind, definition=rec.definition)


class LenderIn(BaseModel):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")
    name: str = Field(min_length=1, max_length=200)
    pricing: dict[str, Any] = Field(description="See backend/lending/lender_config.py for the shape.")
    active: bool = True


class LenderOut(LenderIn):
    pass


@products_router.get("", response_model=list[ProductOut])
def list_products(tenant: CurrentTenant, c: ComponentsDep) -> list[ProductOut]:
    """The active version of each product."""
    return [ProductOut.of(p) for p in svc.list_products(uow_for(c.sessions, tenant))]


@products_router.post("", status_code=201, response_model=ProductOut)
def save_product(
    body: dict[str, Any],
    tenant: CurrentTenant,
    c: ComponentsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Validate with Product.from_dict and store as a new version (older versions retire)."""

    def run(session: Session) -> dict[str, Any]:
        with problems():
            return ProductOut.of(svc.save_product(body, uow_in(session, tenant))).model_dump(mode="json")

    return idempotency.once(c.sessions, tenant, idempotency_key, body, run)


@lenders_router.get("", response_model=list[LenderOut])
def list_lenders(tenant: CurrentTenant, c: ComponentsDep) -> list[LenderOut]:
    return [
        LenderOut(code=r.code, name=r.name, pricing=r.pricing, active=r.active)
        for r in svc.list_lenders(uow_for(c.sessions, tenant))
    ]


@lenders_router.post("", status_code=201, response_model=LenderOut)
def save_lender(
    body: LenderIn,
    tenant: CurrentTenant,
    c: ComponentsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Create or replace a lender; its pricing is validated before any offer can use it."""
    rec = LenderRec(code=body.code, name=body.name, pricing=body.pricing, active=body.active)

    def run(session: Session) -> dict[str, Any]:
        with problems():
            saved = svc.save_lender(rec, uow_in(session, tenant))
        return LenderOut(
            code=saved.code, name=saved.name, pricing=saved.pricing, active=saved.active
        ).model_dump()

    return idempotency.once(c.sessions, tenant, idempotency_key, body.model_dump(mode="json"), run)
