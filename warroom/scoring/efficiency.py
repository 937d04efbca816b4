"""Efficiency: simulated time to mitigate and to report, and steps, against the oracle.

The reference is what the oracle spends on the same faults: one call per evidence item,
then the declared fixes (its time to mitigate), then a status update, the required pages
and the report (its time to report), each at its tool's simulated cost. The agent's time
to mitigate is the end of its last fix (of its last remediation if none was a declared
fix). Within ``efficiency_slack`` times the reference a part scores 1; beyond it, it falls
as reference / actual. Efficiency is earned only by an episode that achieved the task
(durably mitigated, or every fact found for a fact task) and reported it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..tools.registry import load_all
from .configs import RewardConfig
from .groundtruth import GroundTruth
from .ledger import Ledger
from .rubric import Node, leaf, mean, not_applicable

DEFAULT_COST_S = 5.0


@dataclass(frozen=True)
class Reference:
    mitigate_s: float
    seconds: float
    steps: int


def _cost(name: str) -> float:
    spec = load_all().get(name)
    return spec.cost_s if spec is not None else DEFAULT_COST_S


def reference(gt: GroundTruth) -> Reference:
    calls = [e.tool for e in gt.evidence] + [f["name"] for t in gt.truths for f in t.fix]
    mitigate = sum(_cost(c) for c in calls)
    calls += ["post_update", *["page_team"] * len(gt.page_teams), "submit_report"]
    return Reference(mitigate, sum(_cost(c) for c in calls), len(calls))


def ratio(ref: float, actual: float, slack: float) -> float:
    return 1.0 if actual <= 0 else min(1.0, slack * ref / actual)


def mitigated_at(ledger: Ledger) -> float | None:
    """When the agent's mitigation ended: its last fix, else its last remediation."""
    fixes = [a.t for a in ledger.actions if a.cls == "fix"]
    acts = fixes or [a.t for a in ledger.actions if a.remediation]
    return max(acts) if acts else None


def grade(gt: GroundTruth, ledger: Ledger, achieved: bool, ref: Reference,
          cfg: RewardConfig) -> Node:
    parts, slack = cfg.efficiency_parts, cfg.efficiency_slack
    names = ("mitigate", "report", "steps")
    if not achieved or ledger.report is None:
        why = "no report" if ledger.report is None else "task not achieved"
        return mean("efficiency", [leaf(n, 0.0, why, parts[n]) for n in names])
    elapsed = ledger.t - ledger.t0
    t_mit = mitigated_at(ledger)
    if gt.fact_task or t_mit is None:
        mitigate = not_applicable("mitigate", "nothing to mitigate", parts["mitigate"])
    else:
        took = t_mit - ledger.t0
        mitigate = leaf("mitigate", ratio(ref.mitigate_s, took, slack),
                        f"{took:.0f}s vs reference {ref.mitigate_s:.0f}s", parts["mitigate"])
    return mean("efficiency", [
        mitigate,
        leaf("report", ratio(ref.seconds, elapsed, slack),
             f"{elapsed:.0f}s vs reference {ref.seconds:.0f}s", parts["report"]),
        leaf("steps", ratio(ref.steps, ledger.steps, slack),
             f"{ledger.steps} vs reference {ref.steps}", parts["steps"]),
    ])
