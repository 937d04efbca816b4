"""Gymnasium environment ``warroom/Incident-v0`` (extra ``gym``); importing this module
registers it, the structured (numeric) face ``warroom/IncidentStructured-v0``
(``warroom.integrations.structured_env``) and the domain face ``warroom/Domain-v0`` (one
subagent's fact task per episode; see ``DomainEnv``).

    >>> import gymnasium as gym, warroom.integrations.gym_env
    >>> env = gym.make("warroom/Incident-v0", scenario="db_connection_leak/checkout/medium/v3")
    >>> obs, info = env.reset(seed=0)
    >>> obs, reward, terminated, truncated, info = env.step(
    ...     '{"name": "list_alerts", "arguments": {}}')

Observation: text (``Text`` space): the incident page after reset, then each tool's output.
Characters outside the space's charset become ``?`` and text past ``MAX_OBS_CHARS`` is cut
with a note. ``info`` carries the same content structured: ``tools`` (OpenAI schemas, at
reset), ``data``, ``ok``, ``error``, ``time``, ``step``, and ``result`` (the grade) at the end;
at reset also ``scenario``, for logs only: its id names the fault, so keep it from the agent.

Action: one tool call as JSON text (``Text`` space), ``{"name": ..., "arguments": {...}}``;
a dict is accepted too. Invalid JSON or an invalid call is an observation saying what was
wrong, and counts as a step.

Reward: the Episode's per-step reward. Terminated when ``submit_report`` is accepted;
truncated when the step budget is spent.

Scenario: ``options["scenario"]`` at reset, else the ``scenario`` given to ``make``, else one
drawn with the env's RNG from ``split`` (default train). The world seed is
``options["world_seed"]`` when given, else drawn with the env's RNG, so ``reset(seed=s)``
reproduces an episode exactly.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from typing import Any

import gymnasium as gym
from gymnasium import spaces

import warroom

from ..env.domain import DomainEpisode
from ..scenarios import generate
from ..scenarios.fact_templates import open_task, task_refs
from ..tools.slices import READ_DOMAINS

ENV_ID = "warroom/Incident-v0"
DOMAIN_ENV_ID = "warroom/Domain-v0"
MAX_OBS_CHARS = 8192
MAX_ACTION_CHARS = 8192
_EXTRA = "".join(chr(c) for r in ((0xA0, 0x100), (0x2010, 0x2028), (0x2190, 0x2200),
                                  (0x2500, 0x2580)) for c in range(*r))
OBS_CHARSET = frozenset(string.printable + _EXTRA)
ACTION_CHARSET = frozenset(string.printable)


def _fit(text: str) -> str:
    """``text`` inside the observation space: known characters only, at most MAX_OBS_CHARS."""
    text = "".join(c if c in OBS_CHARSET else "?" for c in text)
    if len(text) > MAX_OBS_CHARS:
        note = "\n... (cut: observation longer than the space allows)"
        text = text[: MAX_OBS_CHARS - len(note)] + note
    return text or " "


def _parse(action: Any) -> Any:
    """A dict call from JSON text; anything unparseable is passed on for the Episode to refuse."""
    if isinstance(action, str):
        try:
            return json.loads(action)
        except json.JSONDecodeError:
            return action
    return action


class _TextEnv(gym.Env[str, str]):
    """What the text faces share: the spaces, ``render``, a pool to draw episodes from and a
    step that plays the open episode (``info["result"]`` holds the grade once it ends)."""

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, render_mode: str | None) -> None:
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.render_mode = render_mode
        self.observation_space = spaces.Text(MAX_OBS_CHARS, min_length=1, charset=OBS_CHARSET)
        self.action_space = spaces.Text(MAX_ACTION_CHARS, min_length=1, charset=ACTION_CHARSET)
        self.episode: Any = None
        self._last = ""
        self._pool: list[str] | None = None

    def _draw(self, ids: Callable[[], list[str]], empty: str) -> str:
        """One id of the pool (built on first use by ``ids``), drawn with the env's RNG."""
        if self._pool is None:
            self._pool = ids()
            if not self._pool:
                raise ValueError(empty)
        return self._pool[int(self.np_random.integers(len(self._pool)))]

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self.episode is None:
            raise RuntimeError("call reset() before step()")
        res = self.episode.step(_parse(action))
        obs = res.observation
        self._last = _fit(obs.text)
        info = {"tool": obs.tool, "ok": obs.ok, "error": obs.error, "data": obs.data,
                "time": obs.time, "step": obs.step}
        if res.done or res.truncated:
            info["result"] = res.info.get("result")
        return self._last, float(res.reward), bool(res.done), bool(res.truncated), info

    def render(self) -> str | None:
        return self._last if self.render_mode == "ansi" else None


