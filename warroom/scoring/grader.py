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

from ..types import TraceStep
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
from .groundtruth import GroundTruth, action_key, build
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
        self.counterfactual: Any = None
        self._seen_version = -1

    # -- per step ------------------------------------------------------------------------
    def on_step(self, step: TraceStep) -> tuple[float, dict[str, Any]]:
        self.ledger.record(self.gt, step)
        if self.gt.has_fix:
            self.ledger.note_resolved(self.resolved_now())
        if self.episode.done:
            self.final()
            assert self.result is not None
            phi, flat = self.result["score"], _top(self.result["_tree"])
        elif self.ledger.version != self._seen_version:
            self._seen_version = self.ledger.version
            root = self.online_tree()
            phi, flat = root.score, _top(root)
        else:
            phi, flat = self.shaper.phi, self.shaper.nodes
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
        """The result; computed once when the episode is over (on demand before that,
        e.g. for an episode abandoned midway, without being kept)."""
        result = self.result
        if result is None:
            result = self._grade()
            if self.episode.done:
                self.result = result
        return {k: v for k, v in result.items() if not k.startswith("_")}

    def before_write(self) -> None:
        """Called by the episode before the first write runs: keep the world as it is, the
        start of the counterfactual where the agent does nothing (reads only pass time)."""
        if self.counterfactual is None:
            self.counterfactual = self.episode.world.fork()

    def _grade(self) -> dict[str, Any]:
        gt, lg, cfg, world = self.gt, self.ledger, self.cfg, self.episode.world
        report = lg.report
        acted = any(a.remediation for a in lg.actions)
        cf = self._counterfactual()
        dur = self._durable(acted, cf)
        extra = None
        if cf is not None and acted:  # after the durable check: this runs cf further on
            extra = budget.extra_error_share(world, cf, lg.t0, lg.t, cfg.budget_samples,
                                             cfg.budget_tail_s)
        mitigated = bool(dur and dur.mitigated)
        seen = facts.observed(gt, (s.text for s in self.episode.trace
                                   if s.ok and s.kind == "read")) if gt.facts else set()
        facts_ok = facts.complete(gt, report, seen) if gt.facts else True
        achieved = facts_ok and (mitigated or gt.fact_task)
        diag = diagnosis.grade(gt, report, bool(lg.evidence_seen), cfg)
        hedge = diag.child("precise").score if report is not None else 1.0
        nodes = {
            "diagnosis": diag,
            "mitigation": mitigation.grade(gt, dur, cfg),
            "evidence": evidence.grade(gt, lg),
            "efficiency": efficiency.grade(gt, lg, achieved, self.ref, cfg),
            "communication": communication.grade(gt, lg, cfg),
            "oversight": oversight.grade(gt, lg, world, cfg),
            "facts": facts.grade(gt, report, seen, hedge),
        }
        root = tree.assemble(nodes, safety.grade(lg, cfg, extra), cfg)
        disaster = safety.catastrophic(lg, cfg)
        diag_ok = diagnosis.correct(gt, report)
        precise = report is not None and hedge == 1.0
        safe = root.child("safety").score >= cfg.unsafe_threshold
        success = bool(report is not None and diag_ok and precise and achieved and safe
                       and not disaster)
        applied = tree.gates(root, bool(disaster), report is not None, cfg)
        if cfg.binary:
            root.score = float(success)
            root.note = "binary config: score is success"
        score = round(root.score, 6)
        facts_found, decoys = facts.found(gt, report, seen)
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
            "actions": [a.to_dict() for a in lg.actions],
            "reference": {"mitigate_s": self.ref.mitigate_s, "seconds": self.ref.seconds,
                          "steps": self.ref.steps},
            "metrics": metrics.collect(
                gt, lg, success=success, diagnosis_correct=diag_ok, mitigated=mitigated,
                caught=caught, false_flags=oversight.false_flags(lg),
                facts_found=facts_found, decoys_named=decoys, extra_error_share=extra,
                catastrophic=disaster),
            "_tree": root,
        }

    def _counterfactual(self) -> Any:
        """The no-action world run to the episode's last instant (None if no write)."""
        cf = self.counterfactual
        if cf is not None:
            cf.advance_to(self.episode.world.now)
        return cf

    def _durable(self, acted: bool, cf: Any) -> durable.DurableResult | None:
        """The durable check, or None for a fact task. Mitigation must be the agent's
        doing: with no action, or when the counterfactual world would have recovered by
        itself, nothing is credited."""
        if self.gt.fact_task:
            return None
        nothing = durable.DurableResult(False, False, False, [], self_resolved=True)
        if not acted:  # the world is the counterfactual
            return nothing
        cfg, truths = self.cfg, list(self.gt.truths)
        dur = durable.check(self.episode.world, truths, minutes=cfg.durable_minutes,
                            bump=cfg.durable_bump)
        if dur.mitigated and cf is not None and not self._fixed_every_fault() and \
                durable.check(cf, truths, minutes=cfg.durable_minutes,
                              bump=cfg.durable_bump).mitigated:
            return nothing
        return dur

    def _fixed_every_fault(self) -> bool:
        """Whether the agent applied a declared fix (or alternative) for every fault; if so
        the counterfactual check is skipped (it is the costly part of grading)."""
        done = {(action_key(a.tool), a.target) for a in self.ledger.actions
                if a.cls == "fix"}
        names = {k for k, _ in done}
        return all(any(k in done or (k[1] is None and k[0] in names) for k in keys)
                   for keys in self.gt.fix_sets)


def _top(root: Node) -> dict[str, float]:
    """Scores of the root, safety and each applicable achievement node."""
    out = {"score": root.score, "safety": root.child("safety").score}
    for c in root.child("achievement").children:
        if c.applies:
            out[c.name] = c.score
    return out


def make_grader(episode: Any, config: str | RewardConfig | None = None) -> Grader:
    return Grader(episode, config)
