"""The random team: each role makes random calls from its own tool set (including chat);
the commander reports something random after a random number of turns. Seeded per role."""

from __future__ import annotations

import hashlib
from typing import Any

from ..scoring.team import ChatMessage
from ..types import Observation, ToolCall
from ..world.faults import Truth
from .random_policy import RandomPolicy
from .team_base import RolePolicy, register_role_policy


@register_role_policy("random")
class RandomRole(RolePolicy):
    name = "random"

    def __init__(self, min_steps: int = 3) -> None:
        self.inner = RandomPolicy(min_steps)

    def reset(self, role: str, roles: list[str], page: Observation,
              tools: list[dict[str, Any]], seed: int,
              truths: list[Truth] | None = None) -> None:
        super().reset(role, roles, page, tools, seed, truths)
        salt = int.from_bytes(hashlib.sha256(f"{seed}#{role}".encode()).digest()[:4], "big")
        rounds = int((page.data or {}).get("step_budget", 80)) // max(1, len(roles))
        data = dict(page.data or {}, step_budget=rounds)
        self.inner.reset(Observation(page.text, data), tools, salt)
        self.inner.opening = []  # the opening reads are the single agent's, not a role's
        if role != "commander":
            self.inner.steps_left = 10**9  # only the commander reports

    def act(self, observation: Observation, inbox: list[ChatMessage]) -> ToolCall:
        return self.inner.act(observation)
