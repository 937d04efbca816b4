"""Log and trace analytics: log lines grouped into patterns, log volume by component and
level, and where the time and errors of sampled traces go, service by service."""

from __future__ import annotations

import re
from typing import Any

from ...world.telemetry import fmt
from ...world.telemetry import logs as render
from ...world.telemetry import traces as tr
from ...world.world import World
from ..common import component, one_of, window
from ..registry import READ, ToolOutput, tool

VARIABLE = re.compile(r"(\d{4}-\d\d-\d\d[T ][\d:.,]+Z?|\b[0-9a-f]{8,}\b|\b\d+(\.\d+)?\b|"
                      r"request_id=\S+)")
LOGGED = ("edge", "gateway", "service", "worker", "postgres", "redis", "queue")


def pattern_of(line: str) -> str:
    """A log line with its variable parts (times, ids, numbers) replaced by placeholders."""
    return VARIABLE.sub("<*>", line)


@tool("logs", READ, cost_s=10)
def log_patterns(world: World, service: str, minutes: int = 15) -> ToolOutput:
    """Group one component's log lines into patterns (variable parts replaced by <*>),
    most frequent first, with level and a sample line.

    Args:
        service: component whose logs to read.
        minutes: how far back (1-60).
    """
    component(world, service)
    window(minutes, 1, 60)
    hits, total = render.search(world, service, world.now - minutes * 60, world.now, None,
                                None, 100000)
    groups: dict[str, dict[str, Any]] = {}
    for _, level, line in hits:
        p = pattern_of(line)
        g = groups.setdefault(p, {"pattern": p, "level": level, "count": 0, "sample": line})
        g["count"] += 1
    top = sorted(groups.values(), key=lambda g: (-g["count"], g["pattern"]))[:15]
    lines = [f"{g['count']:>6}  {g['level']:<5} {g['pattern'][:150]}" for g in top]
    return ToolOutput(f"{total} lines, {len(groups)} patterns in {service} logs over "
                      f"{minutes}m\n" + "\n".join(lines), top)


@tool("logs", READ, cost_s=8)
def log_volume(world: World, minutes: int = 5) -> ToolOutput:
    """Count log lines per component and level (ERROR, WARN, INFO) over the recent past,
    most errors first.

    Args:
        minutes: how far back (1-30).
    """
    window(minutes, 1, 30)
    start = world.now - minutes * 60
    data: list[dict[str, Any]] = []
    for c in world.topology.components:
        if c.kind not in LOGGED:
            continue
        _, total = render.search(world, c.name, start, world.now, None, None, 0)
        _, errors = render.search(world, c.name, start, world.now, None, "ERROR", 0)
        _, warns = render.search(world, c.name, start, world.now, None, "WARN", 0)
        data.append({"service": c.name, "error": errors, "warn": warns,
                     "info": total - errors - warns, "total": total})
    data.sort(key=lambda d: (-d["error"], -d["warn"], d["service"]))
    rows = [[d["service"], d["error"], d["warn"], d["info"], d["total"]] for d in data]
    return ToolOutput(f"log lines over the last {minutes}m\n" + fmt.table(
        ["SERVICE", "ERROR", "WARN", "INFO", "TOTAL"], rows), data)


def _self_times(trace: dict[str, Any]) -> dict[int, float]:
    child = {s["span"]: 0.0 for s in trace["spans"]}
    for s in trace["spans"]:
        if s["parent"] is not None:
            child[s["parent"]] += s["duration_ms"]
    return {s["span"]: max(0.0, s["duration_ms"] - child[s["span"]]) for s in trace["spans"]}


@tool("traces", READ, cost_s=10)
def trace_breakdown(world: World, route: str | None = None, minutes: int = 5) -> ToolOutput:
    """Aggregate sampled traces by service: spans, mean span time, share of the total
    time spent in that service itself (not waiting on children) and error spans.

    Args:
        route: only traces of this route, e.g. 'POST /api/checkout'.
        minutes: how far back (1-15).
    """
    routes = [f"{e.method} {e.path}" for e in world.topology.endpoints]
    picked = range(len(routes)) if route is None else [routes.index(one_of(route, routes,
                                                                           "route"))]
    window(minutes, 1, 15)
    agg: dict[str, dict[str, float]] = {}
    last = int(world.now // 60)
    for minute in range(last, last - minutes, -1):
        for r in picked:
            for i in range(tr.SAMPLES_PER_MIN):
                trace = tr.build(world, minute, r, i)
                own = _self_times(trace)
                for s in trace["spans"]:
                    a = agg.setdefault(s["service"], {"spans": 0, "ms": 0.0, "self": 0.0,
                                                      "errors": 0})
                    a["spans"] += 1
                    a["ms"] += s["duration_ms"]
                    a["self"] += own[s["span"]]
                    a["errors"] += 1 if "error" in s else 0
    total = sum(a["self"] for a in agg.values()) or 1.0
    data: list[dict[str, Any]] = [
        {"service": n, "spans": int(a["spans"]), "mean_ms": round(a["ms"] / a["spans"], 1),
         "self_share": round(a["self"] / total, 3), "error_spans": int(a["errors"])}
        for n, a in agg.items()]
    data.sort(key=lambda d: (-d["self_share"], d["service"]))
    lines = [f"{d['service']:<18} spans={d['spans']:<5} mean={d['mean_ms']:>9.1f} ms  "
             f"self={d['self_share']:>6.1%}  errors={d['error_spans']}" for d in data]
    return ToolOutput(f"trace breakdown over {minutes}m"
                      f"{' for ' + route if route else ''}\n" + "\n".join(lines), data)
