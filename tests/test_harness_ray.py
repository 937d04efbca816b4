"""The Ray backend gives the same records as the local pool for the same seeds."""

from __future__ import annotations

import os

import pytest

from warroom.harness import plan, runner
from warroom.harness.batch import run_tasks
from warroom.harness.policies import PolicySpec
from warroom.harness.tasks import Task
from warroom.scenarios import generate

ray = pytest.importorskip("ray") if not os.environ.get("CI") else __import__("ray")
pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def local_ray():
    os.environ["RAY_AUTH_MODE"] = "disabled"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _strip(records):
    return sorted(({k: v for k, v in r.items() if k != "wall_s"} for r, _ in records),
                  key=lambda r: r["key"])


def test_ray_matches_local(local_ray):
    ids = [s.id for s in generate(split="test", n=4, seed=11)]
    tasks = [Task(PolicySpec(p), sid, seed) for sid in ids for p in ("heuristic", "random")
             for seed in (0, 1)]
    local = _strip(run_tasks(tasks, "local", 2))
    remote = _strip(run_tasks(tasks, "ray", 2))
    assert len(local) == len(tasks)
    assert local == remote


def test_ray_run_directory(local_ray, tmp_path):
    ids = [s.id for s in generate(split="dev", n=3, seed=2)]
    spec = plan.make_spec([PolicySpec("oracle")], ids, [0])
    run = runner.start(tmp_path / "run", spec)
    summary = runner.execute_run(run, backend="ray", workers=2, progress=False)
    assert summary["episodes"] == 3 and summary["run"]["backend"] == "ray"
    assert summary["leaderboard"][0]["success_rate"] == 1.0
