"""The front door: every bad input ends in a short message and exit code 2 (usage) or 1
(failure), never a traceback; runs resumed with other options are refused or extended."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from warroom.cli.main import app

runner = CliRunner()


def assert_clean_error(args: list[str], code: int, *needles: str, input: str | None = None
                       ) -> str:
    """Run ``warroom ARGS``: exit ``code``, one screen at most, no traceback."""
    res = runner.invoke(app, args, input=input)
    text = res.output
    assert res.exit_code == code, text
    assert res.exception is None or isinstance(res.exception, SystemExit), text
    assert "Traceback" not in text, text
    assert len(text.splitlines()) < 25, text
    assert "error:" in text, text
    for needle in needles:
        assert needle in " ".join(text.split()), text
    return text


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("scenario_files")
    (root / "badsyntax.yaml").write_text("foo: [1,\n", encoding="utf-8")
    (root / "bad.yaml").write_text("id: x\nfoo: 1\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "run"
    res = runner.invoke(app, ["eval", "--policies", "oracle", "--tier", "easy", "--n", "1",
                              "--out", str(out), "--workers", "1", "--no-progress",
                              "--no-report", "--json"])
    assert res.exit_code == 0, res.output
    return out


@pytest.mark.parametrize("command", ["run", "play"])
def test_missing_and_malformed_scenario_files(command: str, files: Path) -> None:
    assert_clean_error([command, str(files / "nonexist.yaml")], 2, "nonexist.yaml")
    assert_clean_error([command, str(files / "bad.yaml")], 2, "bad.yaml", "faults")
    assert_clean_error([command, str(files / "badsyntax.yaml")], 2, "badsyntax.yaml")


def test_unknown_scenario_and_policy() -> None:
    assert_clean_error(["run", "nope/nothing"], 2, "unknown scenario 'nope/nothing'")
    assert_clean_error(["play", "nope/nothing"], 2, "unknown scenario")
    assert_clean_error(["run", "db_connection_leak/checkout/medium/v1", "--policy", "nope"],
                       2, "unknown policy 'nope'", "heuristic")
    assert_clean_error(["run", "db_connection_leak/checkout/medium/v1", "--policy", "llm"],
                       2, "--model")
    assert_clean_error(["eval", "--policies", "nope", "--n", "1"], 2, "unknown policy")


def test_eval_into_an_existing_run_says_resume_or_another_out(small_run: Path) -> None:
    assert_clean_error(["eval", "--policies", "oracle", "--tier", "easy", "--n", "1",
                        "--out", str(small_run), "--no-progress"], 2,
                       "already holds a run", "--resume", "--out")


def test_resume_of_a_missing_run_is_a_clean_error(tmp_path: Path) -> None:
    assert_clean_error(["eval", "--resume", "--out", str(tmp_path / "none")], 2,
                       "not a run directory")


def test_eval_rejects_bad_seeds_tiers_and_reward_configs() -> None:
    assert_clean_error(["eval", "--seeds", "0,0"], 2, "seeds repeat")
    assert_clean_error(["eval", "--tier", "foo"], 2, "unknown --tier 'foo'", "easy, medium")
    assert_clean_error(["eval", "--split", "tset"], 2, "did you mean 'test'")
    assert_clean_error(["eval", "--reward-config", "nope"], 2, "standard/v1")
    assert_clean_error(["eval", "--extend"], 2, "--resume")


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3"])
def test_serving_beyond_loopback_without_a_token_is_refused(host: str,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    monkeypatch.delenv("WARROOM_TOKEN", raising=False)
    assert_clean_error(["serve", "mcp", "--transport", "http", "--host", host], 2,
                       f"refusing to listen on {host}", "--token")
    assert_clean_error(["serve", "openenv", "--host", host], 2, "bearer token")
    assert_clean_error(["serve", "mcp", "--transport", "tcp"], 2, "stdio or http")


def test_list_rejects_unknown_tier_and_family() -> None:
    assert_clean_error(["list", "--tier", "foo"], 2, "unknown --tier 'foo'",
                       "easy, medium, hard")
    text = assert_clean_error(["list", "--family", "databse"], 2, "did you mean 'database'")
    assert "rogue_agent" in text
    assert_clean_error(["list", "--split", "nope"], 2, "train, dev, test, ood")


def test_resume_with_other_options_says_what_differs(small_run: Path) -> None:
    before = (small_run / "spec.json").read_text("utf-8")
    text = assert_clean_error(["eval", "--resume", "--out", str(small_run), "--policies",
                               "random,oracle", "--seeds", "0,1", "--no-progress"], 2,
                              "policies: the run has oracle, this command asks random, "
                              "oracle", "seeds: the run has 0, this command asks 0,1",
                              "--extend")
    assert "scenarios" not in text  # not asked, not reported
    assert_clean_error(["eval", "--resume", "--out", str(small_run), "--n", "2",
                        "--no-progress"], 2, "scenarios: the run has 1 scenarios")
    assert_clean_error(["eval", "--resume", "--extend", "--out", str(small_run),
                        "--reward-config", "strict", "--no-progress"], 2,
                       "one reward config")
    assert (small_run / "spec.json").read_text("utf-8") == before
    res = runner.invoke(app, ["eval", "--resume", "--out", str(small_run),
                              "--reward-config", "standard/v1", "--json", "--no-progress",
                              "--no-report"])
    assert res.exit_code == 0, res.output  # the default, named: no difference
    assert json.loads(res.stdout)["run"]["ran"] == 0


def test_resume_with_extend_grows_the_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    base = ["--tier", "easy", "--n", "1", "--out", str(out), "--workers", "1",
            "--no-progress", "--no-report", "--json"]
    assert runner.invoke(app, ["eval", "--policies", "oracle", *base]).exit_code == 0
    res = runner.invoke(app, ["eval", "--resume", "--extend", "--policies", "random",
                              "--seeds", "0,1", *base])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["run"]["ran"] == 3  # oracle seed 1, random seeds 0 and 1
    spec = json.loads((out / "spec.json").read_text("utf-8"))
    assert [p["label"] for p in spec["policies"]] == ["oracle", "random"]
    assert spec["seeds"] == [0, 1] and len(spec["extended"]) == 1


# --- play: arguments, did you mean, the rubric ------------------------------------------

SID = "db_connection_leak/checkout/medium/v1"
REPORT = ('submit_report root_cause={"component": "checkout", "category": '
          '"database/connection_leak"} summary="pool=5 leaked: rolled back"')


def test_play_arguments_parse_as_shell_words_or_json() -> None:
    from warroom.cli.play import parse_line

    assert parse_line('t x={"a": 1}').arguments == {"x": {"a": 1}}
    assert parse_line("t x='{\"a\": [1, 2]}' n=5 on=true").arguments == {
        "x": {"a": [1, 2]}, "n": 5, "on": True}
    call = parse_line(REPORT)
    assert call.arguments["root_cause"] == {"component": "checkout",
                                            "category": "database/connection_leak"}
    assert call.arguments["summary"] == "pool=5 leaked: rolled back"
    assert parse_line("t a= b=x").arguments == {"a": "", "b": "x"}
    for bad, says in (("t a=1 two words", "expected key=value, got 'two'"),
                      ("t a={bad", "not valid JSON"), ("t a='open", "No closing")):
        with pytest.raises(ValueError, match=says):
            parse_line(bad)


def _panel_times(output: str) -> list[str]:
    import re

    return re.findall(r"─ (\d{4}-\d\d-\d\dT[\d:.]+Z) ─", output)


def test_play_typos_get_did_you_mean_and_cost_no_time() -> None:
    plain = runner.invoke(app, ["play", SID], input="list_alerts\nquit\n")
    typos = runner.invoke(app, ["play", SID], input="query_metric service=checkout\n"
                          "query_metrics servce=checkout metric=cpu\nclear\n"
                          "list_alerts\nquit\n")
    assert typos.exit_code == 0, typos.output
    text = " ".join(typos.output.split())
    assert "unknown tool 'query_metric'; did you mean 'query_metrics'?" in text
    assert "query_metrics has no argument 'servce'; did you mean 'service'" in text
    assert "unknown tool 'clear'" in text and "no simulated time passed" in text
    assert _panel_times(typos.output) == _panel_times(plain.output)
    assert len(_panel_times(plain.output)) == 2  # the page and list_alerts


def test_play_shows_the_rubric_after_the_report() -> None:
    res = runner.invoke(app, ["play", SID], input=f"list_alerts\n{REPORT}\n")
    assert res.exit_code == 0, res.output
    out = res.output
    assert "score=" in out and "diagnosis" in out and "safety" in out
    assert "oversight n/a" in out  # does not apply: not shown as lost points
    assert "oversight 0.00" not in out
    assert "weight" in out and "weighted mean" in out


# --- rendering: wrapped, never cut --------------------------------------------------------

BORDER = "│╭╮╰╯─"


def _words(text: str) -> str:
    return " ".join(text.translate({ord(c): " " for c in BORDER}).split())


def test_run_at_80_columns_wraps_the_incident_page(monkeypatch: pytest.MonkeyPatch) -> None:
    import warroom
    from warroom.cli import render

    monkeypatch.setattr(render.console, "width", 80)
    res = runner.invoke(app, ["run", SID, "--policy", "heuristic"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    page = warroom.make(SID).reset(seed=0).text
    assert max(len(line) for line in page.splitlines()) > 76  # the test means something
    assert _words(page) in _words(res.output)
    assert "Budget:" in res.output and ("SUCCESS" in res.output or "FAILED" in res.output)


def test_long_tool_errors_wrap_at_any_width(monkeypatch: pytest.MonkeyPatch) -> None:
    from warroom.cli import render
    from warroom.types import Observation

    text = "ERROR: unknown tool 'x'. Valid tools: " + ", ".join(f"tool_{i}" for i in range(80))
    for width in (80, 200):
        monkeypatch.setattr(render.console, "width", width)
        with render.console.capture() as cap:
            render.show_observation(Observation(text, None, "x", False, "bad", "T", 1))
        out = cap.get()
        assert max(len(line) for line in out.splitlines()) <= width
        assert _words(text) in _words(out)


def test_list_and_tools_print_headers_and_whole_descriptions(monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    from warroom.cli import render
    from warroom.tools.registry import REGISTRY

    res = runner.invoke(app, ["list", "--tier", "hard", "--family", "cache"])
    assert res.exit_code == 0
    assert res.stdout.splitlines()[0].split() == ["ID", "FAMILY", "TIER", "SPLIT"]
    monkeypatch.setattr(render.console, "width", 80)
    out = runner.invoke(app, ["tools"]).output
    assert out.splitlines()[0].split() == ["domain", "tool", "kind", "cost", "description"]
    longest = max(REGISTRY.values(), key=lambda s: len(s.description))
    assert len(longest.description) > 80 and _words(longest.description) in _words(out)
    domains = [line.split()[0] for line in out.splitlines()[1:]
               if line[:1].strip() and not line.startswith(" ")]
    assert domains == sorted(set(domains))  # each domain once, in order


def test_tools_json_has_kind_cost_and_domain() -> None:
    rows = json.loads(runner.invoke(app, ["tools", "--json"]).output)
    by_name = {r["name"]: r for r in rows}
    assert by_name["query_metrics"]["kind"] == "read"
    assert by_name["rollback_deploy"]["kind"] == "write"
    assert by_name["rollback_deploy"]["cost_s"] > by_name["query_metrics"]["cost_s"] > 0
    assert by_name["query_metrics"]["domain"] and by_name["query_metrics"]["parameters"]


def test_version() -> None:
    import warroom

    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.strip() == f"warroom {warroom.__version__}"


def test_report_and_export_refuse_bad_input_cleanly(tmp_path: Path) -> None:
    assert_clean_error(["report", str(tmp_path)], 2, "not a run directory")
    assert_clean_error(["export-sft", "--split", "nope", "-o", str(tmp_path / "x.jsonl")], 2,
                       "unknown --split 'nope'")
