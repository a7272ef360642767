"""Line of credit over HTTP, end to end on PostgreSQL: apply -> approve -> accept -> sign -> open
the line -> draw, draw, refused over the limit -> repay a draw -> limit restored -> draw again,
with the tenant's books balanced at every step; plus idempotent draws and closing the line."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from tests.integration.conftest import DEMO_AUTH
from tests.integration.test_lifecycle import books_agree
from tests.integration.test_origination_api import _key, a_customer, a_draft
from tests.integration.test_product_kinds import DESTINATION, _repay

LIMIT = 100_000_000  # NGN 1,000,000


def _ngn(amount_minor: int) -> dict[str, Any]:
    return {"amount_minor": amount_minor, "currency": "NGN"}


def _trial_balance_is_zero(client) -> None:
    totals = client.get("/v1/ledger/trial-balance", headers=DEMO_AUTH).json()["totals"]
    assert all(t["amount_minor"] == 0 for t in totals), totals


def an_open_line(client) -> dict[str, Any]:
    customer_id = a_customer(client)
    draft = a_draft(client, customer_id, LIMIT, product_code="ngn-line-of-credit", term_count=3)
    decided = client.post(f"/v1/applications/{draft['id']}/submit", json={}, headers=_key())
    assert decided.status_code == 200, decided.text
    assert decided.json()["application"]["status"] == "approved", decided.json()["decision"]
    offer = client.get(f"/v1/applications/{draft['id']}/offers", headers=DEMO_AUTH).json()[0]
    agreement = client.post(f"/v1/offers/{offer['id']}/accept", headers=_key()).json()
    code = client.post(f"/v1/agreements/{agreement['id']}/otp", headers=_key()).json()["sandbox_code"]
    signed = client.post(f"/v1/agreements/{agreement['id']}/sign", json={"code": code}, headers=_key())
    assert signed.json()["status"] == "signed", signed.text

    refused = client.post(
        "/v1/disbursements",
        json={"agreement_id": agreement["id"], "destination": DESTINATION},
        headers=_key(),
    )
    assert refused.status_code == 409, refused.text  # a line is opened, not paid out
    opened = client.post("/v1/credit-lines", json={"agreement_id": agreement["id"]}, headers=_key())
    assert opened.status_code == 201, opened.text
    line = opened.json()
    assert (line["status"], line["limit"]["amount_minor"], line["drawn"]["amount_minor"]) == (
        "open",
        offer["amount_minor"],
        0,
    )
    assert (line["term_count"], line["frequency"]) == (offer["term_count"], offer["frequency"])
    again = client.post("/v1/credit-lines", json={"agreement_id": agreement["id"]}, headers=_key())
    assert again.json()["id"] == line["id"]
    app = client.get(f"/v1/applications/{draft['id']}", headers=DEMO_AUTH).json()
    assert app["status"] == "disbursed"
    return line


def _draw(client, line_id: str, amount_minor: int, headers: dict[str, str] | None = None) -> Any:
    return client.post(
        f"/v1/credit-lines/{line_id}/draws",
        json={"amount": _ngn(amount_minor), "destination": DESTINATION},
        headers=headers or _key(),
    )


def _line(client, line_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/credit-lines/{line_id}", headers=DEMO_AUTH)
    assert response.status_code == 200, response.text
    return response.json()


def test_draws_revolve_within_the_limit_and_the_books_balance(client, migrated) -> None:
    line = an_open_line(client)
    limit = line["limit"]["amount_minor"]
    _trial_balance_is_zero(client)

    first = _draw(client, line["id"], 40_000_000)
    assert first.status_code == 201, first.text
    draw_1 = first.json()["loan_id"]
    assert books_agree(client, draw_1)["principal"] == 40_000_000
    second = _draw(client, line["id"], 30_000_000)
    assert second.status_code == 201, second.text
    draw_2 = second.json()["loan_id"]
    assert books_agree(client, draw_2)["principal"] == 30_000_000
    state = _line(client, line["id"])
    assert (state["drawn"]["amount_minor"], state["available"]["amount_minor"]) == (
        70_000_000,
        limit - 70_000_000,
    )

    over = _draw(client, line["id"], limit - 70_000_000 + 1)
    assert over.status_code == 422 and over.json()["type"].endswith("draw-refused"), over.text
    _trial_balance_is_zero(client)

    loan = client.get(f"/v1/loans/{draw_1}", headers=DEMO_AUTH).json()
    assert loan["term_count"] == line["term_count"]
    quote = client.get(
        f"/v1/loans/{draw_1}/payoff-quote", params={"on": date.today().isoformat()}, headers=DEMO_AUTH
    ).json()
    paid = _repay(client, draw_1, quote["total"]["amount_minor"], date.today())
    assert paid["loan_status"] == "closed"
    assert books_agree(client, draw_1) == {"principal": 0, "interest": 0, "fees": 0}
    state = _line(client, line["id"])
    assert (state["status"], state["drawn"]["amount_minor"]) == ("open", 30_000_000)
    assert state["available"]["amount_minor"] == limit - 30_000_000
    app = client.get(f"/v1/applications/{state['application_id']}", headers=DEMO_AUTH).json()
    assert app["status"] == "disbursed"  # closing a draw does not close the line's application

    third = _draw(client, line["id"], limit - 30_000_000)
    assert third.status_code == 201, third.text
    assert books_agree(client, third.json()["loan_id"])["principal"] == limit - 30_000_000
    assert _line(client, line["id"])["available"]["amount_minor"] == 0
    _trial_balance_is_zero(client)


def test_a_draw_replayed_with_its_key_pays_out_once(client, migrated) -> None:
    line = an_open_line(client)
    headers = _key()
    first = _draw(client, line["id"], 20_000_000, headers)
    replay = _draw(client, line["id"], 20_000_000, headers)
    assert first.status_code == replay.status_code == 201, replay.text
    assert replay.json() == first.json()
    assert _line(client, line["id"])["drawn"]["amount_minor"] == 20_000_000
    reused = _draw(client, line["id"], 25_000_000, headers)
    assert reused.status_code == 422, reused.text
    _trial_balance_is_zero(client)


def test_a_line_closes_only_when_nothing_is_drawn(client, migrated) -> None:
    line = an_open_line(client)
    drawn = _draw(client, line["id"], 15_000_000)
    assert drawn.status_code == 201, drawn.text
    refused = client.post(f"/v1/credit-lines/{line['id']}/close", headers=_key())
    assert refused.status_code == 409 and refused.json()["type"].endswith("line-drawn"), refused.text

    loan_id = drawn.json()["loan_id"]
    quote = client.get(
        f"/v1/loans/{loan_id}/payoff-quote", params={"on": date.today().isoformat()}, headers=DEMO_AUTH
    ).json()
    _repay(client, loan_id, quote["total"]["amount_minor"], date.today())
    closed = client.post(f"/v1/credit-lines/{line['id']}/close", headers=_key())
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    app = client.get(f"/v1/applications/{line['application_id']}", headers=DEMO_AUTH).json()
    assert app["status"] == "closed"
    after = _draw(client, line["id"], 15_000_000)
    assert after.status_code == 409 and after.json()["type"].endswith("line-not-open"), after.text
    _trial_balance_is_zero(client)


def test_another_tenant_or_no_line_is_404(client, migrated) -> None:
    response = client.get(f"/v1/credit-lines/{uuid.uuid4()}", headers=DEMO_AUTH)
    assert response.status_code == 404


FAILING = {"bank_code": "058", "account_number": "0123450000"}  # sandbox: ends in 0000, fails


def test_a_failed_draw_payout_is_reversed_and_gives_the_limit_back(client, migrated) -> None:
    """The provider could not pay a draw out: no money left, so the draw must not count against
    the limit, its loan must not stay active (no schedule, no reminders, no late fees), and its
    ledger must read as if it never happened, while the line stays open for a corrected draw."""
    line = an_open_line(client)
    limit = line["limit"]["amount_minor"]
    response = client.post(
        f"/v1/credit-lines/{line['id']}/draws",
        json={"amount": _ngn(40_000_000), "destination": FAILING},
        headers=_key(),
    )
    assert response.status_code == 201, response.text
    payout = response.json()
    assert payout["status"] == "pending"
    assert _line(client, line["id"])["available"]["amount_minor"] == limit - 40_000_000

    url = f"/v1/disbursements/{payout['id']}/status"
    report = {"provider_ref": payout["provider_ref"], "status": "failed", "reason": "account not found"}
    failed = client.post(url, json=report, headers=DEMO_AUTH)
    assert failed.status_code == 200, failed.text
    assert (failed.json()["status"], failed.json()["replayed"]) == ("failed", False)
    assert client.post(url, json=report, headers=DEMO_AUTH).json()["replayed"]

    state = _line(client, line["id"])
    assert (state["status"], state["drawn"]["amount_minor"], state["available"]["amount_minor"]) == (
        "open",
        0,
        limit,
    )
    loan = client.get(f"/v1/loans/{payout['loan_id']}", headers=DEMO_AUTH).json()
    assert loan["status"] == "cancelled"
    entries = client.get(f"/v1/loans/{payout['loan_id']}/ledger", headers=DEMO_AUTH).json()["entries"]
    assert [e["transfer_id"] for e in entries] == [
        f"draw:{payout['loan_id']}",
        f"draw:{payout['loan_id']}:failed",
    ]
    per_account: dict[str, int] = {}
    for entry in entries:
        for posting in entry["postings"]:
            per_account[posting["account"]] = (
                per_account.get(posting["account"], 0) + posting["amount"]["amount_minor"]
            )
    assert per_account and all(v == 0 for v in per_account.values()), per_account
    _trial_balance_is_zero(client)
    app = client.get(f"/v1/applications/{line['application_id']}", headers=DEMO_AUTH).json()
    assert app["status"] == "disbursed"  # the line, not the failed draw, owns the application

    again = _draw(client, line["id"], limit)  # the whole limit is available again
    assert again.status_code == 201, again.text
    assert books_agree(client, again.json()["loan_id"])["principal"] == limit
    _trial_balance_is_zero(client)
