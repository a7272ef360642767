"""Every custom action the domain names is served by the action server, and nothing else."""

from __future__ import annotations

from pathlib import Path

import yaml
from rasa_sdk.executor import ActionExecutor

DOMAIN = Path(__file__).resolve().parents[2] / "domain"


def domain_actions() -> set[str]:
    names: set[str] = set()
    for path in DOMAIN.glob("*.yml"):
        names |= set(yaml.safe_load(path.read_text()).get("actions") or [])
    return {n for n in names if not n.startswith("utter_")}


def test_the_action_server_registers_exactly_the_domains_custom_actions() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(executor.actions) == domain_actions()
