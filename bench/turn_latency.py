"""Turn latency: the web channel through the backend vs. Rasa's REST webhook directly.

A benchmark, not a test: it prints figures and fails only when the stack cannot be reached.

(a) backend   POST /channels/web/messages  greet, "check how much I can borrow", "retail", "1.2m",
              "thanks" (the amount turn makes the action server call the backend's /v1)
(b) rasa      POST /webhooks/rest/webhook   greet, "check how much I can borrow", "retail", "cancel"
              (the same conversation up to the amount, so no turn calls the backend)

Each mode runs sequential conversations, then 20 concurrent conversations (unique sender ids),
and prints p50/p95/max latency per turn and turns per second, and the ratio (a)/(b): the cost of
the gateway (persisting, deduplicating, rendering) on top of Rasa.

(c) journeys  `--journeys N` customers, one after another, each through every borrower journey
              in `bench/journeys.py` (onboarding with documents, the application and its
              correction, decision, offers, signing, payout, repayment, hardship, a dispute, FAQ
              and a person): p50/p95/max per journey, against the 300 ms p95 goal.

    .venv/bin/python bench/turn_latency.py            # attaches to `make run` when it is ready,
                                                      # else starts its own stack and stops it
    .venv/bin/python bench/turn_latency.py --start    # always a private stack (free ports, temp var/)
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from backend.launcher import Stack, free_port

sys.path.insert(0, str(Path(__file__).resolve().parent))
from journeys import Timings, run_journeys

BACKEND_TURNS = ("hi", "check how much I can borrow", "retail", "1.2m", "thanks")
RASA_TURNS = ("hi", "check how much I can borrow", "retail", "cancel")
REQUEST_TIMEOUT_SECONDS = 60.0
STACK_READY_TIMEOUT_SECONDS = 900.0

Send = Callable[[httpx.AsyncClient, str, str], Awaitable[list[dict]]]


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    by_turn: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    empty_replies: int = 0
    wall_seconds: float = 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile in milliseconds."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000

    @property
    def turns_per_second(self) -> float:
        return len(self.latencies) / self.wall_seconds if self.wall_seconds else math.nan


def backend_sender(base_url: str) -> Send:
    async def send(client: httpx.AsyncClient, conversation: str, text: str) -> list[dict]:
        response = await client.post(
            f"{base_url}/channels/web/messages", json={"session_id": conversation, "text": text}
        )
        response.raise_for_status()
        return response.json().get("messages", [])

    return send


def rasa_sender(rasa_url: str) -> Send:
    async def send(client: httpx.AsyncClient, conversation: str, text: str) -> list[dict]:
        response = await client.post(
            f"{rasa_url}/webhooks/rest/webhook", json={"sender": conversation, "message": text}
        )
        response.raise_for_status()
        return response.json()

    return send


async def conversation(client: httpx.AsyncClient, send: Send, turns: tuple[str, ...], result: Result) -> None:
    sender = f"bench-{uuid.uuid4().hex[:12]}"
    for text in turns:
        started = time.perf_counter()
        try:
            replies = await send(client, sender, text)
        except httpx.HTTPError as exc:
            result.errors.append(f"{text!r}: {type(exc).__name__} {exc}")
            return  # the rest of this conversation would measure a broken state
        elapsed = time.perf_counter() - started
        result.latencies.append(elapsed)
        result.by_turn.setdefault(text, []).append(elapsed)
        if not replies:
            result.empty_replies += 1


async def measure(send: Send, turns: tuple[str, ...], conversations: int, concurrency: int) -> Result:
    """`conversations` conversations, at most `concurrency` at a time."""
    result = Result()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_SECONDS, limits=limits, trust_env=False) as client:
        gate = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with gate:
                await conversation(client, send, turns, result)

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(conversations)))
        result.wall_seconds = time.perf_counter() - started
    return result


def row(label: str, result: Result) -> str:
    return (
        f"{label:<24} {len(result.latencies):>6} {result.percentile(50):>9.0f} {result.percentile(95):>9.0f} "
        f"{result.percentile(100):>9.0f} {result.turns_per_second:>8.1f} {len(result.errors):>7}"
        f" {result.empty_replies:>6}"
    )


async def bench(backend_url: str, rasa_url: str, sequential: int, concurrent: int) -> int:
    modes = {
        "(a) backend": (backend_sender(backend_url), BACKEND_TURNS),
        "(b) rasa": (rasa_sender(rasa_url), RASA_TURNS),
    }
    results: dict[tuple[str, str], Result] = {}
    for mode, (send, turns) in modes.items():
        await measure(send, turns, 1, 1)  # warm-up: first-use costs are not what we measure
        results[(mode, "sequential")] = await measure(send, turns, sequential, 1)
        results[(mode, "concurrent")] = await measure(send, turns, concurrent, concurrent)

    print(f"\nturn latency in ms; sequential: {sequential} conversations one at a time;"
          f" concurrent: {concurrent} conversations at once")  # fmt: skip
    header = ("mode", "turns", "p50", "p95", "max", "turns/s", "errors", "empty")
    print("{:<24} {:>6} {:>9} {:>9} {:>9} {:>8} {:>7} {:>6}".format(*header))
    for (mode, phase), result in results.items():
        print(row(f"{mode} {phase}", result))
    print("\nratio (a)/(b)            p50     p95   turns/s")
    for phase in ("sequential", "concurrent"):
        a, b = results[("(a) backend", phase)], results[("(b) rasa", phase)]
        p50, p95 = a.percentile(50) / b.percentile(50), a.percentile(95) / b.percentile(95)
        print(f"  {phase:<20} {p50:>7.2f} {p95:>7.2f} {a.turns_per_second / b.turns_per_second:>9.2f}")
    print("(a) includes a turn whose action calls the backend's /v1; (b) has none.")
    print("\nsequential p50 per turn, ms (the same turn through both paths shows the gateway's cost)")
    a_turns, b_turns = (
        results[("(a) backend", "sequential")].by_turn,
        results[("(b) rasa", "sequential")].by_turn,
    )
    for text in dict.fromkeys((*BACKEND_TURNS, *RASA_TURNS)):
        cells = [
            f"{statistics.median(t[text]) * 1000:>8.0f}" if text in t else f"{'-':>8}"
            for t in (a_turns, b_turns)
        ]
        print(f"  {text!r:<32} (a){cells[0]}  (b){cells[1]}")
    errors = [(key, error) for key, result in results.items() for error in result.errors]
    for (mode, phase), error in errors[:10]:
        print(f"error in {mode} {phase}: {error}")
    return 1 if errors else 0


def bench_journeys(backend_url: str, api_key: str, customers: int) -> int:
    """Customers one after another through every journey; latency per journey."""
    if customers <= 0:
        return 0
    timings = Timings()
    with httpx.Client(base_url=backend_url, timeout=REQUEST_TIMEOUT_SECONDS, trust_env=False) as client:
        run_journeys(client, api_key, Timings())  # warm-up: first use of every action and route
        for _ in range(customers):
            run_journeys(client, api_key, timings)
    print(f"\n(c) journeys: {customers} customers through every journey, turn latency in ms")
    print("{:<32} {:>6} {:>7} {:>7} {:>7}".format("journey", "turns", "p50", "p95", "max"))
    everything: list[float] = []
    for journey, seconds in timings.by_journey.items():
        everything += seconds
        r = Result(latencies=seconds)
        cells = f"{r.percentile(50):>7.0f} {r.percentile(95):>7.0f} {r.percentile(100):>7.0f}"
        print(f"{journey:<32} {len(seconds):>6} {cells}")
    total = Result(latencies=everything)
    verdict = "within" if total.percentile(95) < 300 else "OVER"
    cells = f"{total.percentile(50):>7.0f} {total.percentile(95):>7.0f} {total.percentile(100):>7.0f}"
    print(f"{'all journeys':<32} {len(everything):>6} {cells}   p95 {verdict} the 300 ms goal")
    for error in timings.errors[:10]:
        print(f"error: {error}")
    return 1 if timings.errors else 0


def demo_api_key() -> str | None:
    """The running stack's demo key: the environment, else what `make run` generated."""
    if key := os.environ.get("DEMO_TENANT_API_KEY"):
        return key
    secrets = Path(__file__).resolve().parents[1] / "var" / "secrets.env"
    if secrets.exists():
        for line in secrets.read_text().splitlines():
            if line.startswith("DEMO_TENANT_API_KEY="):
                return line.split("=", 1)[1].strip().strip('"')
    return None


def ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--attach", action="store_true", help="use the running stack (default when it is ready)")
    how.add_argument("--start", action="store_true", help="start a private stack and stop it afterwards")
    parser.add_argument("--port", type=int, default=8000, help="backend port of the running stack")
    parser.add_argument("--rasa-port", type=int, default=5005, help="Rasa port of the running stack")
    parser.add_argument("--sequential", type=int, default=10, help="conversations one after another")
    parser.add_argument("--concurrency", type=int, default=20, help="conversations at once")
    parser.add_argument("--journeys", type=int, default=3, help="customers through every journey (0: skip)")
    args = parser.parse_args()

    backend_url = f"http://127.0.0.1:{args.port}"
    rasa_url = f"http://127.0.0.1:{args.rasa_port}"
    attach = args.attach or (not args.start and ready(f"{backend_url}/readyz"))
    if attach:
        if not ready(f"{backend_url}/readyz"):
            print(f"no ready stack at {backend_url} (/readyz is not 200); start one with `make run`")
            return 2
        print(f"==> attached to the running stack at {backend_url} and {rasa_url}")
        code = asyncio.run(bench(backend_url, rasa_url, args.sequential, args.concurrency))
        key = demo_api_key()
        if key is None:
            print("no DEMO_TENANT_API_KEY in the environment or var/secrets.env: journeys skipped")
            return code
        return code or bench_journeys(backend_url, key, args.journeys)

    with tempfile.TemporaryDirectory(prefix="bench-stack-") as tmp:
        key = f"ck_bench_{uuid.uuid4().hex}"
        stack = Stack(
            {"DEMO_TENANT_API_KEY": key},
            var_dir=Path(tmp),
            port=free_port(),
            rasa_port=free_port(),
            actions_port=free_port(),
        )
        print(f"==> starting a private stack (logs in {stack.log_dir}; it is removed afterwards)")
        started = time.monotonic()
        with stack:
            timings = stack.wait_ready(STACK_READY_TIMEOUT_SECONDS)
            print(
                f"==> stack ready in {time.monotonic() - started:.0f}s"
                f" (Rasa loaded the model in {timings['rasa']:.0f}s)"
            )
            code = asyncio.run(bench(stack.backend_url, stack.rasa_url, args.sequential, args.concurrency))
            return code or bench_journeys(stack.backend_url, key, args.journeys)


if __name__ == "__main__":
    sys.exit(main())
