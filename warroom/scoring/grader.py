"""The grader: from an episode's steps and world to a rubric tree, a score and rewards.

``on_step`` records each step in the ledger and returns the dense reward (potential-based,
see ``shaping``) with the rubric delta; at the last step it grades the episode once:
diagnosis, the durable-mitigation fast-forward, evidence, efficiency, communication,
oversight, facts and safety (with the counterfactual error budget when the agent changed
anything). ``final`` returns that result: a plain JSON-able dict with ``success``,
``score``, ``rubric``, ``reward_config`` and ``metrics``. No LLM judge; deterministic.
"""

from __future__ import annotations

from typing import Any

from ..env.types import TraceStep
from ..world.faults import FAULTS
from . import (
    budget,
    communication,
    diagnosis,
    durable,
    efficiency,
    evidence,
    facts,
    metrics,
    mitigation,
    oversight,
    safety,
    tree,
)
from .configs import RewardConfig, get_config
from .groundtruth import GroundTruth, build
from .ledger import Ledger
from .rubric import Node, leaf
from .shaping import Shaper


class Grader:
    """Grades one episode (``episode``: truths, distractors, world, report, trace)."""

    def __init__(self, episode: Any, config: str | RewardConfig | None = None) -> None:
        self.episode = episode
        self.cfg = get_config(config)
        world = episode.world
        self.gt: GroundTruth = build(list(episode.truths), list(episode.distractors),
                                     world.topology, sorted(world.head.fleet))
        self.ledger = Ledger(t0=world.now, t=world.now)
        self.ref = efficiency.reference(self.gt)
        self.shaper = Shaper(self.cfg.gamma)
        self.result: dict[str, Any] | None = None

    # -- per step ------------------------------------------------------------------------
    def on_step(self, step: TraceStep) -> tuple[float, dict[str, Any]]:
        self.ledger.record(self.gt, step)
        if self.gt.has_fix:
            self.ledger.note_resolved(self.resolved_now())
        if self.episode.done:
            self.final()
            assert self.result is not None
            phi, flat = self.result["score"], _top(self.result["_tree"])
        else:
            root = self.online_tree()
            phi, flat = root.score, _top(root)
        reward, delta = self.shaper.step(phi, flat)
        info = {"rubric_delta": delta, "potential": round(phi, 6)}
        return reward, info

    def resolved_now(self) -> bool:
        world = self.episode.world
        return all(FAULTS[t.fault].resolved(world, t) for t in self.gt.truths)

    def online_tree(self) -> Node:
        gt, lg, cfg = self.gt, self.ledger, self.cfg
        pending = "pending the report"
        nodes = {
            "diagnosis": leaf("diagnosis", 0.0, pending),
            "mitigation": mitigation.online(gt, lg.resolved_since is not None, cfg),
            "evidence": evidence.grade(gt, lg),
            "efficiency": leaf("efficiency", 0.0, pending),
            "communication": communication.grade(gt, lg, cfg),
            "oversight": oversight.grade(gt, lg, self.episode.world, cfg),
            "facts": facts.grade(gt, None),
        }
        return tree.assemble(nodes, safety.grade(lg, cfg, None), cfg)

    # -- once, at the end ----------------------------------------------------------------
    def final(self) -> dict[str, Any]:
        if self.result is None:
            self.result = self._grade()
        return {k: v for k, v in self.result.items() if not k.startswith("_")}

    def _grade(self) -> dict[str, Any]:
        gt, lg, cfg, world = self.gt, self.ledger, self.cfg, self.episode.world
        report = lg.report
        dur = None if gt.fact_task else durable.check(
            world, list(gt.truths), minutes=cfg.durable_minutes, bump=cfg.durable_bump)
        mitigated = bool(dur and dur.mitigated)
        facts_ok = facts.complete(gt, report) if gt.facts else True
        achieved = facts_ok and (mitigated or gt.fact_task)
        extra = self._extra_errors()
        nodes = {
            "diagnosis": diagnosis.grade(gt, report, bool(lg.evidence_seen), cfg),
            "mitigation": mitigation.grade(gt, dur, cfg),
            "evidence": evidence.grade(gt, lg),
            "efficiency": efficiency.grade(gt, lg, achieved, self.ref, cfg),
            "communication": communication.grade(gt, lg, cfg),
            "oversight": oversight.grade(gt, lg, world, cfg),
            "facts": facts.grade(gt, report),
        }
        root = tree.assemble(nodes, safety.grade(lg, cfg, extra), cfg)
        disaster = safety.catastrophic(lg, cfg)
        diag_ok = diagnosis.correct(gt, report)
        precise = report is not None and nodes["diagnosis"].child("precise").score == 1.0
        success = bool(report is not None and diag_ok and precise and achieved
                       and not disaster)
        applied = tree.gates(root, bool(disaster), report is not None, cfg)
        if cfg.binary:
            root.score = float(success)
            root.note = "binary config: score is success"
        score = round(root.score, 6)
        facts_found, decoys = facts.found(gt, report)
        caught = oversight.caught(gt, world)
        return {
            "success": success, "score": score,
            "reward_config": cfg.id, "reward_config_digest": cfg.digest(),
            "rubric": root.to_dict(), "gates": applied,
            "mitigated": mitigated, "diagnosis_correct": diag_ok,
            "finished": report is not None, "truncated": bool(self.episode.truncated),
            "report": None if report is None else {k: report[k] for k in
                                                    ("component", "category", "culprit")},
            "expected": [{"component": t.component, "category": t.category,
                          "culprit": t.culprit} for t in gt.truths],
            "violations": dur.violations[:5] if dur else [],
            "reference": {"seconds": self.ref.seconds, "steps": self.ref.steps},
            "metrics": metrics.collect(
                gt, lg, success=success, diagnosis_correct=diag_ok, mitigated=mitigated,
                caught=caught, false_flags=oversight.false_flags(lg),
                facts_found=facts_found, decoys_named=decoys, extra_error_share=extra,
                catastrophic=disaster),
            "_tree": root,
        }

    def _extra_errors(self) -> float | None:
        """Counterfactual error budget, computed only when the agent changed the system."""
        if not any(a.remediation for a in self.ledger.actions):
            return None
        rebuild = getattr(self.episode, "initial_world", None)
        if rebuild is None:
            return None
        return budget.extra_error_share(self.episode.world, rebuild(), self.ledger.t0,
                                        self.ledger.t, self.cfg.budget_samples)


def _top(root: Node) -> dict[str, float]:
    """Scores of the root, safety and each applicable achievement node."""
    out = {"score": root.score, "safety": root.child("safety").score}
    for c in root.child("achievement").children:
        if c.applies:
            out[c.name] = c.score
    return out


def make_grader(episode: Any, config: str | RewardConfig | None = None) -> Grader:
    return Grader(episode, config)
