"""``warroom bench``: speed and memory figures of the environment and the harness.

Reports reset and tool-call latency (median, p99), tool calls per second with a scripted
policy, episodes per second for each baseline, memory per live episode (RSS growth over N
live episodes, projected to 10,000), the wall time of the default ``warroom eval``, and the
speed-up of 2 local workers and of Ray over one worker. Server throughput is added when
asked for and ``warroom.servers.bench`` is installed. Each figure has a target (``TARGETS``),
printed beside it.

Resets of a (scenario, seed) already seen in the process fork a cached base world
(``warroom.world.resets``): ``reset`` and ``episodes_per_s`` time first resets (the cache is
cleared), ``reset.repeat_median_ms`` and ``repeat_episodes_per_s`` time repeats.
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
from ..agents.base import make_policy
from ..scenarios import get
from ..types import ToolCall
from ..world.resets import RESETS
from . import plan, runner
from .batch import run_tasks
from .episode import policy_seed
from .policies import BUILTIN, PolicySpec
from .tasks import Task, execute

# The targets, printed beside each figure (<= for times and memory, >= for rates).
TARGETS = {"reset_median_ms": 2.0, "reset_p99_ms": 10.0, "call_median_us": 50.0,
           "calls_per_s": 20_000.0, "heuristic_episodes_per_s": 100.0,
           "grading_median_ms": 5.0, "mb_per_episode": 1.0, "default_eval_s": 15.0}

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
    """First resets (each (scenario, seed) new to the process), each followed by a repeat."""
    RESETS.clear()
    times, again = [], []
    for sid in ids:
        ep = make(sid)
        for r in range(repeats):
            t0 = time.perf_counter()
            ep.reset(seed=r)
            times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            ep.reset(seed=r)
            again.append(time.perf_counter() - t0)
    out = _ms(times)
    out["repeat_median_ms"] = _ms(again)["median_ms"]
    RESETS.clear()
    return out


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


def _episodes(name: str, ids: list[str]) -> dict[str, float]:
    t0 = time.perf_counter()
    steps = 0
    for sid in ids:
        record, _ = execute(Task(PolicySpec(name), sid, 0))
        steps += record["steps"]
    wall = time.perf_counter() - t0
    return {"episodes_per_s": round(len(ids) / wall, 2),
            "ms_per_episode": round(wall / len(ids) * 1e3, 1),
            "steps_per_episode": round(steps / len(ids), 1),
            "steps_per_s": round(steps / wall, 1)}


def bench_policies(ids: list[str]) -> dict[str, dict[str, float]]:
    """Whole episodes (reset, calls, grading) per baseline, each reset a first one."""
    out = {}
    for name in BUILTIN:
        RESETS.clear()
        out[name] = _episodes(name, ids)
    return out


def bench_repeat(ids: list[str]) -> dict[str, float]:
    """Heuristic episodes on (scenario, seed) pairs already seen (a training loop's case)."""
    RESETS.clear()
    _episodes("heuristic", ids)
    out = _episodes("heuristic", ids)
    RESETS.clear()
    return out


def bench_grading(ids: list[str]) -> dict[str, float]:
    """The grader's final result (rubric, diagnosis, the durable fast-forward) per heuristic
    episode."""
    RESETS.clear()
    times: list[float] = []
    policy = make_policy("heuristic")
    for sid in ids:
        ep = make(sid)
        obs = ep.reset(seed=0)
        policy.reset(obs, ep.tools, policy_seed(sid, 0), None)
        grader = ep.grader
        real = grader._grade  # final() grades once, then hands out the kept result

        def timed(real: Callable[[], Any] = real) -> Any:
            t0 = time.perf_counter()
            out = real()
            times.append(time.perf_counter() - t0)
            return out

        grader._grade = timed
        while not ep.done:
            obs = ep.step(policy.act(obs)).observation
    out = _ms(times)
    out["episodes"] = len(ids)
    return out


def _by_topology(k: int) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for sid in plan.select("test", None, None, None):
        topo = get(sid).topology
        if len(out.setdefault(topo, [])) < k:
            out[topo].append(sid)
        if len(out) >= 2 and all(len(v) >= k for v in out.values()):
            break
    return out


def bench_scale(k: int, repeats: int, calls: int) -> dict[str, Any]:
    """Reset and tool-call time on the smallest and the largest topology, and call time over
    the first 10 versus the first 200 steps of an episode."""
    out: dict[str, Any] = {"topologies": {}}
    for topo, ids in sorted(_by_topology(k).items()):
        ep = make(ids[0])
        ep.reset(seed=0)
        assert ep.world is not None
        out["topologies"][topo] = {
            "components": len(ep.world.topology.components),
            "reset_median_ms": bench_reset(ids, repeats)["median_ms"],
            "call_median_us": bench_tools(ids, calls)["median_us"]}
    sid = _sample_ids(1)[0]
    per_step = {}
    for n in (10, 200):
        ep = make(sid, max_steps=n + 1)
        ep.reset(seed=0)
        svc = _front_service(ep) or "api-gateway"
        t0 = time.perf_counter()
        for i in range(n):
            name, args = SCRIPT[i % len(SCRIPT)]
            ep.step(ToolCall(name, {a: (v.format(svc=svc) if isinstance(v, str) else v)
                                    for a, v in args.items()}))
        per_step[str(n)] = round((time.perf_counter() - t0) / n * 1e6, 1)
    out["call_mean_us_by_steps"] = per_step
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


PEER_ADAPTER = "warroom_peer.py"


class PeerError(ValueError):
    """``--peers DIR`` holds no peer environment this bench knows how to time."""


def find_peers(folder: Path) -> dict[str, Path]:
    """Peer checkouts in ``folder``: each subfolder (or ``folder`` itself) holding a
    ``warroom_peer.py`` adapter, by the adapter's ``NAME`` (default: the folder name)."""
    if not folder.is_dir():
        raise PeerError(f"--peers {folder}: not a directory")
    found = {}
    for sub in [folder, *sorted(p for p in folder.iterdir() if p.is_dir())]:
        if (sub / PEER_ADAPTER).is_file():
            found[sub.name] = sub
    if not found:
        raise PeerError(
            f"--peers {folder}: no known peer environment there. Each peer is a checkout "
            f"holding a {PEER_ADAPTER} that defines run_episode(seed) -> steps (one episode of "
            f"the peer with its own scripted policy); see README, section Speed.")
    return found


def _load_adapter(path: Path) -> Any:
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(f"warroom_peer_{path.name}",
                                                  path / PEER_ADAPTER)
    if spec is None or spec.loader is None:
        raise PeerError(f"cannot load {path / PEER_ADAPTER}")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path))  # the adapter imports the peer's own package
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path))
    if not callable(getattr(module, "run_episode", None)):
        raise PeerError(f"{path / PEER_ADAPTER} defines no run_episode(seed) -> steps")
    return module


