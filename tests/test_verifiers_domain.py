"""verifiers domain face: verifiers' own eval runner plays scripted fact tasks of a domain and
gets warroom's fact grade (``warroom.integrations.verifiers_domain``).

``run_eval`` (what ``vf eval`` runs) loads the taskset by id, launches each rollout's domain
toolset as its own MCP server process, runs the harness, then scores the trace. The harness
is the only stand-in: it calls the MCP tools in a fixed order instead of asking a model.
Needs the ``verifiers`` extra; CI runs this file in its own virtual environment
(``.ci/steps/verifiers.sh``).
"""

from __future__ import annotations

import asyncio
import sys
import types
from pathlib import Path
from typing import Any

import pytest
import verifiers.v1 as vf
from verifiers.v1.cli.eval.runner import run_eval
from verifiers.v1.configs.cli.eval import EvalConfig
from verifiers.v1.harnesses.utils.mcp import mcp_client
from verifiers.v1.runtimes import ProgramResult
from verifiers.v1.utils.loaders import load_taskset

from warroom.agents.orch_base import subagent_prompt
from warroom.env.domain import DomainEpisode
from warroom.integrations.verifiers_domain import (
    PLUGIN_ID,
    DomainTaskData,
    DomainTasksetConfig,
    DomainToolset,
    fact_metrics,
    register,
)
from warroom.scenarios.fact_templates import open_task, task_refs
from warroom.tools.slices import DOMAINS, READ_DOMAINS
from warroom.types import ToolCall

HARNESS_ID = "warroom_scripted_domain_harness"
WITH_TASKS = [d for d in READ_DOMAINS if task_refs(domain=d, split="dev")]


def _with_decoys(domain: str) -> list[Any]:
    tasks = [open_task(r["id"]) for r in task_refs(domain=domain, split="dev")[:20]]
    return [t for t in tasks if t.decoys]


TASKS = _with_decoys("deploys")[:2]
RIGHT, STUFFED = TASKS[0].id, TASKS[1].id


def policy(task_id: str) -> list[tuple[str, dict[str, Any]]]:
    """The oracle's reads, a call outside the domain, then the facts (RIGHT) or the facts
    and every decoy (STUFFED); one call after the end."""
    task = open_task(task_id)
    text = " ".join(task.facts if task_id == RIGHT else [*task.facts, *task.decoys])
    return [*((c.name, dict(c.arguments)) for c in task.reads), ("list_pods", {}),
            ("answer", {"text": text}), ("list_deploys", {})]


class ScriptedHarness(vf.Harness[vf.HarnessConfig]):
    """Plays ``policy`` on the rollout's MCP tools, in process, with no model."""

    EXECUTES_CODE = False
    NEEDS_CONTAINER = False
    SUPPORTS_MCP = True

    async def launch(self, ctx: Any, trace: Any, runtime: Any, endpoint: str, secret: str,
                     mcp_urls: dict[str, str], data: Any, **_: Any) -> ProgramResult:
        (url,) = mcp_urls.values()
        lines = []
        async with mcp_client({"url": url}) as client:
            offered = [t.name for t in (await client.list_tools()).tools]
            lines.append("tools: " + ",".join(offered))
            for name, args in policy(data.task):
                result = await client.call_tool(name, args)
                text = result.content[0].text if result.content else ""
                lines.append(f"{name} error={result.is_error} {text[:60]!r}")
        return ProgramResult(0, "\n".join(lines), "")


def register_harness() -> str:
    module = types.ModuleType(HARNESS_ID)
    module.ScriptedHarness = ScriptedHarness  # type: ignore[attr-defined]
    module.__all__ = ["ScriptedHarness"]  # type: ignore[attr-defined]
    sys.modules[HARNESS_ID] = module
    return HARNESS_ID


def direct_result(task_id: str) -> dict[str, Any]:
    """warroom's own grade for the same calls, played without verifiers."""
    task = open_task(task_id)
    episode = DomainEpisode(task.domain, task=task)
    episode.reset()
    for name, args in policy(task_id):
        if not episode.done:
            episode.step(ToolCall(name, args))
    return episode.finish()


def test_deploys_has_tasks() -> None:
    assert "deploys" in WITH_TASKS and len(TASKS) == 2


