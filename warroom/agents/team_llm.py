"""A team role played by a language model behind an OpenAI-compatible endpoint.

The role's model gets a system prompt naming its role, its job and the team, the incident
page, and only its role's tool schemas (``say`` and ``stand_by`` included). Each turn it
sees the output of its own last call followed by the chat addressed to it since. Roles can
use different models: ``sre=llm:model=A,developer=llm:model=B,...``.
"""

from __future__ import annotations

from typing import Any

from ..env.roles import ROLES
from ..scoring.team import ChatMessage
from ..types import Observation, ToolCall
from ..world.faults import Truth
from .llm import LLMPolicy
from .team_base import RolePolicy, register_role_policy


def role_prompt(role: str, roles: list[str]) -> str:
    spec = ROLES[role]
    return (f"You are the {spec.title} in an incident war room. Team, in turn order: "
            f"{', '.join(roles)}. {spec.job}\n"
            "Each turn you make exactly one tool call from your own tools. Use say(to, "
            "message) to tell a role (or all) what you found or what you need; stand_by "
            "when you have nothing to do. You see only your own outputs and the chat "
            "addressed to you. The incident commander submits the report.")


def chat_text(inbox: list[ChatMessage]) -> str:
    return "\n".join(f"CHAT [{m.time[11:19]}] {m.sender} -> {m.to}: {m.text}" for m in inbox)


@register_role_policy("llm")
class LLMRole(RolePolicy):
    name = "llm"

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.inner: LLMPolicy | None = None
        self.usage: dict[str, Any] = {}

    def reset(self, role: str, roles: list[str], page: Observation,
              tools: list[dict[str, Any]], seed: int,
              truths: list[Truth] | None = None) -> None:
        super().reset(role, roles, page, tools, seed)  # a model never gets the truth
        kwargs = dict(self.kwargs)
        kwargs.setdefault("system_prompt", role_prompt(role, roles))
        self.inner = LLMPolicy(**kwargs)
        self.inner.reset(page, tools, seed)
        self.first = True

    def act(self, observation: Observation, inbox: list[ChatMessage]) -> ToolCall:
        assert self.inner is not None
        chat = chat_text(inbox)
        if self.first:  # the page is already in the prompt; chat so far joins it
            self.first = False
            if chat:
                self.inner.messages.append({"role": "user", "content": chat})
            call = self.inner.act(observation)
        else:
            text = f"{observation.text}\n\n{chat}" if chat else observation.text
            call = self.inner.act(Observation(text, observation.data, observation.tool,
                                              observation.ok, observation.error,
                                              observation.time, observation.step))
        self.usage = dict(self.inner.usage)
        return call
