"""Diagnosis: the reported root cause against the causal graph.

The component scores 1 at a fault's root and partial credit by hop along its propagation
path (a symptom close to the cause is worth more than the edge); anything else scores 0,
red herrings included. The category scores 1 when exact and a little when only its family
is right. The culprit (release id, agent, flag, key...) must match exactly where the fault
has one. Two multipliers keep guessing from paying: a diagnosis made without seeing any of
the evidence is ``unsupported``, and a summary that names most components or several
categories is ``hedged``.
"""

from __future__ import annotations

from typing import Any

from ..world.faults import FAULTS, Truth
from .configs import RewardConfig
from .groundtruth import GroundTruth
from .rubric import Node, leaf, mean, not_applicable, product
from .tokens import named_all


def component_credit(truth: Truth, component: str, cfg: RewardConfig) -> float:
    if component == truth.component:
        return 1.0
    if component not in truth.path or len(cfg.path_credit) < 2:
        return 0.0
    hop = list(truth.path).index(component)
    return cfg.path_credit[min(hop, len(cfg.path_credit) - 1)]


def category_credit(truth: Truth, category: str, cfg: RewardConfig) -> float:
    if category == truth.category:
        return 1.0
    if category.split("/", 1)[0] == truth.category.split("/", 1)[0]:
        return cfg.family_credit
    return 0.0


def best_truth(gt: GroundTruth, report: dict[str, Any], cfg: RewardConfig) -> Truth:
    """The fault the report is about: best component, then category credit; first wins."""
    comp, cat = str(report.get("component") or ""), str(report.get("category") or "")
    return max(gt.truths, key=lambda t: (component_credit(t, comp, cfg),
                                         category_credit(t, cat, cfg)))


def correct(gt: GroundTruth, report: dict[str, Any] | None) -> bool:
    """Right root component and exact category for one of the faults."""
    if not report:
        return False
    return any(report.get("component") == t.component and report.get("category") ==
               t.category for t in gt.truths)


def hedged(gt: GroundTruth, summary: str, cfg: RewardConfig) -> tuple[bool, str]:
    cats = named_all(sorted({ft.category for ft in FAULTS.values()}), summary)
    comps = named_all(gt.components, summary)
    limit = max(5, round(cfg.hedge_component_share * len(gt.components)))
    if len(cats) > cfg.hedge_categories:
        return True, f"summary names {len(cats)} categories"
    if len(comps) >= limit:
        return True, f"summary names {len(comps)} of {len(gt.components)} components"
    return False, ""


def grade(gt: GroundTruth, report: dict[str, Any] | None, supported: bool,
          cfg: RewardConfig) -> Node:
    parts = cfg.diagnosis_parts
    if not report:
        return product("diagnosis", [leaf("report", 0.0, "no report submitted")])
    truth = best_truth(gt, report, cfg)
    comp, cat = str(report.get("component") or ""), str(report.get("category") or "")
    culprit = report.get("culprit")
    c_score = component_credit(truth, comp, cfg)
    c_note = "root cause" if comp == truth.component else "on the propagation path" if \
        comp in truth.path else "not on the causal path"
    children = [leaf("component", c_score, f"{comp}: {c_note}", parts["component"]),
                leaf("category", category_credit(truth, cat, cfg), cat, parts["category"])]
    if truth.culprit:
        ok = isinstance(culprit, str) and culprit.strip().lower() == truth.culprit.lower()
        children.append(leaf("culprit", float(ok), str(culprit), parts["culprit"]))
    else:
        children.append(not_applicable("culprit", "the fault has no culprit entity",
                                       parts["culprit"]))
    is_hedged, why = hedged(gt, str(report.get("summary") or ""), cfg)
    return product("diagnosis", [
        mean("correctness", children),
        leaf("supported", 1.0 if supported else cfg.unsupported_factor,
             "evidence seen" if supported else "no evidence of the cause was observed"),
        leaf("precise", cfg.hedge_factor if is_hedged else 1.0, why or "one clear answer"),
    ])
