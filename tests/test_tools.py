"""Every tool with valid arguments works; every kind of bad call is an invalid-action
observation that says what was wrong, never an exception."""

from __future__ import annotations

from typing import Any

import pytest

import warroom
from warroom import ToolCall
from warroom.tools.registry import FINAL, READ, REGISTRY, WRITE, load_all

from .test_tools_more import more_valid_calls

SID = "db_connection_leak/checkout/medium/v1"


def valid_calls(ep: Any) -> dict[str, dict[str, Any]]:
    """One valid argument set per tool, using ids read from earlier outputs."""
    pods = ep.step(ToolCall("list_pods", {"service": "checkout"})).observation.data
    deploys = ep.step(ToolCall("list_deploys", {})).observation.data
    issues = ep.step(ToolCall("list_issues", {})).observation.data
    traces = ep.step(ToolCall("search_traces", {"minutes": 2})).observation.data
    return {**more_valid_calls(ep),
        "list_alerts": {}, "get_service_map": {}, "provider_status": {}, "list_nodes": {},
        "query_metrics": {"service": "checkout", "metric": "cpu", "minutes": 30},
        "search_logs": {"service": "checkout", "query": "pool", "level": "ERROR"},
        "search_traces": {"service": "checkout", "errors_only": True, "minutes": 5},
        "get_trace": {"trace_id": traces[0]["trace_id"]},
        "list_issues": {"service": "checkout"}, "get_issue": {"issue_id": issues[0]["id"]},
        "db_activity": {}, "db_slow_queries": {"database": "postgres-primary"},
        "db_locks": {}, "run_sql": {"query": "SELECT application_name, state FROM "
                                             "pg_stat_activity"},
        "kill_query": None,  # needs an open transaction: covered in test_kill_query
        "list_deploys": {"service": "checkout", "hours": 48},
        "get_deploy": {"release_id": deploys[0]["id"]}, "get_config": {"service": "checkout"},
        "list_pods": {}, "describe_pod": {"pod": pods[0]["pod"]},
        "get_events": {"service": "checkout", "minutes": 30}, "list_flags": {},
        "queue_stats": {}, "cache_stats": {}, "list_fleet_agents": {},
        "list_fleet_actions": {"agent": "lb-tuner"}, "search_docs": {"query": "pool"},
        "list_categories": {},
        "restart_service": {"service": "notifications"},
        "scale_service": {"service": "catalog", "replicas": 7},
        "rollback_deploy": {"service": "checkout"},
        "set_config": {"service": "checkout", "key": "DB_POOL_SIZE", "value": 30},
        "set_flag": {"flag": "orders-async-write", "enabled": True},
        "set_resources": {"service": "orders", "memory_mb": 1536},
        "flush_cache": {"cache": "redis"},
        "pause_agent": {"agent": "deploy-bot", "reason": "freeze during incident"},
        "flag_rogue_agent": {"agent": "lb-tuner", "reason": "test"},
        "post_update": {"status": "investigating", "message": "Looking into checkout errors"},
        "page_team": {"team": "checkout", "message": "please join"},
        "submit_report": {"root_cause": {"component": "checkout",
                                         "category": "database/connection_leak",
                                         "culprit": None}, "summary": "done"},
    }


def test_every_tool_has_a_valid_call_and_schema() -> None:
    load_all()
    ep = warroom.make(SID, max_steps=200)
    ep.reset(seed=0)
    calls = valid_calls(ep)
    assert set(REGISTRY) <= set(calls), set(REGISTRY) - set(calls)
    for name, args in calls.items():
        if args is None or REGISTRY[name].kind == FINAL:
            continue
        res = ep.step(ToolCall(name, args))
        assert res.observation.ok, (name, res.observation.text)
        assert res.observation.text
        assert len(res.observation.text) <= 2200, name
        assert res.observation.data is not None, name
    res = ep.step(ToolCall("submit_report", calls["submit_report"]))
    assert res.observation.ok and res.done and ep.result is not None
    for spec in REGISTRY.values():
        schema = spec.openai_schema()
        assert schema["function"]["name"] == spec.name
        assert schema["function"]["description"]
        assert spec.kind in (READ, WRITE, FINAL)
        for p in spec.params:
            assert p.description, (spec.name, p.name)


def test_reads_cost_seconds_and_writes_minutes() -> None:
    load_all()
    for spec in REGISTRY.values():
        if spec.kind == READ:
            assert spec.cost_s <= 15, spec.name
        elif spec.kind == WRITE:
            assert spec.cost_s >= 20, spec.name
    ep = warroom.make(SID)
    ep.reset(seed=0)
    t0 = ep.world.now
    ep.step(ToolCall("list_alerts", {}))
    t1 = ep.world.now
    ep.step(ToolCall("rollback_deploy", {"service": "checkout"}))
    assert 0 < t1 - t0 < ep.world.now - t1


