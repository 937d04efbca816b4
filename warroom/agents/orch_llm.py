"""The LLM orchestrator: the OpenAI-compatible agent (``llm``) over the specialists.

The same ``LLMPolicy`` (native tool calls or ReAct text, retries, context budget, usage)
with the orchestrator's system prompt (``prompts/orchestrator.md``); its tools are the
hierarchy's ``ask_<domain>`` and ``submit_report``.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from .llm import LLMPolicy
from .orch_base import register_orchestrator


def orchestrator_prompt() -> str:
    return resources.files("warroom.agents").joinpath("prompts/orchestrator.md").read_text(
        "utf-8")


@register_orchestrator("llm")
def llm_orchestrator(**kwargs: Any) -> LLMPolicy:
    """An ``LLMPolicy`` with the orchestrator prompt unless ``system_prompt`` is given."""
    kwargs.setdefault("system_prompt", orchestrator_prompt())
    return LLMPolicy(**kwargs)
