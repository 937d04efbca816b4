"""One role trainable, the others fixed: a single-agent episode over a team episode.

``RoleEpisode(scenario, role, team="heuristic")`` looks like an ``Episode`` to a learner
(``reset``, ``step``, ``tools``, ``done``, ``result``, ``state_hash``): its tools are the
role's tools, its observations the role's view (own outputs and chat addressed to it), and
between two of its turns the other roles are played by the fixed team policies. This is the
environment a TRL or verifiers trainer wraps to train one role.
"""

from __future__ import annotations

from typing import Any

from ..env.team import TeamEpisode
from ..scenarios.spec import Scenario
from ..types import Observation, StepResult, ToolCall
from .team import build_team


class RoleEpisode:
    """A learner plays ``role``; the team spec ``team`` plays every other role."""

    def __init__(self, scenario: Scenario, role: str, team: str = "heuristic",
                 **options: Any) -> None:
        self.team = TeamEpisode(scenario, **options)
        if role not in self.team.roles:
            raise ValueError(f"role {role!r} is not in the team {self.team.roles}")
        self.role, self.spec = role, team
        self._last: dict[str, Observation] = {}
        self._heard: dict[str, int] = {}

    @property
    def tools(self) -> list[dict[str, Any]]:
        return self.team.tools_for(self.role)

    @property
    def done(self) -> bool:
        return self.team.done

    @property
    def result(self) -> dict[str, Any] | None:
        return self.team.result

    def state_hash(self) -> str:
        return self.team.state_hash()

    def reset(self, seed: int | None = None) -> Observation:
        ep = self.team
        page = ep.reset(seed)
        _, self.others = build_team(self.spec, ep.roles)
        for r in ep.roles:
            if r != self.role:
                pol = self.others[r]
                pol.reset(r, ep.roles, Observation(ep.view(r), page.data, None, True, None,
                                                   page.time, 0), ep.tools_for(r),
                          ep.inner.seed, list(ep.inner.truths) if pol.needs_truth else None)
        self._last = {r: Observation(ep.view(r), page.data, None, True, None, page.time, 0)
                      for r in ep.roles}
        self._heard = dict.fromkeys(ep.roles, 0)
        self._others_until_mine()
        return Observation(ep.unread(self.role), page.data, None, True, None, page.time, 0)

    def step(self, call: ToolCall | dict[str, Any]) -> StepResult:
        ep = self.team
        if ep.current_role != self.role and not ep.done:
            self._others_until_mine()
        res = ep.step(call)
        reward = res.reward
        self._others_until_mine()
        obs = res.observation
        text = ep.unread(self.role)
        obs = Observation(text or obs.text, obs.data, obs.tool, obs.ok, obs.error, obs.time,
                          obs.step)
        info = dict(res.info)
        if ep.done:
            info["result"] = ep.result
        return StepResult(obs, reward, ep.done and not ep.truncated, ep.truncated, info)

    def _others_until_mine(self) -> None:
        ep = self.team
        while not ep.done and ep.current_role != self.role:
            r = ep.current_role
            inbox = [m for m in ep.chat[self._heard[r]:] if m.sender != r
                     and m.to in ("all", r)]
            self._heard[r] = len(ep.chat)
            self._last[r] = ep.step(self.others[r].act(self._last[r], inbox)).observation
