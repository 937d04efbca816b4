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
