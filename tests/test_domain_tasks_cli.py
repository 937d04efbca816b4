"""The user side of domain fact tasks: ``warroom tasks``, ``warroom.make_domain``, a
scenario file's own fact tasks, and ``warroom export-sft --domain``."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

import warroom
from warroom.cli.main import app
from warroom.env.domain import DomainEpisode
from warroom.scenarios.catalog import all_scenarios
from warroom.scenarios.fact_templates import task_refs
from warroom.scenarios.files import load, validate
from warroom.tools.slices import DOMAINS, READ_DOMAINS
from warroom.types import ToolCall

runner = CliRunner()
KEYS = {"id", "domain", "template", "split", "scenario"}
# A team's own ticket on a hand-written incident: which release is live on checkout (the
# release on orders, also shown by the read, is the look-alike).
TEAM_FILE = """\
id: team/auth-zero
title: Sign-in down after a scale change
topology: shop
tier: easy
faults:
  - type: scaled_to_zero
    target: auth
fact_tasks:
  - domain: deploys
    question: Which release is live on checkout right now?
    facts: [rel-4403]
    decoys: [rel-4394]
    reads:
      - tool: list_deploys
        arguments: {hours: 48}
"""


def _json(args: list[str]) -> object:
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.fixture
def team_file(tmp_path: Path) -> Path:
    path = tmp_path / "team.yaml"
    path.write_text(TEAM_FILE)
    return path


# -- warroom tasks -------------------------------------------------------------------------

def test_tasks_json_is_one_row_per_fact_task() -> None:
    rows = _json(["tasks", "--json"])
    assert isinstance(rows, list) and rows == task_refs()
    assert rows and all(set(r) == KEYS for r in rows)
    assert len({r["id"] for r in rows}) == len(rows)
    assert {r["domain"] for r in rows} <= set(READ_DOMAINS)
    splits = {s.id: s.split for s in all_scenarios()}
    for r in rows:
        assert r["id"] == f"{r['domain']}/{r['template']}@{r['scenario']}"
        assert r["split"] == splits[r["scenario"]]


def test_tasks_filters() -> None:
    every = task_refs()
    domain = every[0]["domain"]
    rows = _json(["tasks", "--json", "--domain", domain, "--split", "dev"])
    assert rows == [r for r in every if r["domain"] == domain and r["split"] == "dev"]
    template = every[0]["template"]
    rows = _json(["tasks", "--json", "--domain", domain, "--template", template])
    assert rows and {r["template"] for r in rows} == {template}
    assert _json(["tasks", "--json", "--domain", "fleet", "--split", "ood"]) == \
        [r for r in every if r["domain"] == "fleet" and r["split"] == "ood"]


def test_tasks_summary_and_list() -> None:
    every = task_refs()
    res = runner.invoke(app, ["tasks"])
    assert res.exit_code == 0, res.output
    for d in READ_DOMAINS:
        assert d in res.output
    assert f"{len(every)} fact tasks" in res.output
    per_template = Counter(f"{r['domain']}/{r['template']}" for r in every)
    for key, count in per_template.items():
        assert any(key in line and str(count) in line for line in res.output.splitlines())
    listed = runner.invoke(app, ["tasks", "--list", "--split", "test"])
    assert listed.exit_code == 0
    assert listed.stdout.split() == [r["id"] for r in every if r["split"] == "test"]


@pytest.mark.parametrize("args, words", [
    (["--domain", "deploy"], ["unknown --domain 'deploy'", "did you mean 'deploys'",
                              "observability"]),
    (["--domain", "operations"], ["unknown --domain 'operations'", "valid:"]),
    (["--split", "tset"], ["unknown --split 'tset'", "did you mean 'test'"]),
    (["--domain", "deploys", "--template", "no_such_template"], ["unknown --template"]),
])
def test_tasks_bad_options_are_usage_errors(args: list[str], words: list[str]) -> None:
    res = runner.invoke(app, ["tasks", *args])
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    for w in words:
        assert w in text, text
    assert "Traceback" not in res.output


# -- warroom.make_domain -------------------------------------------------------------------

def test_make_domain_gives_the_domain_episode() -> None:
    ref = task_refs(split="dev")[0]
    ep = warroom.make_domain(ref["id"])
    assert isinstance(ep, DomainEpisode) and "make_domain" in warroom.__all__
    assert ep.domain == ref["domain"] and ep.id == ref["id"]
    assert ep.tool_names == [s.name for s in DOMAINS[ref["domain"]].tools()] + ["answer"]
    obs = ep.reset()
    assert obs.data["question"] == ep.task.question and ep.task.question in obs.text
    for call in ep.task.reads:
        assert ep.step(call).observation.ok
    res = ep.step(ToolCall("answer", {"text": " ".join(ep.task.facts)}))
    assert res.done and ep.result["success"] and ep.result["score"] == 1.0


def test_make_domain_is_deterministic_and_takes_a_seed() -> None:
    tid = task_refs(split="test")[0]["id"]
    hashes = []
    for _ in range(2):
        ep = warroom.make_domain(tid)
        ep.reset()
        for call in ep.task.reads:
            ep.step(call)
        hashes.append(ep.state_hash())
    assert hashes[0] == hashes[1]
    other = warroom.make_domain(tid, seed=7)
    other.reset()
    plain = warroom.make_domain(tid)
    plain.reset()
    assert other.seed == other.task.seed == 7 != plain.seed
    assert other.state_hash() != plain.state_hash()


@pytest.mark.parametrize("bad", ["deploys/no_such_template@db_connection_leak/checkout/medium/v1",
                                 "not an id", "deploys/file:0@team/auth-zero"])
def test_make_domain_unknown_id_is_a_key_error(bad: str) -> None:
    with pytest.raises(KeyError) as err:
        warroom.make_domain(bad)
    assert "fact task" in str(err.value) or "scenario" in str(err.value)


# -- a scenario file's own fact tasks ------------------------------------------------------

def test_scenario_without_fact_tasks_dumps_as_before() -> None:
    for sc in all_scenarios()[:50]:
        assert "fact_tasks" not in sc.model_dump_json()
        assert "fact_tasks" not in sc.model_dump()
    example = load(Path(warroom.__file__).parent / "scenarios" / "examples" /
                   "github-2018-replication.yaml")
    assert "fact_tasks" not in example.model_dump_json()


def test_scenario_file_fact_task_lists_and_plays(team_file: Path) -> None:
    assert validate(team_file) == []
    sc = load(team_file)
    assert '"fact_tasks"' in sc.model_dump_json()
    rows = _json(["tasks", "--json", "--scenario", str(team_file)])
    tid = "deploys/file:0@team/auth-zero"
    assert rows == [{"id": tid, "domain": "deploys", "template": "file", "split": "custom",
                     "scenario": "team/auth-zero"}]
    ep = warroom.make_domain(tid, scenario=team_file)
    ep.reset()
    out = ep.step(ToolCall("list_deploys", {"hours": 48})).observation
    assert out.ok and "rel-4403" in out.text and "rel-4394" in out.text
    assert ep.step(ToolCall("answer", {"text": "rel-4403 on checkout"})).info["result"][
        "success"]
    stuffed = warroom.make_domain(tid, scenario=str(team_file))
    stuffed.reset()
    stuffed.step(ToolCall("answer", {"text": "rel-4403 rel-4394"}))
    assert not stuffed.result["success"] and stuffed.result["decoys_named"] == ["rel-4394"]
    with pytest.raises(KeyError, match="its tasks"):
        warroom.make_domain("deploys/file:3@team/auth-zero", scenario=team_file)


def test_scenario_file_fact_task_evaluates(team_file: Path) -> None:
    out = _json(["eval", "--domain", "deploys", "--scenario", str(team_file), "--json",
                 "--no-progress", "--policies", "oracle,random"])
    rows = {r["policy"]: r for r in out["leaderboard"]}
    assert rows["oracle"]["n"] == 1 and rows["oracle"]["success_rate"] == 1.0
    assert [g["template"] for g in out["by_template"]] == ["file", "file"]


@pytest.mark.parametrize("edit, words", [
    (("domain: deploys", "domain: deploy"), ["fact_tasks[0].domain", "did you mean 'deploys'"]),
    (("tool: list_deploys", "tool: list_pods"), ["fact_tasks[0].reads[0].tool",
                                                 "not a tool of the deploys domain"]),
    (("decoys: [rel-4394]", "decoys: [rel-4403]"), ["fact_tasks[0].decoys", "also a fact"]),
    (("facts: [rel-4403]", "facts: []"), ["fact_tasks[0].facts"]),
    (("    question: ", "    asked: "), ["fact_tasks[0]"]),
])
def test_scenario_file_fact_task_problems_name_the_field(tmp_path: Path, edit: tuple[str, str],
                                                         words: list[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(TEAM_FILE.replace(*edit))
    problems = " ".join(validate(path))
    for w in words:
        assert w in problems, problems
    res = runner.invoke(app, ["tasks", "--scenario", str(path)])
    assert res.exit_code == 2 and "Traceback" not in res.output


# -- export-sft --domain -------------------------------------------------------------------

def test_export_sft_domain_writes_oracle_chat_rows(tmp_path: Path) -> None:
    domain = task_refs(split="train")[0]["domain"]
    out = tmp_path / "domain.jsonl"
    res = runner.invoke(app, ["export-sft", "--domain", domain, "--split", "train", "--n", "2",
                              "-o", str(out)])
    assert res.exit_code == 0, res.output
    stats = json.loads(res.stdout)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert stats["written"] == len(rows) > 0 and stats["mean_score"] == 1.0
    for row in rows:
        msgs = row["messages"]
        assert row["domain"] == domain and row["success"] and row["task"].startswith(domain)
        assert msgs[0]["role"] == "system" and f"{domain} specialist" in msgs[0]["content"]
        assert msgs[1]["role"] == "user" and "QUESTION" in msgs[1]["content"]
        calls = [m["tool_calls"][0]["function"] for m in msgs if m["role"] == "assistant"]
        assert calls[-1]["name"] == "answer" and isinstance(calls[-1]["arguments"], dict)
        assert [t["function"]["name"] for t in row["tools"]][-1] == "answer"
        assert len(calls) == row["steps"]


def test_tasks_check_finds_a_task_its_reads_cannot_answer(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(TEAM_FILE)
    res = runner.invoke(app, ["tasks", "--scenario", str(good), "--check"])
    assert res.exit_code == 0 and "1 / 1 tasks answerable" in res.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(TEAM_FILE.replace("decoys: [rel-4394]", "decoys: [rel-9999]")
                   .replace("arguments: {hours: 48}", "arguments: {hours: 48, service: nope}"))
    res = runner.invoke(app, ["tasks", "--scenario", str(bad), "--check", "--json"])
    assert res.exit_code == 1
    (row,) = json.loads(res.stdout)
    assert not row["ok"] and any("rel-9999" in p for p in row["problems"])
    assert any("read list_deploys failed" in p or "fact 'rel-4403'" in p
               for p in row["problems"])
