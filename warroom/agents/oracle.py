"""The oracle: reads the ground truth and takes a shortest valid path.

It looks at each piece of evidence once (so it never acts blind), applies the declared fix
for every fault, posts a status update, pages the owning team where the fault needs it, and
reports the primary fault. It proves scenarios solvable and sets the reference time to
mitigate.
"""

from __future__ import annotations

from typing import Any

from ..types import Observation, ToolCall
from ..world.faults import Truth
from .base import Policy, register_policy


@register_policy("oracle")
class OraclePolicy(Policy):
    name = "oracle"
    needs_truth = True

    def reset(self, observation: Observation, tools: list[dict[str, Any]], seed: int,
              truths: list[Truth] | None = None) -> None:
        super().reset(observation, tools, seed, truths)
        if not truths:
            raise ValueError("the oracle needs the scenario's ground truth")
        self.plan = plan(truths)

    def act(self, observation: Observation) -> ToolCall:
        return self.plan.pop(0) if self.plan else self.plan_report

    @property
    def plan_report(self) -> ToolCall:
        return ToolCall("list_alerts", {})


def plan(truths: list[Truth]) -> list[ToolCall]:
    calls: list[ToolCall] = []
    for t in truths:
        for ev in t.evidence:
            calls.append(ToolCall(ev.tool, dict(ev.args)))
    for t in truths:
        calls.extend(ToolCall(f["name"], dict(f["arguments"])) for f in t.fix)
    return calls + closing(truths)


def closing(truths: list[Truth], paged: frozenset[str | None] = frozenset()
            ) -> list[ToolCall]:
    """The oracle's close: a status update, a page to each team that must follow up (bar
    those in ``paged``), and the report naming every cause, its fix and its facts."""
    primary = truths[0]
    calls = [ToolCall("post_update", {"status": "identified", "message":
                                      f"Cause identified in {primary.component}; "
                                      "mitigation applied, monitoring."})]
    for t in truths:
        if t.page_required and t.team and t.team not in paged:
            calls.append(ToolCall("page_team", {"team": t.team, "message":
                                                f"{t.component}: needs your follow-up"}))
    summary = "; ".join(f"{t.component}: {t.category} ({t.culprit or 'n/a'}); fixed by "
                        + ", ".join(f["name"] for f in t.fix) for t in truths)
    facts = [f for t in truths for f in t.facts]
    if facts:
        summary += ". Facts: " + ", ".join(facts)
    calls.append(ToolCall("submit_report", {"root_cause": {
        "component": primary.component, "category": primary.category,
        "culprit": primary.culprit}, "summary": summary}))
    return calls
