"""An orchestrator episode with an LLM subagent behind the local fake OpenAI endpoint, an
LLM orchestrator through the same agent, and ``warroom eval --hierarchy --json``."""

from __future__ import annotations

import json

from typer.testing import CliRunner

import warroom
from tests.fake_openai_server import FakeOpenAIServer
from warroom.agents.orch_base import make_orchestrator
from warroom.cli.main import app
from warroom.tools.slices import DOMAINS
from warroom.types import ToolCall

SID = "db_connection_leak/checkout/medium/v1"


def test_llm_errors_subagent_answers_the_top_level() -> None:
    answer = "CHECKOUT-XTD on checkout: QueuePool limit of size 20 reached (40456 events)"
    script = [{"tool_call": ("list_issues", {})},
              {"tool_call": ("answer", {"text": answer})}]
    with FakeOpenAIServer(script) as srv:
        ep = warroom.make_hierarchy(SID, subagents={"errors": {"llm": {
            "model": "fake-model", "base_url": srv.url}}})
        ep.reset(0)
        res = ep.step(ToolCall("ask_errors", {"question": "Which issues are open?"}))
    assert res.observation.ok and res.observation.text == answer
    assert res.observation.data["calls"] == 1
    first = srv.requests[0]
    sent = [t["function"]["name"] for t in first["tools"]]
    assert sent == [s.name for s in DOMAINS["errors"].tools()] + ["answer"]
    assert "errors specialist" in first["messages"][0]["content"]
    assert "Which issues are open?" in first["messages"][1]["content"]
    # the model's read ran on the live world and reached the grader's trace
    assert [(s.call.name, s.info["via"]) for s in ep.trace] == [("list_issues", "errors")]
    assert ep.usage["subagent_calls"] == 1 and ep.world.now > 0
    assert ep.usage["subagent_tokens_in"] > 0 and ep.usage["subagent_tokens_out"] > 0


def test_llm_orchestrator_over_heuristic_subagents() -> None:
    report = {"root_cause": {"component": "checkout", "category": "database/connection_leak",
                             "culprit": "rel-4408"}, "summary": "pool leak after rel-4408"}
    script = [{"tool_call": ("ask_deploys", {"question": "Which releases shipped recently?"})},
              {"tool_call": ("ask_operations", {"question": "rollback checkout to rel-3447"})},
              {"tool_call": ("submit_report", report)}]
    with FakeOpenAIServer(script) as srv:
        ep = warroom.make_hierarchy(SID)
        obs = ep.reset(0)
        pol = make_orchestrator("llm", model="fake-model", base_url=srv.url)
        pol.reset(obs, ep.tools, 0)
        while not ep.done:
            obs = ep.step(pol.act(obs)).observation
    sent = {t["function"]["name"] for t in srv.requests[0]["tools"]}
    assert sent == {f"ask_{d}" for d in DOMAINS} | {"submit_report"}
    assert "incident commander" in srv.requests[0]["messages"][0]["content"]
    # the deploys answer (not the raw list_deploys output) is what the model got back
    tool_msg = srv.requests[1]["messages"][-1]
    assert tool_msg["role"] == "tool" and "rel-4408" in tool_msg["content"]
    assert tool_msg["content"] != ep.trace[0].text
    assert ep.result["mitigated"] and ep.result["diagnosis_correct"]


def test_eval_hierarchy_json_rows() -> None:
    res = CliRunner().invoke(app, ["eval", "--hierarchy", "--json", "--tier", "easy",
                                   "--n", "2"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output.strip().splitlines()[-1])
    rows = {r["policy"]: r for r in out["leaderboard"]}
    assert set(rows) == {"flat:heuristic", "flat:oracle", "hierarchical:heuristic",
                         "hierarchical:oracle"}
    for r in rows.values():
        assert r["n"] == 2 and 0.0 <= r["success_rate"] <= 1.0
        assert {"score", "mean_tool_calls", "mean_subagent_calls",
                "mean_top_context_tokens"} <= set(r)
    assert rows["hierarchical:oracle"]["success_rate"] == 1.0
    assert rows["flat:heuristic"]["mean_subagent_calls"] == 0
    assert rows["hierarchical:heuristic"]["mean_subagent_calls"] > 0
    tiers = {(r["policy"], r["tier"]): r for r in out["by_tier"]}
    assert set(tiers) == {(p, "easy") for p in rows}
    assert tiers[("flat:oracle", "easy")]["success_rate"] == 1.0
