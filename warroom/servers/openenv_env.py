"""The warroom Episode as an OpenEnv ``Environment`` (extra ``openenv``).

Observation: at reset an ``IncidentPage`` (the page text, the firing alerts and the step
budget; never the scenario id, which names the fault: that is in ``state``); after each
call an ``IncidentObservation``: the tool's text, an MCP-style ``result`` (content,
structured_content, is_error), the simulated time and the step count. Actions are
OpenEnv's own MCP actions: ``CallToolAction(tool_name, arguments)`` for any registry tool
and ``ListToolsAction()`` for the schemas, so OpenEnv's
``GenericEnvClient`` (steps over ``/ws``) and ``MCPToolClient`` (``/mcp``; ``call_tool``
returns the observation as a dict) work unchanged. Reward is the Episode's per-step
reward; ``done`` is set when the report is submitted or the step budget runs out, and the
final grade is in ``metadata["result"]``. Each OpenEnv session holds its own Episode.

The scenario comes from reset: ``scenario`` (a catalog id), or ``split`` and ``index``
(OpenEnv's task API), else the environment's default, else a train-split scenario chosen
by the seed.
"""

from __future__ import annotations

from typing import Any

from openenv.core.env_server.interfaces import Environment
from openenv.core.env_server.mcp_types import (
    CallToolAction,
    CallToolObservation,
    ListToolsAction,
    ListToolsObservation,
    Tool,
)
from openenv.core.env_server.types import EnvironmentMetadata, Observation, State
from pydantic import Field

import warroom

from ..env.episode import Episode
from ..scenarios import generate
from ..tools.registry import load_all
from .episodes import choose_scenario

SPLITS = ("train", "dev", "test")


class IncidentPage(Observation):
    """The page an on-call engineer gets when the episode starts."""

    text: str = Field(description="The incident page: firing alerts and affected SLOs")
    alerts: list[dict[str, Any]] = Field(default_factory=list)
    seed: int = Field(description="World seed")
    time: str = Field(description="Simulated wall-clock time (ISO 8601)")
    step_budget: int = Field(description="Tool calls allowed")


class IncidentObservation(CallToolObservation):
    """One tool call's outcome; ``result`` mirrors an MCP ``CallToolResult``."""

    text: str = Field(description="The tool's output as an engineer would read it")
    ok: bool = Field(description="False when the call was invalid")
    time: str = Field(description="Simulated wall-clock time after the call")
    step: int = Field(description="Steps taken so far")


class IncidentState(State):
    """Where the episode stands; ``state_hash`` identifies the world state exactly."""

    scenario: str | None = None
    seed: int | None = None
    done: bool = False
    truncated: bool = False
    time: str | None = None
    state_hash: str | None = None
    result: dict[str, Any] | None = None


def _mcp_tools() -> list[Tool]:
    return [Tool(name=s.name, description=s.description, input_schema=s.json_schema())
            for s in load_all().values()]


class IncidentEnvironment(Environment[CallToolAction, Observation, IncidentState]):
    """An incident episode per OpenEnv session; see the module docstring for the contract."""

    SUPPORTS_CONCURRENT_SESSIONS = True

    def __init__(self, scenario: str | None = None, max_steps: int | None = None) -> None:
        super().__init__()
        self.default_scenario = scenario
        self.default_max_steps = max_steps
        self.episode: Episode | None = None
        self.episode_id: str | None = None
        self._time: str | None = None

    def reset(self, seed: int | None = None, episode_id: str | None = None,
              scenario: str | None = None, split: str | None = None, index: int | None = None,
              max_steps: int | None = None, **kwargs: Any) -> IncidentPage:
        """Start an incident; see the module docstring for how the scenario is chosen."""
        if kwargs:
            raise ValueError(f"unknown reset option(s) {', '.join(sorted(kwargs))}; "
                             f"use seed, scenario, split and index, or max_steps")
        if scenario is None and split is not None:
            scenario = self.get_task(split, int(index or 0))["id"]
        name = choose_scenario(scenario or self.default_scenario, seed)
        steps = max_steps or self.default_max_steps
        self.episode = warroom.make(name, **({"max_steps": steps} if steps else {}))
        obs = self.episode.reset(seed=seed)
        self.episode_id = episode_id or f"{name}#{self.episode.seed}"
        self._time = obs.time
        data = obs.data or {}
        return IncidentPage(text=obs.text, alerts=data.get("alerts", []),
                            seed=self.episode.seed, time=obs.time,
                            step_budget=self.episode.max_steps)

    def step(self, action: CallToolAction, timeout_s: float | None = None,
             **kwargs: Any) -> IncidentObservation | ListToolsObservation:
        """Run one tool call (or list the tools)."""
        if isinstance(action, ListToolsAction):
            return ListToolsObservation(tools=_mcp_tools())
        if not isinstance(action, CallToolAction):
            raise TypeError(f"expected CallToolAction or ListToolsAction, got "
                            f"{type(action).__name__}")
        if self.episode is None:
            raise RuntimeError("call reset() before step()")
        res = self.episode.step(warroom.ToolCall(action.tool_name, dict(action.arguments)))
        obs = res.observation
        self._time = obs.time
        structured = {"ok": obs.ok, "error": obs.error, "step": obs.step, "time": obs.time,
                      "data": obs.data}
        metadata: dict[str, Any] = {"truncated": res.truncated, "invalid": not obs.ok}
        if res.done or res.truncated:
            metadata["result"] = res.info.get("result")
        result = {"content": [{"type": "text", "text": obs.text}],
                  "structured_content": structured, "is_error": not obs.ok}
        return IncidentObservation(tool_name=action.tool_name, result=result, text=obs.text,
                                   ok=obs.ok, time=obs.time, step=obs.step,
                                   done=res.done or res.truncated, reward=res.reward,
                                   metadata=metadata)

    @property
    def state(self) -> IncidentState:
        ep = self.episode
        if ep is None:
            return IncidentState()
        return IncidentState(episode_id=self.episode_id, step_count=len(ep.trace),
                             scenario=ep.scenario.id, seed=ep.seed, done=ep.done,
                             truncated=ep.truncated, time=self._time,
                             state_hash=ep.state_hash(), result=ep.result)

    def get_metadata(self) -> EnvironmentMetadata:
        return EnvironmentMetadata(
            name="warroom", version=warroom.__version__,
            description=("A deterministic incident war room: investigate a simulated "
                         "production incident with on-call tools, fix it, report the cause."))

    # OpenEnv task API: the catalog's splits, each a list of scenario ids.
    def list_splits(self) -> list[str]:
        return list(SPLITS)

    def list_tasks(self, split: str) -> list[dict[str, Any]]:
        return [_task(s) for s in _split(split)]

    def num_tasks(self, split: str) -> int:
        return len(_split(split))

    def get_task(self, split: str, index: int) -> dict[str, Any]:
        pool = _split(split)
        if not 0 <= index < len(pool):
            raise IndexError(f"split {split!r} has {len(pool)} tasks; index {index} is out "
                             f"of range")
        return _task(pool[index])


def _split(split: str) -> list[Any]:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; splits are {', '.join(SPLITS)}")
    return generate(split=split)


def _task(scenario: Any) -> dict[str, Any]:
    return {"id": scenario.id, "tier": scenario.tier, "family": scenario.family,
            "seed": scenario.seed}
