"""The LLM policy over real HTTP against a scripted chat-completions server."""

from __future__ import annotations

import socket
from typing import Any

import pytest

pytest.importorskip("openai", reason="needs the llm extra: pip install 'warroom[llm]'")

from warroom.agents import make_policy
from warroom.agents.llm import (
    TRIMMED,
    LLMActionError,
    LLMEndpointError,
    LLMPolicy,
)
from warroom.types import Observation, ToolCall

try:
    from fake_openai_server import FakeOpenAIServer
except ImportError:  # tests/ imported as a package
    from tests.fake_openai_server import FakeOpenAIServer

PAGE = "INCIDENT PAGE: checkout error rate above SLO"
TOOLS = [
    {"type": "function", "function": {
        "name": "list_alerts", "description": "List the firing alerts.",
        "parameters": {"type": "object", "properties": {}, "required": []}}},
    {"type": "function", "function": {
        "name": "search_logs", "description": "Search a service's logs.",
        "parameters": {"type": "object", "properties": {
            "service": {"type": "string", "description": "service name"},
            "query": {"type": "string", "description": "text to find"}},
            "required": ["service"]}}},
    {"type": "function", "function": {
        "name": "submit_report", "description": "Submit the report.",
        "parameters": {"type": "object", "properties": {
            "root_cause": {"type": "object"}, "summary": {"type": "string"}},
            "required": ["root_cause", "summary"]}}},
]
REPORT = {"root_cause": {"component": "db", "category": "capacity", "culprit": None},
          "summary": "pool exhausted"}


def policy(srv: FakeOpenAIServer, **kw: Any) -> LLMPolicy:
    kw.setdefault("sleep", lambda s: None)
    kw.setdefault("timeout_s", 5.0)
    p = LLMPolicy("fake-model", base_url=srv.url, **kw)
    p.reset(Observation(PAGE), TOOLS, seed=7)
    return p


def obs(text: str) -> Observation:
    return Observation(text, tool="x")


