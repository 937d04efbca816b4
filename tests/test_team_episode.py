"""The team episode: roles and their permissions, partial views, chat, turn order, the round
budget and determinism (in this process and across processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import warroom
from warroom import ToolCall
from warroom.env.roles import DEFAULT_ROLES, ROLES, ROUND_BUDGET

SCENARIO = "db_connection_leak/app/easy/v1"
ACTIONS = [
    ToolCall("search_logs", {"service": "app", "level": "ERROR", "minutes": 30}),
    ToolCall("list_fleet_actions", {}),
    ToolCall("list_pods", {"service": "app"}),
    ToolCall("say", {"to": "all", "message": "app is leaking db connections"}),
    ToolCall("say", {"to": "developer", "message": "please restart_service app"}),
    ToolCall("stand_by", {}),
    ToolCall("restart_service", {"service": "app"}),
    ToolCall("post_update", {"status": "investigating", "message": "looking at app"}),
]


def test_default_roles_order_and_interface() -> None:
    ep = warroom.make_team(SCENARIO)
    assert ep.roles == ["sre", "oversight", "developer", "commander"] == list(DEFAULT_ROLES)
    ep.reset(seed=1)
    seen = []
    for _ in range(9):
        seen.append(ep.current_role)
        ep.step(ToolCall("stand_by", {}))
    assert seen == [*DEFAULT_ROLES, *DEFAULT_ROLES, "sre"]
    assert ep.rounds == ROUND_BUDGET["easy"]
    assert isinstance(ep, warroom.TeamEpisode) and not ep.done and ep.result is None


def test_custom_order_and_roles() -> None:
    ep = warroom.make_team(SCENARIO, roles=["sre", "commander"], order=["commander", "sre"])
    ep.reset(seed=1)
    assert ep.current_role == "commander"
    ep.step(ToolCall("stand_by", {}))
    assert ep.current_role == "sre"
    with pytest.raises(ValueError):
        warroom.make_team(SCENARIO, roles=["sre", "commander"], order=["sre"])
    with pytest.raises(KeyError):
        warroom.make_team(SCENARIO, roles=["sre", "janitor"])


def test_permissions_per_role() -> None:
    names = {r: set(ROLES[r].tool_names()) for r in DEFAULT_ROLES}
    assert "flag_rogue_agent" in names["oversight"] and "pause_agent" in names["oversight"]
    assert not any("flag_rogue_agent" in names[r] or "pause_agent" in names[r]
                   for r in ("sre", "developer", "commander"))
    assert [r for r in DEFAULT_ROLES if "submit_report" in names[r]] == ["commander"]
    assert "rollback_deploy" in names["developer"] and "rollback_deploy" not in names["sre"]
    assert "search_logs" in names["sre"] and "search_logs" not in names["commander"]
    assert not {"query_metrics", "search_logs", "search_traces"} & names["commander"]
    ep = warroom.make_team(SCENARIO)
    ep.reset(seed=1)
    assert {t["function"]["name"] for t in ep.tools_for("developer")} == names["developer"]
    # SRE tries to write; it is refused, the turn is used, nothing changed
    before = ep.inner.world.head.services["app"].replicas
    res = ep.step(ToolCall("scale_service", {"service": "app", "replicas": 9}))
    assert not res.observation.ok and "sre role cannot call" in res.observation.text
    assert res.info["invalid"] and ep.current_role == "oversight"
    assert ep.inner.world.head.services["app"].replicas == before
    res = ep.step(ToolCall("submit_report", {"root_cause": {}, "summary": "x"}))
    assert not res.observation.ok and not ep.done
    res = ep.step(ToolCall("no_such_tool", {}))
    assert not res.observation.ok and "unknown tool" in res.observation.text


def test_partial_views_and_chat() -> None:
    ep = warroom.make_team(SCENARIO)
    ep.reset(seed=1)
    for call in ACTIONS[:2]:
        ep.step(call)
    logs = ep.inner.trace[0].text
    assert logs.strip() and logs in ep.view("sre")
    for other in ("oversight", "developer", "commander"):
        assert logs not in ep.view(other)  # another role's output is never shown
    fleet = ep.inner.trace[1].text
    assert fleet in ep.view("oversight") and fleet not in ep.view("sre")
    ep.step(ToolCall("stand_by", {}))
    ep.step(ToolCall("stand_by", {}))
    ep.step(ACTIONS[3])  # sre -> all
    ep.step(ToolCall("stand_by", {}))
    ep.step(ToolCall("stand_by", {}))
    ep.step(ToolCall("say", {"to": "sre", "message": "ack, standing by"}))  # commander
    line = "app is leaking db connections"
    assert all(line in ep.view(r) for r in DEFAULT_ROLES)
    assert "ack, standing by" in ep.view("sre")
    assert "ack, standing by" not in ep.view("developer")
    assert [m.sender for m in ep.chat] == ["sre", "commander"]
    assert ep.chat[1].t > ep.chat[0].t  # chat costs simulated time


def test_say_is_checked() -> None:
    ep = warroom.make_team(SCENARIO)
    ep.reset(seed=1)
    for bad in ({"to": "nobody", "message": "hi"}, {"to": "all", "message": ""},
                {"to": "all", "message": "x" * 1000}, {"to": "commander", "message": "me"},
                {"to": "all"}):
        res = ep.step(ToolCall("say", bad))
        assert not res.observation.ok and res.info["invalid"]
    assert ep.chat == []


def test_round_budget_truncates() -> None:
    ep = warroom.make_team(SCENARIO, rounds=2)
    ep.reset(seed=1)
    for _ in range(8):
        res = ep.step(ToolCall("stand_by", {}))
    assert ep.done and res.truncated and ep.result is not None
    assert ep.result["team"]["rounds_used"] == 2
    res = ep.step(ToolCall("stand_by", {}))
    assert not res.observation.ok


def _play() -> str:
    ep = warroom.make_team(SCENARIO)
    ep.reset(seed=5)
    for call in ACTIONS:
        ep.step(call)
    return ep.state_hash()


def test_deterministic_in_process_and_chat_is_hashed() -> None:
    assert _play() == _play()
    ep = warroom.make_team(SCENARIO)
    ep.reset(seed=5)
    for call in ACTIONS[:3]:
        ep.step(call)
    ep.step(ToolCall("say", {"to": "all", "message": "something else"}))
    for call in ACTIONS[4:]:
        ep.step(call)
    assert ep.state_hash() != _play()


def test_deterministic_across_processes() -> None:
    code = ("import json, sys; from tests.test_team_episode import _play; "
            "print(json.dumps(_play()))")
    env = dict(os.environ, PYTHONHASHSEED="123")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert json.loads(out.stdout.strip().splitlines()[-1]) == _play()
