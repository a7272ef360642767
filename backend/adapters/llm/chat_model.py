"""The configured LangChain chat model, or None for the offline mode.

`ASSIST_MODEL` takes any `init_chat_model` string ("openai:gpt-4o-mini",
"anthropic:claude-sonnet-4-5", "ollama:llama3.1", ...): LangChain's `init_chat_model` (package
`langchain`) maps the provider prefix to its integration package, and each integration reads its
own key variable (OPENAI_API_KEY, ANTHROPIC_API_KEY...), so no key passes through our settings.
Neither `langchain` nor a provider package is a dependency of the project: a deployment that wants a
hosted model installs them. When they are missing or the model cannot be built, we log it and stay
offline: the customer still gets an extractive answer instead of an error.
"""

from __future__ import annotations

from functools import lru_cache

import structlog
from langchain_core.language_models import BaseChatModel

from backend.settings import Settings

log = structlog.get_logger(__name__)


def chat_model(settings: Settings) -> BaseChatModel | None:
    """The model named by `settings.assist_model`, or None (unset, or it cannot be built)."""
    if not settings.assist_model:
        return None
    return _build(settings.assist_model, settings.assist_model_timeout_seconds)


@lru_cache(maxsize=4)
def _build(name: str, timeout: float) -> BaseChatModel | None:
    try:
        from langchain.chat_models import init_chat_model
    except ImportError:
        log.error("assist.model_unavailable", model=name, error="the 'langchain' package is not installed")
        return None
    try:
        # temperature 0: answers about fees and rules should be the same each time they are asked.
        return init_chat_model(name, temperature=0, timeout=timeout, max_retries=1)
    except Exception as exc:  # a missing provider package or key: stay offline, say why
        log.error("assist.model_unavailable", model=name, error=str(exc))
        return None
