"""Gymnasium environment ``warroom/IncidentStructured-v0``: numeric features, discrete actions.

    >>> import gymnasium as gym, warroom.integrations.gym_env
    >>> env = gym.make("warroom/IncidentStructured-v0")        # train split, all tiers
    >>> obs, info = env.reset(seed=0)
    >>> mask = env.unwrapped.action_masks()                    # for masked PPO
    >>> obs, reward, terminated, truncated, info = env.step(int(mask.nonzero()[0][0]))

Observation: ``Box(0, 1, (N_FEATURES,), float32)``, the dashboard of
``warroom.agents.structured``: per component slot (service-map order) its kind, alert state,
the last error rate, latency and saturation read, restarts, unready pods, recent release,
fleet-agent change, team-owned flags, error-tracker issues, error log lines, OOM and back-off
events, drifted config keys, memory near the limit, which reads were done and fixes
applied, and the runbook signature library's best score and category family for it; then
global flags; then the focused component's features and its best hypothesis's category.
Every number comes from a tool output the agent asked for: at reset the vector is all zero
but for the page's alert count.

Action: ``Discrete(N_ACTIONS)``: global reads, per-component reads (logs, three metrics,
pods, describe, config, db activity, release history, config drift), per-component fixes
(the signature library's remediation, rollback to the previous release, restart, scale up,
restore drifted config, raise memory, pause the fleet agent that changed it), a status
update, paging the owner, ``report`` over (component slot, category family), and the
verdict: ``focus`` on a component slot (no tool call, no step), then ``verdict`` over every
category (a report naming the focused component). One action may be several tool calls (a
remediation of two writes); each counts against the step budget. ``action_masks()`` says
which are valid now; a masked action is sent to the episode as an invalid call (it costs a
step). The first two valid actions are forced: the service map, then the report categories.

Reward: the sum of the Episode's per-step rewards (potential-based, summing to the score).
Terminated when the report is accepted; truncated when the step budget is spent. ``info``
has ``calls`` (the tool calls made) and, at the end, ``result`` (the grade).

Scenario: ``options["scenario"]`` at reset, else the ``scenario`` given to ``make``, else
one drawn with the env's RNG from ``split`` restricted to ``tiers``; ``set_tiers`` changes
the tiers (a curriculum). ``reset(seed=s)`` reproduces an episode exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

import warroom

from ..agents.structured import ACTIONS, N_ACTIONS, N_FEATURES, Dashboard, describe
from ..env.episode import Episode
from ..scenarios import generate
from ..types import ToolCall

ENV_ID = "warroom/IncidentStructured-v0"
TIERS = ("easy", "medium", "hard")


class StructuredIncidentEnv(gym.Env[np.ndarray, np.int64]):
    """One incident per episode, seen as numbers; see the module docstring."""

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, scenario: str | None = None, split: str = "train",
                 tiers: Sequence[str] = TIERS, max_steps: int | None = None,
                 render_mode: str | None = None) -> None:
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.scenario = scenario
        self.split = split
        self.max_steps = max_steps
        self.render_mode = render_mode
        self.observation_space = spaces.Box(0.0, 1.0, (N_FEATURES,), np.float32)
        self.action_space = spaces.Discrete(N_ACTIONS)
        self.episode: Episode | None = None
        self.dashboard: Dashboard | None = None
        self._all = [s.id for s in generate(split=split)] if scenario is None else []
        self._tier_of = {sid: sid.split("/")[2] for sid in self._all}
        self._pool: list[str] = []
        self.set_tiers(tiers)
        self._last = ""

    def set_tiers(self, tiers: Sequence[str]) -> None:
        """Draw later scenarios from these tiers only (a curriculum step)."""
        bad = sorted(set(tiers) - set(TIERS))
        if bad:
            raise ValueError(f"unknown tier(s) {bad}; use {', '.join(TIERS)}")
        self.tiers = tuple(tiers)
        self._pool = [s for s in self._all if self._tier_of[s] in self.tiers]
        if self.scenario is None and not self._pool:
            raise ValueError(f"split {self.split!r} has no scenarios in tiers {self.tiers}")

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        opts = dict(options or {})
        unknown = sorted(set(opts) - {"scenario", "world_seed", "max_steps"})
        if unknown:
            raise ValueError(f"unknown reset option(s) {', '.join(unknown)}; "
                             f"use scenario, world_seed, max_steps")
        name = opts.get("scenario") or self.scenario or \
            self._pool[int(self.np_random.integers(len(self._pool)))]
        world_seed = opts.get("world_seed")
        if world_seed is None:
            world_seed = int(self.np_random.integers(2**31))
        steps = opts.get("max_steps") or self.max_steps
        self.episode = warroom.make(name, **({"max_steps": steps} if steps else {}))
        obs = self.episode.reset(seed=int(world_seed))
        self.dashboard = Dashboard(obs.data or {})
        self._last = obs.text
        info = {"scenario": name, "world_seed": int(world_seed),
                "step_budget": self.episode.max_steps}
        return self._obs(), info

    def _obs(self) -> np.ndarray:
        assert self.dashboard is not None
        return np.asarray(self.dashboard.features(), dtype=np.float32)

    def action_masks(self) -> np.ndarray:
        """Boolean mask over the actions valid now (sb3-contrib's MaskablePPO reads this)."""
        if self.dashboard is None:
            return np.ones(N_ACTIONS, dtype=bool)
        return np.asarray(self.dashboard.mask(), dtype=bool)

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self.episode is None or self.dashboard is None:
            raise RuntimeError("call reset() before step()")
        index = int(action)
        board = self.dashboard
        valid = 0 <= index < N_ACTIONS and board.mask()[index]
        calls = board.calls(ACTIONS[index]) if valid else []
        if valid:
            board.taken(index)
        if valid and not calls:  # a choice inside the face (the focus): no tool call
            return self._obs(), 0.0, False, False, {"action": describe(index), "valid": True,
                                                    "calls": []}
        total, names = 0.0, []
        res = None
        for call in calls or [ToolCall("invalid_action", {})]:
            res = self.episode.step(call)
            total += float(res.reward)
            obs = res.observation
            board.absorb(call, obs.data, obs.ok)
            names.append(obs.tool)
            self._last = obs.text
            if self.episode.done:
                break
        assert res is not None
        info: dict[str, Any] = {"action": describe(index) if 0 <= index < N_ACTIONS
                                else str(index), "valid": bool(valid), "calls": names}
        if self.episode.done:
            info["result"] = self.episode.result
        return self._obs(), total, bool(res.done), bool(res.truncated), info

    def render(self) -> str | None:
        return self._last if self.render_mode == "ansi" else None

