"""PettingZoo AEC environments (extra ``gym``): ``IncidentTeamEnv``, interchangeable
responders sharing every output, and ``WarRoomEnv``, the team roles with partial views and
per-role action masks (see its docstring).

``IncidentTeamEnv``: agents ``responder_0`` .. ``responder_{n-1}`` act in a fixed
round-robin; each turn is one tool call on the shared incident, as JSON text exactly as
in ``gym_env``. An agent observes everything that happened since its own last turn: each
call (its own and its teammates', tagged with who made it) and its output, in order; at
the start every agent sees the incident page. The step budget belongs to the team. Reward
is shared: each step's reward goes to every agent. All agents terminate when a report is
accepted and are truncated when the budget is spent; ``infos`` then carry the grade
under ``result``.

The scenario is chosen as in ``gym_env`` (``options["scenario"]``, the constructor's, or
drawn from ``split`` with the seeded RNG); other option keys are ignored.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import AECEnv
from pettingzoo.utils import AgentSelector, wrappers

import warroom

from ..env.episode import Episode
from ..env.team import TeamEpisode
from ..scenarios import generate
from ..types import StepResult
from .gym_env import ACTION_CHARSET, MAX_ACTION_CHARS, MAX_OBS_CHARS, OBS_CHARSET, _fit, _parse


class IncidentTeamEnv(AECEnv[str, str, Any]):
    """A shared incident worked in turns; see the module docstring for the contract."""

    metadata = {"name": "warroom_incident_team_v0", "render_modes": ["ansi"],
                "is_parallelizable": False, "render_fps": 4}

    def __init__(self, n_agents: int = 2, scenario: str | None = None, split: str = "train",
                 max_steps: int | None = None, render_mode: str | None = None) -> None:
        super().__init__()
        if n_agents < 1:
            raise ValueError("n_agents must be at least 1")
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.possible_agents = [f"responder_{i}" for i in range(n_agents)]
        self.scenario, self.split, self.max_steps = scenario, split, max_steps
        self.render_mode = render_mode
        self._obs_space = spaces.Text(MAX_OBS_CHARS, min_length=1, charset=OBS_CHARSET)
        self._act_space = spaces.Text(MAX_ACTION_CHARS, min_length=1, charset=ACTION_CHARSET)
        self.episode: Episode | None = None
        self._np_random, _ = seeding.np_random(None)
        self._pending: dict[str, list[str]] = {}
        self._last = ""

    def observation_space(self, agent: str) -> spaces.Space[Any]:
        return self._obs_space

    def action_space(self, agent: str) -> spaces.Space[Any]:
        return self._act_space

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        if seed is not None:
            self._np_random, _ = seeding.np_random(seed)
        opts = options or {}
        name = _pick_scenario(opts, self.scenario, self.split, self._np_random)
        steps = opts.get("max_steps") or self.max_steps
        self.episode = warroom.make(name, **({"max_steps": steps} if steps else {}))
        page = self.episode.reset(seed=int(self._np_random.integers(2**31)))
        _start_turns(self, page.time, tag_role=False)
        self._pending = {a: [page.text] for a in self.agents}
        self._last = page.text

    def observe(self, agent: str) -> str:
        return _fit("\n\n".join(self._pending.get(agent, [])))

    def step(self, action: Any) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        if self.episode is None:
            raise RuntimeError("call reset() before step()")
        self._cumulative_rewards[agent] = 0.0
        call = _parse(action)
        res = self.episode.step(call)
        obs = res.observation
        shown = json.dumps(call) if isinstance(call, dict) else str(call)[:200]
        self._last = f"[{agent}] {shown}\n{obs.text}"
        self._pending[agent] = []
        for a in self.agents:
            self._pending[a].append(self._last)
        _share_step(self, agent, res, tag_role=False)

    def render(self) -> str | None:
        return self._last if self.render_mode == "ansi" else None

    def close(self) -> None:
        self.episode = None


def team_env(**kwargs: Any) -> AECEnv[str, str, Any]:
    """``IncidentTeamEnv`` behind PettingZoo's order-enforcing wrapper (the usual entry)."""
    return wrappers.OrderEnforcingWrapper(IncidentTeamEnv(**kwargs))


