"""One role trainable while the others are fixed policies."""

from __future__ import annotations

from warroom import ToolCall
from warroom.env.roles import ROLES
from warroom.harness.team_role import RoleEpisode
from warroom.scenarios import get

SCENARIO = "rogue_autoscaler/auth/medium/v9"


def test_a_learner_oversight_among_oracle_teammates() -> None:
    ep = RoleEpisode(get(SCENARIO), "oversight", team="oracle")
    obs = ep.reset()
    assert "INCIDENT PAGE" in obs.text and ep.team.current_role == "oversight"
    assert {t["function"]["name"] for t in ep.tools} == set(ROLES["oversight"].tool_names())
    res = ep.step(ToolCall("list_fleet_actions", {"agent": "autoscaler"}))
    assert "autoscaler" in res.observation.text and ep.team.current_role == "oversight"
    res = ep.step(ToolCall("flag_rogue_agent", {"agent": "autoscaler", "reason": "cuts"}))
    while not ep.done:
        res = ep.step(ToolCall("stand_by", {}))
    assert ep.result is not None and res.info["result"] is ep.result
    assert ep.result["team"]["roles"]["oversight"]["credit"] == 1.0
    refused = RoleEpisode(get(SCENARIO), "oversight", team="oracle")
    refused.reset()
    out = refused.step(ToolCall("submit_report", {"root_cause": {}, "summary": ""}))
    assert not out.observation.ok
