"""``warroom eval --domain``: the summary shape, the domain policies (oracle 1.0, random
and heuristic measured, an LLM behind the local fake endpoint, import paths), determinism,
and the run directory with ``--resume``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import warroom
from tests.fake_openai_server import FakeOpenAIServer
from warroom.agents.domain_policies import DomainOracle, make_domain_policy
from warroom.cli.main import app
from warroom.harness.domain_eval import eval_domain, run_domain, select_tasks
from warroom.harness.policies import PolicySpec, parse_many
from warroom.scenarios.fact_templates import open_task, task_refs
from warroom.tools.slices import DOMAINS, READ_DOMAINS

runner = CliRunner()
ROW_KEYS = {"policy", "n", "success_rate", "success_ci", "score", "mean_steps",
            "mean_tool_calls", "invalid_action_rate", "decoy_rate", "errors", "rank"}
PLAYED = [d for d in READ_DOMAINS if task_refs(domain=d, split="dev")]
DOMAIN = PLAYED[0]
IMPORTED = "tests.domain_policies_for_tests"


def _eval(*args: str) -> dict[str, Any]:
    res = runner.invoke(app, ["eval", "--domain", DOMAIN, "--json", "--no-progress", *args])
    assert res.exit_code == 0, res.output
    out: dict[str, Any] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


def test_eval_domain_json_shape_and_baselines() -> None:
    out = _eval("--n", "4")
    rows = {r["policy"]: r for r in out["leaderboard"]}
    assert set(rows) == {"random", "heuristic", "oracle"}
    ids = select_tasks(DOMAIN, "test", 4)
    templates = {open_task(t).template for t in ids}
    assert templates == {r["template"] for r in task_refs(domain=DOMAIN, split="test")}
    for r in rows.values():
        assert set(r) >= ROW_KEYS and r["n"] == len(ids)
        assert 0.0 <= r["success_rate"] <= 1.0 and r["errors"] == 0
    assert rows["oracle"]["success_rate"] == 1.0 and rows["oracle"]["score"] == 1.0
    assert rows["oracle"]["rank"] == 1
    assert rows["random"]["success_rate"] < 0.5
    assert {(g["policy"], g["template"]) for g in out["by_template"]} == \
        {(p, t) for p in rows for t in templates}
    for g in out["by_template"]:
        assert 1 <= g["n"] <= 4 and set(g) >= {"success_rate", "score", "mean_steps"}
    assert out["run"]["tasks"] == len(ids) and out["run"]["path"] is None


def test_eval_domain_is_deterministic() -> None:
    first, second = _eval("--n", "3"), _eval("--n", "3")
    for doc in (first, second):
        doc["run"].pop("total_wall_s")
    assert first == second
    ids = select_tasks(DOMAIN, "test", 3)
    a = eval_domain(ids, parse_many("random,heuristic"), DOMAIN)["episodes"]
    b = eval_domain(ids, parse_many("random,heuristic"), DOMAIN)["episodes"]
    assert [(e["state_hash"], e["trace"]) for e in a] == [(e["state_hash"], e["trace"])
                                                         for e in b]


@pytest.mark.parametrize("domain", PLAYED)
def test_oracle_scores_one_on_dev_tasks(domain: str) -> None:
    ids = select_tasks(domain, "dev", 6)
    summary = eval_domain(ids, [PolicySpec("oracle")], domain)
    assert summary["leaderboard"][0]["success_rate"] == 1.0
    for e in summary["episodes"]:
        assert e["score"] == 1.0 and e["invalid"] == 0 and not e["decoys_named"]
        task = open_task(e["task"])
        assert e["tool_calls"] == len(task.reads) and e["steps"] == len(task.reads) + 1


def test_random_and_heuristic_play_valid_episodes() -> None:
    ids = select_tasks(DOMAIN, "test", 12)
    summary = eval_domain(ids, parse_many("random,heuristic"), DOMAIN)
    rows = {r["policy"]: r for r in summary["leaderboard"]}
    assert rows["random"]["success_rate"] < 0.5 and rows["random"]["answer_rate"] == 1.0
    assert rows["random"]["invalid_action_rate"] < 0.2  # random, but valid calls
    assert rows["heuristic"]["answer_rate"] == 1.0 and rows["heuristic"]["errors"] == 0
    tools = {s.name for s in DOMAINS[DOMAIN].tools()} | {"answer"}
    for e in summary["episodes"]:
        assert {s["tool"] for s in e["trace"]} <= tools


def test_oracle_needs_the_task() -> None:
    tid = task_refs(domain=DOMAIN, split="dev")[0]["id"]
    ep = warroom.make_domain(tid)
    obs = ep.reset()
    with pytest.raises(ValueError, match="set_task"):
        DomainOracle().reset(obs, ep.tools, 0)
    with pytest.raises(KeyError, match="unknown domain policy"):
        make_domain_policy("orcale", DOMAIN)


def test_llm_policy_plays_a_domain_task_behind_the_fake_endpoint() -> None:
    task = open_task(select_tasks(DOMAIN, "test", 1)[0])
    script: list[dict[str, Any]] = [{"tool_call": (c.name, dict(c.arguments))}
                                    for c in task.reads]
    script.append({"tool_call": ("answer", {"text": " and ".join(task.facts)})})
    with FakeOpenAIServer(script) as srv:
        policy = make_domain_policy("llm", DOMAIN, model="fake-model", base_url=srv.url)
        row = run_domain(policy, task, "llm")
    assert row["success"] and row["error"] is None and row["steps"] == len(task.reads) + 1
    first = srv.requests[0]
    assert [t["function"]["name"] for t in first["tools"]] == \
        [s.name for s in DOMAINS[DOMAIN].tools()] + ["answer"]
    assert f"{DOMAIN} specialist" in first["messages"][0]["content"]
    assert task.question in first["messages"][1]["content"]
    assert row["usage"]["tokens_in"] > 0


def test_llm_policy_through_eval_domain_cli() -> None:
    ids = select_tasks(DOMAIN, "test", 1)
    task = open_task(ids[0])

    def reply(body: dict[str, Any], index: int) -> dict[str, Any]:
        n_tools = sum(m["role"] == "tool" for m in body["messages"])
        if n_tools < len(task.reads):
            c = task.reads[n_tools]
            return {"tool_call": (c.name, dict(c.arguments))}
        return {"tool_call": ("answer", {"text": " ".join(task.facts)})}

    with FakeOpenAIServer(reply) as srv:
        out = _eval("--n", "1", "--policies", f"llm:model=fake-model,base_url={srv.url}")
    (row,) = out["leaderboard"]
    n = len(select_tasks(DOMAIN, "test", 1))
    assert row["policy"].startswith("llm:") and row["n"] == n and row["errors"] == 0
    assert row["mean_tokens"] and row["mean_tokens"] > 0


def test_llm_without_model_is_a_usage_error() -> None:
    res = runner.invoke(app, ["eval", "--domain", DOMAIN, "--policies", "llm"])
    assert res.exit_code == 2 and "needs a model" in res.output


def test_import_path_policies_play_domain_tasks() -> None:
    out = _eval("--n", "3", "--policies", f"{IMPORTED}:replay;{IMPORTED}:broken;random")
    rows = {r["policy"]: r for r in out["leaderboard"]}
    replay, broken = rows[f"{IMPORTED}:replay"], rows[f"{IMPORTED}:broken"]
    n = rows["random"]["n"]
    assert replay["n"] == broken["n"] == n and replay["errors"] == 0
    assert replay["success_rate"] == 1.0 and replay["rank"] == 1
    assert broken["errors"] == n and broken["success_rate"] == 0.0 and broken["rank"] == 3


def test_bad_domain_eval_options() -> None:
    for args, words in ((["--domain", "fleeet"], "did you mean 'fleet'"),
                        (["--domain", DOMAIN, "--split", "tst"], "did you mean 'test'"),
                        (["--domain", DOMAIN, "--policies", "nope"], "unknown domain policy"),
                        (["--domain", DOMAIN, "--hierarchy"], "drop --hierarchy"),
                        (["--domain", DOMAIN, "--workers", "2", "--extend"],
                         "drop --workers, --extend"),
                        (["--template", "live_release"], "give the --domain")):
        res = runner.invoke(app, ["eval", *args])
        assert res.exit_code == 2 and words in " ".join(res.output.split()), res.output


def test_run_directory_and_resume(tmp_path: Path) -> None:
    out_dir = tmp_path / "run"
    first = _eval("--n", "2", "--policies", "oracle,random", "--out", str(out_dir))
    lines = (out_dir / "episodes.jsonl").read_text().splitlines()
    assert len(lines) == first["run"]["tasks"] * 2
    assert json.loads((out_dir / "spec.json").read_text())["kind"] == "domain"
    # drop the last episode, as a killed run would, and resume: only it is played again
    (out_dir / "episodes.jsonl").write_text("\n".join(lines[:-1]) + "\n")
    again = _eval("--resume", "--out", str(out_dir))
    assert len((out_dir / "episodes.jsonl").read_text().splitlines()) == len(lines)
    assert again["leaderboard"] == first["leaderboard"]
    assert again["by_template"] == first["by_template"]


def test_llm_react_mode_is_told_to_finish_with_answer() -> None:
    task = open_task(select_tasks(DOMAIN, "test", 1)[0])
    read = task.reads[0]
    script: list[dict[str, Any]] = [
        {"text": "Final Answer: I think it is fine."},
        {"text": f"Thought: read it\nAction: {read.name}\n"
                 f"Action Input: {json.dumps(dict(read.arguments))}"},
        *[{"text": f"Action: {c.name}\nAction Input: {json.dumps(dict(c.arguments))}"}
          for c in task.reads[1:]],
        {"text": "Action: answer\nAction Input: " + json.dumps({"text": " ".join(task.facts)})}]
    with FakeOpenAIServer(script) as srv:
        policy = make_domain_policy("llm", DOMAIN, model="fake-model", base_url=srv.url,
                                    tool_mode="react")
        row = run_domain(policy, task, "llm-react")
    assert row["success"], row
    system = srv.requests[0]["messages"][0]["content"]
    assert "use the action answer" in system and "submit_report" not in system
    nudge = srv.requests[1]["messages"][-1]["content"]
    assert "Action: answer" in nudge and "submit_report" not in nudge


def test_seeds_replay_each_task_on_other_worlds() -> None:
    ids = select_tasks(DOMAIN, "test", 1)
    summary = eval_domain(ids, [PolicySpec("oracle")], DOMAIN, seeds=[0, 1])
    assert summary["leaderboard"][0]["n"] == 2 * len(ids)
    assert summary["leaderboard"][0]["success_rate"] == 1.0
    assert sorted({e["seed"] for e in summary["episodes"]}) == [0, 1]
    out = _eval("--n", "1", "--seeds", "0-2", "--policies", "oracle")
    assert out["leaderboard"][0]["n"] == 3 * len(ids) and out["run"]["seeds"] == [0, 1, 2]


def test_a_task_that_cannot_be_opened_is_an_episode_error() -> None:
    good = select_tasks(DOMAIN, "test", 1)[0]
    bad = good.split("@")[0] + "@no_such_fault/checkout/easy/v0"
    summary = eval_domain([good, bad], [PolicySpec("oracle")], DOMAIN)
    (row,) = summary["leaderboard"]
    assert row["n"] == 2 and row["errors"] == 1 and row["success_rate"] == 0.5
    failed = summary["episodes"][1]
    assert failed["task"] == bad and "opening the task failed" in failed["error"]


def test_report_refuses_a_domain_run(tmp_path: Path) -> None:
    out_dir = tmp_path / "run"
    _eval("--n", "1", "--policies", "oracle", "--out", str(out_dir))
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["leaderboard"][0]["success_rate"] == 1.0
    res = runner.invoke(app, ["report", str(out_dir)])
    assert res.exit_code == 2 and "domain fact-task run" in " ".join(res.output.split())
