"""The evaluation harness: pure episodes, batches, run directories, resume, stats, CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.policies_for_tests import fails
from warroom.agents import make_policy
from warroom.harness import plan, runner, stats
from warroom.harness.batch import run_tasks
from warroom.harness.episode import policy_seed, run_episode
from warroom.harness.policies import PolicySpec, parse, parse_many
from warroom.harness.rundir import RunDir
from warroom.harness.tasks import Task, execute
from warroom.scenarios import generate, get

ROOT = Path(__file__).resolve().parents[1]
BOOM = "tests.policies_for_tests:BoomPolicy"


def _ids(k: int, seed: int = 3) -> list[str]:
    return [s.id for s in generate(split="dev", n=k, seed=seed)]


def _comparable(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "wall_s"}


def test_run_episode_is_pure_and_repeatable(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sc = get(_ids(1)[0])
    a = run_episode(make_policy("heuristic"), sc, seed=4)
    b = run_episode(make_policy("heuristic"), sc, seed=4)
    assert list(tmp_path.iterdir()) == []  # no I/O
    assert a.error is None and a.steps == len(a.trace) > 0
    assert (a.trace, a.result, a.state_hash) == (b.trace, b.result, b.state_hash)
    assert a.trace[-1]["tool"] == "submit_report"
    c = run_episode(make_policy("heuristic"), sc, seed=5)
    assert c.state_hash != a.state_hash  # the seed matters


def test_oracle_gets_truth_and_others_do_not():
    sc = get(_ids(1)[0])
    seen = {}

    class Spy(type(make_policy("random"))):  # type: ignore[misc]
        def reset(self, observation, tools, seed, truths=None):
            seen["truths"] = truths
            super().reset(observation, tools, seed, truths)

    run_episode(Spy(), sc, seed=0)
    assert seen["truths"] is None
    assert run_episode(make_policy("oracle"), sc, seed=0).result["success"]


def test_policy_specs_parse_and_label():
    assert parse("heuristic") == PolicySpec("heuristic")
    spec = parse("llm:model=qwen3,base_url=http://127.0.0.1:8000/v1,temperature=0.5")
    assert spec.kwargs == {"model": "qwen3", "base_url": "http://127.0.0.1:8000/v1",
                           "temperature": 0.5}
    assert parse(spec.label) == spec
    assert parse(f"{BOOM}:min_steps=2") == PolicySpec(BOOM, {"min_steps": 2})
    assert [p.name for p in parse_many("random,heuristic,oracle")] == [
        "random", "heuristic", "oracle"]
    assert len(parse_many("llm:model=a,tool_mode=react;oracle")) == 2
    with pytest.raises(ValueError):
        parse("llm:model")


def test_selection_is_stratified_and_deterministic():
    ids = plan.select("test", ["medium"], None, 6, seed=0)
    assert ids == plan.select("test", ["medium"], None, 6, seed=0)
    assert len(ids) == 6 and all("/medium/" in i for i in ids)
    fams = {get(i).family for i in ids}
    assert len(fams) == min(6, len({s.family for s in generate(split="test", tier="medium")}))
    assert plan.parse_seeds("0-2,7") == [0, 1, 2, 7]


def test_local_pool_matches_inline():
    tasks = [Task(PolicySpec(p), sid, 0) for sid in _ids(3) for p in ("random", "heuristic")]
    inline = sorted((_comparable(r) for r, _ in run_tasks(tasks, "local", 1)),
                    key=lambda r: r["key"])
    pooled = sorted((_comparable(r) for r, _ in run_tasks(tasks, "local", 2)),
                    key=lambda r: r["key"])
    assert inline == pooled


def test_policy_exception_is_recorded_and_run_goes_on(tmp_path):
    ids = _ids(6)
    spec = plan.make_spec([PolicySpec(BOOM), PolicySpec("oracle")], ids, [0])
    run = runner.start(tmp_path / "run", spec)
    summary = runner.execute_run(run, workers=2, progress=False)
    records = {r["key"]: r for r in run.records()}
    assert len(records) == 2 * len(ids)
    doomed = {sid for sid in ids if fails(policy_seed(sid, 0))}
    assert doomed and doomed != set(ids)  # some episodes fail, some do not
    for sid in ids:
        rec = records[f"{BOOM}|{sid}|0"]
        assert (rec["error"] is not None) == (sid in doomed)
        if sid in doomed:
            assert "boom: the policy failed on purpose" in rec["error"]
            assert rec["metrics"]["success"] is False and rec["steps"] == 2
        assert records[f"oracle|{sid}|0"]["error"] is None
    board = {e["policy"]: e for e in summary["leaderboard"]}
    assert board[BOOM]["errors"] == len(doomed)


def test_unknown_policy_or_scenario_is_an_error_record():
    rec, trace = execute(Task(PolicySpec("no-such-policy"), _ids(1)[0], 0))
    assert "no-such-policy" in rec["error"] and trace == []
    rec, _ = execute(Task(PolicySpec("random"), "no_such_fault/x/easy/v0", 0))
    assert rec["error"] and rec["metrics"]["success"] is False


def test_run_dir_refuses_to_overwrite_and_repairs_torn_line(tmp_path):
    spec = plan.make_spec([PolicySpec("random")], _ids(2), [0])
    run = runner.start(tmp_path / "r", spec)
    runner.execute_run(run, progress=False)
    with pytest.raises(FileExistsError):
        RunDir.create(tmp_path / "r", spec)
    with open(run.episodes, "a") as fh:
        fh.write('{"key": "torn')
    assert len(run.records()) == 2
    assert run.repair() > 0
    assert run.episodes.read_text().endswith("\n")
    saved = json.loads((run.path / "spec.json").read_text())
    assert saved["scenarios"] == spec["scenarios"] and saved["git_revision"] is not None
    assert (run.path / "summary.json").is_file()
    assert len(list(run.traces.glob("*.json"))) == 2


KILLABLE = textwrap.dedent("""
    import sys
    from pathlib import Path
    from warroom.harness import plan, runner
    from warroom.harness.policies import PolicySpec
    ids = sys.argv[2].split(",")
    spec = plan.make_spec([PolicySpec("random"), PolicySpec("oracle")], ids, [0, 1])
    run = runner.start(Path(sys.argv[1]), spec)
    runner.execute_run(run, workers=1, progress=False)
