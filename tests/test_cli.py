"""The command line: list, run, play, tools; JSON output parses and carries the fields."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from warroom.cli.main import app
from warroom.cli.play import parse_line

runner = CliRunner()
SID = "db_connection_leak/checkout/medium/v1"


def test_help_lists_commands() -> None:
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    for cmd in ("list", "run", "play", "validate", "tools"):
        assert cmd in res.output


def test_list_json_filters() -> None:
    res = runner.invoke(app, ["list", "--json", "--tier", "hard"])
    assert res.exit_code == 0
    rows = json.loads(res.output)
    assert rows and all(r["tier"] == "hard" for r in rows)
    assert {"id", "family", "fault", "tier", "split"} <= set(rows[0])


def test_run_json_has_trace_hash_and_score() -> None:
    res = runner.invoke(app, ["run", SID, "--policy", "oracle", "--seed", "2", "--json"])
    assert res.exit_code == 0, res.output
    rec = json.loads(res.output)
    assert rec["scenario"] == SID and rec["seed"] == 2 and rec["policy"] == "oracle"
    assert len(rec["state_hash"]) == 64 and rec["steps"] == len(rec["trace"])
    assert rec["result"]["success"] is True
    again = json.loads(runner.invoke(app, ["run", SID, "--policy", "oracle", "--seed", "2",
                                           "--json"]).output)
    assert again["state_hash"] == rec["state_hash"]


def test_run_unknown_scenario_is_a_clear_error() -> None:
    res = runner.invoke(app, ["run", "nope/nothing", "--policy", "oracle"])
    assert res.exit_code != 0
    assert "unknown scenario" in res.output


def test_play_reads_tool_calls_from_the_prompt() -> None:
    script = "\n".join(["help", "tools", "help query_metrics", "list_alerts",
                        "query_metrics service=checkout metric=cpu minutes=10",
                        "bogus_tool x=1", "list_pods service=", "quit"]) + "\n"
    res = runner.invoke(app, ["play", SID], input=script)
    assert res.exit_code == 0, res.output
    assert "INCIDENT PAGE" in res.output
    assert "checkout cpu" in res.output
    assert "unknown tool 'bogus_tool'" in res.output


def test_parse_line_reads_json_values() -> None:
    call = parse_line('set_flag flag=orders-async-write enabled=true')
    assert call.name == "set_flag" and call.arguments == {"flag": "orders-async-write",
                                                          "enabled": True}


def test_tools_openai_is_openai_schemas() -> None:
    res = runner.invoke(app, ["tools", "--openai"])
    schemas = json.loads(res.output)
    names = {s["function"]["name"] for s in schemas}
    assert {"query_metrics", "submit_report", "pause_agent"} <= names


def test_run_plays_the_episode_exactly_as_eval_does() -> None:
    from warroom import make
    from warroom.agents import make_policy
    from warroom.harness.episode import run_episode

    cli = json.loads(runner.invoke(app, ["run", SID, "--policy", "random", "--seed", "3",
                                         "--json"]).output)
    out = run_episode(make_policy("random"), make(SID).scenario, 3)
    assert cli["state_hash"] == out.state_hash and cli["steps"] == out.steps
    assert cli["result"]["score"] == out.result["score"]


def test_play_shows_bracketed_tool_output_verbatim() -> None:
    res = runner.invoke(app, ["play", "rogue_autoscaler/catalog/medium/v1"],
                        input="tools\nquit\n")
    assert "[page]" in res.output  # alert severities, not swallowed as markup
    assert "[read]" in res.output and "[write]" in res.output
