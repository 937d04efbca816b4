"""The heuristic orchestrator: the flat on-call runbook, played through the specialists.

It runs the flat heuristic's runbook (``heuristic``) but never calls a tool: every read the
runbook wants becomes a question to that tool's domain specialist (naming the tool and its
arguments), every change an instruction to operations, and the runbook is fed the
specialist's findings (condensed, ids kept) instead of the raw output. The report
categories come from the incident page. It infers the cause from the answers with the same
signatures as the flat heuristic, so flat and hierarchical runs compare like for like.
"""

from __future__ import annotations

from typing import Any

from ..types import Observation, ToolCall
from ..world.faults import Truth
from .base import Policy
from .heuristic import HeuristicPolicy
from .orch_base import ask, register_orchestrator

CATEGORIES = "Report categories (for submit_report):"
QUESTIONS = {
    "get_service_map": "What are the components, their owners, dependencies and routes?",
    "list_deploys": "Which releases shipped recently?",
    "list_issues": "Which error-tracker issues are open?",
    "get_events": "Which Kubernetes events (OOM kills, back-offs, probes) happened recently?",
    "list_fleet_actions": "What did the fleet agents do in the last hour?",
    "search_logs": "What errors does this service log?",
    "query_metrics": "How has this metric moved over the last hour?",
    "get_config": "What is this service's live configuration?",
    "db_locks": "Who holds or waits on database locks?",
    "db_activity": "What are the database sessions doing?",
}


def page_categories(text: str) -> list[str]:
    """The report categories listed on a hierarchy incident page."""
    for line in text.splitlines():
        if line.startswith(CATEGORIES):
            return line[len(CATEGORIES):].split()
    return []


@register_orchestrator("heuristic")
class HeuristicOrchestrator(Policy):
    name = "orch:heuristic"

    def reset(self, observation: Observation, tools: list[dict[str, Any]], seed: int,
              truths: list[Truth] | None = None) -> None:
        super().reset(observation, tools, seed)  # ground truth is never kept
        self.categories = page_categories(observation.text)
        self.runbook = HeuristicPolicy()
        self.runbook.reset(observation, [], seed)
        self.pending: ToolCall | None = None

    def act(self, observation: Observation) -> ToolCall:
        feed = observation if self.pending is None else translate(self.pending, observation)
        call = self.runbook.act(feed)
        while call.name == "list_categories":
            call = self.runbook.act(Observation("\n".join(self.categories), self.categories,
                                                call.name))
        if call.name == "submit_report":
            self.pending = None
            return call
        self.pending = call
        return ask(call, QUESTIONS.get(call.name, ""))


def translate(call: ToolCall, answer: Observation) -> Observation:
    """What the runbook sees for ``call``: the specialist's findings for that tool (its
    condensed data), and the answer text; nothing when the specialist did not run it."""
    findings = (answer.data or {}).get("findings") if isinstance(answer.data, dict) else None
    runs = [c for c in (findings or {}).get("calls", []) if c.get("tool") == call.name]
    if not runs:
        return Observation(answer.text, None, call.name, False, "no findings")
    last = runs[-1]
    return Observation(answer.text, last.get("data"), call.name, bool(last.get("ok")))
