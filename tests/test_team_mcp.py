"""Team incidents over MCP (framework-free tools): clients join one incident per role."""

from __future__ import annotations

from warroom.servers.mcp_team import JOIN, START_TEAM, TeamIncidentTools

SCENARIO = "db_connection_leak/app/easy/v1"


def test_clients_join_roles_and_act_in_turn() -> None:
    tools = TeamIncidentTools()
    names = {d["name"] for d in tools.definitions}
    assert {START_TEAM, JOIN, "say", "stand_by", "start_incident", "query_metrics"} <= names
    room = tools.call(START_TEAM, {"scenario": SCENARIO, "seed": 1}).structured["episode_id"]
    seats = {}
    for role in ("sre", "oversight", "developer", "commander"):
        out = tools.call(JOIN, {"episode_id": room, "role": role})
        assert not out.is_error and "INCIDENT PAGE" in out.text
        seats[role] = out.structured["seat_id"]
    assert tools.call(JOIN, {"episode_id": room, "role": "sre"}).is_error  # one seat a role
    early = tools.call("list_fleet_actions", {"episode_id": seats["oversight"]})
    assert early.is_error and "not your turn" in early.text
    logs = tools.call("search_logs", {"episode_id": seats["sre"], "service": "app"})
    assert not logs.is_error and logs.structured["next_role"] == "oversight"
    said = tools.call("say", {"episode_id": seats["oversight"], "to": "all",
                              "message": "fleet looks quiet"})
    assert not said.is_error
    refused = tools.call("submit_report", {"episode_id": seats["developer"],
                                           "root_cause": {}, "summary": "x"})
    assert refused.is_error and "cannot call" in refused.text
    report = tools.call("submit_report", {"episode_id": seats["commander"], "root_cause": {
        "component": "app", "category": "database/connection_leak", "culprit": None},
        "summary": "app leaks connections"})
    assert "fleet looks quiet" in report.text  # the chat since its last turn
    assert report.structured["done"] and "team" in report.structured["result"]
    # the single-agent tools are untouched
    single = tools.call("start_incident", {"scenario": SCENARIO})
    assert not single.is_error and single.structured["episode_id"]