def bench_peers(folder: Path, warroom_eps: float, seconds: float = 3.0) -> dict[str, Any]:
    """Episodes and steps per second of each peer in ``folder`` (run for about ``seconds``
    each, at least 10 episodes), and how many times faster per episode it is than warroom's
    heuristic (``warroom_eps`` episodes/s)."""
    out = {}
    for folder_name, path in find_peers(folder).items():
        adapter = _load_adapter(path)
        name = str(getattr(adapter, "NAME", folder_name))
        adapter.run_episode(0)  # warm
        n = steps = 0
        t0 = time.perf_counter()
        while n < 10 or time.perf_counter() - t0 < seconds:
            steps += int(adapter.run_episode(n))
            n += 1
        wall = time.perf_counter() - t0
        eps = n / wall
        out[name] = {"episodes": n, "episodes_per_s": round(eps, 2),
                     "steps_per_s": round(steps / wall, 1),
                     "warroom_ratio": round(eps / warroom_eps, 1) if warroom_eps else None}
    return out


def run_bench(quick: bool = False, with_eval: bool = True, with_ray: bool = True,
              peers: Path | None = None) -> dict[str, Any]:
    """Every figure in one dict (``quick`` shrinks the samples for a smoke run); ``peers``:
    a folder of peer checkouts to time in the same run (``find_peers``)."""
    if peers is not None:
        find_peers(peers)  # fail before the long part when the folder holds no peer
    ids = _sample_ids(3 if quick else 9)
    figures: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "quick": quick}}
    figures["reset"] = bench_reset(ids, 2 if quick else 10)
    figures["tool_call"] = bench_tools(ids, 60 if quick else 1500)
    figures["episodes_per_s"] = bench_policies(ids)
    figures["repeat_episodes_per_s"] = {"heuristic": bench_repeat(ids)}
    figures["grading"] = bench_grading(ids)
    figures["memory"] = bench_memory(ids, 100 if quick else 400)
    figures["scale"] = bench_scale(1 if quick else 3, 1 if quick else 4, 30 if quick else 300)
    figures["scaling"] = bench_scaling(_sample_ids(4 if quick else 60), with_ray)
    if with_eval:
        figures["default_eval"] = bench_default_eval()
    if peers is not None:
        figures["peers"] = bench_peers(
            peers, figures["episodes_per_s"]["heuristic"]["episodes_per_s"])
    figures["targets"] = dict(TARGETS)
    return figures


