"""One episode, purely: (policy, scenario, seed, reward config) -> trace + result.

No files, no clocks inside the outcome except ``wall_s`` (kept apart from the result so that
two runs of the same task compare equal). A policy that raises ends its episode with
``error`` set; the trace up to that point is kept and nothing escapes.
"""

from __future__ import annotations

import hashlib
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from ..agents.base import Policy
from ..env.episode import Episode
from ..scenarios.spec import Scenario
from ..types import Observation, ToolCall, TraceStep

TEXT_CAP = 4000


@dataclass
class Outcome:
    """What one episode produced: its trace, the grader's result, and bookkeeping."""

    trace: list[dict[str, Any]]
    result: dict[str, Any]
    steps: int
    state_hash: str | None
    start_t: float
    usage: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    wall_s: float = 0.0


def policy_seed(scenario_id: str, seed: int) -> int:
    """The seed a policy gets: a stable function of the scenario and the episode seed."""
    digest = hashlib.sha256(f"{scenario_id}#{seed}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def step_record(step: TraceStep, start_t: float = 0.0) -> dict[str, Any]:
    """A trace step as plain JSON; ``t`` is simulated seconds since the incident page (the
    final result is stored once, not per step)."""
    info = {k: v for k, v in step.info.items() if k != "result"}
    return {"step": step.step, "tool": step.call.name, "arguments": step.call.arguments,
            "ok": step.ok, "kind": step.kind, "t": round(step.t - start_t, 3),
            "reward": step.reward, "text": step.text[:TEXT_CAP], "info": info}


StepHook = Callable[[int, ToolCall | None, Observation], None]


def run_episode(policy: Policy, scenario: Scenario, seed: int,
                reward_config: str | None = None, max_steps: int | None = None,
                on_step: StepHook | None = None) -> Outcome:
    """Play ``policy`` on ``scenario`` with ``seed`` until the episode ends or the policy
    raises. Only a policy with ``needs_truth`` is given the ground truth. ``on_step``
    (for display) sees the incident page as step 0, then every call and observation."""
    began = time.perf_counter()
    episode = Episode(scenario, max_steps=max_steps, reward_config=reward_config)
    error = None
    start_t = 0.0
    try:
        obs = episode.reset(seed=seed)
        assert episode.world is not None
        start_t = episode.world.now
        truths = list(episode.truths) if policy.needs_truth else None
        policy.reset(obs, episode.tools, policy_seed(scenario.id, seed), truths)
        if on_step is not None:
            on_step(0, None, obs)
        step_usage = getattr(policy, "last_step_usage", None)
        while not episode.done:
            call = policy.act(obs)
            obs = episode.step(call).observation
            if step_usage is not None:
                episode.trace[-1].info["usage"] = dict(step_usage())
            if on_step is not None:
                on_step(len(episode.trace), call, obs)
    except Exception as exc:  # a policy (or environment) failure is this episode's error
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        error += "\n" + "".join(traceback.format_tb(exc.__traceback__)[-3:])
    result = dict(episode.result) if episode.result is not None else failed_result(episode)
    return Outcome(
        trace=[step_record(s, start_t) for s in episode.trace], result=result,
        steps=len(episode.trace),
        state_hash=episode.state_hash() if episode.world is not None else None,
        start_t=start_t, usage=dict(policy.usage), error=error,
        wall_s=time.perf_counter() - began)


def failed_result(episode: Episode) -> dict[str, Any]:
    """The result of an episode that never finished: a failure with zero score."""
    return {"success": False, "score": 0.0, "mitigated": False, "diagnosis_correct": False,
            "reward_config": episode.reward_config, "finished": False}


def outcome_dict(outcome: Outcome) -> dict[str, Any]:
    return asdict(outcome)
