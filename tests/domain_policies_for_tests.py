"""Domain policies importable by path (``tests.domain_policies_for_tests:factory``)."""

from __future__ import annotations

from typing import Any

from warroom.agents.base import Policy
from warroom.types import Observation, ToolCall


class Replay(Policy):
    """A user's own expert that asks for the task (``needs_task``), as the built-in oracle
    does: plays its reads, then answers with its facts, one per line."""

    name = "replay"
    needs_task = True

    def set_task(self, task: Any) -> None:
        self.task = task

    def reset(self, observation: Observation, tools: list[dict[str, Any]], seed: int,
              truths: Any = None) -> None:
        super().reset(observation, tools, seed, truths)
        self.plan = [*self.task.reads, ToolCall("answer", {"text": "\n".join(self.task.facts)})]

    def act(self, observation: Observation) -> ToolCall:
        return self.plan.pop(0)


class Broken(Policy):
    """Raises on its first action: the episode must end with an error, not a crash."""

    name = "broken"

    def act(self, observation: Observation) -> ToolCall:
        raise RuntimeError("broken on purpose")


def replay() -> Policy:
    return Replay()


def broken() -> Policy:
    return Broken()
