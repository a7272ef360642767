"""The tenant's products as the bot needs them: which product a choice means, its bounds.

Products are data in the backend (`GET /v1/products`); the bot reads them instead of hard-coding
amounts and terms, so a tenant that changes a limit changes what the bot asks and accepts. The
list is cached for a minute per tenant: it changes rarely and is read on most turns of a form.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rasa_sdk import Tracker

from actions.backend_client import BackendClient, BackendError, RequestContext
from actions.context import request_context

CACHE_SECONDS = 60.0
_CACHE: dict[str, tuple[float, list[ProductInfo]]] = {}

# what customers call each kind (NLU synonyms map onto these values too)
KIND_WORDS: dict[str, tuple[str, ...]] = {
    "line_of_credit": ("line of credit", "credit line", "line", "overdraft", "revolving", "loc"),
    "invoice_financing": ("invoice", "invoice financing", "factoring", "receivable"),
    "bnpl": (
        "bnpl",
        "pay in 4",
        "pay later",
        "buy now",
        "instalment",
        "installment",
        "small small",
        "pay in four",
    ),
    "working_capital": ("working capital", "business loan", "term loan", "loan", "capital"),
}
KIND_LABELS = {
    "line_of_credit": "Line of credit",
    "invoice_financing": "Invoice financing",
    "bnpl": "Pay in 4",
    "working_capital": "Working capital",
}


@dataclass(frozen=True, slots=True)
class ProductInfo:
    code: str
    kind: str
    name: str
    currency: str
    minimum_minor: int
    maximum_minor: int
    term_minimum: int
    term_maximum: int
    term_unit: str
    frequencies: tuple[str, ...]

    @property
    def fixed_term(self) -> bool:
        return self.term_minimum == self.term_maximum

    @classmethod
    def of(cls, data: dict[str, Any]) -> ProductInfo:
        d = data["definition"]
        exponent = 2  # products carry decimal strings; minor units are 2 decimals for NGN/KES/USD
        return cls(
            code=data["code"],
            kind=data["kind"],
            name=str(d.get("name") or data["code"]),
            currency=str(d["currency"]),
            minimum_minor=int(Decimal(str(d["amount"]["minimum"])).scaleb(exponent)),
            maximum_minor=int(Decimal(str(d["amount"]["maximum"])).scaleb(exponent)),
            term_minimum=int(d["term"]["minimum"]),
            term_maximum=int(d["term"]["maximum"]),
            term_unit=str(d["term"].get("unit", "months")),
            frequencies=tuple(d.get("frequencies") or ()),
        )


async def products(ctx: RequestContext, client: BackendClient | None = None) -> list[ProductInfo]:
    cached = _CACHE.get(ctx.tenant)
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    data = await (client or BackendClient()).get("/v1/products", ctx)
    items = [ProductInfo.of(p) for p in data]
    _CACHE[ctx.tenant] = (time.monotonic(), items)
    return items


def kind_from_text(text: str) -> str | None:
    """The one kind a free-text answer names ("finance my invoice" -> invoice_financing)."""
    lowered = (text or "").lower().replace("_", " ")
    for kind in ("invoice_financing", "bnpl", "line_of_credit", "working_capital"):
        if kind.replace("_", " ") in lowered or kind in (text or "").lower():
            return kind
    found = {kind for kind, words in KIND_WORDS.items() for w in words if w in lowered}
    if len(found) > 1 and "working_capital" in found:
        found.discard("working_capital")  # "loan" is generic: a more specific kind wins
    return found.pop() if len(found) == 1 else None


def by_code(items: list[ProductInfo], code: str | None) -> ProductInfo | None:
    return next((p for p in items if p.code == code), None)


async def chosen_product(tracker: Tracker) -> ProductInfo | None:
    """The product the conversation has chosen (slot `product_code`); None when none is chosen yet
    or the backend cannot be reached, so the question is asked without the product's bounds."""
    code = tracker.get_slot("product_code")
    if not code:
        return None
    try:
        return by_code(await products(request_context(tracker)), code)
    except BackendError:
        return None


def by_kind(items: list[ProductInfo], kind: str) -> ProductInfo | None:
    return next((p for p in items if p.kind == kind), None)
