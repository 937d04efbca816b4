"""The oracle orchestrator: reads the ground truth and delegates a shortest valid path.

Each evidence item is asked of its tool's specialist by name (consecutive items of one
domain in one question), every fix, the status update and the required pages go to
operations in one instruction list, then the report naming every cause. It proves the
hierarchy can solve what the flat oracle solves and shows its overhead.
"""

from __future__ import annotations

import json
from typing import Any

from ..tools.slices import domain_of
from ..types import Observation, ToolCall
from ..world.faults import Truth
from .base import Policy
from .oracle import closing
from .orch_base import register_orchestrator


def _line(call: ToolCall) -> str:
    return f"{call.name} {json.dumps(call.arguments, sort_keys=True)}"


def hierarchy_plan(truths: list[Truth]) -> list[ToolCall]:
    asks: list[tuple[str, list[str]]] = []
    for t in truths:
        for ev in t.evidence:
            domain = domain_of(ev.tool)
            if domain is None:
                continue
            line = _line(ToolCall(ev.tool, dict(ev.args)))
            if asks and asks[-1][0] == domain:
                asks[-1][1].append(line)
            else:
                asks.append((domain, [line]))
    close = closing(truths)
    writes = [_line(ToolCall(f["name"], dict(f["arguments"]))) for t in truths for f in t.fix]
    asks.append(("operations", writes + [_line(c) for c in close[:-1]]))
    return [ToolCall(f"ask_{d}", {"question": "\n".join(lines)}) for d, lines in asks] + \
        [close[-1]]


@register_orchestrator("oracle")
class OracleOrchestrator(Policy):
    name = "orch:oracle"
    needs_truth = True

    def reset(self, observation: Observation, tools: list[dict[str, Any]], seed: int,
              truths: list[Truth] | None = None) -> None:
        super().reset(observation, tools, seed, truths)
        if not truths:
            raise ValueError("the oracle orchestrator needs the scenario's ground truth")
        self.plan = hierarchy_plan(list(truths))

    def act(self, observation: Observation) -> ToolCall:
        return self.plan.pop(0) if len(self.plan) > 1 else self.plan[-1]
