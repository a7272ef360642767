"""Channel throughput and latency: the Twilio webhook path under load, with duplicates injected.

A benchmark, not a test: it prints figures. It starts a private stack on PostgreSQL and Redis
(the worker answers through Rasa; replies land in the sandbox outbox), then:

1. webhook acknowledgement latency: p50/p95/p99 of POST /channels/twilio/inbound while the
   worker and Rasa are busy with the load below (goal: p99 under 50 ms);
2. 50 concurrent SMS conversations of 10 turns each (customers arrive over the first 10 s, and
   each types the next message once the reply has arrived), every message delivered twice (a
   provider retry) and 1 in 5 delivered a third time concurrently: turns/s, end-to-end turn
   latency (webhook to the reply's outbox row), and the count of lost replies (an inbound message with
   no reply) and duplicated replies (an inbound message answered twice) (goal: zero and zero);
3. the acknowledgement's worst case on its own: 50 messages in the same instant, from the known
   customers (a broadcast's replies) and then from 50 new ones (each creates its customer);
4. end-to-end turn latency per channel: the same short conversation on web (synchronous),
   Twilio SMS and Meta WhatsApp (webhook to outbox).

    .venv/bin/python bench/channels.py [--conversations 50] [--turns 10] [--ramp 10]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import math
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.api.routes.channel_webhooks import SANDBOX_META_APP_SECRET, SANDBOX_TWILIO_AUTH_TOKEN
from backend.launcher import Stack, free_port

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
TURNS = ("hi", "how does it work", "what is APR", "1", "stop", "what loans do you offer", "thanks",
         "how much can I borrow", "retail", "1.2m")  # fmt: skip


def pct(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000


class Twilio:
    def __init__(self, client: httpx.Client, base_url: str) -> None:
        self.client, self.url = client, base_url + "/channels/twilio/inbound"
        self.validator = RequestValidator(SANDBOX_TWILIO_AUTH_TOKEN)
        self.acks: list[float] = []
        self.lock = threading.Lock()

    def post(self, phone: str, body: str, sid: str) -> None:
        params = {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": phone, "To": "+15005550006",
                  "Body": body, "NumMedia": "0"}  # fmt: skip
        started = time.perf_counter()
        response = self.client.post(
            "/channels/twilio/inbound",
            data=params,
            headers={"X-Twilio-Signature": self.validator.compute_signature(self.url, params)},
        )
        elapsed = time.perf_counter() - started
        response.raise_for_status()
        with self.lock:
            self.acks.append(elapsed)


def answered(db, sid: str) -> tuple[int, float | None]:
    """(replies stored for this inbound message, seconds from its arrival to its first reply)."""
    row = db.execute(
        text(
            """SELECT count(DISTINCT r.in_reply_to_id) AS answered_once, count(r.id) AS replies,
                      extract(epoch FROM min(o.created_at) - m.created_at) AS latency,
                      count(DISTINCT r.request_id) AS rounds
               FROM messages m LEFT JOIN messages r ON r.in_reply_to_id = m.id
               LEFT JOIN outbox o ON o.message_id = r.id
               WHERE m.provider_message_id = :s AND m.direction = 'inbound' GROUP BY m.created_at"""
        ),
        {"s": sid},
    ).first()
    if row is None:
        return 0, None
    return row.answered_once, row.latency


def conversation(
    twilio: Twilio, engine, turns: int, rng: random.Random, sids: list[str], ramp: float
) -> None:
    """One customer: each message delivered twice (the provider's retry), one in five a third time
    concurrently; like a person, the next message is typed once the reply has arrived (or after
    30 s), so the webhook is measured while the worker and Rasa are busy with everyone's turns.
    Customers arrive over the first `ramp` seconds, as people do, not in the same millisecond
    (`burst` measures that worst case on its own)."""
    phone = f"+23481{rng.randrange(10**8):08d}"
    time.sleep(rng.uniform(0, ramp))
    for body in TURNS[:turns]:
        sid = f"SM{uuid.uuid4().hex}"
        sids.append(sid)
        twilio.post(phone, body, sid)
        twilio.post(phone, body, sid)  # the provider's retry
        if rng.random() < 0.2:
            threads = [threading.Thread(target=twilio.post, args=(phone, body, sid)) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with engine.connect() as db:
                if answered(db, sid)[0]:
                    break
            time.sleep(0.5)  # a light poll: the bench must not be what loads the database
        time.sleep(rng.uniform(0.2, 1.0))  # reading the reply


def burst(twilio: Twilio, phones: list[str]) -> list[float]:
    """The worst case for the acknowledgement: one message from each of `phones` in the same
    instant (replies to a broadcast from known customers, or new customers' first messages, which
    also create the customer). Returns each webhook's acknowledgement time."""
    acks_before = len(twilio.acks)
    start = threading.Barrier(len(phones))

    def message(phone: str) -> None:
        start.wait()
        twilio.post(phone, "hi", f"SM{uuid.uuid4().hex}")

    threads = [threading.Thread(target=message, args=(phone,)) for phone in phones]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with twilio.lock:
        acks = twilio.acks[acks_before:]
        del twilio.acks[acks_before:]
    return acks


def wait_answered(engine, sids: list[str], timeout: float) -> dict[str, tuple[int, float | None]]:
    deadline = time.monotonic() + timeout
    results: dict[str, tuple[int, float | None]] = {}
    while time.monotonic() < deadline:
        with engine.connect() as db:
            for sid in sids:
                if sid not in results or results[sid][0] == 0:
                    results[sid] = answered(db, sid)
        if all(r[0] > 0 for r in results.values()):
            break
        time.sleep(1.0)
    return results


def duplicated_replies(engine, sids: list[str]) -> int:
    """Inbound messages answered by more than one bot turn (each turn's replies share a request id)."""
    with engine.connect() as db:
        rows = db.execute(
            text(
                """SELECT m.provider_message_id, count(DISTINCT m2.id) AS copies
                   FROM messages m JOIN messages m2 ON m2.provider_message_id = m.provider_message_id
                   WHERE m.provider_message_id = ANY(:s) AND m.direction = 'inbound'
                   GROUP BY m.provider_message_id"""
            ),
            {"s": sids},
        ).all()
    return sum(1 for r in rows if r.copies > 1)


def meta_turn(client: httpx.Client, engine, body: str) -> float:
    wamid = f"wamid.{uuid.uuid4().hex}"
    wa = f"23482{random.randrange(10**8):08d}"
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "1", "phone_number_id": "1"},
        "contacts": [{"profile": {"name": "Bench"}, "wa_id": wa}],
        "messages": [{"from": wa, "id": wamid, "timestamp": "1", "type": "text", "text": {"body": body}}],
    }
    entry = {"id": "1", "changes": [{"field": "messages", "value": value}]}
    raw = json.dumps({"object": "whatsapp_business_account", "entry": [entry]}).encode()
    signature = "sha256=" + hmac.new(SANDBOX_META_APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    started = time.perf_counter()
    client.post("/channels/whatsapp/webhook", content=raw, headers={"X-Hub-Signature-256": signature,
                "Content-Type": "application/json"}).raise_for_status()  # fmt: skip
    while time.perf_counter() - started < 60:
        with engine.connect() as db:
            if answered(db, wamid)[0]:
                return time.perf_counter() - started
        time.sleep(0.02)
    return math.nan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds over which customers arrive")
    args = parser.parse_args()
    name = f"bench_channels_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(ADMIN_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-channels-") as tmp:
            overrides = {"DATABASE_URL": url, "REDIS_URL": REDIS_URL, "CELERY_QUEUE": f"bench-{name}"}
            stack = Stack(
                overrides,
                var_dir=Path(tmp),
                port=free_port(),
                rasa_port=free_port(),
                actions_port=free_port(),
                env_file=None,
            )
            with stack:
                stack.wait_ready(900)
                engine = create_engine(url, pool_size=20, max_overflow=40)
                with httpx.Client(base_url=stack.backend_url, timeout=60, trust_env=False) as client:
                    twilio = Twilio(client, stack.backend_url)
                    sids: list[str] = []
                    started = time.perf_counter()
                    with ThreadPoolExecutor(max_workers=args.conversations) as pool:
                        for i in range(args.conversations):
                            pool.submit(
                                conversation, twilio, engine, args.turns, random.Random(i), sids, args.ramp
                            )
                    sent_for = time.perf_counter() - started
                    results = wait_answered(engine, sids, timeout=600)
                    wall = time.perf_counter() - started
                    lost = sum(1 for r in results.values() if r[0] == 0)
                    duplicated = duplicated_replies(engine, sids)
                    latencies = [r[1] for r in results.values() if r[1] is not None]
                    print(f"\n{args.conversations} SMS conversations x {args.turns} turns through the Twilio "
                          f"webhook, arriving over {args.ramp:.0f}s, each message delivered 2-3 times "
                          f"({len(twilio.acks)} webhook calls in {sent_for:.1f}s)")  # fmt: skip
                    print(f"  webhook ack ms: p50 {pct(twilio.acks, 50):.1f}  p95 {pct(twilio.acks, 95):.1f}"
                          f"  p99 {pct(twilio.acks, 99):.1f}  (goal p99 < 50)")  # fmt: skip
                    print(f"  turns answered: {len(sids) - lost}/{len(sids)} in {wall:.1f}s = "
                          f"{(len(sids) - lost) / wall:.1f} turns/s")  # fmt: skip
                    p50, p95 = pct(latencies, 50) / 1000, pct(latencies, 95) / 1000
                    print(f"  turn latency (webhook to reply in the outbox) s: p50 {p50:.2f}  p95 {p95:.2f}")
                    print(f"  lost replies: {lost}   duplicated replies: {duplicated}   (goal: 0 and 0)")
                    # the same phones as the conversations above (each one's first draw)
                    n = args.conversations
                    known = [f"+23481{random.Random(i).randrange(10**8):08d}" for i in range(n)]
                    for label, phones in (
                        (f"{n} known customers' messages (a broadcast's replies)", known),
                        (f"{n} new customers' first messages", [f"+23484{i:08d}" for i in range(n)]),
                    ):
                        spike = burst(twilio, phones)
                        print(f"  worst case, {label} in the same instant: webhook ack ms "
                              f"p50 {pct(spike, 50):.0f}  p99 {pct(spike, 99):.0f}")  # fmt: skip
                    web = []
                    for body in ("hi", "how does it work", "what is APR"):
                        t0 = time.perf_counter()
                        client.post("/channels/web/messages", json={"session_id": f"bench-{uuid.uuid4().hex}",
                                    "text": body}).raise_for_status()  # fmt: skip
                        web.append(time.perf_counter() - t0)
                    sms = []
                    for body in ("hi", "how does it work", "what is APR"):
                        sid = f"SM{uuid.uuid4().hex}"
                        t0 = time.perf_counter()
                        twilio.post(f"+23483{random.randrange(10**8):08d}", body, sid)
                        while time.perf_counter() - t0 < 60:
                            with engine.connect() as db:
                                if answered(db, sid)[0]:
                                    break
                            time.sleep(0.02)
                        sms.append(time.perf_counter() - t0)
                    meta = [meta_turn(client, engine, b) for b in ("hi", "how does it work", "what is APR")]
                    print("\nend-to-end turn latency per channel, idle stack, ms (median of 3)")
                    for label, values in (("web (synchronous)", web), ("Twilio SMS (to outbox)", sms),
                                          ("Meta WhatsApp (to outbox)", meta)):  # fmt: skip
                        print(f"  {label:<28} {pct(values, 50):8.0f}")
                engine.dispose()
        return 0 if lost == 0 and duplicated == 0 else 1
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}_rasa" WITH (FORCE)'))


if __name__ == "__main__":
    sys.exit(main())
