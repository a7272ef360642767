import uuid

from sqlalchemy import text

from tests.integration.conftest import DEMO_AUTH

SERVICE = {"Authorization": "Bearer svc_integration_key", "X-Tenant": "demo"}
BODY = {"business_type": "retail", "monthly_revenue": {"amount_minor": 120_000_000, "currency": "NGN"}}


def test_eligibility_quotes_the_limit_in_the_customer_locale(client):
    response = client.post("/v1/eligibility", json={**BODY, "locale": "en_NG"}, headers=DEMO_AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["eligible"] is True
    assert body["limit"] == {"amount_minor": 360_000_000, "currency": "NGN", "formatted": "₦3,600,000.00"}
    assert response.headers["x-request-id"]


def test_v1_needs_an_api_key_and_answers_with_a_problem(client):
    response = client.post("/v1/eligibility", json=BODY)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/unauthorized")
    assert (
        client.post("/v1/eligibility", json=BODY, headers={"Authorization": "Bearer nope"}).status_code == 401
    )


def test_service_key_acts_for_the_named_tenant_only(client):
    assert client.post("/v1/eligibility", json=BODY, headers=SERVICE).status_code == 200
    no_tenant = client.post(
        "/v1/eligibility", json=BODY, headers={"Authorization": "Bearer svc_integration_key"}
    )
    assert no_tenant.status_code == 400
    other = client.post("/v1/eligibility", json=BODY, headers={**SERVICE, "X-Tenant": "nobody"})
    assert other.status_code == 401


def test_money_as_a_float_is_refused(client):
    body = {**BODY, "monthly_revenue": {"amount_minor": 1200000.5, "currency": "NGN"}}
    response = client.post("/v1/eligibility", json=body, headers=DEMO_AUTH)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][-1] == "amount_minor"


def test_a_retried_request_returns_the_first_result_and_records_once(client, db):
    key = f"idem-{uuid.uuid4()}"
    headers = {**DEMO_AUTH, "Idempotency-Key": key}
    first = client.post("/v1/eligibility", json=BODY, headers=headers)
    second = client.post("/v1/eligibility", json=BODY, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    count = db.execute(text("SELECT count(*) FROM idempotency_records WHERE key = :k"), {"k": key}).scalar()
    assert count == 1
    changed = {**BODY, "business_type": "services"}
    assert client.post("/v1/eligibility", json=changed, headers=headers).status_code == 422


def test_each_quote_is_kept_with_its_rule_version(client, db):
    before = db.execute(text("SELECT count(*) FROM eligibility_checks")).scalar()
    client.post("/v1/eligibility", json=BODY, headers=DEMO_AUTH)
    row = db.execute(
        text(
            "SELECT revenue_minor, limit_minor, rule_version FROM eligibility_checks ORDER BY created_at DESC"
        )
    ).first()
    assert db.execute(text("SELECT count(*) FROM eligibility_checks")).scalar() == before + 1
    assert row.revenue_minor == 120_000_000 and row.limit_minor == 360_000_000
    assert row.rule_version.startswith("indicative-limit/")


def test_readyz_reports_each_dependency(client):
    response = client.get("/readyz")
    assert response.status_code == 503  # Rasa is not running in integration tests
    checks = response.json()["checks"]
    assert checks["database"]["ok"] is True
    assert checks["redis"]["ok"] is True
    assert checks["rasa"]["ok"] is False


def test_a_message_rasa_could_not_take_is_kept_and_the_client_told_to_retry(client, db):
    body = {"session_id": f"web-{uuid.uuid4().hex}", "text": "hello", "message_id": "first"}
    response = client.post("/channels/web/messages", json=body)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    status = db.execute(
        text("SELECT status FROM messages WHERE provider_message_id = 'first' AND direction = 'inbound'")
    ).scalar_one()
    assert status == "failed"
    assert client.post("/channels/web/messages", json=body).status_code == 503
    stored = db.execute(text("SELECT count(*) FROM messages WHERE provider_message_id = 'first'")).scalar()
    assert stored == 1


def test_malformed_web_message_is_a_422_problem(client):
    response = client.post("/channels/web/messages", json={"session_id": "x", "text": "hi"})
    assert response.status_code == 422
    assert "session_id" in response.json()["detail"]


def test_transcript_of_another_tenants_conversation_is_not_found(client):
    response = client.get(f"/v1/conversations/{uuid.uuid4()}/messages", headers=DEMO_AUTH)
    assert response.status_code == 404


def leave_claim(db, key: str, age: str) -> None:
    """A claim as a request in flight (or a crashed process) leaves it."""
    from backend.api.idempotency import IN_FLIGHT, fingerprint
    from backend.api.routes.eligibility import EligibilityIn

    request = EligibilityIn.model_validate(BODY).model_dump(mode="json")
    tenant_id = db.execute(text("SELECT id FROM tenants WHERE slug = 'demo'")).scalar_one()
    db.execute(
        text(
            "INSERT INTO idempotency_records (id, tenant_id, key, request_fingerprint, status_code,"
            f" response_body, created_at) VALUES (:id, :t, :k, :f, :s, '{{}}', now() - interval '{age}')"
        ),
        {"id": uuid.uuid4(), "t": tenant_id, "k": key, "f": fingerprint(request), "s": IN_FLIGHT},
    )
    db.commit()


def test_a_request_still_in_flight_with_the_same_key_is_a_409(client, db):
    key = f"inflight-{uuid.uuid4()}"
    leave_claim(db, key, "1 second")
    response = client.post("/v1/eligibility", json=BODY, headers={**DEMO_AUTH, "Idempotency-Key": key})
    assert response.status_code == 409
    assert response.json()["type"].endswith("/idempotency-key-in-flight")


def test_an_abandoned_claim_is_taken_over(client, db):
    key = f"abandoned-{uuid.uuid4()}"
    leave_claim(db, key, "10 minutes")
    response = client.post("/v1/eligibility", json=BODY, headers={**DEMO_AUTH, "Idempotency-Key": key})
    assert response.status_code == 200
    assert response.json()["limit"]["amount_minor"] == 360_000_000


def test_concurrent_requests_with_one_key_run_the_operation_once(client, db):
    from concurrent.futures import ThreadPoolExecutor

    key = f"race-{uuid.uuid4()}"
    before = db.execute(text("SELECT count(*) FROM eligibility_checks")).scalar()

    def post(_: int) -> int:
        return client.post(
            "/v1/eligibility", json=BODY, headers={**DEMO_AUTH, "Idempotency-Key": key}
        ).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(post, range(10)))
    assert set(statuses) <= {200, 409} and 200 in statuses
    db.commit()
    assert db.execute(text("SELECT count(*) FROM eligibility_checks")).scalar() == before + 1


def test_the_openapi_document_describes_every_v1_route(client):
    spec = client.get("/openapi.json").json()
    v1 = {path: ops for path, ops in spec["paths"].items() if path.startswith("/v1/")}
    assert len(v1) >= 20
    for path, operations in v1.items():
        for method, operation in operations.items():
            assert operation.get("summary") or operation.get("description"), f"{method} {path}"
            assert any(code.startswith("2") for code in operation["responses"]), f"{method} {path}"