def test_native_tool_calls_round_trip_with_usage_and_cost() -> None:
    script = [{"tool_call": ("list_alerts", {}), "usage": (100, 10)},
              {"tool_calls": [("search_logs", {"service": "checkout"}),
                              ("search_logs", {"service": "db", "query": "timeout"})],
               "usage": (200, 20)},
              {"tool_call": ("submit_report", REPORT), "usage": (300, 30)}]
    with FakeOpenAIServer(script) as srv:
        p = policy(srv, price_in=1.0, price_out=2.0)
        assert p.act(Observation(PAGE)) == ToolCall("list_alerts", {})
        assert p.act(obs("alert A")) == ToolCall("search_logs", {"service": "checkout"})
        # the second call of the same turn is played without asking the model again
        assert p.act(obs("logs 1")) == ToolCall("search_logs",
                                                {"service": "db", "query": "timeout"})
        assert len(srv.requests) == 2
        assert p.act(obs("logs 2")) == ToolCall("submit_report", REPORT)
    first, _, last = srv.requests
    assert first["model"] == "fake-model" and first["tools"] == TOOLS
    assert first["seed"] == 7 and first["temperature"] == 0.0
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    assert first["messages"][1]["content"] == PAGE
    assert "submit_report" in first["messages"][0]["content"]
    roles = [m["role"] for m in last["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "tool", "tool"]
    calls = last["messages"][4]["tool_calls"]
    tool_msgs = last["messages"][5:]
    assert [m["tool_call_id"] for m in tool_msgs] == [c["id"] for c in calls]
    assert [m["content"] for m in tool_msgs] == ["logs 1", "logs 2"]
    u = p.usage
    assert (u["steps"], u["calls"], u["tokens_in"], u["tokens_out"]) == (4, 3, 600, 60)
    assert u["cost_usd"] == pytest.approx((600 * 1.0 + 60 * 2.0) / 1e6)
    assert [s.calls for s in p.step_usage] == [1, 1, 0, 1]
    assert p.last_step_usage()["tokens_in"] == 300
    assert all(s.latency_s >= 0 for s in p.step_usage) and u["latency_s"] > 0


def test_no_cost_without_prices() -> None:
    with FakeOpenAIServer([{"tool_call": ("list_alerts", {})}]) as srv:
        p = policy(srv)
        p.act(Observation(PAGE))
    assert "cost_usd" not in p.usage and p.step_usage[0].cost_usd is None


def test_malformed_arguments_and_plain_text_get_an_explaining_observation() -> None:
    script = [{"tool_call": ("search_logs", '{"service": "checkout"')},
              {"text": "I think the database is at fault."},
              {"tool_call": ("serch_logs", {"service": "checkout"})},
              {"tool_call": ("search_logs", {"service": "checkout"})}]
    with FakeOpenAIServer(script) as srv:
        p = policy(srv)
        assert p.act(Observation(PAGE)) == ToolCall("search_logs", {"service": "checkout"})
    bad_json, plain, unknown = srv.requests[1:]
    assert bad_json["messages"][-1]["role"] == "tool"
    assert "not valid JSON" in bad_json["messages"][-1]["content"]
    assert plain["messages"][-1]["role"] == "user"
    assert "No tool was called" in plain["messages"][-1]["content"]
    assert "Did you mean search_logs" in unknown["messages"][-1]["content"]
    assert p.usage["format_errors"] == 3 and p.usage["steps"] == 1


def test_too_many_malformed_replies_raise() -> None:
    with FakeOpenAIServer([{"text": "hmm"}] * 3) as srv:
        p = policy(srv, max_format_errors=2)
        with pytest.raises(LLMActionError, match="malformed"):
            p.act(Observation(PAGE))
    assert len(srv.requests) == 3


def test_429_and_5xx_are_retried_with_backoff() -> None:
    slept: list[float] = []
    script = [{"status": 429, "headers": {"retry-after": "0.25"}, "error": "slow down"},
              {"status": 503, "error": "overloaded"},
              {"tool_call": ("list_alerts", {})}]
    with FakeOpenAIServer(script) as srv:
        p = policy(srv, sleep=slept.append, backoff_s=0.5)
        assert p.act(Observation(PAGE)).name == "list_alerts"
    assert len(srv.requests) == 3
    assert slept[0] == pytest.approx(0.25)  # Retry-After honoured
    assert 0.5 * 2 * 0.75 <= slept[1] <= 0.5 * 2  # exponential, with jitter
    assert p.usage["retries"] == 2 and p.usage["calls"] == 1


def test_retries_exhausted_raise_with_the_reason() -> None:
    with FakeOpenAIServer([{"status": 500, "error": "boom"}] * 3) as srv:
        p = policy(srv, max_retries=2)
        with pytest.raises(LLMEndpointError, match=r"HTTP 500.*gave up after 3 attempt"):
            p.act(Observation(PAGE))


def test_timeout_is_retried_then_reported() -> None:
    script = [{"delay": 1.5, "tool_call": ("list_alerts", {})},
              {"tool_call": ("search_logs", {"service": "db"})}]
    with FakeOpenAIServer(script) as srv:
        p = policy(srv, timeout_s=0.3, max_retries=1)
        assert p.act(Observation(PAGE)).name == "search_logs"
        assert p.usage["retries"] == 1
    with FakeOpenAIServer([{"delay": 1.5, "text": "late"}] * 2) as srv:
        p = policy(srv, timeout_s=0.3, max_retries=1)
        with pytest.raises(LLMEndpointError, match=r"timed out after 0\.3s"):
            p.act(Observation(PAGE))


def test_unreachable_endpoint_says_so() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = LLMPolicy("m", base_url=f"http://127.0.0.1:{port}/v1", max_retries=1,
                  sleep=lambda s: None, timeout_s=2.0)
    p.reset(Observation(PAGE), TOOLS, seed=0)
    with pytest.raises(LLMEndpointError, match="could not connect"):
        p.act(Observation(PAGE))
    with pytest.raises(LLMEndpointError, match="cannot list models"):
        p.check_endpoint()


def test_client_errors_fail_at_once() -> None:
    with FakeOpenAIServer([{"status": 401, "error": "bad key"}]) as srv:
        p = policy(srv)
        with pytest.raises(LLMEndpointError, match="HTTP 401: authentication failed"):
            p.act(Observation(PAGE))
        assert len(srv.requests) == 1


def test_check_endpoint_lists_models() -> None:
    with FakeOpenAIServer([], models=("fake-model", "other")) as srv:
        assert policy(srv).check_endpoint() == ["fake-model", "other"]
        with pytest.raises(LLMEndpointError, match="not served"):
            LLMPolicy("missing", base_url=srv.url).check_endpoint()


def test_missing_api_key_variable_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WARROOM_TEST_KEY", raising=False)
    with pytest.raises(LLMEndpointError, match="WARROOM_TEST_KEY"):
        LLMPolicy("m", base_url="http://127.0.0.1:9/v1", api_key_env="WARROOM_TEST_KEY")


def test_react_mode_parses_one_action_and_explains_mistakes() -> None:
    script = [{"text": "Thought: look\nAction: list_alerts\nAction Input: {}"},
              {"text": "Thought: logs\nAction: search_logs\nAction Input: {service: db}"},
              {"text": "Action: list_alerts\nAction Input: {}\nAction: search_logs"},
              {"text": "Thought: I know\nFinal Answer: the db"},
              {"text": "Thought: logs\nAction: search_logs\n"
                       "Action Input: ```json\n{\"service\": \"db\"}\n```\n"
                       "Observation: made up"}]
    with FakeOpenAIServer(script) as srv:
        p = policy(srv, tool_mode="react")
        assert p.act(Observation(PAGE)) == ToolCall("list_alerts", {})
        assert p.act(obs("ALERTS")) == ToolCall("search_logs", {"service": "db"})
    first = srv.requests[0]
    assert "tools" not in first and first["stop"] == ["\nObservation:"]
    system = first["messages"][0]["content"]
    assert "search_logs(service: string, query?: string)" in system
    assert "Action Input:" in system
    msgs = srv.requests[-1]["messages"]
    feedback = [m["content"] for m in msgs if m["content"].startswith("Observation:")]
    assert feedback[0] == "Observation: ALERTS"
    assert "not valid JSON" in feedback[1]
    assert "exactly one Action" in feedback[2]
    assert "submit_report" in feedback[3]
    assert p.usage["format_errors"] == 3
    assert "made up" not in str(p.messages)


def test_context_budget_trims_old_observations_never_the_page() -> None:
    big = "x" * 4000
    with FakeOpenAIServer([{"tool_call": ("list_alerts", {}), "usage": (0, 1)}] * 6) as srv:
        p = policy(srv, context_tokens=3000, keep_last=1)
        p.act(Observation(PAGE))
        for i in range(5):
            p.act(obs(f"{i}:{big}"))
    last = srv.requests[-1]["messages"]
    assert last[0]["role"] == "system" and last[1]["content"] == PAGE
    tools = [m["content"] for m in last if m["role"] == "tool"]
    assert tools[-1].startswith("4:") and tools[0] == TRIMMED
    assert sum(len(c) for c in tools) <= 3000 * 3.5
    assert p.usage["trimmed"] >= 3


def test_system_prompt_override_from_file(tmp_path: Any) -> None:
    path = tmp_path / "prompt.md"
    path.write_text("You are a careful SRE.")
    with FakeOpenAIServer([{"tool_call": ("list_alerts", {})}]) as srv:
        p = policy(srv, system_prompt=str(path))
        p.act(Observation(PAGE))
    assert srv.requests[0]["messages"][0]["content"] == "You are a careful SRE."
    with pytest.raises(FileNotFoundError, match=r"missing\.md"):
        LLMPolicy("m", base_url=srv.url, system_prompt=str(tmp_path / "missing.md"))
    inline = LLMPolicy("m", base_url=srv.url, system_prompt="Be brief.\nUse tools.")
    assert inline.system_prompt == "Be brief.\nUse tools."


def test_registered_and_plays_a_real_episode_to_the_report() -> None:
    import warroom
    from warroom.scenarios import generate

    sc = generate(split="train", tier="easy", n=1)[0]
    ep = warroom.make(sc)
    page = ep.reset(seed=sc.seed)
    truth = ep.truths[0]
    report = {"root_cause": {"component": truth.component, "category": truth.category,
                             "culprit": truth.culprit}, "summary": "found it"}
    script = [{"tool_call": ("list_alerts", {})},
              {"tool_call": ("query_metrics", '{"service": ')},
              {"tool_call": ("submit_report", report)}]
    with FakeOpenAIServer(script) as srv:
        p = make_policy("llm", model="fake-model", base_url=srv.url, sleep=lambda s: None)
        p.reset(page, ep.tools, sc.seed)
        o = page
        while not ep.done:
            o = ep.step(p.act(o)).observation
    assert ep.result is not None and [s.call.name for s in ep.trace] == [
        "list_alerts", "submit_report"]
    assert srv.requests[0]["tools"] == ep.tools
    assert p.usage["format_errors"] == 1 and p.usage["calls"] == 3
