"""POST /v1/loan-quotes and POST /v1/apr through the real app (auth, validation, problem+json)."""

import pytest

from tests.integration.conftest import DEMO_AUTH

QUOTE = {
    "principal": "5000.00",
    "currency": "USD",
    "annual_rate": "0.1325",
    "term_count": 24,
    "frequency": "monthly",
    "amortization": "annuity",
    "upfront_fee": "0.00",
    "fee_financed": False,
    "disbursement_date": "2026-01-10",
    "first_payment_date": "2026-02-10",
    "payment_timing": "arrears",
}
# Regulation Z Appendix J example (c)(1)(i), https://www.consumerfinance.gov/rules-policy/regulations/1026/j/
APR_BODY = {
    "advance": "5000.00",
    "advance_date": "1978-01-10",
    "payments": [
        {"date": f"{1978 + (1 + k) // 12}-{(1 + k) % 12 + 1:02d}-10", "amount": "230.00"} for k in range(24)
    ],
    "method": "us_actuarial",
    "unit_period": "month",
}


def test_a_loan_quote_has_the_schedule_totals_and_both_rates(client):
    response = client.post("/v1/loan-quotes", json=QUOTE, headers=DEMO_AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["payment"] == "238.30"
    assert body["apr"] == "13.25"
    assert body["aprc"] == "14.1"
    assert body["total_repayable"] == "5719.11" and body["total_interest"] == "719.11"
    assert len(body["installments"]) == 24
    assert body["installments"][0] == {
        "number": 1,
        "due_date": "2026-02-10",
        "payment": "238.30",
        "principal": "183.09",
        "interest": "55.21",
        "balance": "4816.91",
    }
    assert body["installments"][-1]["balance"] == "0.00"


def test_an_upfront_fee_shows_in_the_apr(client):
    body = client.post(
        "/v1/loan-quotes", json={**QUOTE, "upfront_fee": "100.00", "fee_financed": True}, headers=DEMO_AUTH
    ).json()
    assert float(body["apr"]) > 13.25


def test_apr_of_the_regulation_z_example(client):
    response = client.post("/v1/apr", json=APR_BODY, headers=DEMO_AUTH)
    assert response.status_code == 200, response.text
    assert response.json() == {"apr": "9.69"}
    eu = client.post("/v1/apr", json={**APR_BODY, "method": "eu_aprc"}, headers=DEMO_AUTH)
    assert eu.status_code == 200 and eu.json()["apr"].count(".") == 1


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"principal": 5000.0}, "principal"),
        ({"principal": 5000}, "principal"),
        ({"principal": "1e4"}, "principal"),
        ({"annual_rate": 0.1325}, "annual_rate"),
        ({"term_count": 0}, "term_count"),
        ({"frequency": "daily"}, "frequency"),
        ({"amortization": "balloon"}, "amortization"),
    ],
)
def test_bad_fields_are_refused_with_a_problem(client, change, where):
    response = client.post("/v1/loan-quotes", json={**QUOTE, **change}, headers=DEMO_AUTH)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert any(where in error["loc"] for error in response.json()["errors"])


@pytest.mark.parametrize(
    ("change", "slug"),
    [
        ({"principal": "5000.001"}, "invalid-amount"),
        ({"currency": "XXX"}, "unsupported-currency"),
        ({"annual_rate": "11"}, "invalid-rate"),
        ({"disbursement_date": "2025-10-01"}, "invalid-loan-terms"),
        ({"first_payment_date": "2026-01-01"}, "invalid-loan-terms"),
    ],
)
def test_impossible_values_are_explained(client, change, slug):
    response = client.post("/v1/loan-quotes", json={**QUOTE, **change}, headers=DEMO_AUTH)
    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith("/" + slug)
    assert response.json()["detail"]


def test_apr_refuses_payments_before_the_advance(client):
    body = {**APR_BODY, "payments": [{"date": "1977-12-01", "amount": "5100.00"}]}
    response = client.post("/v1/apr", json=body, headers=DEMO_AUTH)
    assert response.status_code == 422
    assert response.json()["type"].endswith("/invalid-cash-flows")


def test_calculators_need_an_api_key(client):
    assert client.post("/v1/loan-quotes", json=QUOTE).status_code == 401
    assert client.post("/v1/apr", json=APR_BODY).status_code == 401


def test_openapi_describes_the_calculator_schemas(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert {"LoanQuoteIn", "LoanQuoteOut", "InstallmentOut", "AprIn", "AprOut"} <= schemas.keys()
