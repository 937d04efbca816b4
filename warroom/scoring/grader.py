"""A first grader: diagnosis against the ground truth plus the durable-mitigation check.

(The full rubric tree, dense rewards and reward configs build on this.)
"""

from __future__ import annotations

from typing import Any

from ..env.types import TraceStep
from . import durable


class Grader:
    def __init__(self, episode: Any, config: str | None = None) -> None:
        self.episode = episode
        self.config = config or "v0"

    def on_step(self, step: TraceStep) -> tuple[float, dict[str, Any]]:
        return 0.0, {}

    def final(self) -> dict[str, Any]:
        ep = self.episode
        truth = ep.truths[0]
        report = ep.report or {}
        comp_ok = report.get("component") == truth.component
        cat_ok = report.get("category") == truth.category
        d = durable.check(ep.world, ep.truths)
        success = bool(comp_ok and cat_ok and d.mitigated)
        score = 0.5 * d.mitigated + 0.3 * comp_ok + 0.2 * cat_ok
        return {"success": success, "score": round(score, 4), "mitigated": d.mitigated,
                "diagnosis_correct": comp_ok and cat_ok, "reward_config": self.config,
                "violations": d.violations[:5], "steps": len(ep.trace)}


def make_grader(episode: Any, config: str | None = None) -> Grader:
    return Grader(episode, config)