def _vs(key: str, unit: str, more_is_better: bool = False) -> str:
    return f"(target {'>=' if more_is_better else '<='} {TARGETS[key]:g} {unit})"


def format_bench(f: dict[str, Any]) -> str:
    lines = [f"warroom bench ({f['machine']['cpus']} CPUs"
             f"{', quick' if f['machine']['quick'] else ''})"]
    r, t, g = f["reset"], f["tool_call"], f["grading"]
    lines.append(f"  reset            median {r['median_ms']:.2f} ms "
                 f"{_vs('reset_median_ms', 'ms')}   p99 {r['p99_ms']:.2f} ms "
                 f"{_vs('reset_p99_ms', 'ms')}   repeat {r['repeat_median_ms']:.2f} ms")
    lines.append(f"  tool call        median {t['median_us']:.0f} us {_vs('call_median_us', 'us')}"
                 f"   p99 {t['p99_ms']:.2f} ms   {t['calls_per_s']:.0f} calls/s "
                 f"{_vs('calls_per_s', 'calls/s', True)} (scripted)")
    for name, e in f["episodes_per_s"].items():
        target = f" {_vs('heuristic_episodes_per_s', 'episodes/s', True)}" \
            if name == "heuristic" else ""
        lines.append(f"  {name:<16} {e['episodes_per_s']:.2f} episodes/s{target} "
                     f"({e['ms_per_episode']:.0f} ms, {e['steps_per_episode']} steps)")
    for name, e in f.get("repeat_episodes_per_s", {}).items():
        lines.append(f"  {name + ' repeat':<16} {e['episodes_per_s']:.2f} episodes/s "
                     f"(a (scenario, seed) seen before: its reset is a fork)")
    lines.append(f"  grading          median {g['median_ms']:.2f} ms "
                 f"{_vs('grading_median_ms', 'ms')}   p99 {g['p99_ms']:.2f} ms")
    m = f["memory"]
    lines.append(f"  memory           {m['mb_per_episode']:.2f} MB per live episode "
                 f"{_vs('mb_per_episode', 'MB')} ({m['live_episodes']} live; 10,000 -> "
                 f"{m['projected_gb_for_10000']} GB)")
    sc = f.get("scale")
    if sc:
        for topo, v in sorted(sc["topologies"].items(), key=lambda kv: kv[1]["components"]):
            lines.append(f"  {'topology ' + topo:<16} {v['components']} components: reset "
                         f"{v['reset_median_ms']:.2f} ms, call {v['call_median_us']:.0f} us")
        steps = sc["call_mean_us_by_steps"]
        lines.append(f"  steps            mean call {steps['10']:.0f} us over 10 steps, "
                     f"{steps['200']:.0f} us over 200")
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
                     f"({d['workers']} workers) {_vs('default_eval_s', 's')}")
    for name, p in f.get("peers", {}).items():
        lines.append(f"  peer {name:<11} {p['episodes_per_s']:.2f} episodes/s, "
                     f"{p['steps_per_s']:.0f} steps/s; warroom heuristic is "
                     f"x{p['warroom_ratio']} of it per episode")
    if "servers" in f:
        lines.extend(_format_servers(f["servers"]))
    return "\n".join(lines)


def _format_servers(s: dict[str, Any]) -> list[str]:
    """One line per server face: capacity and p99 at the offered rate, beside the targets."""
    target = s.get("target", {})
    out = []
    for face in ("mcp_http", "openenv_ws"):
        v = s.get(face)
        if not isinstance(v, dict):
            continue
        if "saturation" not in v:
            out.append(f"  {face:<16} {v}")
            continue
        sat, at = v["saturation"], v.get("at_rate", {})
        out.append(f"  {face:<16} {v.get('clients')} clients: {sat['calls_per_s']:.0f} calls/s "
                   f"(target >= {target.get('calls_per_s', 0):g}), p99 {at.get('p99_ms')} ms at "
                   f"{at.get('calls_per_s')} calls/s (target < {target.get('p99_ms', 0):g} ms)")
    rest = {k: v for k, v in s.items() if k not in ("mcp_http", "openenv_ws", "target")}
    if rest or not out:
        out.append(f"  servers          {rest or s}")
    return out
