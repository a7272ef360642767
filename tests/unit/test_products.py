import copy
from decimal import Decimal

import pytest
from lending_factories import ngn

from backend.lending.money import Money
from backend.lending.products import (
    DEFAULT_ALLOCATION_ORDER,
    DEFAULT_PRODUCT_DATA,
    DEFAULT_PRODUCTS,
    BnplTerms,
    Component,
    CreditLine,
    Frequency,
    InvalidProduct,
    InvoiceFinancingTerms,
    LateFeeRule,
    OriginationFee,
    OverpaymentRule,
    Product,
    ProductKind,
)


def a_product_dict(code: str = "ngn-working-capital", **changes: object) -> dict:
    data = copy.deepcopy(next(d for d in DEFAULT_PRODUCT_DATA if d["code"] == code))
    data.update(changes)
    return data


def test_the_demo_tenant_offers_the_four_product_kinds_in_naira():
    assert {p.kind for p in DEFAULT_PRODUCTS.values()} == set(ProductKind)
    assert {p.currency for p in DEFAULT_PRODUCTS.values()} == {"NGN"}


def test_a_product_reads_amounts_as_money_and_rates_as_exact_decimals():
    product = Product.from_dict(a_product_dict())
    assert product.amount.minimum == ngn("100000.00")
    assert product.annual_interest_rate == Decimal("0.42")
    assert product.frequencies == frozenset(Frequency)
    assert product.overpayment is OverpaymentRule.APPLY_TO_PRINCIPAL


def test_the_allocation_order_defaults_to_fees_then_interest_then_principal():
    data = a_product_dict("ngn-bnpl-4")
    assert "allocation_order" not in data
    assert Product.from_dict(data).allocation_order == DEFAULT_ALLOCATION_ORDER
    assert DEFAULT_ALLOCATION_ORDER == (Component.FEES, Component.INTEREST, Component.PRINCIPAL)


def test_a_product_may_choose_interest_before_fees():
    assert DEFAULT_PRODUCTS["ngn-invoice-financing"].allocation_order[:2] == (
        Component.INTEREST,
        Component.FEES,
    )


def test_split_puts_the_remainder_cent_on_the_first_instalment():
    terms = DEFAULT_PRODUCTS["ngn-bnpl-4"].terms
    assert isinstance(terms, BnplTerms)
    assert terms.instalment_amounts(ngn("100.03")) == [ngn("25.03"), ngn("25.00"), ngn("25.00"), ngn("25.00")]


def test_bnpl_pays_in_four_fortnightly_instalments_without_interest():
    product = DEFAULT_PRODUCTS["ngn-bnpl-4"]
    assert product.terms == BnplTerms(4, Frequency.FORTNIGHTLY)
    assert product.annual_interest_rate == 0


def test_bnpl_with_interest_is_refused():
    with pytest.raises(InvalidProduct, match="annual_interest_rate"):
        Product.from_dict(a_product_dict("ngn-bnpl-4", annual_interest_rate="0.10"))


def test_invoice_financing_advances_the_advance_rate_of_the_invoice():
    terms = DEFAULT_PRODUCTS["ngn-invoice-financing"].terms
    assert isinstance(terms, InvoiceFinancingTerms)
    assert terms.advance_for(ngn("1000000.00")) == ngn("800000.00")


def test_a_draw_on_a_credit_line_reduces_what_is_available_and_a_repayment_restores_it():
    product = DEFAULT_PRODUCTS["ngn-line-of-credit"]
    line = CreditLine(limit=ngn("500000.00"), drawn=ngn("0"))
    line = line.draw(ngn("200000.00"), product).draw(ngn("300000.00"), product)
    assert line.available == ngn("0")
    with pytest.raises(ValueError, match="available"):
        line.draw(ngn("10000.00"), product)
    assert line.repay_principal(ngn("50000.00")).available == ngn("50000.00")


def test_a_draw_below_the_minimum_draw_is_refused():
    with pytest.raises(ValueError, match="at least"):
        CreditLine(ngn("500000.00"), ngn("0")).draw(ngn("500.00"), DEFAULT_PRODUCTS["ngn-line-of-credit"])


