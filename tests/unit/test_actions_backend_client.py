"""The backend client retries only what cannot have reached the backend."""

from __future__ import annotations

import httpx
import pytest

from actions.backend_client import BackendClient, BackendProblem, BackendUnavailable, RequestContext

CTX = RequestContext(tenant="demo", idempotency_key="conv:1")


async def check(client: BackendClient) -> None:
    await client.check_eligibility(
        conversation_id="conv", business_type="retail", amount_minor=1, currency="NGN", locale=None, ctx=CTX
    )


async def test_connection_errors_are_retried_then_reported_as_unavailable() -> None:
    calls = 0

    def refuse(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(BackendUnavailable):
        await check(BackendClient(base_url="http://b.test", transport=httpx.MockTransport(refuse)))
    assert calls == 3


async def test_an_error_answer_is_not_retried_and_keeps_its_problem_details() -> None:
    calls = 0

    def fail(_: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(
            422, json={"type": "x", "title": "Unprocessable", "status": 422, "detail": "bad"}
        )

    with pytest.raises(BackendProblem) as raised:
        await check(BackendClient(base_url="http://b.test", transport=httpx.MockTransport(fail)))
    assert calls == 1
    assert raised.value.problem.status == 422
    assert raised.value.problem.detail == "bad"


async def test_a_read_timeout_is_unavailable_not_retried() -> None:
    calls = 0

    def slow(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(BackendUnavailable):
        await check(BackendClient(base_url="http://b.test", transport=httpx.MockTransport(slow)))
    assert calls == 1
