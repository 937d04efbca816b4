"""Resume is exact: an eval whose whole process group is killed (SIGKILL) or interrupted
(Ctrl-C, SIGINT to the group) at any moment, then resumed with ``--resume``, ends with
exactly the episodes of an uninterrupted run: none lost, none twice, same results."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from warroom.harness import plan
from warroom.harness.policies import parse_many
from warroom.harness.tasks import execute

ROOT = Path(__file__).resolve().parents[1]
POLICIES = "random;tests.policies_for_tests:SlowRandomPolicy"
TASKS = 3 * 2 * 2  # scenarios x seeds x policies


def _eval(out: Path, *extra: str) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "warroom", "eval", "--policies", POLICIES, "--tier", "easy",
           "--n", "3", "--seeds", "0,1", "--out", str(out), "--workers", "2", "--no-progress",
           "--no-report", "--json", *extra]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, preexec_fn=_like_a_terminal)


def _like_a_terminal() -> None:
    """A session of its own (the process group a terminal signals on Ctrl-C), with Ctrl-C
    at its default: a shell without job control starts background jobs ignoring SIGINT,
    and a process that starts so never sees it."""
    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _lines(out: Path) -> int:
    path = out / "episodes.jsonl"
    return path.read_bytes().count(b"\n") if path.exists() else -1


@pytest.fixture(scope="module")
def reference() -> dict[str, tuple[float, str]]:
    """Every task's (score, state hash), computed in this process without interruption."""
    ids = plan.select("test", ["easy"], None, 3)
    spec = plan.make_spec(parse_many(POLICIES), ids, [0, 1])
    ref = {}
    for task in plan.tasks_of(spec):
        record, _ = execute(task)
        assert not record.get("error"), record
        ref[task.key] = (record["result"]["score"], record["state_hash"])
    assert len(ref) == TASKS
    return ref


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill", "ctrl-c"])
@pytest.mark.parametrize("moment", [0, TASKS // 2, TASKS - 3], ids=["start", "middle", "end"])
def test_interrupted_eval_resumes_exactly(tmp_path: Path, sig: signal.Signals, moment: int,
                                          reference: dict[str, tuple[float, str]]) -> None:
    out = tmp_path / "run"
    proc = _eval(out)
    deadline = time.monotonic() + 180
    while proc.poll() is None and time.monotonic() < deadline:
        if (out / "spec.json").exists() and _lines(out) >= moment:
            break
        time.sleep(0.005)
    assert proc.poll() is None, f"the run ended before it could be interrupted at {moment}"
    os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        pytest.fail("the run did not stop within 60 s of Ctrl-C")
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if sig == signal.SIGINT:
        assert "Traceback" not in stderr, stderr[-3000:]
    before = _lines(out)
    assert moment <= before < TASKS

    resumed = _eval(out, "--resume")
    stdout, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err.decode()[-3000:]
    summary = json.loads(stdout)
    assert summary["run"]["ran"] == TASKS - before
    records = [json.loads(x) for x in (out / "episodes.jsonl").read_text().splitlines()]
    keys = [r["key"] for r in records]
    assert len(keys) == len(set(keys)) == TASKS
    assert {r["key"]: (r["result"]["score"], r["state_hash"]) for r in records} == reference
    assert all((out / r["trace"]).is_file() for r in records)
