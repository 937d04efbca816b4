"""Task facts: identifiers the report must contain, and near-identical decoys it must not.

The report's summary and culprit are searched for exact tokens (``tokens.named``): an id
inside a longer id does not count. The score is the share of facts found, and each decoy
named takes away as much as all the facts give: a near miss is a wrong answer, and a
summary stuffed with every id in sight scores nothing.
"""

from __future__ import annotations

from typing import Any

from .groundtruth import GroundTruth
from .rubric import Node, leaf, not_applicable
from .tokens import named_all


def report_text(report: dict[str, Any] | None) -> str:
    if not report:
        return ""
    return f"{report.get('summary') or ''}\n{report.get('culprit') or ''}"


def found(gt: GroundTruth, report: dict[str, Any] | None) -> tuple[list[str], list[str]]:
    """(facts named, decoys named) in the report."""
    text = report_text(report)
    return named_all(gt.facts, text), named_all(gt.decoys, text)


def complete(gt: GroundTruth, report: dict[str, Any] | None) -> bool:
    facts, decoys = found(gt, report)
    return len(facts) == len(gt.facts) and not decoys


def grade(gt: GroundTruth, report: dict[str, Any] | None) -> Node:
    if not gt.facts:
        return not_applicable("facts", "the task has no facts to report")
    facts, decoys = found(gt, report)
    missing = [f for f in gt.facts if f not in facts]
    note = f"{len(facts)}/{len(gt.facts)} facts" + (f"; missing {', '.join(missing)}"
                                                     if missing else "")
    if decoys:
        note += f"; decoys named: {', '.join(decoys)}"
    return leaf("facts", len(facts) / len(gt.facts) - len(decoys), note)
