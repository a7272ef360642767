"""Repayments per second through the servicing service layer on PostgreSQL, beside pgbench.

A benchmark, not a test: it prints figures. It creates a scratch database, migrates it, disburses
N loans through `disburse`, then M clients call `record_repayment` (each one a full use case: loan
row lock, allocation, interest accrual and repayment entries, payment row, instalment updates,
audit row, one commit) for a fixed time. In the same run it initialises pgbench's TPC-B-like tables
in a second scratch database (`pgbench -i -s 1`) and runs `pgbench -c M -j 2 -T seconds`, so the
ratio compares the two on the same server under the same load. Both databases are dropped.

After the service run, pgbench also replays a repayment's statements (bench/ledger_repayment.sql)
on the service's database with no Python at all: what the server alone can do, the ceiling of any
client on this machine.

Before the clients run, one client repays 300 times alone and the per-repayment cost is split:
client CPU (`time.process_time`), the server backend's CPU (from /proc when the server is on this
host), time waiting on statements, time in COMMIT, and statements sent (a `before_cursor_execute`
listener; the pool's pre-ping, BEGIN and COMMIT are round trips on top of these).

A TPC-B transaction is 5 statements; a repayment is 9 (loan lock, instalments, payment lookup by
provider reference, accrual entry + postings, repayment entry + postings, payment row, changed
instalments, audit head lock, audit link + head advance) plus BEGIN, COMMIT and the pool's pre-ping.
Every audited change of one tenant serialises on that tenant's audit-chain head, so `--tenants`
spreads the loans over several tenants the way a multi-tenant deployment does.

    .venv/bin/python bench/ledger.py [--loans 200] [--threads 8] [--seconds 10] [--tenants 1] [--processes]

`--processes` runs each client in its own process: the service layer is client-CPU bound, and
threads share one GIL. Figures and where the time goes: docs/ledger.md, "Throughput".
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import queue
import random
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

# The factory that builds an accepted application with a signed agreement lives with the
# servicing tests; the bench reuses it from the checkout rather than keeping a copy.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.adapters.db.engine import build_engine
from backend.adapters.db.migrate import upgrade
from backend.adapters.db.models import Tenant
from backend.adapters.db.servicing_repository import SqlServicingUnitOfWork
from backend.adapters.payments.sandbox import SandboxPayouts
from backend.lending.money import Money
from backend.services.servicing.disbursement import Disburse, disburse
from backend.services.servicing.repayments import RecordRepayment, record_repayment
from tests.integration.servicing_factories import a_signed_agreement

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DAY = date(2026, 1, 15)


def admin_engine():
    return create_engine(make_url(ADMIN_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")


def create_db(name: str) -> str:
    with admin_engine().connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_db(name: str) -> None:
    with admin_engine().connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def setup_loans(
    sessions: sessionmaker[Session], loans: int, tenants: int
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    tenant_ids = []
    with sessions.begin() as session:
        for i in range(tenants):
            tenant = Tenant(slug=f"bench-{i}", name="Bench", default_locale="en_NG", default_currency="NGN")
            session.add(tenant)
            session.flush()
            tenant_ids.append(tenant.id)
    out = []
    for i in range(loans):
        tenant_id = tenant_ids[i % tenants]
        # The rows origination leaves behind (the same factory the servicing tests use).
        agreement_id = a_signed_agreement(
            sessions, tenant_id, amount_minor=10_000_000_00, term_count=12, fee_minor=50_000_00
        )
        record = disburse(
            Disburse(tenant_id, agreement_id, {"bank": "bench"}),
            SqlServicingUnitOfWork(sessions),
            SandboxPayouts(),
            DAY,
        )
        out.append((tenant_id, record.loan_id))
    return out


def _worker(
    url: str, loans: list[tuple[uuid.UUID, uuid.UUID]], seed: int, start_at: float, seconds: float, out: Any
) -> None:
    """One client: its own engine (never shared across a fork), repaying random loans until time."""
    engine = build_engine(url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    rng = random.Random(seed)
    done, errors, latencies = 0, 0, []
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        tenant_id, loan_id = rng.choice(loans)
        cmd = RecordRepayment(
            tenant_id, loan_id, Money(100_00, "NGN"), DAY + timedelta(days=1), uuid.uuid4().hex
        )
        t0 = time.perf_counter()
        try:
            record_repayment(cmd, SqlServicingUnitOfWork(sessions))
            done += 1
            latencies.append(time.perf_counter() - t0)
        except Exception:  # a benchmark counts failures instead of stopping
            errors += 1
    engine.dispose()
    out.put((done, errors, latencies))


def single_client_breakdown(
    url: str, loans: list[tuple[uuid.UUID, uuid.UUID]], n: int = 300
) -> dict[str, float]:
    """One client alone: what a repayment costs, split into client CPU, server CPU, statement wait
    and commit (milliseconds per repayment) and statements sent."""
    engine = build_engine(url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    acc = {"statements": 0.0, "statement_wait": 0.0, "commit": 0.0}
    started: list[float] = []

    def before(*_: Any) -> None:
        acc["statements"] += 1
        started.append(time.perf_counter())

    def after(*_: Any) -> None:
        acc["statement_wait"] += time.perf_counter() - started.pop()

    class TimedUow(SqlServicingUnitOfWork):
        def commit(self) -> None:
            t0 = time.perf_counter()
            super().commit()
            acc["commit"] += time.perf_counter() - t0

    def repay(i: int) -> None:
        tenant_id, loan_id = loans[i % len(loans)]
        cmd = RecordRepayment(
            tenant_id, loan_id, Money(100_00, "NGN"), DAY + timedelta(days=1), uuid.uuid4().hex
        )
        record_repayment(cmd, TimedUow(sessions))

    for i in range(30):  # warm up: prepared statements, caches
        repay(i)
    with engine.connect() as conn:
        backend_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    acc.update(statements=0.0, statement_wait=0.0, commit=0.0)
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    server0, cpu0, wall0 = _backend_cpu(backend_pid), time.process_time(), time.perf_counter()
    for i in range(n):
        repay(i)
    server1, cpu1, wall1 = _backend_cpu(backend_pid), time.process_time(), time.perf_counter()
    engine.dispose()
    return {
        "wall": (wall1 - wall0) * 1000 / n,
        "client_cpu": (cpu1 - cpu0) * 1000 / n,
        "server_cpu": (server1 - server0) * 1000 / n,
        "statement_wait": acc["statement_wait"] * 1000 / n,
        "commit": acc["commit"] * 1000 / n,
        "statements": acc["statements"] / n,
    }


def _backend_cpu(pid: int | None) -> float:
    """CPU seconds of a PostgreSQL backend, when the server runs on this host (else NaN)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def run_repayments(
    url: str, loans: list[tuple[uuid.UUID, uuid.UUID]], clients: int, seconds: float, processes: bool
) -> tuple[int, int, float, list[float]]:
    """`clients` threads in this process (one GIL), or `clients` processes (one core each)."""
    start_at = time.time() + (2.0 if processes else 0.2)
    if processes:
        ctx = multiprocessing.get_context("fork")
        out: Any = ctx.Queue()
        pool: list[Any] = [
            ctx.Process(target=_worker, args=(url, loans, i, start_at, seconds, out)) for i in range(clients)
        ]
    else:
        out = queue.Queue()
        pool = [
            threading.Thread(target=_worker, args=(url, loans, i, start_at, seconds, out))
            for i in range(clients)
        ]
    for worker in pool:
        worker.start()
    results = [out.get() for _ in pool]
    for worker in pool:
        worker.join()
    latencies = sorted(x for _, _, lat in results for x in lat)
    return sum(r[0] for r in results), sum(r[1] for r in results), float(seconds), latencies


