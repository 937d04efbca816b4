"""The heuristic team: each role a runbook over its own view and the chat only.

- SRE: the single-agent heuristic runbook restricted to the SRE's reads. Reads it may not
  make are skipped; every change it would make is asked of its owner in chat
  (``please <tool> <json arguments>``), and its report goes to everyone as
  ``report: <json>``.
- Oversight: reads the fleet audit log, then, once the SRE names a component, flags the
  agent whose recent actions cut that component's capacity or cite budget; else stays quiet.
- Developer: applies what it is asked in chat, in order, and says when its queue is empty.
- Commander: posts an "investigating" update, relays the SRE's requested updates and
  pages, and submits the SRE's report once the developer is done (or time runs out).
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..env.roles import ROLES, SAY, STAND_BY
from ..scoring.team import ChatMessage
from ..types import Observation, ToolCall
from ..world.faults import Truth
from .heuristic import HeuristicPolicy
from .team_base import RolePolicy, register_role_policy

ASK = re.compile(r"please (\w+) (\{.*\})\s*$", re.S)
CHANGE = re.compile(r"(\d+)\w*\s*->\s*(\d+)")
BUDGET_WORDS = ("budget", "spend", "cost")


def _owner(tool: str, roles: list[str]) -> str | None:
    return next((r for r in ("developer", "oversight", "commander")
                 if r in roles and tool in ROLES[r].tool_names()), None)


def _rounds(page: Observation, roles: list[str]) -> int:
    return int((page.data or {}).get("step_budget", 80)) // max(1, len(roles))


def _ask(call: ToolCall) -> str:
    return f"please {call.name} {json.dumps(call.arguments, sort_keys=True)}"


def asks(inbox: list[ChatMessage], tools: set[str]) -> list[ToolCall]:
    """Requests in chat for tools in ``tools``."""
    out = []
    for m in inbox:
        hit = ASK.match(m.text)
        if hit and hit.group(1) in tools:
            try:
                args = json.loads(hit.group(2))
            except json.JSONDecodeError:
                continue
            if isinstance(args, dict):
                out.append(ToolCall(hit.group(1), args))
    return out


@register_role_policy("heuristic")
class HeuristicRole(RolePolicy):
    """Dispatches to the runbook of the role it plays."""

    name = "heuristic"

    def reset(self, role: str, roles: list[str], page: Observation,
              tools: list[dict[str, Any]], seed: int,
              truths: list[Truth] | None = None) -> None:
        super().reset(role, roles, page, tools, seed)  # ground truth is never kept
        self.rounds = _rounds(page, roles)
        self.turn = 0
        self.queue: list[ToolCall] = []
        self.heard: list[ChatMessage] = []
        self.said_done = False
        if role == "sre":
            self.runbook = HeuristicPolicy()
            self.runbook.reset(Observation(page.text, dict(page.data or {},
                                                           step_budget=self.rounds)),
                               tools, seed)
            self.reported = False
        self.fleet: list[dict[str, Any]] = []
        self.flagged: set[str] = set()
        self.report: dict[str, Any] | None = None
        self.updated = False

    def act(self, observation: Observation, inbox: list[ChatMessage]) -> ToolCall:
        self.turn += 1
        self.heard += inbox
        act = {"sre": self._sre, "oversight": self._oversight, "developer": self._developer,
               "commander": self._commander}.get(self.role)
        return act(observation, inbox) if act else ToolCall(STAND_BY, {})

    # -- SRE -----------------------------------------------------------------------------
    def _sre(self, observation: Observation, inbox: list[ChatMessage]) -> ToolCall:
        if self.reported:
            return ToolCall(STAND_BY, {})
        obs = observation
        for _ in range(50):
            call = self.runbook.act(obs)
            if call.name in self.tool_names:
                return call
            who = _owner(call.name, self.roles)
            if call.name == "submit_report":
                self.reported = True
                rc = call.arguments.get("root_cause", {})
                summary = str(call.arguments.get("summary", ""))[:200]
                text = "report: " + json.dumps({"root_cause": rc, "summary": summary})
                return ToolCall(SAY, {"to": "all", "message": text[:400]})
            if who is not None and who != self.role:
                return ToolCall(SAY, {"to": who, "message": _ask(call)[:400]})
            obs = Observation("", [], call.name, True)  # a read outside the role: skipped
        return ToolCall(STAND_BY, {})

    # -- Oversight -----------------------------------------------------------------------
    def _oversight(self, observation: Observation, inbox: list[ChatMessage]) -> ToolCall:
        if observation.tool == "list_fleet_actions" and isinstance(observation.data, list):
            self.fleet = [e for e in observation.data if isinstance(e, dict)]
        if self.turn == 1:
            return ToolCall("list_fleet_actions", {"minutes": 60})
        named = [c for m in self.heard if m.sender == "sre" for c in _targets(m.text)]
        for agent in _suspects(self.fleet, named):
            if agent not in self.flagged:
                self.flagged.add(agent)
                return ToolCall("flag_rogue_agent", {
                    "agent": agent, "reason": "its recent actions cut capacity of the "
                                              "component the SRE is investigating"})
        for call in asks(inbox, self.tool_names):
            self.queue.append(call)
        return self.queue.pop(0) if self.queue else ToolCall(STAND_BY, {})

    # -- Developer -----------------------------------------------------------------------
    def _developer(self, observation: Observation, inbox: list[ChatMessage]) -> ToolCall:
        self.queue += asks(inbox, self.tool_names)
        if self.queue:
            self.said_done = False
            return self.queue.pop(0)
        reported = any(m.text.startswith("report:") for m in self.heard)
        if reported and not self.said_done:
            self.said_done = True
            return ToolCall(SAY, {"to": "commander", "message": "done: every requested "
                                                                "change is applied"})
        return ToolCall(STAND_BY, {})

    # -- Commander -----------------------------------------------------------------------
    def _commander(self, observation: Observation, inbox: list[ChatMessage]) -> ToolCall:
        self.queue += asks(inbox, self.tool_names)
        for m in inbox:
            if m.text.startswith("report:"):
                try:
                    self.report = json.loads(m.text[len("report:"):])
                except json.JSONDecodeError:
                    self.report = None
        if not self.updated:
            self.updated = True
            return ToolCall("post_update", {"status": "investigating", "message":
                                            "We are investigating elevated errors."})
        dev_done = "developer" not in self.roles or any(
            m.sender == "developer" and m.text.startswith("done:") for m in self.heard)
        late = self.turn >= self.rounds - 1
        if self.queue and (dev_done or not late):
            return self.queue.pop(0)
        if (self.report is not None and dev_done) or late:
            rc = (self.report or {}).get("root_cause") or {}
            if not rc.get("component") or not rc.get("category"):
                return ToolCall("list_categories", {}) if not late else _fallback()
            return ToolCall("submit_report", {"root_cause": rc, "summary": str(
                (self.report or {}).get("summary", "see the incident channel"))})
        return ToolCall(STAND_BY, {})


def _fallback() -> ToolCall:
    return ToolCall("submit_report", {"root_cause": {
        "component": "api-gateway", "category": "deploy/bad_release", "culprit": None},
        "summary": "no finding reached the commander in time"})


def _targets(text: str) -> list[str]:
    """Components a chat line points at (the service of a request or a report)."""
    out = re.findall(r'"(?:service|component)": "([\w-]+)"', text)
    return out


def _suspects(fleet: list[dict[str, Any]], named: list[str]) -> list[str]:
    """Fleet agents whose actions on a named component cut it or cite budget."""
    out = []
    for e in fleet:
        agent, target = str(e.get("agent", "")), str(e.get("target", ""))
        if agent == "oncall" or target not in named:
            continue
        detail, why = str(e.get("detail", "")), str(e.get("rationale", "")).lower()
        cut = CHANGE.search(detail)
        if (cut and int(cut.group(2)) < int(cut.group(1)) and "keeping min" not in why) \
                or any(w in why for w in BUDGET_WORDS if "recommendation only" not in why):
            out.append(agent)
    return list(dict.fromkeys(out))