""")


def test_killed_run_resumes_without_loss_or_duplicates(tmp_path):
    ids = _ids(5)
    out = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", KILLABLE, str(out), ",".join(ids)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    episodes = out / "episodes.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if episodes.exists() and episodes.read_text().count("\n") >= 4:
            break
        time.sleep(0.02)
    assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = episodes.read_text().count("\n")
    total = len(ids) * 2 * 2
    assert 4 <= done_before < total

    run = runner.start(out, {}, resume=True)
    summary = runner.execute_run(run, workers=2, progress=False)
    lines = [json.loads(x) for x in episodes.read_text().splitlines()]
    keys = [r["key"] for r in lines]
    assert len(keys) == len(set(keys)) == total == summary["episodes"]
    reference = {}
    for t in plan.tasks_of(run.spec()):
        rec, _ = execute(t)
        reference[t.key] = (rec["result"]["score"], rec["state_hash"])
    assert {r["key"]: (r["result"]["score"], r["state_hash"]) for r in lines} == reference


def test_wilson_and_pass_k():
    lo, hi = stats.wilson(8, 10)
    assert round(lo, 3) == 0.490 and round(hi, 3) == 0.943
    assert stats.wilson(0, 10)[0] == 0.0 and stats.wilson(10, 10)[1] == 1.0
    assert stats.wilson(0, 0) == (0.0, 1.0)
    assert stats.pass_at_k(4, 1, 1) == 0.25 and stats.pass_at_k(4, 1, 4) == 1.0
    assert stats.pass_hat_k(4, 2, 2) == pytest.approx(1 / 6)
    assert stats.pass_hat_k(4, 4, 3) == 1.0


def test_summary_groups_and_pass_k():
    rows = [{"policy": "p", "tier": t, "family": "f", "scenario": f"s{i}", "seed": s,
             "success": (i + s) % 2 == 0, "score": 0.5, "steps": 3, "error": False}
            for i, t in enumerate(["easy", "hard"]) for s in range(3)]
    g = stats.group(rows, ("policy", "tier"))
    assert [e["tier"] for e in g] == ["easy", "hard"]
    assert g[0]["successes"] == 2 and g[1]["successes"] == 1
    pk = stats.pass_k(rows)
    assert set(pk) == {"1", "2", "3"}
    assert pk["3"]["pass@k"] == 1.0 and pk["3"]["pass^k"] == 0.0


def test_cli_eval_json_and_report(tmp_path):
    from warroom.cli.main import app

    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["eval", "--policies", "random,oracle", "--tier", "easy",
                                   "--n", "2", "--out", str(out), "--workers", "1",
                                   "--json", "--no-progress"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert {e["policy"] for e in data["leaderboard"]} == {"random", "oracle"}
    assert (out / "report.html").is_file() and (out / "summary.md").is_file()
    res = CliRunner().invoke(app, ["eval", "--out", str(out), "--resume", "--json",
                                   "--no-progress", "--no-report"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["run"]["ran"] == 0
    res = CliRunner().invoke(app, ["report", str(out)])
    assert res.exit_code == 0 and "report.html" in res.output
