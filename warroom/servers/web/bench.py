"""Page-load timing of the web drill on loopback: the leaderboard over 10 run directories
and a 40-step replay, each fetched ``repeats`` times over one keep-alive connection.

Reports median and p99 in milliseconds (and the first, cold load of the replay, which
rebuilds the world once and is then cached). ``python -m warroom.servers.web.bench``
prints them; ``warroom bench --servers`` includes them under ``web``.
"""

from __future__ import annotations

import http.client
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from ...agents.base import Policy
from ...harness.episode import run_episode
from ...harness.policies import PolicySpec
from ...harness.rundir import RunDir
from ...harness.tasks import Task, record_of
from ...scenarios import get
from ...types import Observation, ToolCall
from .app import DEFAULT_SCENARIO, create_app
from .local import running

TARGET_MS = 200.0
READS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("list_alerts", {}), ("list_pods", {}), ("get_service_map", {}), ("list_deploys", {}),
    ("get_events", {}), ("cache_stats", {}))


class _Reads(Policy):
    """Reads in a fixed cycle, then reports: an episode of exactly ``steps`` calls."""

    name = "bench-reads"

    def __init__(self, steps: int) -> None:
        super().__init__()
        self.steps = steps
        self.n = 0

    def reset(self, observation: Observation, tools: list[dict[str, Any]], seed: int,
              truths: Any = None) -> None:
        super().reset(observation, tools, seed, truths)
        self.n = 0

    def act(self, observation: Observation) -> ToolCall:
        self.n += 1
        if self.n >= self.steps:
            return ToolCall("submit_report", {"root_cause": {
                "component": "checkout", "category": "database/connection_leak",
                "culprit": None}, "summary": "bench"})
        name, args = READS[self.n % len(READS)]
        return ToolCall(name, dict(args))


def make_bench_runs(root: Path, runs: int = 10, steps: int = 40) -> Path:
    """``runs`` run directories under ``root``, each with one ``steps``-step episode."""
    scenario = get(DEFAULT_SCENARIO)
    task = Task(PolicySpec("bench-reads"), scenario.id, 0)
    outcome = run_episode(_Reads(steps), scenario, 0, max_steps=steps)
    first = root / "bench-00"
    run = RunDir.create(first, {"version": 1, "policies": [task.policy.to_json()],
                                "scenarios": [scenario.id], "seeds": [0],
                                "created": "bench"})
    run.append(record_of(task, scenario, outcome), outcome.trace)
    for i in range(1, runs):
        shutil.copytree(first, root / f"bench-{i:02d}")
    return root


def _time(conn: http.client.HTTPConnection, paths: list[str]) -> list[float]:
    out = []
    for path in paths:
        began = time.perf_counter()
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        out.append((time.perf_counter() - began) * 1000.0)
        if resp.status != 200 or not body:
            raise RuntimeError(f"GET {path} answered {resp.status}")
    return out


def _stats(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"median_ms": round(statistics.median(ordered), 2), "p99_ms": round(p99, 2),
            "n": len(ordered)}


def page_load_timing(repeats: int = 50, runs: int = 10, steps: int = 40) -> dict[str, Any]:
    """Median and p99 page-load times (ms) of the leaderboard and a replay, on loopback."""
    with tempfile.TemporaryDirectory(prefix="warroom-web-bench-") as tmp:
        root = make_bench_runs(Path(tmp), runs, steps)
        with running(create_app(root)) as url:
            host, port = url.removeprefix("http://").split(":")
            conn = http.client.HTTPConnection(host, int(port), timeout=120)
            cold = _time(conn, ["/runs/bench-00/episodes/0?step=1"])[0]
            board = _time(conn, ["/"] * repeats)
            replay = _time(conn, [f"/runs/bench-00/episodes/0?step={1 + k % steps}"
                                  for k in range(repeats)])
            conn.close()
    return {"leaderboard": dict(_stats(board), runs=runs),
            "replay": dict(_stats(replay), steps=steps, cold_first_load_ms=round(cold, 1)),
            "target_ms": TARGET_MS}


def main() -> None:
    print(json.dumps(page_load_timing(), indent=2))


if __name__ == "__main__":
    main()
