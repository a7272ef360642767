"""The outbound delivery task through a real Celery worker process on Redis."""

import time
import uuid

import pytest
from sqlalchemy import text

from tests.integration.conftest import DEMO_AUTH
from tests.integration.worker_process import celery_worker


@pytest.fixture(scope="module")
def worker(client, tmp_path_factory):
    with celery_worker(tmp_path_factory.mktemp("worker") / "worker.log") as proc:
        yield proc


def latest_conversation(db) -> str:
    return str(db.execute(text("SELECT id FROM conversations ORDER BY created_at DESC LIMIT 1")).scalar_one())


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_a_queued_message_is_delivered_once_by_the_worker(client, db, worker):
    client.post("/channels/web/messages", json={"session_id": f"web-{uuid.uuid4().hex}", "text": "hi"})
    conv = latest_conversation(db)
    response = client.post(
        f"/v1/conversations/{conv}/messages", json={"text": "Your payout has landed."}, headers=DEMO_AUTH
    )
    assert response.status_code == 202, response.text
    message_id = response.json()["message_id"]

    def status() -> str:
        db.commit()
        return db.execute(text("SELECT status FROM messages WHERE id = :i"), {"i": message_id}).scalar_one()

    assert wait_for(lambda: status() == "sent"), "the worker never delivered the message"

    from backend.worker.tasks import deliver_outbound

    deliver_outbound.delay(message_id).get(timeout=30)  # a redelivered task changes nothing
    db.commit()
    outbox = db.execute(text("SELECT count(*) FROM outbox WHERE message_id = :i"), {"i": message_id}).scalar()
    assert outbox == 1
    transcript = client.get(f"/v1/conversations/{conv}/messages", headers=DEMO_AUTH).json()["messages"]
    assert transcript[-1]["text"] == "Your payout has landed."
    assert transcript[-1]["author"] == "business"
