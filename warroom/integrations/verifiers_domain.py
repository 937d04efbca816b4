"""A warroom domain subagent as a verifiers taskset (the ``verifiers`` extra, ``verifiers.v1``).

Each task is one fact task of a read domain (``warroom.scenarios.fact_templates``): a
question about one world, answered with exact tokens. Its tools come from a per-rollout MCP
toolset that serves the domain's tools (``warroom.tools.slices.DOMAINS``) and
``answer(text)``, bare-named, over one ``DomainEpisode`` living in the toolset's process. The
system prompt is the subagent's, the prompt is the question. The rollout stops once the
episode is over (``answer``, or the step budget ran out). Rewards come from the fact grade,
which the toolset writes into the rollout state: the reward ``fact_score`` is the grade's
score (facts found times efficiency, halved when a decoy is named; 0 without an answer) and
every number in the result (``success``, ``efficiency``, ...) is recorded as a metric under
``warroom/...``, with ``warroom/facts_found`` and ``warroom/decoys_named`` as counts.

Registered under ``PLUGIN_ID`` like the incident taskset (``verifiers_env``): call
``register()``, then run with ``--env.taskset.id warroom_domain_verifiers``. Taskset
options: ``domain`` and ``split`` (default ``test``), ``n`` and ``seed`` (a seeded sample)
or ``tasks`` (explicit fact-task ids).
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from typing import Any, cast

import verifiers.v1 as vf
from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, Tool
from pydantic import Field

from warroom.agents.orch_base import subagent_prompt
from warroom.env.domain import ANSWER, ANSWER_SCHEMA, DomainEpisode
from warroom.integrations.verifiers_env import (
    _annotations,
    _error,
    result_metrics,
    step_call,
)
from warroom.scenarios.fact_templates import open_task, task_refs
from warroom.tools.slices import DOMAINS, READ_DOMAINS

PLUGIN_ID = "warroom_domain_verifiers"


class DomainTaskData(vf.TaskData):
    """One fact task: its id, its domain and catalog labels, and an optional world seed."""

    task: str
    domain: str
    template: str = ""
    split: str = ""
    seed: int | None = None


class DomainTaskState(vf.State):
    """What the toolset reports back to the rollout: progress and, once over, the grade."""

    steps: int = 0
    closed: bool = False
    answered: bool = False
    result: dict[str, Any] | None = None


def domain_tools(domain: str) -> list[Tool]:
    """The MCP tools of a domain's toolset: its registry tools, then ``answer``."""
    fn = ANSWER_SCHEMA["function"]
    tools = [Tool(name=s.name, description=s.description, input_schema=s.json_schema(),
                  annotations=_annotations(s)) for s in DOMAINS[domain].tools()]
    return [*tools, Tool(name=ANSWER, description=fn["description"],
                         input_schema=fn["parameters"])]


class DomainToolset(vf.Toolset[vf.ToolsetConfig, DomainTaskState]):
    """One domain's tools and ``answer`` over MCP, played on this rollout's episode."""

    TOOL_PREFIX = None

    def __init__(self, config: vf.ToolsetConfig) -> None:
        super().__init__(config)
        self.episode: DomainEpisode | None = None

    async def setup_task(self, task: DomainTaskData) -> None:
        fact_task = open_task(task.task, seed=task.seed)
        self.episode = DomainEpisode(fact_task.domain, task=fact_task)
        self.episode.reset()

    def register(self, mcp: MCPServer) -> None:
        # The catalog comes from the task's domain, not from decorated methods.
        server = cast(Any, mcp)
        server.list_tools = self._with_state(self.list_tools)
        server.call_tool = self._with_state(self.call_tool)

    async def list_tools(self) -> list[Tool]:
        """The open episode's domain tools (none before a task is set up)."""
        return [] if self.episode is None else domain_tools(self.episode.domain)

    async def call_tool(self, name: str, arguments: dict[str, Any],
                        context: Context | None = None) -> CallToolResult:
        episode = self.episode
        if episode is None:
            return _error("no fact task is open in this toolset")
        if episode.done:
            return _error("the task is over: answer was already called or the step budget "
                          "ran out")
        out = step_call(episode, self.state, name, arguments)
        self.state.answered = episode.answer is not None
        return out


