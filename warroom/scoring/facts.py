"""Task facts: identifiers the report must contain, and near-identical decoys it must not.

The report's summary and culprit are searched for exact tokens (``tokens.named``): an id
inside a longer id does not count. A fact counts only if the agent also saw it in a tool's
output (an identifier cannot be known any other way; naming it unseen is a guess or a
leak). The score is the share of facts found, and each decoy named takes away as much as
all the facts give: a near miss is a wrong answer, and a summary stuffed with every id in
sight scores nothing. A report that hedges (names most components or many categories)
keeps only ``hedge_factor`` of its facts credit, as of its diagnosis.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .groundtruth import GroundTruth
from .rubric import Node, leaf, not_applicable
from .tokens import named, named_all


def report_text(report: dict[str, Any] | None) -> str:
    if not report:
        return ""
    return f"{report.get('summary') or ''}\n{report.get('culprit') or ''}"


def observed(gt: GroundTruth, outputs: Iterable[str]) -> set[str]:
    """The facts that appear (as exact tokens) in any of ``outputs``."""
    todo, seen = list(gt.facts), set()
    for text in outputs:
        for f in todo:
            if f not in seen and named(f, text):
                seen.add(f)
        if len(seen) == len(todo):
            break
    return seen


def found(gt: GroundTruth, report: dict[str, Any] | None,
          seen: set[str] | None = None) -> tuple[list[str], list[str]]:
    """(facts named in the report and seen by the agent, decoys named in the report)."""
    text = report_text(report)
    facts = [f for f in named_all(gt.facts, text) if seen is None or f in seen]
    return facts, named_all(gt.decoys, text)


def complete(gt: GroundTruth, report: dict[str, Any] | None,
             seen: set[str] | None = None) -> bool:
    facts, decoys = found(gt, report, seen)
    return len(facts) == len(gt.facts) and not decoys


def grade(gt: GroundTruth, report: dict[str, Any] | None,
          seen: set[str] | None = None, hedge: float = 1.0) -> Node:
    """The facts node; ``hedge`` < 1 scales it when the report hedges (see diagnosis)."""
    if not gt.facts:
        return not_applicable("facts", "the task has no facts to report")
    facts, decoys = found(gt, report, seen)
    unseen = [f for f in named_all(gt.facts, report_text(report)) if f not in facts]
    missing = [f for f in gt.facts if f not in facts and f not in unseen]
    note = f"{len(facts)}/{len(gt.facts)} facts"
    if missing:
        note += f"; missing {', '.join(missing)}"
    if unseen:
        note += f"; named but never seen: {', '.join(unseen)}"
    if decoys:
        note += f"; decoys named: {', '.join(decoys)}"
    if hedge < 1.0:
        note += f"; hedged report (x{hedge})"
    return leaf("facts", hedge * max(0.0, len(facts) / len(gt.facts) - len(decoys)), note)
