"""warroom as a verifiers taskset (the ``verifiers`` extra, ``verifiers.v1``).

Each task is one catalog incident (scenario id and seed). Its tools come from a per-rollout
MCP toolset that serves every registry tool with its JSON schema, bare-named (no prefix),
over one warroom episode living in the toolset's process. The system prompt is warroom's,
the prompt is the incident page. The rollout stops once the incident is closed
(``submit_report``, or the step budget ran out). Rewards come from warroom's result, which
the toolset writes into the rollout state: the reward ``warroom_score`` is the episode
score (0 for an incident left open), and every number in the result (success, each rubric
node, ...) is recorded as a metric under ``warroom/...``.

verifiers resolves a taskset id to a top-level module, so this one is registered under
``PLUGIN_ID``: call ``register()`` in the process that builds the env, then run with
``--env.taskset.id warroom_verifiers`` (or ``{"taskset": {"id": PLUGIN_ID}}`` in Python).
Taskset options: ``split``, ``tier``, ``family``, ``n``, ``seed`` (a catalog selection) or
``scenarios`` (explicit ids), and ``max_steps``. Tool-calling harnesses without a shell
(``null``) suit it best.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from importlib import resources
from typing import Any, cast

import verifiers.v1 as vf
from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, TextContent, Tool, ToolAnnotations
from pydantic import Field

import warroom
from warroom.scenarios import generate, get
from warroom.scenarios.spec import Scenario
from warroom.tools.registry import READ, WRITE, ToolSpec, load_all
from warroom.types import ToolCall

PLUGIN_ID = "warroom_verifiers"


class IncidentData(vf.TaskData):
    """One incident: a catalog scenario id, the seed, and its catalog labels."""

    scenario: str
    seed: int = 0
    family: str = ""
    tier: str = ""
    split: str = ""
    max_steps: int | None = None


class IncidentState(vf.State):
    """What the toolset reports back to the rollout: progress and, once closed, the result."""

    steps: int = 0
    closed: bool = False
    result: dict[str, Any] | None = None


class IncidentToolset(vf.Toolset[vf.ToolsetConfig, IncidentState]):
    """Every registry tool over MCP, played on this rollout's warroom episode."""

    TOOL_PREFIX = None

    def __init__(self, config: vf.ToolsetConfig) -> None:
        super().__init__(config)
        self.episode: warroom.Episode | None = None

    async def setup_task(self, task: IncidentData) -> None:
        options = {} if task.max_steps is None else {"max_steps": task.max_steps}
        self.episode = warroom.make(task.scenario, **options)
        self.episode.reset(seed=task.seed)

    def register(self, mcp: MCPServer) -> None:
        # The catalog comes from the registry, not from decorated methods, so the server's
        # own list/call handlers are replaced (as verifiers' NeMo Gym toolset does).
        server = cast(Any, mcp)
        server.list_tools = self._with_state(self.list_tools)
        server.call_tool = self._with_state(self.call_tool)

    async def list_tools(self) -> list[Tool]:
        return [Tool(name=s.name, description=s.description, input_schema=s.json_schema(),
                     annotations=_annotations(s)) for s in load_all().values()]

    async def call_tool(self, name: str, arguments: dict[str, Any],
                        context: Context | None = None) -> CallToolResult:
        episode = self.episode
        if episode is None:
            return _error("no incident is open in this toolset")
        if episode.done:
            return _error("the incident is closed: submit_report was already called or "
                          "the step budget ran out")
        return step_call(episode, self.state, name, arguments)


def step_call(episode: Any, state: Any, name: str, arguments: dict[str, Any] | None
              ) -> CallToolResult:
    """Play one tool call on an incident or domain episode, keep its progress in the
    rollout ``state`` (steps, closed, the result once graded) and answer as MCP does."""
    res = episode.step(ToolCall(name, arguments or {}))
    obs = res.observation
    state.steps = len(episode.trace)
    state.closed = episode.done
    if episode.result is not None:
        state.result = _jsonable(episode.result)
    data = {"ok": obs.ok, "done": episode.done, "step": obs.step, "time": obs.time,
            "data": _jsonable(obs.data)}
    return CallToolResult(content=[TextContent(type="text", text=obs.text)],
                          structured_content=data, is_error=not obs.ok)


