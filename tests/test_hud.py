"""HUD face: HUD's own agent loop and runner play a scripted incident and get warroom's score.

The model is the only stand-in: a scripted chat-completions client answers with fixed tool
calls. Everything else is HUD's (``OpenAIChatAgent``, ``Task.run``, ``LocalRuntime``, the
control channel and the MCP capability client). Needs the ``hud`` extra; CI runs this file in
its own virtual environment (``.ci/steps/hud.sh``).
"""

from __future__ import annotations

import asyncio
import json
import warnings
from typing import Any

import pytest
from fastmcp import Client
from hud.agents.openai_compatible.agent import OpenAIChatAgent
from hud.agents.types import OpenAIChatConfig
from hud.eval import LocalRuntime
from hud.graders.results import EvaluationResult
from openai.types.chat import ChatCompletion

import warroom
from warroom.integrations.hud_env import (
    CAPABILITY,
    IncidentDesk,
    make_environment,
    mcp_server,
    rubric_subscores,
    tasks,
)
from warroom.scenarios import get
from warroom.scoring import rubric
from warroom.tools.registry import load_all
from warroom.world.faults import FAULTS

SCENARIO = "db_connection_leak/app/easy/v0"
SEED = 3


def right_report(scenario_id: str) -> dict[str, Any]:
    """A correct root cause, read from the scenario spec (the test knows the answer)."""
    fault = get(scenario_id).faults[0]
    return {"root_cause": {"component": fault.target, "category": FAULTS[fault.type].category,
                           "culprit": None},
            "summary": "connections leak in the app; found from the database activity"}


def script_for(scenario_id: str) -> list[tuple[str, dict[str, Any]]]:
    return [("list_alerts", {}), ("get_service_map", {}), ("db_activity", {}),
            ("query_metrics", {"bogus": 1}), ("submit_report", right_report(scenario_id))]


class ScriptedChat:
    """Stands in for ``AsyncOpenAI``: each completion is the next scripted tool call, then
    a closing text message. Keeps every request so the test can see what HUD sent."""

    def __init__(self, calls: list[tuple[str, dict[str, Any]]], final: str = "done") -> None:
        self.calls = list(calls)
        self.final = final
        self.requests: list[dict[str, Any]] = []
        self.chat = self
        self.completions = self

    async def create(self, **request: Any) -> ChatCompletion:
        self.requests.append(request)
        turn = len(self.requests)
        message: dict[str, Any] = {"role": "assistant", "content": None}
        if self.calls:
            name, args = self.calls.pop(0)
            message["tool_calls"] = [{"id": f"call_{turn}", "type": "function",
                                      "function": {"name": name, "arguments": json.dumps(args)}}]
            finish = "tool_calls"
        else:
            message["content"] = self.final
            finish = "stop"
        return ChatCompletion.model_validate({
            "id": f"cmpl_{turn}", "object": "chat.completion", "created": 0,
            "model": "scripted", "choices": [{"index": 0, "message": message,
                                              "finish_reason": finish}]})


def agent_for(model: ScriptedChat) -> OpenAIChatAgent:
    return OpenAIChatAgent(OpenAIChatConfig(model="scripted", model_client=model, max_steps=20))


def direct_result(scenario_id: str, seed: int,
                  calls: list[tuple[str, dict[str, Any]]]) -> dict[str, Any] | None:
    """warroom's own result for the same calls, played without HUD."""
    episode = warroom.make(scenario_id)
    episode.reset(seed=seed)
    for name, args in calls:
        episode.step(warroom.ToolCall(name, args))
    return episode.result


def test_scripted_episode_through_hud_runner_gets_warroom_score() -> None:
    env = make_environment()
    model = ScriptedChat(script_for(SCENARIO))
    task = env.templates["database"](scenario=SCENARIO, seed=SEED)
    job = asyncio.run(task.run(agent_for(model), runtime=LocalRuntime(env)))

    (run,) = job.runs
    expected = direct_result(SCENARIO, SEED, script_for(SCENARIO))
    assert expected is not None and expected["score"] > 0
    assert run.trace.status == "completed"
    assert run.reward == pytest.approx(expected["score"])
    assert run.grade.info["success"] == expected["success"]
    assert run.grade.info["result"] == json.loads(json.dumps(expected))
    (root,) = run.grade.evaluation["subscores"]
    assert root["name"] == expected["rubric"]["name"]
    assert root["value"] == pytest.approx(expected["score"])
    assert [c["name"] for c in root["children"]] == [
        c["name"] for c in expected["rubric"]["children"]]
    assert run.grade.info["scenario"] == SCENARIO and run.grade.info["seed"] == SEED

    first = model.requests[0]
    offered = {t["function"]["name"] for t in first["extra_body"]["tools"]}
    assert offered == set(load_all())
    prompt = json.dumps(first["messages"])
    assert "INCIDENT PAGE" in prompt and "submit_report" in prompt
    assert len(model.requests) == len(script_for(SCENARIO)) + 1


