"""Efficiency: simulated time and steps to resolution, against the oracle's reference.

The reference is what the oracle spends on the same faults: one call per evidence item, the
declared fixes, a status update, the required pages and the report, each at its tool's
simulated cost. Within ``efficiency_slack`` times the reference scores 1; beyond it the
score falls as reference / actual. Efficiency is earned only by an episode that achieved
the task (durably mitigated, or all facts found for a fact task) and reported it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..tools.registry import load_all
from .configs import RewardConfig
from .groundtruth import GroundTruth
from .ledger import Ledger
from .rubric import Node, leaf, mean

DEFAULT_COST_S = 5.0


@dataclass(frozen=True)
class Reference:
    seconds: float
    steps: int


def _cost(name: str) -> float:
    spec = load_all().get(name)
    return spec.cost_s if spec is not None else DEFAULT_COST_S


def reference(gt: GroundTruth) -> Reference:
    calls = [e.tool for e in gt.evidence]
    calls += [f["name"] for t in gt.truths for f in t.fix]
    calls.append("post_update")
    calls += ["page_team"] * len(gt.page_teams)
    calls.append("submit_report")
    return Reference(sum(_cost(c) for c in calls), len(calls))


def ratio(ref: float, actual: float, slack: float) -> float:
    return 1.0 if actual <= 0 else min(1.0, slack * ref / actual)


def grade(gt: GroundTruth, ledger: Ledger, achieved: bool, ref: Reference,
          cfg: RewardConfig) -> Node:
    parts = cfg.efficiency_parts
    elapsed = ledger.t - ledger.t0
    if not achieved or ledger.report is None:
        why = "no report" if ledger.report is None else "task not achieved"
        return mean("efficiency", [leaf("time", 0.0, why, parts["time"]),
                                   leaf("steps", 0.0, why, parts["steps"])])
    return mean("efficiency", [
        leaf("time", ratio(ref.seconds, elapsed, cfg.efficiency_slack),
             f"{elapsed:.0f}s vs reference {ref.seconds:.0f}s", parts["time"]),
        leaf("steps", ratio(ref.steps, ledger.steps, cfg.efficiency_slack),
             f"{ledger.steps} vs reference {ref.steps}", parts["steps"]),
    ])