class IncidentTask(vf.Task[IncidentData, IncidentState]):
    """Scores a rollout from the result its toolset wrote into the state."""

    @classmethod
    def toolsets(cls, config: vf.TaskConfig) -> list[vf.Toolset]:
        return [IncidentToolset(vf.ToolsetConfig())]

    @vf.stop
    async def incident_closed(self, trace: vf.Trace) -> bool:
        return bool(trace.state.closed)

    @vf.reward(weight=1.0)
    async def warroom_score(self, trace: vf.Trace) -> float:
        result = trace.state.result
        return float(result["score"]) if result else 0.0

    @vf.metric
    async def warroom(self, trace: vf.Trace) -> dict[str, float]:
        result = trace.state.result or {}
        metrics = {"warroom/reported": float(bool(result)),
                   "warroom/steps": float(trace.state.steps)}
        metrics.update(result_metrics(result))
        return metrics


class IncidentTasksetConfig(vf.TasksetConfig):
    """Which incidents: explicit ``scenarios`` ids, else a catalog selection."""

    scenarios: list[str] = Field(default_factory=list)
    split: str | None = "test"
    tier: str | None = None
    family: str | None = None
    n: int | None = None
    seed: int = 0
    max_steps: int | None = None


class IncidentTaskset(vf.Taskset[IncidentTask, IncidentTasksetConfig]):
    """warroom incidents as verifiers tasks (see the module docstring)."""

    def load(self) -> Iterator[IncidentTask]:
        cfg = self.config
        chosen: list[Scenario] = ([get(s) for s in cfg.scenarios] if cfg.scenarios else
                                  generate(split=cfg.split, tier=cfg.tier, n=cfg.n,
                                           seed=cfg.seed, family=cfg.family))
        system = _system_prompt()
        options = {} if cfg.max_steps is None else {"max_steps": cfg.max_steps}
        for sc in chosen:
            page = warroom.make(sc, **options).reset(seed=sc.seed).text
            yield IncidentTask(IncidentData(
                id=f"{sc.id}#{sc.seed}", name=sc.id, system_prompt=system, prompt=page,
                scenario=sc.id, seed=sc.seed, family=sc.family, tier=sc.tier, split=sc.split,
                max_steps=cfg.max_steps), cfg.task)


def register() -> str:
    """Make this module importable as ``PLUGIN_ID`` (how verifiers finds a taskset)."""
    sys.modules.setdefault(PLUGIN_ID, sys.modules[__name__])
    return PLUGIN_ID


def _system_prompt() -> str:
    return resources.files("warroom.agents").joinpath("prompts/system.md").read_text("utf-8")


def _annotations(spec: ToolSpec) -> ToolAnnotations:
    return ToolAnnotations(read_only_hint=spec.kind == READ, destructive_hint=spec.kind == WRITE,
                           idempotent_hint=spec.kind == READ, open_world_hint=False)


def result_metrics(result: dict[str, Any]) -> dict[str, float]:
    """warroom's result as flat metrics: ``warroom/<key>`` for every number and bool, and
    ``warroom/rubric/<node path>`` for each rubric node that applies."""
    return _numbers(result, "warroom")


def _numbers(value: Any, prefix: str) -> dict[str, float]:
    """Every number and bool in a nested result keyed by its path; the rubric tree
    (``Node.to_dict()``) by node path, one score per node that applies."""
    if isinstance(value, bool | int | float):
        return {prefix: float(value)}
    out: dict[str, float] = {}
    if not isinstance(value, dict):
        return out
    if "children" in value or ("name" in value and "score" in value):
        path = f"{prefix}/{value['name']}"
        if value.get("applies", True):
            out[path] = float(value["score"])
        for child in value.get("children", []):
            out.update(_numbers(child, path))
        return out
    for key, item in value.items():
        out.update(_numbers(item, f"{prefix}/{key}"))
    return out


def _error(message: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=f"ERROR: {message}")],
                          is_error=True)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


__all__ = ["PLUGIN_ID", "IncidentData", "IncidentState", "IncidentTask", "IncidentTaskset",
           "IncidentTasksetConfig", "IncidentToolset", "register", "result_metrics"]

if __name__ == "__main__":
    IncidentToolset.run()
