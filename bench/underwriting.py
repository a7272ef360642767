"""Underwriting decisions per second, in-process, with the demo rule set.

A benchmark, not a test: it prints figures. Rule expressions are compiled once when the rule set is
parsed, so this measures `decide` alone (knock-outs, scorecard, limit) over a mix of applicants,
plus `replay` from a JSON round-tripped record, and the cost of parsing the rule set itself.

    .venv/bin/python bench/underwriting.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter

from backend.lending.eligibility import BusinessType
from backend.lending.money import Money
from backend.lending.underwriting import BankStatementFeatures, KycResult, UnderwritingInput, decide, replay
from backend.lending.underwriting_config import parse_ruleset
from backend.lending.underwriting_default import DEFAULT_RULESET_YAML


def applicants(count: int, seed: int = 7) -> list[UnderwritingInput]:
    rng = random.Random(seed)
    ngn = lambda major: Money(major * 100, "NGN")  # noqa: E731
    return [
        UnderwritingInput(
            requested_amount=ngn(rng.randrange(50_000, 5_000_000, 1_000)),
            product_kind=rng.choice(["working_capital", "invoice_financing"]),
            business_type=rng.choice(list(BusinessType)),
            months_in_business=rng.randrange(0, 120),
            monthly_revenue=ngn(rng.randrange(50_000, 3_000_000)),
            kyc=rng.choices(list(KycResult), weights=[90, 7, 3])[0],
            bank_statement=BankStatementFeatures(
                ngn(rng.randrange(50_000, 3_000_000)), rng.randrange(0, 9), 6
            )
            if rng.random() < 0.6
            else None,
            existing_debt_service=ngn(rng.randrange(0, 500_000)) if rng.random() < 0.3 else None,
        )
        for _ in range(count)
    ]


def rate(label: str, seconds: float, work) -> float:
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        done += work()
    per_second = done / elapsed
    print(f"{label:<28} {per_second:>12,.0f} /s   ({1e6 / per_second:,.1f} µs each)")
    return per_second


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    ruleset = parse_ruleset(DEFAULT_RULESET_YAML)
    population = applicants(2_000)
    outcomes = Counter(decide(a, ruleset).outcome.value for a in population)
    records = [json.loads(json.dumps(decide(a, ruleset).to_record())) for a in population[:500]]
    print(f"mix of {len(population)} applicants: {dict(outcomes)}")

    def decide_all() -> int:
        for applicant in population:
            decide(applicant, ruleset)
        return len(population)

    def replay_all() -> int:
        for record in records:
            replay(record, ruleset)
        return len(records)

    def parse_once() -> int:
        parse_ruleset(DEFAULT_RULESET_YAML)
        return 1

    rate("decide", args.seconds, decide_all)
    rate("replay (from JSON record)", args.seconds, replay_all)
    rate("parse + compile rule set", args.seconds, parse_once)


if __name__ == "__main__":
    main()
