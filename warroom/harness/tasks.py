"""A task is one episode to run: a policy spec, a scenario id and a seed.

``execute`` builds everything from names (so it runs the same in any worker process or
Ray task) and returns the episode's record and trace as plain JSON-ready dicts.
"""

from __future__ import annotations

import importlib
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..scenarios import get
from ..scenarios.spec import Scenario
from .episode import Outcome, run_episode
from .metrics import episode_metrics
from .policies import PolicySpec, build

_POLICY_CACHE: dict[str, Any] = {}


@dataclass(frozen=True)
class Task:
    policy: PolicySpec
    scenario: str
    seed: int
    reward_config: str | None = None

    @property
    def key(self) -> str:
        """Unique within a run; the resume bookkeeping is keyed on it."""
        return f"{self.policy.label}|{self.scenario}|{self.seed}"


def _policy(spec: PolicySpec) -> Any:
    """One policy object per spec per process (policies reset at each episode)."""
    if spec.label not in _POLICY_CACHE:
        _POLICY_CACHE[spec.label] = build(spec)
    return _POLICY_CACHE[spec.label]


def scenario_of(scenario_id: str) -> Scenario:
    """A catalog id, or a scenario file path (``.yaml``, ``.yml``, ``.json``)."""
    if scenario_id.endswith((".yaml", ".yml", ".json")):
        files = importlib.import_module("warroom.scenarios.files")
        loaded: Scenario = files.load(Path(scenario_id))
        return loaded
    return get(scenario_id)


def record_of(task: Task, scenario: Scenario, outcome: Outcome) -> dict[str, Any]:
    """The episodes.jsonl row: identity, the scenario's labels, result and metrics."""
    fault_types = [f.type for f in scenario.faults]
    return {
        "key": task.key, "policy": task.policy.label, "scenario": scenario.id,
        "seed": task.seed, "tier": scenario.tier, "family": scenario.family,
        "split": scenario.split, "fault": "+".join(fault_types),
        "result": outcome.result,
        "metrics": episode_metrics(outcome.result, outcome.trace, scenario,
                                   outcome.usage, outcome.error),
        "steps": outcome.steps, "state_hash": outcome.state_hash, "usage": outcome.usage,
        "error": outcome.error, "wall_s": round(outcome.wall_s, 4)}


def execute(task: Task) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run one task; never raises (a failure to even start becomes the record's error)."""
    try:
        scenario = scenario_of(task.scenario)
        policy = _policy(task.policy)
    except Exception as exc:
        err = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return ({"key": task.key, "policy": task.policy.label, "scenario": task.scenario,
                 "seed": task.seed, "tier": None, "family": None, "split": None, "fault": None,
                 "result": {"success": False, "score": 0.0}, "steps": 0,
                 "metrics": {"success": False, "score": 0.0, "steps": 0, "error": True},
                 "state_hash": None, "usage": {}, "error": err, "wall_s": 0.0}, [])
    outcome = run_episode(policy, scenario, task.seed, task.reward_config)
    return record_of(task, scenario, outcome), outcome.trace
