"""The agent API over HTTP on real PostgreSQL: login and cookies, session and CSRF checks, the
live list, take/reply/transfer/hand back, masking by role, tenant isolation and the event poll."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from backend.adapters.db.engine import build_engine
from backend.adapters.db.models import ApiKey, Conversation, Customer, Message, Tenant
from backend.adapters.db.onboarding_models import CustomerOnboarding
from backend.adapters.kyc.factory import vault_for
from backend.api.routes.agent_console_api import ConsoleCursor, poll_events
from backend.api_keys import display_prefix, hash_api_key
from tests.integration.conftest import DATABASE_URL, DEMO_AUTH

pytestmark = pytest.mark.integration
PASSWORD = "a-long-enough-password"


@pytest.fixture(scope="module")
def engine(migrated) -> Iterator[Engine]:
    engine = build_engine(DATABASE_URL)
    yield engine
    engine.dispose()


@pytest.fixture()
def sessions(engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


class World:
    """A tenant of its own (so no other test's agents take its requests), with an API key."""

    def __init__(self, client, sessions) -> None:
        self.client, self.sessions = client, sessions
        self.slug = f"agt-{uuid.uuid4().hex[:10]}"
        key = f"ck_{uuid.uuid4().hex}"
        with sessions.begin() as s:
            tenant = Tenant(
                slug=self.slug, name="Agents test", default_locale="en_NG", default_currency="NGN"
            )
            s.add(tenant)
            s.flush()
            s.add(
                ApiKey(
                    tenant_id=tenant.id,
                    name="t",
                    key_hash=hash_api_key(key),
                    display_prefix=display_prefix(key),
                )
            )
            self.tenant_id = tenant.id
        self.auth = {"Authorization": f"Bearer {key}"}

    def agent(self, name: str, role: str = "agent") -> dict:
        email = f"{name.lower()}-{uuid.uuid4().hex[:6]}@agents.test"
        r = self.client.post(
            "/v1/agents",
            json={"email": email, "name": name, "role": role, "password": PASSWORD},
            headers=self.auth,
        )
        assert r.status_code == 201, r.text
        return r.json()

    def login(self, email: str, password: str = PASSWORD) -> dict[str, str]:
        r = self.client.post(
            "/agent/login",
            data={"email": email, "password": password, "tenant": self.slug},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        token, csrf = r.cookies["agent_session"], r.cookies["csrf_token"]
        self.client.cookies.clear()
        return {"Cookie": f"agent_session={token}; csrf_token={csrf}", "X-CSRF-Token": csrf}

    def conversation(self, name: str = "Ngozi Okafor", phone: str = "+2348031234567") -> uuid.UUID:
        with self.sessions.begin() as s:
            customer = Customer(
                tenant_id=self.tenant_id, locale="en_NG", currency="NGN", full_name=name, phone_e164=phone
            )
            s.add(customer)
            s.flush()
            conversation = Conversation(
                tenant_id=self.tenant_id, customer_id=customer.id, channel="whatsapp", channel_identity=phone
            )
            s.add(conversation)
            s.flush()
            s.add(
                Message(
                    conversation_id=conversation.id,
                    direction="inbound",
                    author="customer",
                    text="I want a human",
                    status="answered",
                )
            )
            return conversation.id

    def handoff(self, conversation_id: uuid.UUID, reason: str = "customer_request") -> dict:
        r = self.client.post(
            f"/v1/conversations/{conversation_id}/handoff-requests",
            json={"reason": reason},
            headers=self.auth,
        )
        assert r.status_code == 201, r.text
        return r.json()


@pytest.fixture()
def world(client, sessions) -> World:
    return World(client, sessions)


def test_wrong_credentials_get_401_json_and_a_page_for_a_browser(client, world) -> None:
    a = world.agent("Ada")
    r = client.post("/agent/login", data={"email": a["email"], "password": "nope", "tenant": world.slug})
    assert r.status_code == 401 and r.json()["type"].endswith("invalid-credentials")
    page = client.post(
        "/agent/login",
        data={"email": a["email"], "password": "nope", "tenant": world.slug},
        headers={"Accept": "text/html"},
    )
    assert page.status_code == 401 and "text/html" in page.headers["content-type"]


def test_login_sets_an_httponly_strict_session_cookie_and_a_readable_csrf_cookie(client, world) -> None:
    a = world.agent("Ada")
    r = client.post(
        "/agent/login",
        data={"email": a["email"], "password": PASSWORD, "tenant": world.slug},
        follow_redirects=False,
    )
    client.cookies.clear()
    assert r.status_code == 303 and r.headers["location"] == "/agent/console"
    cookies = {c.split("=")[0]: c.lower() for c in r.headers.get_list("set-cookie")}
    assert "httponly" in cookies["agent_session"] and "samesite=strict" in cookies["agent_session"]
    assert "httponly" not in cookies["csrf_token"]


def test_the_seeded_demo_agents_can_log_in(client) -> None:
    r = client.post(
        "/agent/login",
        data={"email": "agent@demo.test", "password": "demo-agent-password", "tenant": "demo"},
        follow_redirects=False,
    )
    client.cookies.clear()
    assert r.status_code == 303


def test_the_api_needs_a_session_and_non_get_calls_need_the_csrf_header(client, world) -> None:
    assert client.get("/agent/api/me").status_code == 401
    headers = world.login(world.agent("Ada")["email"])
    me = client.get("/agent/api/me", headers=headers)
    assert me.status_code == 200 and me.json()["tenant"] == world.slug and me.json()["online"] is False
    no_csrf = {"Cookie": headers["Cookie"]}
    assert client.post("/agent/api/presence", json={"online": True}, headers=no_csrf).status_code == 403
    wrong = {**no_csrf, "X-CSRF-Token": "forged"}
    assert client.post("/agent/api/presence", json={"online": True}, headers=wrong).status_code == 403
    assert client.post("/agent/api/presence", json={"online": True}, headers=headers).json() == {
        "online": True
    }
    logout = client.post("/agent/logout", headers=headers, follow_redirects=False)
    assert logout.status_code == 303
    assert client.get("/agent/api/me", headers=headers).status_code == 401


def test_going_online_takes_the_waiting_request_and_the_list_shows_it(client, world) -> None:
    ada = world.agent("Ada")
    headers = world.login(ada["email"])
    normal = world.conversation()
    dispute = world.conversation(name="Bisi Ade", phone="+2348039999999")
    world.handoff(normal)
    world.handoff(dispute, "dispute")
    items = client.get("/agent/api/conversations?view=waiting", headers=headers).json()["items"]
    assert [i["conversation_id"] for i in items] == [str(dispute), str(normal)]  # high first
    first = items[0]
    assert first["status"] == "waiting" and first["priority"] == "high" and first["assigned_agent"] is None
    assert first["sla"]["first_response_due_at"] and first["sla"]["first_response_breached"] in (True, False)
    assert first["last_message_preview"] == "I want a human" and first["channel"] == "whatsapp"
    client.post("/agent/api/presence", json={"online": True}, headers=headers)
    mine = client.get("/agent/api/conversations?view=mine", headers=headers).json()["items"]
    assert {i["conversation_id"] for i in mine} == {str(dispute), str(normal)}
    assert mine[0]["assigned_agent"] == {"id": ada["id"], "name": "Ada"}


def test_take_reply_transfer_and_hand_back(client, world, sessions) -> None:
    ada, bola = world.agent("Ada"), world.agent("Bola")
    ha, hb = world.login(ada["email"]), world.login(bola["email"])
    conversation = world.conversation()
    world.handoff(conversation)
    base = f"/agent/api/conversations/{conversation}"
    assert client.post(f"{base}/take", headers=ha).json()["status"] == "assigned"
    held = client.post(f"{base}/take", headers=hb)
    assert held.status_code == 409 and held.json()["type"].endswith("conversation-held")
    sent = client.post(f"{base}/messages", json={"text": "Hello, I am Ada."}, headers=ha)
    assert sent.status_code == 202
    transcript = client.get(f"{base}/messages", headers=ha).json()["messages"]
    assert transcript[-1]["author"] == "agent" and transcript[-1]["text"] == "Hello, I am Ada."
    after = client.get(f"{base}/messages?after={transcript[-1]['id']}", headers=ha).json()["messages"]
    assert after == []
    moved = client.post(f"{base}/transfer", json={"agent_id": bola["id"]}, headers=ha).json()
    assert moved["assigned_agent"]["id"] == bola["id"]
    back = client.post(f"{base}/hand-back", headers=hb).json()
    assert back["status"] == "resolved"
    assert client.post(f"{base}/hand-back", headers=hb).status_code == 409


def test_an_agent_cannot_see_or_transfer_to_another_tenant(client, world, sessions) -> None:
    other = World(client, sessions)
    theirs = other.conversation()
    stranger = other.agent("Stranger")
    headers = world.login(world.agent("Ada")["email"])
    assert client.get(f"/agent/api/conversations/{theirs}", headers=headers).status_code == 404
    assert client.post(f"/agent/api/conversations/{theirs}/take", headers=headers).status_code == 404
    mine = world.conversation()
    client.post(f"/agent/api/conversations/{mine}/take", headers=headers)
    r = client.post(
        f"/agent/api/conversations/{mine}/transfer", json={"agent_id": stranger["id"]}, headers=headers
    )
    assert r.status_code == 404
    listed = client.get("/agent/api/conversations?view=all", headers=headers).json()["items"]
    assert str(theirs) not in {i["conversation_id"] for i in listed}
    assert str(mine) in {i["conversation_id"] for i in listed}


def test_the_identity_number_is_shown_in_full_to_admins_only(client, world, sessions, settings) -> None:
    conversation = world.conversation()
    with sessions.begin() as s:
        customer_id = s.scalar(select(Conversation.customer_id).where(Conversation.id == conversation))
        s.add(
            CustomerOnboarding(
                tenant_id=world.tenant_id,
                customer_id=customer_id,
                id_number_ciphertext=vault_for(settings).encrypt("22123456789"),
                id_number_last4="6789",
                kyc_status="verified",
                business_name="Okafor Foods",
            )
        )
    agent = world.login(world.agent("Ada")["email"])
    admin = world.login(world.agent("Tunde", role="admin")["email"])
    seen = client.get(f"/agent/api/conversations/{conversation}", headers=agent).json()
    assert seen["customer"]["id_number_masked"] == "*******6789"
    assert seen["customer"]["phone_masked"] == "+234*******567"
    assert seen["conversation"]["identity_masked"] == "+234*******567"
    assert (
        seen["customer"]["kyc_status"] == "verified" and seen["customer"]["business_name"] == "Okafor Foods"
    )
    assert seen["handoff"]["status"] == "bot" and seen["loans"] == [] and seen["disputes"] == []
    full = client.get(f"/agent/api/conversations/{conversation}", headers=admin).json()
    assert full["customer"]["id_number_masked"] == "22123456789"


def test_the_summary_comes_from_the_assistance_service(client, world) -> None:
    conversation = world.conversation()
    headers = world.login(world.agent("Ada")["email"])
    r = client.get(f"/agent/api/conversations/{conversation}/summary", headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["generated_by"] == "extractive" and isinstance(body["known"], list)


def test_agents_and_canned_responses(client, world) -> None:
    ada = world.agent("Ada")
    headers = world.login(ada["email"])
    agents = client.get("/agent/api/agents", headers=headers).json()["items"]
    assert [a["id"] for a in agents] == [ada["id"]]
    assert client.get("/agent/api/canned-responses", headers=headers).json() == []
    demo = client.post(
        "/agent/login",
        data={"email": "agent@demo.test", "password": "demo-agent-password", "tenant": "demo"},
        follow_redirects=False,
    )
    client.cookies.clear()
    cookie = {"Cookie": f"agent_session={demo.cookies['agent_session']}"}
    assert len(client.get("/agent/api/canned-responses", headers=cookie).json()) == 3


def test_the_event_poll_reports_handoff_changes_and_new_messages(client, world, sessions) -> None:
    since = datetime.now(UTC)
    with sessions() as s:
        newest = s.scalar(select(Message.id).order_by(Message.id.desc()).limit(1)) or 0
    cursor = ConsoleCursor(newest, since)
    conversation = world.conversation()  # its first message predates the handoff, still reported
    world.handoff(conversation, "hardship")
    frames = poll_events(sessions, world.tenant_id, cursor)
    kinds = [f.split("\n")[1] for f in frames]
    assert "event: conversation" in kinds and "event: message" in kinds
    assert all(f.startswith("id: ") for f in frames)
    assert f'"conversation_id": "{conversation}"' in frames[0] and '"priority": "high"' in frames[0]
    assert cursor.message_id > newest and cursor.since > since
    assert frames[-1].startswith(f"id: {cursor.event_id}\n")
    # nothing new, though both are still inside the look-back window
    assert poll_events(sessions, world.tenant_id, cursor) == []


def test_a_message_committed_after_a_newer_one_was_sent_still_reaches_the_console(
    client, world, sessions, engine
) -> None:
    conversation = world.conversation()
    world.handoff(conversation)
    with sessions() as s:
        cursor = ConsoleCursor(
            s.scalar(select(Message.id).order_by(Message.id.desc()).limit(1)) or 0, datetime.now(UTC)
        )

    def add(session: Session, body: str) -> int:
        message = Message(
            conversation_id=conversation, direction="inbound", author="customer", text=body, status="received"
        )
        session.add(message)
        session.flush()
        return message.id

    with Session(engine) as slow, Session(engine) as fast:
        late = add(slow, "I sent the statement yesterday")  # the lower id, not committed yet
        early = add(fast, "are you there?")
        fast.commit()
        first = poll_events(sessions, world.tenant_id, cursor)
        slow.commit()
    second = poll_events(sessions, world.tenant_id, cursor)
    assert late < early
    assert ["are you there?" in f for f in first if "event: message" in f] == [True]
    assert ["I sent the statement yesterday" in f for f in second if "event: message" in f] == [True]
    assert poll_events(sessions, world.tenant_id, cursor) == []  # each once
    assert cursor.message_id == early


def test_the_admin_api_lists_agents_and_refuses_a_duplicate_email(client, world) -> None:
    a = world.agent("Ada")
    dup = client.post(
        "/v1/agents",
        json={"email": a["email"], "name": "x", "role": "agent", "password": PASSWORD},
        headers=world.auth,
    )
    assert dup.status_code == 409
    listed = client.get("/v1/agents", headers=world.auth).json()["items"]
    assert [x["email"] for x in listed] == [a["email"]]
    assert client.get("/v1/agents", headers=DEMO_AUTH).status_code == 200


def test_the_event_stream_needs_a_session_and_streams_sse(client, world) -> None:
    assert client.get("/agent/api/events").status_code == 401
    headers = world.login(world.agent("Ada")["email"])
    conversation = world.conversation()
    world.handoff(conversation)
    with client.stream("GET", "/agent/api/events", headers={**headers, "Last-Event-ID": "0_0"}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        seen = ""
        for line in r.iter_lines():
            seen += line + "\n"
            if str(conversation) in line:
                break
    assert "retry: 2000" in seen and "event: conversation" in seen


def test_a_conversation_taken_without_a_request_lists_its_handoff_with_reason_agent(client, world) -> None:
    conversation = world.conversation()
    headers = world.login(world.agent("Ada")["email"])
    assert (
        client.post(f"/agent/api/conversations/{conversation}/take", headers=headers).json()["reason"]
        == "agent"
    )
    listed = client.get(f"/v1/conversations/{conversation}/handoff-requests", headers=world.auth)
    assert listed.status_code == 200
    assert [(h["reason"], h["status"]) for h in listed.json()["items"]] == [("agent", "assigned")]
