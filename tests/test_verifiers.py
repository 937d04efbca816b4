"""verifiers face: verifiers' own eval runner plays scripted incidents and gets warroom's score.

``run_eval`` (what ``vf eval`` runs) loads the taskset by id, launches each rollout's warroom
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

import warroom
from warroom.integrations.verifiers_env import (
    PLUGIN_ID,
    IncidentData,
    IncidentTasksetConfig,
    register,
    result_metrics,
)
from warroom.scenarios import get
from warroom.scoring import rubric
from warroom.tools.registry import load_all
from warroom.world.faults import FAULTS

SOLVED = "db_connection_leak/app/easy/v5"
SILENT = "db_connection_leak/app/easy/v6"
HARNESS_ID = "warroom_scripted_harness"


def right_report(scenario_id: str) -> dict[str, Any]:
    """A correct root cause, read from the scenario spec (the test knows the answer)."""
    fault = get(scenario_id).faults[0]
    return {"root_cause": {"component": fault.target, "category": FAULTS[fault.type].category,
                           "culprit": None},
            "summary": "connections leak in the app; found from the database activity"}


def policy(scenario_id: str) -> list[tuple[str, dict[str, Any]]]:
    """Investigate and report on SOLVED; look once and walk away on anything else."""
    if scenario_id != SOLVED:
        return [("list_alerts", {})]
    return [("list_alerts", {}), ("get_service_map", {}), ("db_activity", {}),
            ("not_a_tool", {}), ("submit_report", right_report(scenario_id)),
            ("list_alerts", {})]


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
            offered = sorted(t.name for t in (await client.list_tools()).tools)
            lines.append("tools: " + ",".join(offered))
            for name, args in policy(data.scenario):
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


def direct_result(scenario_id: str, seed: int) -> dict[str, Any] | None:
    """warroom's own result for the same calls, played without verifiers."""
    episode = warroom.make(scenario_id)
    episode.reset(seed=seed)
    for name, args in policy(scenario_id):
        if not episode.done:
            episode.step(warroom.ToolCall(name, args))
    return episode.result


def eval_config(output: Path, **taskset: Any) -> EvalConfig:
    return EvalConfig.model_validate({
        "env": {"taskset": {"id": register(), **taskset},
                "agent": {"harness": {"id": register_harness()},
                          "runtime": {"type": "subprocess"}}},
        "model": "scripted", "push": False, "rich": None, "output_dir": str(output),
        "max_concurrent": 2})


def test_scripted_rollouts_through_vf_eval_get_warroom_scores(tmp_path: Path) -> None:
    episodes = asyncio.run(run_eval(eval_config(tmp_path, scenarios=[SOLVED, SILENT])))

    traces = {ep.traces[0].task.data.scenario: ep.traces[0] for ep in episodes}
    assert set(traces) == {SOLVED, SILENT}

    solved = traces[SOLVED]
    expected = direct_result(SOLVED, get(SOLVED).seed)
    assert expected is not None and expected["score"] > 0
    assert not solved.errors
    assert solved.reward == pytest.approx(expected["score"])
    assert solved.rewards["warroom_score"].score == pytest.approx(expected["score"])
    assert solved.state.result == expected
    assert solved.state.closed and solved.state.steps == 5
    assert solved.metrics["warroom/reported"] == 1.0
    assert solved.metrics["warroom/success"] == float(expected["success"])
    assert solved.metrics["warroom/score"] == pytest.approx(expected["score"])
    root = expected["rubric"]["name"]
    assert solved.metrics[f"warroom/rubric/{root}"] == pytest.approx(expected["score"])
    for child in expected["rubric"]["children"]:
        assert solved.metrics[f"warroom/rubric/{root}/{child['name']}"] == child["score"]

    silent = traces[SILENT]
    assert direct_result(SILENT, get(SILENT).seed) is None
    assert silent.reward == 0.0 and silent.state.result is None
    assert silent.metrics["warroom/reported"] == 0.0
    assert silent.state.steps == 1 and not silent.state.closed

    saved = list(tmp_path.glob("*/traces.jsonl"))
    assert len(saved) == 1 and len(saved[0].read_text().splitlines()) == 2


def test_taskset_selects_catalog_incidents_with_their_page() -> None:
    register()
    from verifiers.v1.utils.loaders import load_taskset

    taskset = load_taskset(IncidentTasksetConfig(id=PLUGIN_ID, split="test", tier="easy", n=3))
    tasks = list(taskset)
    assert len(tasks) == 3
    for task in tasks:
        data = task.data
        assert isinstance(data, IncidentData)
        sc = get(data.scenario)
        assert (data.seed, data.tier, data.split, data.family) == (sc.seed, "easy", "test",
                                                                   sc.family)
        assert "INCIDENT PAGE" in data.prompt_text
        assert data.system_prompt is not None and "submit_report" in data.system_prompt
    assert len({t.key for t in tasks}) == 3

    explicit = list(load_taskset(IncidentTasksetConfig(id=PLUGIN_ID, scenarios=[SOLVED],
                                                       max_steps=7)))
    assert [t.data.scenario for t in explicit] == [SOLVED]
    assert "Budget: 7 tool calls" in explicit[0].data.prompt_text


def test_toolset_serves_every_registry_tool_bare_named() -> None:
    from warroom.integrations.verifiers_env import IncidentToolset

    toolset = IncidentToolset(vf.ToolsetConfig())
    assert toolset.server_name == ""
    tools = asyncio.run(toolset.list_tools())
    assert {t.name for t in tools} == set(load_all())
    report = next(t for t in tools if t.name == "submit_report")
    assert set(report.input_schema["required"]) == {"root_cause", "summary"}
    annotations = next(t for t in tools if t.name == "list_alerts").annotations
    assert annotations is not None and annotations.read_only_hint


def test_result_metrics_flatten_numbers_and_the_rubric_tree() -> None:
    tree = rubric.mean("score", [
        rubric.leaf("diagnosis", 1.0, weight=0.6),
        rubric.mean("mitigation", [rubric.leaf("durable", 0.5)], weight=0.4),
        rubric.not_applicable("oversight", "no fleet agent misbehaved")]).to_dict()
    result = {"score": 0.8, "success": False, "steps": 5, "violations": ["p99 high"],
              "rubric": tree}
    assert result_metrics(result) == {
        "warroom/score": 0.8, "warroom/success": 0.0, "warroom/steps": 5.0,
        "warroom/rubric/score": pytest.approx(0.8), "warroom/rubric/score/diagnosis": 1.0,
        "warroom/rubric/score/mitigation": 0.5, "warroom/rubric/score/mitigation/durable": 0.5}
