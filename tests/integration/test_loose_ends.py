"""Migration 0010's loose ends over HTTP on PostgreSQL: one customer per phone even under a race,
the product version on a decision, and one credit line's draws listed through `/v1/loans`."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text
from sqlalchemy.engine import Connection

from tests.integration.conftest import DEMO_AUTH
from tests.integration.test_credit_lines import _draw, an_open_line
from tests.integration.test_origination_api import _key, _phone, a_customer, a_draft
from tests.integration.test_product_kinds import _signed_and_disbursed


def test_concurrent_registrations_of_one_phone_make_one_customer(client, db: Connection) -> None:
    phone = _phone()

    def post(_: int) -> tuple[int, str]:
        response = client.post("/v1/customers", json={"phone": phone, "consent": True}, headers=_key())
        return response.status_code, response.headers.get("content-type", "")

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(post, range(10)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 9, results
    assert all("problem+json" in ctype for status, ctype in results if status == 409), results
    e164 = f"+234{phone[1:]}"
    count = db.execute(text("SELECT count(*) FROM customers WHERE phone_e164 = :p"), {"p": e164}).scalar()
    assert count == 1


def test_a_decision_records_the_product_version_it_was_made_under(client, db: Connection) -> None:
    draft = a_draft(client, a_customer(client))
    decided = client.post(f"/v1/applications/{draft['id']}/submit", json={}, headers=_key())
    assert decided.status_code == 200, decided.text
    product = next(
        p for p in client.get("/v1/products", headers=DEMO_AUTH).json() if p["code"] == draft["product_code"]
    )
    decision = decided.json()["decision"]
    assert (decision["product_code"], decision["product_version"]) == (product["code"], product["version"])
    read = client.get(f"/v1/applications/{draft['id']}/decision", headers=DEMO_AUTH).json()
    assert (read["product_code"], read["product_version"]) == (product["code"], product["version"])
    stored = db.execute(
        text("SELECT product_code, product_version FROM decisions WHERE id = :id"), {"id": decision["id"]}
    ).one()
    assert tuple(stored) == (product["code"], product["version"])


def test_loans_filter_by_credit_line_with_cursor_paging(client, migrated) -> None:
    line = an_open_line(client)
    draws = []
    for amount in (20_000_000, 10_000_000):
        drawn = _draw(client, line["id"], amount)
        assert drawn.status_code == 201, drawn.text
        draws.append(drawn.json()["loan_id"])
    term = a_draft(client, a_customer(client), amount_minor=120_000_000)
    client.post(f"/v1/applications/{term['id']}/submit", json={}, headers=_key())
    offer = client.get(f"/v1/applications/{term['id']}/offers", headers=DEMO_AUTH).json()[0]
    term_loan = _signed_and_disbursed(client, offer)["loan_id"]

    params = {"credit_line_id": line["id"], "limit": 1}
    first = client.get("/v1/loans", params=params, headers=DEMO_AUTH).json()
    assert [i["id"] for i in first["items"]] == draws[:1] and first["next_cursor"]
    second = client.get(
        "/v1/loans", params={**params, "cursor": first["next_cursor"]}, headers=DEMO_AUTH
    ).json()
    assert [i["id"] for i in second["items"]] == draws[1:] and second["next_cursor"] is None
    assert {i["credit_line_id"] for i in first["items"] + second["items"]} == {line["id"]}

    # The term loan, made after the draws, is left out of the line's pages above.
    assert client.get(f"/v1/loans/{term_loan}", headers=DEMO_AUTH).json()["credit_line_id"] is None
    nobody = client.get("/v1/loans", params={"credit_line_id": str(uuid.uuid4())}, headers=DEMO_AUTH)
    assert nobody.status_code == 200 and nobody.json()["items"] == []