def test_the_origination_fee_is_a_percentage_plus_flat_kept_between_floor_and_ceiling():
    fee = OriginationFee(Decimal("0.02"), ngn("500.00"), minimum=ngn("2000.00"), maximum=ngn("250000.00"))
    assert fee.for_principal(ngn("100000.00")) == ngn("2500.00")
    assert fee.for_principal(ngn("10000.00")) == ngn("2000.00")
    assert fee.for_principal(ngn("50000000.00")) == ngn("250000.00")


def test_a_late_fee_is_flat_plus_a_percentage_of_the_overdue_amount_up_to_the_cap():
    rule = LateFeeRule(ngn("1000.00"), Decimal("0.02"), cap=ngn("20000.00"))
    assert rule.fee_for(ngn("100000.00")) == ngn("3000.00")
    assert rule.fee_for(ngn("10000000.00")) == ngn("20000.00")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "payday"}, "kind"),
        ({"currency": "XYZ"}, "currency"),
        ({"amount": {"minimum": "500.00", "maximum": "100.00"}}, "amount"),
        ({"amount": {"minimum": 100.5, "maximum": "1000.00"}}, "amount.minimum"),
        ({"term": {"minimum": 12, "maximum": 3, "unit": "months"}}, "term"),
        ({"term": {"minimum": 3, "maximum": 12, "unit": "fortnights"}}, "term.unit"),
        ({"frequencies": []}, "frequencies"),
        ({"frequencies": ["daily"]}, "frequencies"),
        ({"annual_interest_rate": 0.42}, "annual_interest_rate"),
        ({"annual_interest_rate": "-0.1"}, "annual_interest_rate"),
        (
            {"origination_fee": {"percentage": "0.02", "minimum": "500.00", "maximum": "100.00"}},
            "origination_fee",
        ),
        ({"late_fee": {"percentage": "1.5"}}, "late_fee.percentage"),
        ({"grace_period_days": -1}, "grace_period_days"),
        ({"overpayment": "refund"}, "overpayment"),
        ({"allocation_order": ["fees", "fees", "principal"]}, "allocation_order"),
        ({"allocation_order": ["fees", "interest"]}, "allocation_order"),
    ],
)
def test_an_incoherent_product_is_refused_naming_the_field(changes: dict, field: str):
    with pytest.raises(InvalidProduct) as refused:
        Product.from_dict(a_product_dict(**changes))
    assert refused.value.field == field
    assert "ngn-working-capital" in str(refused.value)


def test_a_missing_field_is_named_as_required():
    data = a_product_dict()
    del data["grace_period_days"]
    with pytest.raises(InvalidProduct, match="grace_period_days: is required"):
        Product.from_dict(data)


def test_kind_specific_terms_are_required_for_their_kind():
    data = a_product_dict("ngn-invoice-financing")
    del data["invoice_financing"]
    with pytest.raises(InvalidProduct, match=r"invoice_financing\.advance_rate"):
        Product.from_dict(data)


def test_products_are_immutable():
    with pytest.raises(AttributeError):
        DEFAULT_PRODUCTS["ngn-bnpl-4"].grace_period_days = 30  # type: ignore[misc]


def test_bnpl_instalments_always_add_up_to_the_price():
    terms = BnplTerms(4, Frequency.FORTNIGHTLY)
    for minor in (1, 3, 4, 999, 10_003, 123_456_789):
        parts = terms.instalment_amounts(Money(minor, "NGN"))
        assert sum(p.minor for p in parts) == minor
        assert len(set(parts[1:])) == 1


def test_a_bnpl_frequency_outside_the_allowed_frequencies_is_refused():
    data = a_product_dict("ngn-bnpl-4", bnpl={"instalments": 4, "frequency": "monthly"})
    with pytest.raises(InvalidProduct, match=r"bnpl\.frequency"):
        Product.from_dict(data)


def test_a_bnpl_of_a_single_instalment_is_refused():
    data = a_product_dict("ngn-bnpl-4", bnpl={"instalments": 1, "frequency": "fortnightly"})
    with pytest.raises(InvalidProduct, match=r"bnpl\.instalments"):
        Product.from_dict(data)
