"""Shared checks of fact tasks: play a task's reads and answer, as the domain oracle does."""

from __future__ import annotations

from typing import Any

from warroom.env.domain import DomainEpisode
from warroom.scenarios.fact_templates import open_task


def play(task_id: str, answer: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """Run the task's reads, then answer (the facts, by default): (result, read outputs)."""
    task = open_task(task_id)
    ep = DomainEpisode(task.domain, task=task)
    ep.reset()
    outputs = []
    for call in task.reads:
        res = ep.step(call)
        assert res.observation.ok, f"{task_id}: read {call.name} failed: {res.observation.text}"
        outputs.append(res.observation.text)
    text = " ".join(task.facts) if answer is None else answer
    ep.step({"name": "answer", "arguments": {"text": text}})
    return ep.finish(), outputs
