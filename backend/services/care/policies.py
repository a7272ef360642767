"""A tenant's care policies (hardship options, dispute service levels), read and replaced as data.

A policy is validated by the type that applies it before it is stored, so a typo is refused when
an admin writes it rather than when a customer in difficulty asks for help."""

from __future__ import annotations

import uuid
from typing import Any

from backend.lending.hardship import HardshipPolicy, InvalidPolicy
from backend.services.care.disputes import DisputePolicy
from backend.services.care.errors import Invalid
from backend.services.care.ports import CareUnitOfWork


def hardship_policy_json(policy: HardshipPolicy) -> dict[str, Any]:
    return {
        "options": [o.value for o in policy.options],
        "extension_periods": policy.extension_periods,
        "max_extension_periods": policy.max_extension_periods,
        "reduced_fraction": str(policy.reduced_fraction),
        "reduced_periods": policy.reduced_periods,
        "max_reduced_periods": policy.max_reduced_periods,
        "max_plans_per_loan": policy.max_plans_per_loan,
    }


def dispute_policy_json(policy: DisputePolicy) -> dict[str, Any]:
    return {
        "sla_business_days": {c.value: n for c, n in policy.sla_business_days.items()},
        "holidays": sorted(d.isoformat() for d in policy.holidays),
        "timezone": policy.timezone,
        "reply_by_hour": policy.reply_by_hour,
    }


def hardship_policy(tenant_id: uuid.UUID, product_code: str, uow: CareUnitOfWork) -> HardshipPolicy:
    with uow:
        return uow.policies.hardship(tenant_id, product_code)


def dispute_policy(tenant_id: uuid.UUID, uow: CareUnitOfWork) -> DisputePolicy:
    with uow:
        return DisputePolicy.from_dict(uow.policies.disputes(tenant_id))


def _store(
    tenant_id: uuid.UUID, kind: str, scope: str, definition: dict[str, Any], uow: CareUnitOfWork, actor: str
) -> None:
    with uow:
        uow.policies.set(tenant_id, kind, scope, definition)
        uow.audit.append(
            tenant_id,
            actor=actor,
            action="care.policy_set",
            subject_type="care_policy",
            subject_id=f"{kind}:{scope}"[:64],
            data={"kind": kind, "scope": scope, "definition": definition},
        )
        uow.commit()


def set_hardship_policy(
    tenant_id: uuid.UUID, product_code: str, definition: dict[str, Any], uow: CareUnitOfWork, actor: str
) -> HardshipPolicy:
    """`product_code` "" sets the tenant-wide policy; a product's own policy wins over it."""
    try:
        policy = HardshipPolicy.from_dict(definition)
    except InvalidPolicy as exc:
        raise Invalid(str(exc), slug="invalid-policy") from exc
    _store(tenant_id, "hardship", product_code, hardship_policy_json(policy), uow, actor)
    return policy


def set_dispute_policy(
    tenant_id: uuid.UUID, definition: dict[str, Any], uow: CareUnitOfWork, actor: str
) -> DisputePolicy:
    policy = DisputePolicy.from_dict(definition)
    _store(tenant_id, "disputes", "", dispute_policy_json(policy), uow, actor)
    return policy
