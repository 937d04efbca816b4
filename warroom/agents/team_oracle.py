"""The oracle team: every role knows the ground truth and follows one shared plan, talking
in chat exactly as a good team would.

The SRE reads the evidence it can (Oversight reads the fleet's), then tells everyone each
root cause and its fix. Whoever owns a fix step (Developer for writes, Oversight for
pausing an agent, the commander for paging) announces it in chat, then applies it on its
next turn; a step waits until the earlier steps of its fault were announced on an earlier
turn (so a rogue agent is paused before its damage is repaired). The commander posts an
update, pages where required and reports once every step was announced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..env.roles import ROLES, SAY, STAND_BY
from ..scoring.groundtruth import target_of
from ..scoring.team import ChatMessage
from ..types import Observation, ToolCall
from ..world.faults import Truth
from .oracle import closing
from .team_base import RolePolicy, register_role_policy

FIX_OWNERS = ("developer", "oversight", "commander")


@dataclass(frozen=True)
class FixStep:
    truth: int
    index: int
    role: str
    call: ToolCall

    @property
    def tag(self) -> str:
        return f"step {self.truth + 1}.{self.index + 1}"

    def phrase(self) -> str:
        return f"{self.tag}: {self.call.name} {target_of(self.call.arguments) or ''}".strip()


def owner(tool: str, roles: list[str]) -> str | None:
    """The role that applies a fix tool."""
    return next((r for r in FIX_OWNERS if r in roles and tool in ROLES[r].tool_names()), None)


def fix_plan(truths: list[Truth], roles: list[str]) -> list[FixStep]:
    steps = []
    for i, t in enumerate(truths):
        for j, f in enumerate(t.fix):
            who = owner(f["name"], roles)
            if who is not None:
                steps.append(FixStep(i, j, who, ToolCall(f["name"], dict(f["arguments"]))))
    return steps


def cause_line(i: int, t: Truth) -> str:
    fixes = "; ".join(f"{f['name']} {target_of(f['arguments']) or ''}".strip() for f in t.fix)
    return (f"root cause {i + 1}: {t.component} ({t.category}), culprit "
            f"{t.culprit or 'none'}. fix: {fixes}")[:400]


@register_role_policy("oracle")
class OracleRole(RolePolicy):
    name = "oracle"
    needs_truth = True

    def reset(self, role: str, roles: list[str], page: Observation,
              tools: list[dict[str, Any]], seed: int,
              truths: list[Truth] | None = None) -> None:
        super().reset(role, roles, page, tools, seed, truths)
        if not truths:
            raise ValueError("the oracle needs the scenario's ground truth")
        self.truths = truths
        self.plan = fix_plan(truths, roles)
        evidence = list(dict.fromkeys((e.tool, tuple(sorted(e.args.items())))
                                      for t in truths for e in t.evidence))
        sre_tools = set(ROLES["sre"].tool_names()) if "sre" in roles else set()
        self.reads = [ToolCall(tool, dict(args)) for tool, args in evidence
                      if tool in self.tool_names
                      and (role == "sre" or tool not in sre_tools)]
        self.causes = [cause_line(i, t) for i, t in enumerate(truths)] if role == "sre" else []
        self.turn = 0
        self.heard: list[tuple[int, str]] = []  # (own turn it was heard, text)
        self.announced: set[str] = set()
        self.done: set[str] = set()
        self.closing: list[ToolCall] = self._closing() if role == "commander" else []

    def act(self, observation: Observation, inbox: list[ChatMessage]) -> ToolCall:
        self.turn += 1
        self.heard += [(self.turn, m.text) for m in inbox]
        if self.reads:
            return self.reads.pop(0)
        if self.causes:
            return ToolCall(SAY, {"to": "all", "message": self.causes.pop(0)})
        mine = [s for s in self.plan if s.role == self.role and s.tag not in self.done]
        if mine:
            step = mine[0]
            if not self._ready(step):
                return ToolCall(STAND_BY, {})
            if step.tag not in self.announced:
                batch = [s for s in mine if s.truth == step.truth]
                self.announced.update(s.tag for s in batch)
                text = "will apply " + "; ".join(s.phrase() for s in batch)
                return ToolCall(SAY, {"to": "all", "message": text[:400]})
            self.done.add(step.tag)
            return step.call
        if self.role == "commander" and all(self._heard_before(s.tag) for s in self.plan
                                            if s.role != self.role) and self.closing:
            return self.closing.pop(0)
        return ToolCall(STAND_BY, {})

    def _heard_before(self, text: str) -> bool:
        """Heard on an earlier own turn (the speaker has had its turn to act since)."""
        return any(text in t for turn, t in self.heard if turn < self.turn)

    def _ready(self, step: FixStep) -> bool:
        cause = f"root cause {step.truth + 1}:"
        if self.role != "sre" and "sre" in self.roles and \
                not any(cause in t for _, t in self.heard):
            return False
        earlier = [s for s in self.plan if s.truth == step.truth and s.index < step.index]
        return all(s.tag in self.done if s.role == self.role else self._heard_before(s.tag)
                   for s in earlier)

    def _closing(self) -> list[ToolCall]:
        paged = frozenset(target_of(s.call.arguments) for s in self.plan
                          if s.call.name == "page_team")
        return closing(self.truths, paged)

