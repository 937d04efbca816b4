"""Mitigation: durable, or not at all (see ``durable``).

Mitigated (SLOs hold through the fast-forward under extra load, and every root condition
is gone) scores 1. Removing the root while SLOs still fail earns ``root_only_credit``;
SLOs that hold while the root remains (a symptom fix that lasted the window) earn
``slo_only_credit`` (0 in the published configs). Faults that would have gone away without
the agent (the counterfactual world passes the same check) earn nothing. Fact tasks with
nothing to fix skip this node.
"""

from __future__ import annotations

from .configs import RewardConfig
from .durable import DurableResult
from .groundtruth import GroundTruth
from .rubric import Node, leaf, not_applicable


def grade(gt: GroundTruth, result: DurableResult | None, cfg: RewardConfig) -> Node:
    if gt.fact_task or result is None:
        return not_applicable("mitigation", "nothing to fix: a fact-finding task")
    if result.self_resolved:
        return leaf("mitigation", 0.0, "nothing the agent did removed the faults")
    if result.mitigated:
        return leaf("mitigation", 1.0, "durable: SLOs held and the root condition is gone")
    first = result.violations[0] if result.violations else ""
    if result.root_gone:
        return leaf("mitigation", cfg.root_only_credit, f"root gone but SLOs failed ({first})")
    if result.slo_held:
        return leaf("mitigation", cfg.slo_only_credit, "SLOs held but the root remains")
    return leaf("mitigation", 0.0, f"not mitigated ({first})")


def online(gt: GroundTruth, resolved_now: bool, cfg: RewardConfig) -> Node:
    """The same node during the episode: credit while every root condition is gone."""
    if gt.fact_task:
        return not_applicable("mitigation", "nothing to fix: a fact-finding task")
    return leaf("mitigation", cfg.online_mitigation_credit if resolved_now else 0.0,
                "root condition gone (pending the durable check)" if resolved_now else
                "root condition present")