def test_scripted_rollouts_through_vf_eval_get_the_fact_grade(tmp_path: Path) -> None:
    config = EvalConfig.model_validate({
        "env": {"taskset": {"id": register(), "tasks": [RIGHT, STUFFED]},
                "agent": {"harness": {"id": register_harness()},
                          "runtime": {"type": "subprocess"}}},
        "model": "scripted", "push": False, "rich": None, "output_dir": str(tmp_path),
        "max_concurrent": 2})
    episodes = asyncio.run(run_eval(config))
    traces = {ep.traces[0].task.data.task: ep.traces[0] for ep in episodes}
    assert set(traces) == {RIGHT, STUFFED}

    right, expected = traces[RIGHT], direct_result(RIGHT)
    assert not right.errors and expected["success"] and 0 < expected["score"] < 1
    assert right.reward == pytest.approx(expected["score"])  # the stray call cost a step
    assert right.rewards["fact_score"].score == pytest.approx(expected["score"])
    assert right.state.result == expected and right.state.closed and right.state.answered
    assert right.state.steps == len(TASKS[0].reads) + 2
    assert right.metrics["warroom/success"] == 1.0
    assert right.metrics["warroom/facts_found"] == len(TASKS[0].facts)
    assert right.metrics["warroom/decoys_named"] == 0.0

    stuffed, expected = traces[STUFFED], direct_result(STUFFED)
    assert not expected["success"] and expected["decoys_named"]
    assert stuffed.reward == pytest.approx(expected["score"]) and stuffed.reward <= 0.5
    assert stuffed.metrics["warroom/success"] == 0.0
    assert stuffed.metrics["warroom/decoys_named"] == len(TASKS[1].decoys)

    saved = list(tmp_path.glob("*/traces.jsonl"))
    assert len(saved) == 1 and len(saved[0].read_text().splitlines()) == 2


@pytest.mark.parametrize("domain", WITH_TASKS)
def test_taskset_selects_the_domains_tasks_with_the_question(domain: str) -> None:
    register()
    config = DomainTasksetConfig(id=PLUGIN_ID, domain=domain, split="dev", n=3, seed=1)
    tasks = list(load_taskset(config))
    assert len(tasks) == 3 and len({t.key for t in tasks}) == 3
    again = [t.data.task for t in load_taskset(config)]
    assert [t.data.task for t in tasks] == again
    for task in tasks:
        data = task.data
        assert isinstance(data, DomainTaskData)
        fact = open_task(data.task)
        assert (data.domain, data.split, data.template) == (domain, "dev", fact.template)
        assert data.prompt_text.startswith(f"QUESTION ({domain}")
        assert fact.question in data.prompt_text
        assert data.system_prompt == subagent_prompt(domain)
    with pytest.raises(ValueError, match="domain must be one of"):
        list(load_taskset(DomainTasksetConfig(id=PLUGIN_ID, domain="operations")))


def test_toolset_serves_exactly_the_domains_tools_and_answer() -> None:
    toolset = DomainToolset(vf.ToolsetConfig())
    assert toolset.server_name == ""
    assert asyncio.run(toolset.list_tools()) == []
    asyncio.run(toolset.setup_task(DomainTaskData(task=RIGHT, domain="deploys")))
    tools = asyncio.run(toolset.list_tools())
    assert [t.name for t in tools] == [*(s.name for s in DOMAINS["deploys"].tools()),
                                       "answer"]
    answer = tools[-1]
    assert answer.input_schema["required"] == ["text"]
    listing = next(t for t in tools if t.name == "list_deploys").annotations
    assert listing is not None and listing.read_only_hint


def test_fact_metrics_count_facts_and_decoys() -> None:
    result = {"answer": "rel-1 rel-2", "success": False, "score": 0.5, "steps": 2,
              "facts_found": ["rel-1"], "facts_missing": [], "decoys_named": ["rel-2"],
              "efficiency": 1.0, "task": "deploys/x@y"}
    assert fact_metrics(result, 2) == {
        "warroom/answered": 1.0, "warroom/steps": 2.0, "warroom/success": 0.0,
        "warroom/score": 0.5, "warroom/efficiency": 1.0, "warroom/facts_found": 1.0,
        "warroom/facts_missing": 0.0, "warroom/decoys_named": 1.0}
    assert fact_metrics({}, 0)["warroom/answered"] == 0.0