def test_final_answer_is_filed_as_report_when_agent_does_not_submit() -> None:
    env = make_environment(families=["database"])
    calls: list[tuple[str, dict[str, Any]]] = [("list_alerts", {})]
    model = ScriptedChat(calls, final=json.dumps(right_report(SCENARIO)))
    task = env.templates["database"](scenario=SCENARIO, seed=SEED)
    job = asyncio.run(task.run(agent_for(model), runtime=LocalRuntime(env)))

    expected = direct_result(SCENARIO, SEED, [*calls, ("submit_report", right_report(SCENARIO))])
    assert expected is not None
    assert job.runs[0].reward == pytest.approx(expected["score"])
    assert job.runs[0].grade.info["reported"] is True


def test_no_report_scores_zero_and_tools_refuse_after_close() -> None:
    env = make_environment(families=["database"])
    model = ScriptedChat([("list_alerts", {})], final="I give up")
    task = env.templates["database"](scenario=SCENARIO, seed=SEED)
    job = asyncio.run(task.run(agent_for(model), runtime=LocalRuntime(env)))

    run = job.runs[0]
    assert run.reward == 0.0
    assert run.grade.info == {"scenario": SCENARIO, "seed": SEED, "success": False,
                              "reported": False, "steps": 1}


def test_one_template_per_family_and_tasks_from_a_catalog_split() -> None:
    env = make_environment()
    families = {sc.family for sc in warroom.scenarios.all_scenarios()}
    assert set(env.templates) == families
    rows = tasks(env, split="test", tier="easy", n=4)
    assert len(rows) == 4
    for row in rows:
        sc = get(row.args["scenario"])
        assert row.id == sc.family and row.args["seed"] == sc.seed
        assert row.columns == {"family": sc.family, "tier": "easy", "split": "test"}
    assert CAPABILITY == "tools"


def test_wrong_family_is_refused() -> None:
    env = make_environment(families=["compute"])
    model = ScriptedChat([])
    task = env.templates["compute"](scenario=SCENARIO, seed=0)
    job = asyncio.run(task.run(agent_for(model), runtime=LocalRuntime(env)))

    run = job.runs[0]
    assert run.trace.status == "error" and run.grade.is_error
    assert "is a database scenario, not compute" in str(run.trace.error)
    assert model.requests == []


def test_parallel_rollouts_on_fresh_instances_stay_isolated() -> None:
    """Two rollouts at once, each on its own environment instance and MCP server."""
    other = "db_connection_leak/app/easy/v4"
    envs = [make_environment(families=["database"]) for _ in range(2)]
    models = [ScriptedChat(script_for(SCENARIO)), ScriptedChat([("list_alerts", {})])]

    async def both() -> list[Any]:
        jobs = [envs[i].templates["database"](scenario=sc, seed=SEED).run(
                    agent_for(models[i]), runtime=LocalRuntime(envs[i]))
                for i, sc in enumerate((SCENARIO, other))]
        return list(await asyncio.gather(*jobs))

    first, second = asyncio.run(both())
    expected = direct_result(SCENARIO, SEED, script_for(SCENARIO))
    assert expected is not None
    assert first.runs[0].reward == pytest.approx(expected["score"])
    assert second.runs[0].reward == 0.0
    assert second.runs[0].grade.info["scenario"] == other


def test_rubric_tree_becomes_subscores_that_explain_the_reward() -> None:
    tree = rubric.mean("score", [
        rubric.leaf("diagnosis", 1.0, "component and category right", weight=0.6),
        rubric.product("mitigation", [rubric.leaf("durable", 0.5)], weight=0.4),
        rubric.not_applicable("oversight", "no fleet agent misbehaved")]).to_dict()
    (root,) = rubric_subscores(tree, tree["score"]) or []
    assert (root.name, root.weight, root.value) == ("score", 1.0, pytest.approx(0.8))
    assert [c.name for c in root.children or []] == ["diagnosis", "mitigation", "oversight"]
    diagnosis, mitigation, oversight = root.children or []
    assert (diagnosis.weight, diagnosis.value) == (0.6, 1.0)
    assert mitigation.info == {"combine": "product"}
    assert oversight.info == {"note": "no fleet agent misbehaved", "applies": False}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        EvaluationResult(reward=tree["score"], subscores=[root])
    assert rubric_subscores(tree, 1.0) is None
    assert rubric_subscores(None, 0.5) is None


def test_mcp_server_lists_registry_tools_with_schemas_and_hints() -> None:
    async def listed() -> list[Any]:
        async with Client(mcp_server(IncidentDesk())) as client:
            return list(await client.list_tools())

    tools = {t.name: t for t in asyncio.run(listed())}
    specs = load_all()
    assert set(tools) == set(specs)
    for name, spec in specs.items():
        assert tools[name].inputSchema == spec.json_schema()
        hints = tools[name].annotations
        assert hints is not None and hints.readOnlyHint == (spec.kind == "read")
        assert hints.destructiveHint == (spec.kind == "write")