class WarRoomEnv(AECEnv[str, dict[str, Any], Any]):
    """The war room as an AEC environment: the team roles are the agents.

    Agents are the roles (default ``sre``, ``oversight``, ``developer``, ``commander``) in
    the team episode's turn order. Each observation is a dict: ``observation`` (the text
    the role has seen since its last turn: its own last output and the chat addressed to
    it; the incident page at the start) and ``tool_mask`` (1 for each tool in
    ``tool_names`` that the role may call: the role's action mask over tools; it is not
    named ``action_mask`` because the action itself is text, one tool call as JSON). A
    tool outside the role's set is refused and uses the turn. The team reward is shared.
    Every role terminates on the commander's report and is truncated when the rounds run
    out; ``infos`` then carry the grade (with per-role credit) under ``result``.
    """

    metadata = {"name": "warroom_war_room_v0", "render_modes": ["ansi"],
                "is_parallelizable": False, "render_fps": 4}

    def __init__(self, scenario: str | None = None, split: str = "train",
                 roles: list[str] | None = None, order: list[str] | None = None,
                 rounds: int | None = None, render_mode: str | None = None) -> None:
        super().__init__()
        from ..env.roles import DEFAULT_ROLES, TEAM_TOOLS, get_role
        from ..tools.registry import load_all

        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.roles = list(roles or DEFAULT_ROLES)
        self.order = list(order or self.roles)
        self.possible_agents = list(self.order)
        self.scenario, self.split, self.rounds = scenario, split, rounds
        self.render_mode = render_mode
        self.tool_names = [*sorted(load_all()), *TEAM_TOOLS]
        self._masks = {r: np.array([n in set(get_role(r).tool_names()) for n in
                                    self.tool_names], dtype=np.int8) for r in self.roles}
        self._obs_space = spaces.Dict({
            "observation": spaces.Text(MAX_OBS_CHARS, min_length=1, charset=OBS_CHARSET),
            "tool_mask": spaces.Box(0, 1, (len(self.tool_names),), dtype=np.int8)})
        self._act_space = spaces.Text(MAX_ACTION_CHARS, min_length=1, charset=ACTION_CHARSET)
        self.team: TeamEpisode | None = None
        self._np_random, _ = seeding.np_random(None)
        self._cursor: dict[str, int] = {}
        self._last = ""

    def observation_space(self, agent: str) -> spaces.Space[Any]:
        return self._obs_space

    def action_space(self, agent: str) -> spaces.Space[Any]:
        return self._act_space

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        if seed is not None:
            self._np_random, _ = seeding.np_random(seed)
        opts = options or {}
        name = _pick_scenario(opts, self.scenario, self.split, self._np_random)
        rounds = opts.get("rounds") or self.rounds
        self.team = warroom.make_team(name, self.roles, self.order,
                                      **({"rounds": rounds} if rounds else {}))
        page = self.team.reset(seed=int(self._np_random.integers(2**31)))
        _start_turns(self, page.time, tag_role=True)
        self._cursor = dict.fromkeys(self.agents, 0)
        self._last = page.text

    def observe(self, agent: str) -> dict[str, Any]:
        text = ""
        if self.team is not None and agent in self.team.views:
            text = "\n\n".join(self.team.views[agent][self._cursor.get(agent, 0):])
        return {"observation": _fit(text or "(nothing new)"),
                "tool_mask": self._masks[agent].copy()}

    def step(self, action: Any) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        if self.team is None:
            raise RuntimeError("call reset() before step()")
        self._cumulative_rewards[agent] = 0.0
        self._cursor[agent] = len(self.team.views[agent])
        res = self.team.step(_parse(action))
        obs = res.observation
        self._last = f"[{agent}] {obs.text}"
        _share_step(self, agent, res, tag_role=True)

    def render(self) -> str | None:
        return self._last if self.render_mode == "ansi" else None

    def close(self) -> None:
        self.team = None


def war_room_env(**kwargs: Any) -> AECEnv[str, dict[str, Any], Any]:
    """``WarRoomEnv`` behind PettingZoo's order-enforcing wrapper."""
    return wrappers.OrderEnforcingWrapper(WarRoomEnv(**kwargs))


def _pick_scenario(opts: dict[str, Any], default: str | None, split: str,
                   rng: np.random.Generator) -> str:
    """``options["scenario"]``, else the constructor's, else one drawn from ``split``."""
    name = opts.get("scenario") or default
    if not name:
        pool = [s.id for s in generate(split=split)]
        name = pool[int(rng.integers(len(pool)))]
    return str(name)


def _start_turns(env: Any, time: str, tag_role: bool) -> None:
    """Every agent in, nothing earned or ended yet, the first agent's turn."""
    env.agents = env.possible_agents[:]
    env.rewards = dict.fromkeys(env.agents, 0.0)
    env._cumulative_rewards = dict.fromkeys(env.agents, 0.0)
    env.terminations = dict.fromkeys(env.agents, False)
    env.truncations = dict.fromkeys(env.agents, False)
    env.infos = {a: {"time": time, "step": 0, **({"role": a} if tag_role else {})}
                 for a in env.agents}
    env._selector = AgentSelector(env.agents)
    env.agent_selection = env._selector.reset()


def _share_step(env: Any, agent: str, res: StepResult, tag_role: bool) -> None:
    """One step's reward, end and info go to every agent (the reward is the team's); then
    the next agent's turn."""
    obs = res.observation
    info = {"tool": obs.tool, "ok": obs.ok, "error": obs.error, "time": obs.time,
            "step": obs.step, "actor": agent}
    if res.done or res.truncated:
        info["result"] = res.info.get("result")
    for a in env.agents:
        env.rewards[a] = float(res.reward)
        env.infos[a] = dict(info, role=a) if tag_role else dict(info)
        env.terminations[a] = bool(res.done)
        env.truncations[a] = bool(res.truncated)
    env.agent_selection = env._selector.next()
    env._accumulate_rewards()
