"""The team faces of the CLI: ``run --team``, ``eval --team`` and ``play --role``."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from warroom.cli.main import app

runner = CliRunner()
SCENARIO = "db_connection_leak/app/easy/v1"


def test_run_team_json_has_state_hash_and_result() -> None:
    res = runner.invoke(app, ["run", SCENARIO, "--team", "oracle", "--seed", "2", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert len(out["state_hash"]) == 64 and out["result"]["success"]
    assert out["team"] == "team:oracle" and out["seed"] == 2
    assert set(out["result"]["team"]["roles"]) == {"sre", "oversight", "developer",
                                                   "commander"}
    again = json.loads(runner.invoke(app, ["run", SCENARIO, "--team", "oracle", "--seed", "2",
                                           "--json"]).output)
    assert again["state_hash"] == out["state_hash"]
    bad = runner.invoke(app, ["run", SCENARIO, "--team", "sre=oracle,janitor=x"])
    assert bad.exit_code != 0


def test_eval_team_json_has_the_summary_shape_and_roles() -> None:
    res = runner.invoke(app, ["eval", "--team", "random;oracle", "--split", "dev", "--tier",
                              "easy", "--n", "2", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    board = {row["policy"]: row for row in out["leaderboard"]}
    assert set(board) == {"team:random", "team:oracle", "heuristic"}
    assert board["team:oracle"]["success_rate"] == 1.0
    assert set(out["roles"]["team:oracle"]) >= {"sre", "oversight", "developer", "commander"}
    assert set(out["single_vs_team"]["scores"]) == set(board)


def test_play_a_role_with_the_rest_played_by_a_team() -> None:
    lines = ["tools", 'say to=all message="I am watching the fleet"',
             "list_fleet_actions minutes=30"] + ["stand_by"] * 40
    res = runner.invoke(app, ["play", SCENARIO, "--role", "oversight", "--team", "oracle"],
                        input="\n".join(lines) + "\n")
    assert res.exit_code == 0, res.output
    assert "your turn (oversight)" in res.output and "flag_rogue_agent" in res.output
    assert "root cause 1" in res.output  # the SRE's chat reached this role
    assert "credit sre=" in res.output