class IncidentEnv(_TextEnv):
    """One incident per episode; see the module docstring for the contract."""

    def __init__(self, scenario: str | None = None, split: str = "train",
                 max_steps: int | None = None, render_mode: str | None = None) -> None:
        super().__init__(render_mode)
        self.scenario = scenario
        self.split = split
        self.max_steps = max_steps

    def _draw_scenario(self) -> str:
        return self._draw(lambda: [s.id for s in generate(split=self.split)],
                          f"split {self.split!r} has no scenarios")

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        opts = dict(options or {})
        unknown = sorted(set(opts) - {"scenario", "world_seed", "max_steps"})
        if unknown:
            raise ValueError(f"unknown reset option(s) {', '.join(unknown)}; "
                             f"use scenario, world_seed, max_steps")
        name = opts.get("scenario") or self.scenario or self._draw_scenario()
        world_seed = opts.get("world_seed")
        if world_seed is None:
            world_seed = int(self.np_random.integers(2**31))
        steps = opts.get("max_steps") or self.max_steps
        self.episode = warroom.make(name, **({"max_steps": steps} if steps else {}))
        obs = self.episode.reset(seed=int(world_seed))
        self._last = _fit(obs.text)
        info = {"scenario": name, "world_seed": int(world_seed), "data": obs.data,
                "time": obs.time, "step": 0, "step_budget": self.episode.max_steps,
                "tools": self.episode.tools}
        return self._last, info


class DomainEnv(_TextEnv):
    """One domain subagent's fact task per episode (``warroom/Domain-v0``).

        >>> env = gym.make("warroom/Domain-v0", domain="errors", split="train")
        >>> obs, info = env.reset(seed=0)      # the question and the domain's tools
        >>> obs, reward, terminated, truncated, info = env.step(
        ...     '{"name": "answer", "arguments": {"text": "ISSUE-4102"}}')

    Spaces, action format and observation fitting are the incident face's. The task is
    ``options["task"]`` at reset, else the ``task`` given to ``make``, else one of the
    domain's fact tasks of ``split`` drawn with the env's RNG, so ``reset(seed=s)``
    reproduces an episode. The world is the task's own (its scenario seed) unless
    ``options["world_seed"]`` reopens it on another. Actions: the domain's tools and
    ``answer(text)``; anything else is an error observation that counts as a step.
    Reward: 0 until the end, then the fact grade's ``score`` (facts found times efficiency,
    halved when a decoy is named); ``info["result"]`` holds the grade. Terminated on
    ``answer``; truncated when the task's step budget is spent. ``info`` at reset carries
    ``task`` (for logs only: its id names the scenario, so keep it from the agent), the
    question, the domain and ``tools`` (OpenAI schemas).
    """

    def __init__(self, domain: str = "errors", split: str = "train", task: str | None = None,
                 render_mode: str | None = None) -> None:
        if domain not in READ_DOMAINS:
            raise ValueError(f"domain must be one of {', '.join(READ_DOMAINS)}, got {domain!r}")
        super().__init__(render_mode)
        self.domain = domain
        self.split = split
        self.task = task

    def _draw_task(self) -> str:
        return self._draw(lambda: [r["id"] for r in task_refs(domain=self.domain,
                                                                 split=self.split)],
                          f"no {self.domain} fact tasks in split {self.split!r}")

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        opts = dict(options or {})
        unknown = sorted(set(opts) - {"task", "world_seed"})
        if unknown:
            raise ValueError(f"unknown reset option(s) {', '.join(unknown)}; "
                             f"use task, world_seed")
        task_id = opts.get("task") or self.task or self._draw_task()
        world_seed = opts.get("world_seed")
        task = open_task(task_id, seed=None if world_seed is None else int(world_seed))
        if task.domain != self.domain:
            raise ValueError(f"task {task_id} is a {task.domain} task, not {self.domain}")
        self.episode = DomainEpisode(self.domain, task=task)
        obs = self.episode.reset()
        self._last = _fit(obs.text)
        info = {"task": task.id, "world_seed": task.seed, "question": task.question,
                "domain": self.domain, "data": obs.data, "time": obs.time, "step": 0,
                "step_budget": self.episode.step_budget, "tools": self.episode.tools}
        return self._last, info


def register_envs() -> None:
    """Register ``warroom/Incident-v0``, the structured face
    ``warroom/IncidentStructured-v0`` (``structured_env``) and ``warroom/Domain-v0`` with
    Gymnasium (safe to call more than once)."""
    from .structured_env import ENV_ID as STRUCTURED_ID

    if ENV_ID not in gym.registry:
        gym.register(id=ENV_ID, entry_point=f"{__name__}:IncidentEnv")
    if DOMAIN_ENV_ID not in gym.registry:
        gym.register(id=DOMAIN_ENV_ID, entry_point=f"{__name__}:DomainEnv")
    if STRUCTURED_ID not in gym.registry:
        gym.register(id=STRUCTURED_ID,
                     entry_point="warroom.integrations.structured_env:StructuredIncidentEnv")


register_envs()