class DomainTask(vf.Task[DomainTaskData, DomainTaskState]):
    """Scores a rollout from the fact grade its toolset wrote into the state."""

    @classmethod
    def toolsets(cls, config: vf.TaskConfig) -> list[vf.Toolset]:
        return [DomainToolset(vf.ToolsetConfig())]

    @vf.stop
    async def task_over(self, trace: vf.Trace) -> bool:
        return bool(trace.state.closed)

    @vf.reward(weight=1.0)
    async def fact_score(self, trace: vf.Trace) -> float:
        result = trace.state.result
        return float(result["score"]) if result and trace.state.answered else 0.0

    @vf.metric
    async def warroom(self, trace: vf.Trace) -> dict[str, float]:
        return fact_metrics(trace.state.result or {}, trace.state.steps)


class DomainTasksetConfig(vf.TasksetConfig):
    """Which fact tasks: explicit ``tasks`` ids, else a domain and split (``n`` sampled)."""

    tasks: list[str] = Field(default_factory=list)
    domain: str = "errors"
    split: str | None = "test"
    n: int | None = None
    seed: int = 0


class DomainTaskset(vf.Taskset[DomainTask, DomainTasksetConfig]):
    """One domain's fact tasks as verifiers tasks (see the module docstring)."""

    def load(self) -> Iterator[DomainTask]:
        cfg = self.config
        for task_id in select(cfg):
            task = open_task(task_id)
            question = DomainEpisode(task.domain, task=task).reset().text
            yield DomainTask(DomainTaskData(
                id=task.id, name=task.id, system_prompt=subagent_prompt(task.domain),
                prompt=question, task=task.id, domain=task.domain, template=task.template,
                split=task.split), cfg.task)


def select(cfg: DomainTasksetConfig) -> list[str]:
    """The fact-task ids a config names: ``tasks``, else the domain's tasks of ``split``
    (a seeded sample of ``n`` when given)."""
    if cfg.tasks:
        return list(cfg.tasks)
    if cfg.domain not in READ_DOMAINS:
        raise ValueError(f"domain must be one of {', '.join(READ_DOMAINS)}, got "
                         f"{cfg.domain!r}")
    ids = [r["id"] for r in task_refs(domain=cfg.domain, split=cfg.split)]
    if not ids:
        raise ValueError(f"no {cfg.domain} fact tasks in split {cfg.split!r}")
    if cfg.n is not None:
        ids = random.Random(cfg.seed).sample(ids, min(cfg.n, len(ids)))
    return ids


def fact_metrics(result: dict[str, Any], steps: int) -> dict[str, float]:
    """The fact grade as flat metrics: every number and bool under ``warroom/``, the
    facts found and decoys named as counts, and whether an answer came."""
    metrics = {"warroom/answered": float(result.get("answer") is not None),
               "warroom/steps": float(steps)}
    metrics.update(result_metrics(result))
    for key in ("facts_found", "facts_missing", "decoys_named"):
        if key in result:
            metrics[f"warroom/{key}"] = float(len(result[key]))
    return metrics


def register() -> str:
    """Make this module importable as ``PLUGIN_ID`` (how verifiers finds a taskset)."""
    sys.modules.setdefault(PLUGIN_ID, sys.modules[__name__])
    return PLUGIN_ID


__all__ = ["PLUGIN_ID", "DomainTask", "DomainTaskData", "DomainTaskState", "DomainTaskset",
           "DomainTasksetConfig", "DomainToolset", "domain_tools", "fact_metrics", "register",
           "select"]

if __name__ == "__main__":
    DomainToolset.run()