def pgbench_tps(db: str, threads: int, seconds: int) -> float:
    _pgbench(["-i", "-s", "1", "-q", db])
    return _tps(_pgbench(["-c", str(threads), "-j", "2", "-T", str(seconds), db]))


REPLAY_SCRIPT = Path(__file__).with_name("ledger_repayment.sql")


def _pgbench(args: list[str]) -> str:
    binary = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
    url = make_url(ADMIN_URL)
    conn = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    env = os.environ | ({"PGPASSWORD": url.password} if url.password else {})
    return subprocess.run([binary, *conn, *args], check=True, capture_output=True, text=True, env=env).stdout


def _tps(output: str) -> float:
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", output)
    if match is None:
        raise RuntimeError(f"cannot read pgbench output:\n{output}")
    return float(match.group(1))


def replay_tps(url: str, loans: list[tuple[uuid.UUID, uuid.UUID]], clients: int, seconds: int) -> float:
    """The server alone: pgbench replays a repayment's statements (bench/ledger_repayment.sql) on the
    service's database, with no Python client. Runs after the service run, so every loan already has
    its interest accounts."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE bench_loans (n int PRIMARY KEY, tenant_id uuid, loan_id uuid,"
                " a_settle uuid, a_irecv uuid, a_iinc uuid)"
            )
        )
        for n, (tenant_id, loan_id) in enumerate(loans, 1):
            conn.execute(
                text(
                    "INSERT INTO bench_loans VALUES (:n, :t, :l,"
                    " (SELECT id FROM ledger_accounts WHERE tenant_id = :t AND loan_id IS NULL"
                    "  AND kind = 'disbursement_settlement'),"
                    " (SELECT id FROM ledger_accounts WHERE loan_id = :l AND kind = 'interest_receivable'),"
                    " (SELECT id FROM ledger_accounts WHERE tenant_id = :t AND loan_id IS NULL"
                    "  AND kind = 'interest_income'))"
                ),
                {"n": n, "t": tenant_id, "l": loan_id},
            )
    engine.dispose()
    database = make_url(url).database or ""
    out = _pgbench(
        [
            "-n",
            "-M",
            "prepared",
            "-D",
            f"loans={len(loans)}",
            "-f",
            str(REPLAY_SCRIPT),
            "-c",
            str(clients),
            "-j",
            "2",
            "-T",
            str(seconds),
            database,
        ]
    )
    return _tps(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=200)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--tenants", type=int, default=1)
    parser.add_argument(
        "--processes", action="store_true", help="one process per client instead of threads (no shared GIL)"
    )
    args = parser.parse_args()
    args.loans = max(1, min(args.loans, 10_000))
    args.threads = max(1, min(args.threads, 64))
    args.seconds = max(1, min(args.seconds, 120))
    args.tenants = max(1, min(args.tenants, args.loans))

    suffix = uuid.uuid4().hex[:8]
    svc_db, pg_db = f"bench_ledger_{suffix}", f"bench_pgbench_{suffix}"
    try:
        url = create_db(svc_db)
        upgrade(url)
        engine = build_engine(url)
        sessions = sessionmaker(engine, expire_on_commit=False)
        t0 = time.perf_counter()
        loans = setup_loans(sessions, args.loans, args.tenants)
        setup = time.perf_counter() - t0
        engine.dispose()
        cost = single_client_breakdown(url, loans)
        done, errors, elapsed, lat = run_repayments(url, loans, args.threads, args.seconds, args.processes)
        replay = replay_tps(url, loans, args.threads, args.seconds)

        create_db(pg_db)
        tps = pgbench_tps(pg_db, args.threads, args.seconds)
    finally:
        drop_db(svc_db)
        drop_db(pg_db)

    rate = done / elapsed
    pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")  # noqa: E731
    mode = "processes" if args.processes else "threads"
    print(f"loans={args.loans} tenants={args.tenants} clients={args.threads} ({mode}) seconds={args.seconds}")
    print(f"disbursements (setup): {args.loans} in {setup:.1f}s = {args.loans / setup:.0f}/s (single thread)")
    print(
        f"one client, per repayment: wall {cost['wall']:.2f} ms = client CPU {cost['client_cpu']:.2f}"
        f" + waiting on {cost['statements']:.0f} statements {cost['statement_wait']:.2f}"
        f" + COMMIT {cost['commit']:.2f} + scheduling; server CPU {cost['server_cpu']:.2f} ms"
    )
    print(f"repayments:  {done} ok, {errors} failed in {elapsed:.1f}s = {rate:.0f}/s")
    print(f"  latency ms: p50 {pct(0.5):.1f}  p95 {pct(0.95):.1f}  p99 {pct(0.99):.1f}")
    print(f"pgbench TPC-B (-s 1 -c {args.threads} -j 2 -T {args.seconds}): {tps:.0f} tps")
    print(f"ratio repayments/s : pgbench tps = {rate / tps:.2f} (goal >= 0.5)")
    print(
        f"server alone (pgbench replaying a repayment's statements, no Python): {replay:.0f}/s,"
        f" ratio {replay / tps:.2f}: the ceiling of any client on this server"
    )


if __name__ == "__main__":
    main()
