"""Policies used by the harness tests, importable by worker processes by path."""

from __future__ import annotations

import time
from typing import Any

from warroom.agents.random_policy import RandomPolicy
from warroom.types import Observation, ToolCall


def fails(policy_seed: int) -> bool:
    """Which episodes ``BoomPolicy`` breaks on (a function of the seed it is given)."""
    return policy_seed % 2 == 0


class BoomPolicy(RandomPolicy):
    """The random policy, except that it raises at its third action on half the episodes."""

    name = "boom"

    def reset(self, observation: Observation, tools: list[dict[str, Any]], seed: int,
              truths: Any = None) -> None:
        super().reset(observation, tools, seed, truths)
        self.doomed = fails(seed)
        self.acted = 0

    def act(self, observation: Observation) -> ToolCall:
        self.acted += 1
        if self.doomed and self.acted == 3:
            raise RuntimeError("boom: the policy failed on purpose")
        return super().act(observation)


class SlowRandomPolicy(RandomPolicy):
    """The random policy, 15 ms of wall time per action: a run lasts long enough to be
    interrupted at a chosen moment. Wall time never enters the simulation."""

    name = "slow"

    def act(self, observation: Observation) -> ToolCall:
        time.sleep(0.015)
        return super().act(observation)
