"""``warroom bench``: speed and memory figures of the environment and the harness.

Reports reset and tool-call latency (median, p99), tool calls per second with a scripted
policy, episodes per second for each baseline, memory per live episode (RSS growth over N
live episodes, projected to 10,000), the wall time of the default ``warroom eval``, and the
speed-up of 2 local workers and of Ray over one worker. Server throughput is added when
asked for and ``warroom.servers.bench`` is installed.
"""

from __future__ import annotations

import gc
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import make
from ..types import ToolCall
from . import plan, runner
from .batch import run_tasks
from .policies import BUILTIN, PolicySpec
from .tasks import Task, execute

SCRIPT: list[tuple[str, dict[str, Any]]] = [
    ("list_alerts", {}), ("get_service_map", {}), ("list_deploys", {}), ("list_issues", {}),
    ("get_events", {}), ("list_fleet_actions", {}), ("list_pods", {}), ("list_flags", {}),
    ("query_metrics", {"service": "{svc}", "metric": "error_rate", "minutes": 30}),
    ("search_logs", {"service": "{svc}", "level": "ERROR"}), ("db_activity", {}),
    ("cache_stats", {}), ("queue_stats", {}), ("provider_status", {}),
    ("list_fleet_agents", {})]


def _ms(xs: list[float]) -> dict[str, float]:
    xs = sorted(xs)
    p99 = xs[min(len(xs) - 1, round(0.99 * (len(xs) - 1)))]
    return {"median_ms": round(statistics.median(xs) * 1e3, 3), "p99_ms": round(p99 * 1e3, 3),
            "n": len(xs)}


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _sample_ids(k: int) -> list[str]:
    """A deterministic mixed sample from the test split, every tier."""
    return plan.select("test", None, None, max(1, -(-k // 3)))[:k]


def bench_reset(ids: list[str], repeats: int) -> dict[str, float]:
    times = []
    for sid in ids:
        ep = make(sid)
        for r in range(repeats):
            t0 = time.perf_counter()
            ep.reset(seed=r)
            times.append(time.perf_counter() - t0)
    return _ms(times)


def bench_tools(ids: list[str], calls: int) -> dict[str, Any]:
    """Scripted reads cycling through ``SCRIPT`` on each scenario, every call timed."""
    times: list[float] = []
    per_episode = max(1, calls // len(ids))
    for sid in ids:
        ep = make(sid, max_steps=per_episode + 1)
        ep.reset(seed=0)
        svc = _front_service(ep) or "api-gateway"
        for i in range(per_episode):
            name, args = SCRIPT[i % len(SCRIPT)]
            call = ToolCall(name, {k: (v.format(svc=svc) if isinstance(v, str) else v)
                                   for k, v in args.items()})
            t0 = time.perf_counter()
            ep.step(call)
            times.append(time.perf_counter() - t0)
    out: dict[str, Any] = _ms(times)
    out["median_us"] = round(out["median_ms"] * 1e3, 1)
    out["calls_per_s"] = round(len(times) / sum(times), 1)
    return out


def _front_service(ep: Any) -> str | None:
    """The service behind the first public route (what the script reads metrics of)."""
    world = ep.world
    return world.topology.endpoints[0].service if world and world.topology.endpoints else None


def bench_policies(ids: list[str]) -> dict[str, dict[str, float]]:
    out = {}
    for name in BUILTIN:
        t0 = time.perf_counter()
        steps = 0
        for sid in ids:
            record, _ = execute(Task(PolicySpec(name), sid, 0))
            steps += record["steps"]
        wall = time.perf_counter() - t0
        out[name] = {"episodes_per_s": round(len(ids) / wall, 2),
                     "ms_per_episode": round(wall / len(ids) * 1e3, 1),
                     "steps_per_episode": round(steps / len(ids), 1)}
    return out


def bench_memory(ids: list[str], live: int) -> dict[str, float]:
    """RSS growth while ``live`` episodes are held after reset."""
    gc.collect()
    held = []
    warm = make(ids[0])
    warm.reset(seed=0)
    before = _rss_bytes()
    for i in range(live):
        ep = make(ids[i % len(ids)])
        ep.reset(seed=i)
        held.append(ep)
    gc.collect()
    per = (_rss_bytes() - before) / live
    del held
    return {"live_episodes": live, "mb_per_episode": round(per / 2**20, 3),
            "projected_gb_for_10000": round(per * 10_000 / 2**30, 2)}


def _timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def bench_scaling(ids: list[str], with_ray: bool) -> dict[str, Any]:
    """The same heuristic batch on 1 worker, 2 local workers and Ray (2 CPUs)."""
    tasks = [Task(PolicySpec("heuristic"), sid, 0) for sid in ids]
    one = _timed(lambda: list(run_tasks(tasks, "local", 1)))
    two = _timed(lambda: list(run_tasks(tasks, "local", 2)))
    out: dict[str, Any] = {"episodes": len(tasks), "one_worker_s": round(one, 2),
                           "two_workers_s": round(two, 2),
                           "speedup_2_workers": round(one / two, 2)}
    if with_ray:
        try:
            import ray

            t0 = time.perf_counter()
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
            out["ray_init_s"] = round(time.perf_counter() - t0, 2)
            try:
                rs = _timed(lambda: list(run_tasks(tasks, "ray", 2)))
            finally:
                ray.shutdown()
            out["ray_s"] = round(rs, 2)
            out["speedup_ray"] = round(one / rs, 2)
        except Exception as exc:  # Ray missing or failing to start is a figure, not a crash
            out["ray_error"] = f"{type(exc).__name__}: {exc}"
    return out


def bench_default_eval() -> dict[str, Any]:
    """Wall time of ``warroom eval`` with its defaults (run dir in a temp folder)."""
    from .report import write_report

    t0 = time.perf_counter()
    specs = [PolicySpec(p) for p in BUILTIN]
    ids = plan.select("test", None, None, plan.DEFAULT_N)
    spec = plan.make_spec(specs, ids, [0], None, {"split": "test", "n": plan.DEFAULT_N})
    with tempfile.TemporaryDirectory() as tmp:
        run = runner.start(Path(tmp) / "run", spec)
        summary = runner.execute_run(run, "local", plan.DEFAULT_WORKERS, progress=False)
        write_report(run.path)
    return {"wall_s": round(time.perf_counter() - t0, 1), "episodes": summary["episodes"],
            "workers": plan.DEFAULT_WORKERS,
            "success": {e["policy"]: round(e["success_rate"], 3)
                        for e in summary["leaderboard"]}}


def run_bench(quick: bool = False, with_eval: bool = True, with_ray: bool = True) -> dict[str, Any]:
    """Every figure in one dict (``quick`` shrinks the samples for a smoke run)."""
    ids = _sample_ids(3 if quick else 9)
    figures: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "quick": quick}}
    figures["reset"] = bench_reset(ids, 2 if quick else 10)
    figures["tool_call"] = bench_tools(ids, 60 if quick else 1500)
    figures["episodes_per_s"] = bench_policies(ids)
    figures["memory"] = bench_memory(ids, 100 if quick else 400)
    figures["scaling"] = bench_scaling(_sample_ids(4 if quick else 60), with_ray)
    if with_eval:
        figures["default_eval"] = bench_default_eval()
    return figures


def format_bench(f: dict[str, Any]) -> str:
    lines = [f"warroom bench ({f['machine']['cpus']} CPUs"
             f"{', quick' if f['machine']['quick'] else ''})"]
    r, t = f["reset"], f["tool_call"]
    lines.append(f"  reset            median {r['median_ms']:.2f} ms   p99 {r['p99_ms']:.2f} ms")
    lines.append(f"  tool call        median {t['median_us']:.0f} us   p99 {t['p99_ms']:.2f} ms"
                 f"   {t['calls_per_s']:.0f} calls/s (scripted)")
    for name, e in f["episodes_per_s"].items():
        lines.append(f"  {name:<16} {e['episodes_per_s']:.2f} episodes/s "
                     f"({e['ms_per_episode']:.0f} ms, {e['steps_per_episode']} steps)")
    m = f["memory"]
    lines.append(f"  memory           {m['mb_per_episode']:.2f} MB per live episode "
                 f"({m['live_episodes']} live; 10,000 -> {m['projected_gb_for_10000']} GB)")
    s = f["scaling"]
    lines.append(f"  scaling          {s['episodes']} episodes: 1 worker {s['one_worker_s']} s, "
                 f"2 workers {s['two_workers_s']} s (x{s['speedup_2_workers']})")
    if "ray_s" in s:
        lines.append(f"                   ray (2 CPUs) {s['ray_s']} s (x{s['speedup_ray']}; "
                     f"init {s['ray_init_s']} s)")
    elif "ray_error" in s:
        lines.append(f"                   ray: {s['ray_error']}")
    if "default_eval" in f:
        d = f["default_eval"]
        lines.append(f"  default eval     {d['wall_s']} s for {d['episodes']} episodes "
                     f"({d['workers']} workers)")
    if "servers" in f:
        lines.append(f"  servers          {f['servers']}")
    return "\n".join(lines)
