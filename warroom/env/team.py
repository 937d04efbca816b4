"""The TeamEpisode: one incident worked by a team of roles taking turns.

Roles (``roles.ROLES``): SRE investigates, Oversight watches the fleet, Developer applies
fixes, the incident commander talks and reports. Each role calls only its own tools plus
``say(to, message)`` (chat to one role or ``all``; costs a little simulated time) and
``stand_by`` (pass). A call outside the role's set is an invalid action (``ok == False``)
that still uses the role's turn.

Observation: partial. A role sees the incident page, the outputs of its own calls and the
chat messages addressed to it or to everyone (``view(role)``); never another role's tool
output unless someone says it in chat.
Turn order: ``order`` (default SRE -> Oversight -> Developer -> Commander), one call per
role per round, ``ROUND_BUDGET[tier]`` rounds. Ends with the commander's report (done) or
when the rounds run out (truncated).
Scoring: the single-agent rubric tree on the shared world and trace (so scores compare),
plus ``result["team"]``: per-role credit and a communication node measured on the
transcript (``warroom.scoring.team``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..scenarios.spec import Scenario
from ..scoring.team import ChatMessage, TeamStep, grade_team
from ..tools.registry import REGISTRY
from ..types import Observation, StepResult, ToolCall, TraceStep
from ..world.telemetry import fmt
from .episode import INVALID_COST_S, Episode, _as_call, alert_lines
from .roles import (
    ALL,
    DEFAULT_ROLES,
    MAX_MESSAGE_CHARS,
    ROUND_BUDGET,
    SAY,
    SAY_COST_S,
    STAND_BY,
    get_role,
    team_schemas,
)


class TeamEpisode:
    """One incident worked by a team (see the module docstring for the contract)."""

    def __init__(self, scenario: Scenario, roles: list[str] | None = None,
                 order: list[str] | None = None, rounds: int | None = None,
                 reward_config: str | None = None, oversight_weight: float = 1.0) -> None:
        self.roles = list(roles or DEFAULT_ROLES)
        for r in self.roles:
            get_role(r)
        if len(set(self.roles)) != len(self.roles):
            raise ValueError(f"roles repeat: {self.roles}")
        self.order = list(order or self.roles)
        if sorted(self.order) != sorted(self.roles):
            raise ValueError(f"order {self.order} must list each of {self.roles} once")
        self.scenario = scenario
        self.rounds = int(rounds or ROUND_BUDGET[scenario.tier])
        self.oversight_weight = oversight_weight
        self.inner = Episode(scenario, max_steps=self.rounds * len(self.order),
                             reward_config=reward_config)
        self._allowed = {r: set(get_role(r).tool_names()) for r in self.roles}
        self.turn = 0
        self.actors: list[str] = []
        self.chat: list[ChatMessage] = []
        self.views: dict[str, list[str]] = {r: [] for r in self.roles}
        self._cursor: dict[str, int] = dict.fromkeys(self.roles, 0)
        self.result: dict[str, Any] | None = None

    # -- what the team sees --------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.scenario.id

    @property
    def current_role(self) -> str:
        return self.order[self.turn % len(self.order)]

    @property
    def round(self) -> int:
        """The current round, from 1."""
        return self.turn // len(self.order) + 1

    @property
    def done(self) -> bool:
        return self.inner.done

    @property
    def truncated(self) -> bool:
        return self.inner.truncated

    @property
    def world(self) -> Any:
        return self.inner.world

    def tools_for(self, role: str) -> list[dict[str, Any]]:
        """OpenAI schemas of the tools ``role`` may call (its registry tools, say,
        stand_by)."""
        names = get_role(role).tool_names()
        return [REGISTRY[n].openai_schema() for n in names if n in REGISTRY] + \
            team_schemas(self.roles)

    def view(self, role: str) -> str:
        """Everything ``role`` has seen so far: the page, its own outputs, its chat."""
        get_role(role)
        return "\n\n".join(self.views.get(role, []))

    def unread(self, role: str) -> str:
        """What ``role`` has seen since it last called ``unread`` (its new context)."""
        items = self.views[role][self._cursor[role]:]
        self._cursor[role] = len(self.views[role])
        return "\n\n".join(items)

    # -- control -------------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> Observation:
        page = self.inner.reset(seed)
        self.turn = 0
        self.actors, self.chat, self.result = [], [], None
        self.views = {r: [] for r in self.roles}
        self._cursor = dict.fromkeys(self.roles, 0)
        head = team_page(page.data)
        for r in self.roles:
            role = get_role(r)
            self.views[r].append(
                f"{head}\n\nYou are the {role.title} in a war room with "
                f"{', '.join(x for x in self.order if x != r)}. {role.job} "
                f"Turn order: {' -> '.join(self.order)}; {self.rounds} rounds.")
        return Observation(self.views[self.current_role][0], page.data, None, True, None,
                           page.time, 0)

    def step(self, call: ToolCall | dict[str, Any]) -> StepResult:
        """Act as ``current_role``; returns that role's observation."""
        ep = self.inner
        if ep.world is None:
            raise RuntimeError("call reset() before step()")
        if ep.done:
            obs = Observation("The episode is over; call reset() to start another.", None,
                              None, False, "episode over", self._clock(), len(ep.trace))
            return StepResult(obs, 0.0, True, ep.truncated, {"invalid": True})
        role = self.current_role
        tc, problem = _as_call(call)
        if problem is None and tc.name not in self._allowed[role]:
            known = tc.name in REGISTRY
            problem = (f"{'' if known else 'unknown tool; '}the {role} role cannot call "
                       f"{tc.name!r}. Your tools: {', '.join(sorted(self._allowed[role]))}")
        if problem is not None:
            res = self._record(tc, False, "", "invalid", problem)
        elif tc.name == SAY:
            res = self._say(role, tc)
        elif tc.name == STAND_BY:
            res = self._record(tc, True, "standing by", "pass", None)
        else:
            self.actors.append(role)
            res = ep.step(tc)
        self._seen(role, tc, res.observation)
        self.turn += 1
        if ep.done:
            self.result = self._grade()
            res.info = dict(res.info, result=self.result)
        res.info["role"] = role
        res.info["next_role"] = None if ep.done else self.current_role
        return res

    def finish(self) -> dict[str, Any]:
        """End without a report (graded as truncated); returns the result. Idempotent."""
        if not self.inner.done:
            self.inner.finish()
        if self.result is None:
            self.result = self._grade()
        return self.result

    def state_hash(self) -> str:
        """sha256 of the world's state hash, the turn and the chat transcript."""
        h = hashlib.sha256(self.inner.state_hash().encode())
        h.update(str(self.turn).encode())
        for m in self.chat:
            h.update(f"\x00{m.t!r}\x00{m.sender}\x00{m.to}\x00{m.text}".encode())
        return h.hexdigest()

    # -- inside --------------------------------------------------------------------------
    def _clock(self) -> str:
        assert self.inner.world is not None
        return fmt.iso(self.inner.world.wallclock(self.inner.world.now))

    def _say(self, role: str, tc: ToolCall) -> StepResult:
        to, text = tc.arguments.get("to"), tc.arguments.get("message")
        extra = sorted(set(tc.arguments) - {"to", "message"})
        problem = None
        if extra:
            problem = f"say: unknown argument(s) {', '.join(extra)}. Usage: say(to, message)"
        elif not isinstance(to, str) or (to != ALL and to not in self.roles):
            problem = f"say: to must be one of {', '.join([*self.roles, ALL])}, got {to!r}"
        elif to == role:
            problem = "say: you cannot message yourself"
        elif not isinstance(text, str) or not text.strip():
            problem = "say: message must be a non-empty string"
        elif len(text) > MAX_MESSAGE_CHARS:
            problem = f"say: message is {len(text)} characters; the limit is " \
                      f"{MAX_MESSAGE_CHARS}"
        if problem is not None:
            return self._record(tc, False, "", "invalid", problem)
        assert self.inner.world is not None and isinstance(text, str) and isinstance(to, str)
        self.inner.world.advance(SAY_COST_S)
        msg = ChatMessage(self.inner.world.now, self._clock(), len(self.inner.trace) + 1,
                          role, to, text.strip())
        self.chat.append(msg)
        line = f"[{msg.time[11:19]}] {role} -> {to}: {msg.text}"
        for r in self.roles:
            if r != role and (to in (ALL, r)):
                self.views[r].append(f"CHAT {line}")
        return self._record(tc, True, f"sent: {line}", "chat", None)

    def _record(self, tc: ToolCall, ok: bool, text: str, kind: str,
                problem: str | None) -> StepResult:
        """A step the inner episode does not run itself (chat, pass, a refused call),
        traced and graded like any other."""
        ep = self.inner
        assert ep.world is not None
        self.actors.append(self.current_role)
        if problem is not None:
            text = f"ERROR: {problem}"
            ep.world.advance(INVALID_COST_S)
        step = TraceStep(len(ep.trace) + 1, tc, ok, text, ep.world.now, kind)
        ep.trace.append(step)
        if len(ep.trace) >= ep.max_steps:
            ep.done = ep.truncated = True
        reward, info = ep.grader.on_step(step)
        step.reward, step.info = reward, info
        if ep.done:
            ep.result = ep.grader.final()
            info = dict(info, result=ep.result)
        info["invalid"] = not ok
        obs = Observation(text, tc.arguments if ok else None, tc.name, ok, problem,
                          self._clock(), len(ep.trace))
        return StepResult(obs, reward, ep.done and not ep.truncated, ep.truncated, info)

    def _seen(self, role: str, tc: ToolCall, obs: Observation) -> None:
        args = ", ".join(f"{k}={v!r}" for k, v in tc.arguments.items()) \
            if isinstance(tc.arguments, dict) else ""
        self.views[role].append(f"[{obs.time[11:19]}] you called {tc.name}({args})\n"
                                f"{obs.text}")

    def _grade(self) -> dict[str, Any]:
        ep = self.inner
        assert ep.world is not None and ep.result is not None
        steps = [TeamStep(actor, s) for actor, s in zip(self.actors, ep.trace, strict=True)]
        team = grade_team(ep.grader, steps, self.chat, ep.result, self.order,
                          self.views, self.oversight_weight)
        team.update(rounds=self.rounds, rounds_used=-(-self.turn // len(self.order)),
                    order=list(self.order))
        return dict(ep.result, team=team)


def team_page(data: dict[str, Any]) -> str:
    """The incident page every role gets: time, firing alerts and affected SLOs."""
    return "\n".join([f"INCIDENT PAGE {data['time']}", "Firing alerts:", *alert_lines(data)])
