"""Evidence: the share of the faults' evidence items the agent actually saw.

An item counts as seen when its token appears in the output of a call of its tool (the
ledger checks each read as it happens). Looking at everything is allowed, but it costs
simulated time and steps, which efficiency charges for.
"""

from __future__ import annotations

from .groundtruth import GroundTruth
from .ledger import Ledger
from .rubric import Node, leaf, not_applicable


def coverage(gt: GroundTruth, ledger: Ledger) -> float:
    return len(ledger.evidence_seen) / len(gt.evidence) if gt.evidence else 0.0


def grade(gt: GroundTruth, ledger: Ledger) -> Node:
    if not gt.evidence:
        return not_applicable("evidence", "the faults declare no evidence")
    seen = sorted(ledger.evidence_seen)
    missing = [f"{e.tool}:{e.token}" for i, e in enumerate(gt.evidence) if i not in seen]
    note = f"{len(seen)}/{len(gt.evidence)} seen" + (f"; missed {', '.join(missing)}"
                                                     if missing else "")
    return leaf("evidence", coverage(gt, ledger), note)
