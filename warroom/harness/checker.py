"""A checker for scenarios, shipped as library code and run over the catalog in the tests.

``check(scenario, seed)`` plays the oracle and reports, for each fault: whether the page
showed symptoms, which evidence tokens really appeared in the named tool outputs, and
whether the durable check passed. ``check_wrong_fix`` applies one declared wrong fix
instead of the right one and reports the durable check (it must fail) and what happened
where the fault says a second failure shows.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from ..env.episode import Episode
from ..scenarios.spec import Scenario
from ..scoring import durable
from ..types import ToolCall


@dataclass
class CheckReport:
    scenario: str
    seed: int
    alerts: list[str]
    evidence: list[tuple[str, str, bool]]
    mitigated: bool
    success: bool
    violations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.alerts) and all(e[2] for e in self.evidence) and self.mitigated \
            and not self.errors


def oracle_episode(scenario: Scenario, seed: int = 0) -> tuple[Episode, list[str]]:
    """Play the oracle to the end; the page's alert names, then the text of each step."""
    from ..agents import make_policy

    ep = Episode(scenario)
    obs = ep.reset(seed=seed)
    policy = make_policy("oracle")
    policy.reset(obs, ep.tools, seed, ep.truths)
    texts = [",".join(a["name"] for a in obs.data["alerts"])]
    while not ep.done:
        res = ep.step(policy.act(obs))
        obs = res.observation
        texts.append(obs.text if obs.ok else f"ERROR {obs.error}")
    return ep, texts


def check(scenario: Scenario, seed: int = 0) -> CheckReport:
    ep, texts = oracle_episode(scenario, seed)
    alerts = [a for a in texts.pop(0).split(",") if a]
    evidence: list[tuple[str, str, bool]] = []
    errors = [t for t in texts if t.startswith("ERROR")]
    i = 0
    for truth in ep.truths:
        for ev in truth.evidence:
            seen = i < len(texts) and ev.token in texts[i]
            evidence.append((ev.tool, ev.token, seen))
            i += 1
    result = ep.result or {}
    assert ep.world is not None
    d = durable.check(ep.world, ep.truths)
    return CheckReport(scenario.id, seed, alerts, evidence, d.mitigated,
                       bool(result.get("success")), d.violations[:4], errors)


def check_wrong_fix(scenario: Scenario, index: int, seed: int = 0) -> dict[str, Any]:
    """Apply the primary fault's ``index``-th wrong fix after looking at the evidence."""
    ep = Episode(scenario, max_steps=200)
    ep.reset(seed=seed)
    truth = ep.truths[0]
    wrong = truth.wrong[index]
    for ev in truth.evidence:
        ep.step(ToolCall(ev.tool, dict(ev.args)))
    assert ep.world is not None
    before = copy.deepcopy(ep.world)
    res = ep.step(ToolCall(wrong.call["name"], dict(wrong.call["arguments"])))
    ep.world.advance(120)
    second: dict[str, float] = {}
    if wrong.second:
        b, a = before.snapshot()[wrong.second], ep.world.snapshot()[wrong.second]
        second = {"error_before": b.error_frac, "error_after": a.error_frac,
                  "cpu_before": b.cpu_util, "cpu_after": a.cpu_util,
                  "ms_before": b.mean_ms, "ms_after": a.mean_ms}
    d = durable.check(ep.world, ep.truths)
    return {"ok": res.observation.ok, "text": res.observation.text, "mitigated": d.mitigated,
            "root_gone": d.root_gone, "second": second}
