"""Ground truth never leaks: no fault name, category, hidden behavior key, fleet policy
name or 'rogue' marker appears in any tool output, and alerts never name the cause."""

from __future__ import annotations

import re
from typing import Any

import pytest

import warroom
from warroom import ToolCall
from warroom.scenarios import all_scenarios
from warroom.tools.registry import READ, REGISTRY, load_all
from warroom.world.faults import FAULTS

load_all()


def sample_ids() -> list[str]:
    """One scenario per (fault type, tier) in the catalog."""
    seen: dict[tuple[str, str], str] = {}
    for sc in all_scenarios():
        seen.setdefault((sc.faults[0].type, sc.tier), sc.id)
    return sorted(seen.values())


def read_calls(ep: Any) -> list[ToolCall]:
    """Every read tool, once per component where it takes one, with ids from outputs."""
    topo = ep.world.topology
    calls = [ToolCall(n, {}) for n, s in REGISTRY.items()
             if s.kind == READ and not any(p.required for p in s.params)]
    for c in topo.components:
        calls.append(ToolCall("search_logs", {"service": c.name, "minutes": 30}))
        calls.append(ToolCall("get_config", {"service": c.name}))
        calls.append(ToolCall("list_deploys", {"service": c.name, "hours": 48}))
    for metric in ("cpu", "error_rate", "memory_mb", "db_pool_in_use", "restarts"):
        for c in topo.components:
            if c.kind in ("service", "worker", "gateway"):
                calls.append(ToolCall("query_metrics", {"service": c.name, "metric": metric,
                                                        "minutes": 60, "step_s": 300}))
    for term in ("pool", "OOMKilled", "agent", "rollback", "cache"):
        calls.append(ToolCall("search_docs", {"query": term}))
    calls.append(ToolCall("run_sql", {"query": "SELECT * FROM pg_stat_activity"}))
    return calls


def id_calls(outputs: dict[str, Any]) -> list[ToolCall]:
    calls = []
    for issue in (outputs.get("list_issues") or [])[:3]:
        calls.append(ToolCall("get_issue", {"issue_id": issue["id"]}))
    for rel in (outputs.get("list_deploys") or [])[:4]:
        calls.append(ToolCall("get_deploy", {"release_id": rel["id"]}))
    for pod in (outputs.get("list_pods") or [])[:40:4]:
        calls.append(ToolCall("describe_pod", {"pod": pod["pod"]}))
    for tr in (outputs.get("search_traces") or [])[:3]:
        calls.append(ToolCall("get_trace", {"trace_id": tr["trace_id"]}))
    return calls


def forbidden(ep: Any) -> set[str]:
    words = set(FAULTS) | {"rogue", "red herring", "distractor", "ground truth"}
    st = ep.world.head
    for rel in st.releases.values():
        words |= set(rel.behavior)
    for svc in st.services.values():
        words |= set(svc.behavior)
    for agent in st.fleet.values():
        if agent.policy != "benign":
            words.add(f"{agent.name}:{agent.policy}")
            words.add(agent.policy)
    return {w for w in words if len(w) > 3}


@pytest.mark.parametrize("sid", sample_ids())
def test_no_hidden_label_in_any_output(sid: str) -> None:
    categories = {ft.category for ft in FAULTS.values()}
    ep = warroom.make(sid, max_steps=500)
    obs = ep.reset(seed=11)
    bad = forbidden(ep)
    texts = [("incident page", obs.text)]
    outputs: dict[str, Any] = {}
    for call in read_calls(ep):
        res = ep.step(call)
        assert res.observation.ok, (sid, call, res.observation.text)
        outputs.setdefault(call.name, res.observation.data)
        texts.append((call.name, res.observation.text))
    for call in id_calls(outputs):
        res = ep.step(call)
        texts.append((call.name, res.observation.text))
    for tool, text in texts:
        if tool == "list_categories":  # the public taxonomy, the same in every episode
            continue
        low = text.lower()
        for name in REGISTRY:  # tool names (flag_rogue_agent) are public vocabulary
            low = low.replace(name, "")
        for word in bad:
            assert word.lower() not in low, (sid, tool, word)
        for cat in categories:
            assert cat not in text, (sid, tool, cat)


def test_alerts_and_titles_name_symptoms_not_causes() -> None:
    for sid in sample_ids():
        ep = warroom.make(sid)
        obs = ep.reset(seed=4)
        alerts = ep.step(ToolCall("list_alerts", {})).observation.text
        assert ep.scenario.title.lower() not in {t.fault for t in ep.truths}
        for truth in ep.truths:
            for text in (obs.text, alerts, ep.scenario.title):
                assert not re.search(rf"\b{re.escape(truth.component)}\b", text), (sid, text)
                assert truth.fault not in text and truth.category not in text
                if truth.culprit:
                    assert truth.culprit not in text, (sid, truth.culprit)
