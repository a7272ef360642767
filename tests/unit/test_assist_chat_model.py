"""The model comes from settings; unset or unbuildable means offline, never an error."""

from __future__ import annotations

import sys

import pytest

from backend.adapters.llm import chat_model as module
from backend.settings import Settings


def test_no_model_configured_is_offline() -> None:
    assert module.chat_model(Settings(assist_model=None)) is None


def test_a_model_that_cannot_be_built_is_offline_too(monkeypatch: pytest.MonkeyPatch) -> None:
    module._build.cache_clear()
    monkeypatch.setitem(sys.modules, "langchain.chat_models", None)  # import fails as if not installed
    assert module.chat_model(Settings(assist_model="openai:gpt-4o-mini")) is None
    module._build.cache_clear()
