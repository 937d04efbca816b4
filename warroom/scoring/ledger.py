"""The grader's running record of an episode, updated once per step in O(step).

It keeps only what grading needs: counts of reads and invalid calls, which evidence items
were seen and when, the classified writes, the report, and since when every fault's root
condition has been gone. ``version`` changes whenever any of that changes (counts aside),
so the grader recomputes the rubric only then. Repeating a read, a write or a page adds
nothing new except counts, which is why the dense rewards built on it cannot be farmed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..types import TraceStep
from .actions import Action, classify
from .groundtruth import GroundTruth

READ, WRITE, FINAL = "read", "write", "final"
NOT_INVESTIGATION = ("list_categories",)


@dataclass
class Ledger:
    t0: float
    t: float = 0.0
    steps: int = 0
    invalid: int = 0
    reads: int = 0
    evidence_seen: dict[int, float] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    report: dict[str, Any] | None = None
    resolved_since: float | None = None
    version: int = 0

    @property
    def looked(self) -> bool:
        return self.reads > 0

    def record(self, gt: GroundTruth, step: TraceStep) -> None:
        self.steps += 1
        self.t = step.t
        if not step.ok:
            self.invalid += 1
            return
        if step.kind == READ:
            if step.call.name not in NOT_INVESTIGATION:
                self.reads += 1
            self._observe(gt, step)
        elif step.kind == WRITE:
            self.version += 1
            self.actions.append(classify(gt, step.step, step.t, step.call.name,
                                         dict(step.call.arguments), self.looked))
        elif step.kind == FINAL:
            self.version += 1
            self.report = _report(step.call.arguments)

    def _observe(self, gt: GroundTruth, step: TraceStep) -> None:
        todo = [i for i in gt.evidence_by_tool.get(step.call.name, ())
                if i not in self.evidence_seen]
        if not todo:
            return
        low = step.text.lower()
        for i in todo:
            if gt.evidence[i].token.lower() in low:
                self.evidence_seen[i] = step.t
                self.version += 1

    def note_resolved(self, resolved: bool) -> None:
        """Track the current streak of 'every root condition is gone'."""
        if resolved and self.resolved_since is None:
            self.resolved_since = self.t
            self.version += 1
        elif not resolved and self.resolved_since is not None:
            self.resolved_since = None
            self.version += 1


def _report(arguments: dict[str, Any]) -> dict[str, Any]:
    rc = arguments.get("root_cause") or {}
    return {"component": rc.get("component"), "category": rc.get("category"),
            "culprit": rc.get("culprit"), "summary": str(arguments.get("summary") or "")}
