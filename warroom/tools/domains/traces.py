"""Trace search and retrieval."""

from __future__ import annotations

from ...world.telemetry import traces as tr
from ...world.world import World
from ..common import component, window
from ..registry import READ, ToolError, ToolOutput, tool


@tool("traces", READ, cost_s=8)
def search_traces(world: World, service: str | None = None, min_duration_ms: float = 0.0,
                  errors_only: bool = False, minutes: int = 15) -> ToolOutput:
    """Find sampled request traces, slowest first.

    Args:
        service: only traces that pass through this component.
        min_duration_ms: only traces at least this long.
        errors_only: only traces that ended in an error status.
        minutes: how far back to search (1-60).
    """
    if service is not None:
        component(world, service)
    window(minutes, 1, 60)
    found = []
    last = int(world.now // 60)
    for minute in range(last, last - minutes, -1):
        for route in range(len(world.topology.endpoints)):
            for i in range(tr.SAMPLES_PER_MIN):
                trace = tr.build(world, minute, route, i)
                if service and all(s["service"] != service for s in trace["spans"]):
                    continue
                if trace["duration_ms"] < min_duration_ms:
                    continue
                if errors_only and trace["status"] < 400:
                    continue
                found.append(trace)
    found.sort(key=lambda x: (-x["duration_ms"], x["trace_id"]))
    rows = [f"{x['trace_id']}  {x['start'][11:19]}  {x['route']:<40} {x['status']}  "
            f"{x['duration_ms']:.0f} ms  spans={len(x['spans'])}" for x in found[:25]]
    head = f"{len(found)} traces match; showing {min(25, len(found))} slowest"
    return ToolOutput(head + "\n" + "\n".join(rows),
                      [{k: x[k] for k in ("trace_id", "route", "start", "status", "duration_ms")}
                       for x in found[:25]])


@tool("traces", READ, cost_s=4)
def get_trace(world: World, trace_id: str) -> ToolOutput:
    """Show every span of one trace as a tree with durations and errors.

    Args:
        trace_id: a 32-hex-digit id from search_traces.
    """
    key = tr.parse_trace_id(world, trace_id)
    if key is None or key[0] * 60 > world.now + 60:
        raise ToolError(f"unknown trace id {trace_id!r}; use search_traces to find ids")
    trace = tr.build(world, *key)
    depth: dict[int, int] = {}
    lines = [f"trace {trace_id} {trace['route']} status={trace['status']} "
             f"{trace['duration_ms']:.0f} ms"]
    for s in trace["spans"]:
        d = 0 if s["parent"] is None else depth[s["parent"]] + 1
        depth[s["span"]] = d
        err = f"  ERROR {s['error']}" + (f" ({s['peer']})" if "peer" in s else "") \
            if "error" in s else ""
        lines.append(f"{'  ' * d}- {s['service']} {s['op']} {s['duration_ms']:.1f} ms "
                     f"[{s['status']}]{err}")
    return ToolOutput("\n".join(lines), trace)