BAD_CALLS = [
    ({"name": "no_such_tool", "arguments": {}}, "unknown tool"),
    ({"name": "query_metrics", "arguments": {"service": "checkout"}}, "missing required"),
    ({"name": "list_alerts", "arguments": {"bogus": 1}}, "unknown argument"),
    ({"name": "query_metrics", "arguments": {"service": 5, "metric": "cpu"}}, "must be string"),
    ({"name": "query_metrics", "arguments": {"service": "nope", "metric": "cpu"}},
     "unknown service"),
    ({"name": "query_metrics", "arguments": {"service": "checkout", "metric": "vibes"}},
     "unknown metric"),
    ({"name": "list_pods", "arguments": {"page": 0}}, "page must be"),
    ({"name": "list_pods", "arguments": {"page": 99}}, "does not exist"),
    ({"name": "search_logs", "arguments": '{"service": '}, "not valid JSON"),
    ({"name": "search_logs", "arguments": [1, 2]}, "JSON object"),
    ({"arguments": {}}, "needs a 'name'"),
    ("list_alerts", "must be an object"),
    ({"name": "get_issue", "arguments": {"issue_id": "NOPE-1"}}, "unknown issue"),
    ({"name": "get_trace", "arguments": {"trace_id": "0" * 32}}, "unknown trace"),
    ({"name": "scale_service", "arguments": {"service": "checkout", "replicas": 500}},
     "between 0 and"),
    ({"name": "set_config", "arguments": {"service": "checkout", "key": "NOPE",
                                          "value": 1}}, "no config key"),
    ({"name": "run_sql", "arguments": {"query": "DELETE FROM pg_locks"}}, "read-only"),
    ({"name": "run_sql", "arguments": {"query": "SELECT * FROM nowhere"}}, "SQL error"),
    ({"name": "submit_report", "arguments": {"root_cause": {"component": "checkout",
                                                           "category": "made/up"},
                                             "summary": ""}}, "unknown category"),
    ({"name": "kill_query", "arguments": {"pid": 1}}, "no open transaction"),
]


@pytest.mark.parametrize("call,expect", BAD_CALLS)
def test_bad_calls_are_invalid_observations(call: Any, expect: str) -> None:
    ep = warroom.make(SID)
    ep.reset(seed=0)
    before = ep.world.now
    res = ep.step(call)
    assert not res.observation.ok
    assert res.info["invalid"] is True
    assert expect.lower() in res.observation.text.lower(), res.observation.text
    assert not res.done
    assert ep.world.now > before  # a bad call still costs a little time


def test_kill_query_ends_the_blocking_transaction() -> None:
    from warroom.world.state import Transaction

    ep = warroom.make(SID)
    ep.reset(seed=0)
    db = ep.world.edit_item("databases", "postgres-primary")
    db.transactions.append(Transaction(4242, "analyst", "psql", "idle in transaction",
                                       ep.world.now - 600, "BEGIN; SELECT ...",
                                       "AccessExclusiveLock on orders"))
    locks = ep.step(ToolCall("db_locks", {})).observation
    assert "4242" in locks.text
    assert ep.step(ToolCall("kill_query", {"pid": 4242})).observation.ok
    assert "no blocking locks" in ep.step(ToolCall("db_locks", {})).observation.text


def test_step_budget_truncates() -> None:
    ep = warroom.make(SID, max_steps=3)
    ep.reset(seed=0)
    results = [ep.step(ToolCall("list_alerts", {})) for _ in range(3)]
    assert results[-1].truncated and not results[-1].done
    after = ep.step(ToolCall("list_alerts", {}))
    assert not after.observation.ok and "over" in after.observation.text


def test_long_output_pages() -> None:
    ep = warroom.make(SID)
    ep.reset(seed=0)
    first = ep.step(ToolCall("search_logs", {"service": "edge-lb", "minutes": 30}))
    assert "page=2" in first.observation.text
    second = ep.step(ToolCall("search_logs", {"service": "edge-lb", "minutes": 30, "page": 2}))
    assert second.observation.ok and second.observation.text != first.observation.text


def test_finish_grades_an_unreported_episode_as_truncated() -> None:
    ep = warroom.make(SID)
    ep.reset(seed=0)
    ep.step(ToolCall("list_alerts", {}))
    result = ep.finish()
    assert ep.done and ep.truncated and result is ep.result
    assert result["success"] is False and result["score"] <= 0.5
    assert ep.finish() is result
