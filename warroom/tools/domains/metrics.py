"""Metric series rendered from the physics at any past instant, with seeded noise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...world import noise
from ...world.physics.snapshot import Snapshot
from ...world.telemetry import fmt
from ...world.world import World
from ..common import component, noisy, one_of, window
from ..registry import READ, ToolError, ToolOutput, tool

Reader = Callable[[Snapshot, str], float]

SERVICE_METRICS: dict[str, tuple[str, Reader]] = {
    "rps": ("requests per second", lambda s, n: s[n].rps),
    "error_rate": ("share of requests failing", lambda s, n: s[n].error_frac),
    "latency_p50_ms": ("median latency", lambda s, n: s[n].mean_ms * 0.8),
    "latency_p99_ms": ("99th percentile latency", lambda s, n: s[n].p99_ms),
    "cpu": ("CPU used / CPU limit", lambda s, n: s[n].cpu_util),
    "memory_mb": ("mean working set of running pods", lambda s, n: s[n].mem_mb),
    "ready_pods": ("pods passing readiness", lambda s, n: float(s[n].ready)),
    "restarts": ("container restarts (total)", lambda s, n: float(s[n].restarts)),
    "db_pool_in_use": ("DB pool connections in use", lambda s, n: s[n].pool_in_use),
    "db_pool_waiting": ("requests waiting for a DB connection", lambda s, n: s[n].pool_waiting),
    "thread_saturation": ("in-flight requests / worker threads", lambda s, n: s[n].saturation),
}
STORE_METRICS: dict[str, dict[str, tuple[str, Reader]]] = {
    "postgres": {
        "connections": ("open connections", lambda s, n: s[n].extra.get("connections", 0.0)),
        "cpu": ("CPU used / limit", lambda s, n: s[n].cpu_util),
        "query_latency_ms": ("mean query latency", lambda s, n: s[n].mean_ms),
        "qps": ("queries per second", lambda s, n: s[n].rps),
        "disk_used_gb": ("data volume used", lambda s, n: s[n].extra.get("disk_used_gb", 0.0)),
        "replication_lag_s": ("replica lag", lambda s, n: s[n].extra.get("replication_lag_s",
                                                                         0.0)),
        "errors_per_s": ("failed statements per second", lambda s, n: s[n].error_rps),
    },
    "redis": {
        "ops_per_s": ("commands per second", lambda s, n: s[n].rps),
        "hit_ratio": ("keyspace hit ratio", lambda s, n: s[n].extra.get("hit_ratio", 0.0)),
        "evictions_per_s": ("evicted keys per second", lambda s, n: s[n].extra.get(
            "evictions_per_s", 0.0)),
        "errors_per_s": ("failed commands per second", lambda s, n: s[n].error_rps),
    },
    "queue": {
        "depth": ("messages waiting", lambda s, n: s[n].extra.get("depth", 0.0)),
        "lag_s": ("consumer lag in seconds", lambda s, n: s[n].extra.get("lag_s", 0.0)),
        "publish_rate": ("messages published per second", lambda s, n: s[n].extra.get(
            "publish_rps", 0.0)),
        "consume_rate": ("messages consumed per second", lambda s, n: s[n].extra.get(
            "consume_rps", 0.0)),
        "redelivered_rate": ("messages redelivered per second", lambda s, n: s[n].extra.get(
            "redelivered_rps", 0.0)),
    },
    "external": {
        "rps": ("calls per second", lambda s, n: s[n].rps),
        "error_rate": ("share of calls failing", lambda s, n: s[n].error_frac),
        "latency_p50_ms": ("median latency", lambda s, n: s[n].mean_ms),
    },
    "edge": {
        **{k: SERVICE_METRICS[k] for k in ("rps", "error_rate", "latency_p99_ms", "cpu")},
        "active_connections": ("open client connections", lambda s, n: s[n].extra.get(
            "active_connections", 0.0)),
    },
}


def metrics_for(world: World, name: str) -> dict[str, tuple[str, Reader]]:
    kind = world.topology[name].kind
    return STORE_METRICS.get(kind, SERVICE_METRICS)


@tool("metrics", READ, cost_s=8)
def query_metrics(world: World, service: str, metric: str, minutes: int = 60,
                  step_s: int = 60) -> ToolOutput:
    """Read a metric series for one component over the recent past.

    Args:
        service: component name, e.g. a service, database, cache, queue or the edge.
        metric: metric name; an unknown name lists the valid ones for that component.
        minutes: how far back to look (1-120).
        step_s: seconds between points (15-600).
    """
    component(world, service)
    window(minutes)
    if not 15 <= step_s <= 600:
        raise ToolError(f"step_s must be between 15 and 600, got {step_s}")
    catalog = metrics_for(world, service)
    one_of(metric, catalog, f"metric for {service}")
    desc, read = catalog[metric]
    end = (world.now // step_s) * step_s
    points: list[dict[str, Any]] = []
    t = end - minutes * 60
    while t <= end:
        raw = read(world.snapshot(t), service)
        key = (noise.sid(service), noise.sid(metric), int(t))
        value = raw if metric in ("ready_pods", "restarts") else noisy(world, raw, *key)
        points.append({"time": fmt.iso(world.wallclock(t)), "value": round(value, 4)})
        t += step_s
    vals = [p["value"] for p in points]
    head = (f"{service} {metric} ({desc}) last {minutes}m every {step_s}s: "
            f"min={min(vals):.4g} max={max(vals):.4g} last={vals[-1]:.4g}")
    rows = [f"{p['time'][11:19]}  {p['value']:.4g}" for p in points]
    return ToolOutput(head + "\n" + "\n".join(rows),
                      {"service": service, "metric": metric, "points": points})
