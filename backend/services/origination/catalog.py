"""Admin of a tenant's products and lenders: validated before stored, versioned products.

A product change is a new version rather than an edit, because offers and decisions already made
name the product they were made with and must stay explainable.
"""

from __future__ import annotations

from typing import Any

from backend.lending.lender_config import InvalidLender, lender_from_config
from backend.lending.products import InvalidProduct, Product
from backend.services.origination.errors import Invalid
from backend.services.origination.ports import LenderRec, OriginationUnitOfWork, ProductRec


def list_products(uow: OriginationUnitOfWork) -> list[ProductRec]:
    with uow:
        return uow.repo.products()


def save_product(definition: dict[str, Any], uow: OriginationUnitOfWork) -> ProductRec:
    try:
        product = Product.from_dict(definition)
    except InvalidProduct as exc:
        raise Invalid(str(exc), field=exc.field) from None
    with uow:
        current = uow.repo.product(product.code)
        rec = ProductRec(
            code=product.code,
            version=(current.version + 1) if current else 1,
            kind=product.kind.value,
            definition=definition,
        )
        uow.repo.add_product_version(rec)
        uow.audit.append(
            actor="admin",
            action="product.versioned",
            subject_type="product",
            subject_id=product.code,
            data={"version": rec.version},
        )
        uow.commit()
        return rec


def list_lenders(uow: OriginationUnitOfWork) -> list[LenderRec]:
    with uow:
        return uow.repo.lenders(active_only=False)


def save_lender(rec: LenderRec, uow: OriginationUnitOfWork) -> LenderRec:
    try:
        lender_from_config(rec.code, rec.name, rec.pricing)
    except InvalidLender as exc:
        raise Invalid(f"lender {rec.code!r}: {exc}", field="pricing") from None
    with uow:
        uow.repo.put_lender(rec)
        uow.audit.append(
            actor="admin",
            action="lender.saved",
            subject_type="lender",
            subject_id=rec.code,
            data={"active": rec.active},
        )
        uow.commit()
        return rec
