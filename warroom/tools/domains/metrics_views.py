"""Metric views beyond one series: the metric catalog, two windows compared, top-k routes,
a service's golden signals, and the components whose signals moved most. Values are
read from the same physics and noise as ``query_metrics``, printed PromQL-style."""

from __future__ import annotations

from typing import Literal

from ...world import noise
from ...world.world import World
from ..common import component, noisy, one_of, window
from ..registry import READ, ToolError, ToolOutput, tool
from .metrics import SERVICE_METRICS, STORE_METRICS, metrics_for

APP = ("edge", "gateway", "service", "worker")
SIGNALS = ("rps", "error_rate", "latency_p99_ms", "cpu")


def reading(world: World, service: str, metric: str, t: float) -> float:
    """One point of a metric at ``t``, with the same seeded noise as query_metrics."""
    _, read = metrics_for(world, service)[metric]
    raw = read(world.snapshot(t), service)
    if metric in ("ready_pods", "restarts"):
        return raw
    return noisy(world, raw, noise.sid(service), noise.sid(metric), int(t))


def _mean(world: World, service: str, metric: str, start: float, end: float) -> float:
    step = max(60.0, (end - start) / 10)
    ts = [start + i * step for i in range(int((end - start) // step) + 1)]
    ts = [t for t in ts if t >= 0] or [max(end, 0.0)]
    return sum(reading(world, service, metric, t) for t in ts) / len(ts)


@tool("metrics", READ, cost_s=3)
def list_metrics(world: World, service: str | None = None) -> ToolOutput:
    """List the metric catalog: metric names, what each measures and which components
    export it.

    Args:
        service: only the metrics this component exports.
    """
    if service is not None:
        component(world, service)
        cat = metrics_for(world, service)
        rows = [f"{name:<20} gauge  {desc}" for name, (desc, _) in cat.items()]
        return ToolOutput(f"# metrics of {service}\n" + "\n".join(rows),
                          [{"metric": n, "help": d} for n, (d, _) in cat.items()])
    kinds = {"service/gateway/worker": SERVICE_METRICS, **STORE_METRICS}
    lines, data = [], []
    for kind, cat in kinds.items():
        lines.append(f"# {kind}")
        for name, (desc, _) in cat.items():
            lines.append(f"  {name:<20} {desc}")
            data.append({"kind": kind, "metric": name, "help": desc})
    return ToolOutput("\n".join(lines), data)


@tool("metrics", READ, cost_s=8)
def compare_windows(world: World, service: str, metric: str, minutes: int = 15,
                    offset_minutes: int = 60) -> ToolOutput:
    """Compare a metric's mean over the last window with the same-length window earlier
    (like PromQL avg_over_time(m[w]) against avg_over_time(m[w] offset o)).

    Args:
        service: component name.
        metric: metric name (list_metrics shows the valid ones).
        minutes: window length (1-60).
        offset_minutes: how far back the earlier window ends (5-120).
    """
    component(world, service)
    window(minutes, 1, 60)
    if not 5 <= offset_minutes <= 120:
        raise ToolError(f"offset_minutes must be between 5 and 120, got {offset_minutes}")
    one_of(metric, metrics_for(world, service), f"metric for {service}")
    now = world.now
    cur = _mean(world, service, metric, now - minutes * 60, now)
    end = now - offset_minutes * 60
    before = _mean(world, service, metric, end - minutes * 60, end)
    change = (cur - before) / abs(before) if before else (0.0 if cur == 0 else float("inf"))
    text = (f"avg_over_time({metric}{{service=\"{service}\"}}[{minutes}m])  = {cur:.4g}\n"
            f"avg_over_time({metric}{{service=\"{service}\"}}[{minutes}m] offset "
            f"{offset_minutes}m) = {before:.4g}\nchange: "
            + ("new (was 0)" if change == float("inf") else f"{change:+.1%}"))
    return ToolOutput(text, {"service": service, "metric": metric, "current": round(cur, 4),
                             "earlier": round(before, 4),
                             "change": None if change == float("inf") else round(change, 4)})


@tool("metrics", READ, cost_s=5)
def top_routes(world: World, by: Literal["errors", "latency", "rps"] = "errors", k: int = 5
               ) -> ToolOutput:
    """Rank public routes now (like PromQL topk): by error ratio, p99 latency or traffic,
    with the service behind each and its SLO.

    Args:
        by: errors (failing share), latency (p99 ms) or rps.
        k: how many routes (1-20).
    """
    if not 1 <= k <= 20:
        raise ToolError(f"k must be between 1 and 20, got {k}")
    snap = world.snapshot()
    rows = []
    for ep, spec in zip(snap.endpoints, world.topology.endpoints, strict=True):
        ratio = ep.error_rps / ep.rps if ep.rps > 0 else 0.0
        rows.append({"route": f"{ep.method} {ep.path}", "service": spec.service,
                     "slo": spec.slo, "rps": round(ep.rps, 1), "error_ratio": round(ratio, 4),
                     "p99_ms": round(ep.p99_ms, 1), "p99_objective_ms": spec.slo_p99_ms})
    key = {"errors": "error_ratio", "latency": "p99_ms", "rps": "rps"}[by]
    rows.sort(key=lambda r: (-float(r[key]), r["route"]))
    rows = rows[:k]
    head = f"topk({k}, {key} by (route))"
    lines = [f"{{route=\"{r['route']}\", service=\"{r['service']}\"}}  {r[key]}  "
             f"(rps {r['rps']}, errors {float(r['error_ratio']):.2%}, p99 {r['p99_ms']} ms "
             f"/ {r['p99_objective_ms']:.0f})" for r in rows]
    return ToolOutput(head + "\n" + "\n".join(lines), rows)


@tool("metrics", READ, cost_s=8)
def golden_signals(world: World, service: str) -> ToolOutput:
    """Show a service's golden signals (traffic, errors, latency, saturation) now, 15
    minutes ago and an hour ago, like the top row of its dashboard.

    Args:
        service: an application component (edge, gateway, service or worker).
    """
    component(world, service, APP)
    cat = metrics_for(world, service)
    names = [m for m in (*SIGNALS, "thread_saturation", "memory_mb", "ready_pods") if m in cat]
    offsets = (0, 15, 60)
    rows, data = [], {}
    for m in names:
        vals = [reading(world, service, m, max(world.now - o * 60, 0.0)) for o in offsets]
        rows.append(f"{m:<18} " + "  ".join(f"{v:>10.4g}" for v in vals))
        data[m] = {"now": round(vals[0], 4), "15m_ago": round(vals[1], 4),
                   "60m_ago": round(vals[2], 4)}
    head = f"{service} golden signals\n{'':<18} {'now':>10}  {'-15m':>10}  {'-60m':>10}"
    return ToolOutput(head + "\n" + "\n".join(rows), {"service": service, "signals": data})


@tool("metrics", READ, cost_s=10)
def metric_changes(world: World, minutes: int = 30) -> ToolOutput:
    """Find the components whose error rate, p99 latency or CPU changed most between
    ``minutes`` ago and now, biggest change first.

    Args:
        minutes: how far back to compare (5-120).
    """
    window(minutes, 5, 120)
    then = max(world.now - minutes * 60, 0.0)
    found = []
    for c in world.topology.components:
        if c.kind not in APP:
            continue
        for m in ("error_rate", "latency_p99_ms", "cpu"):
            a, b = reading(world, c.name, m, then), reading(world, c.name, m, world.now)
            scale = max(abs(a), 0.01 if m == "error_rate" else 1.0 if m != "cpu" else 0.05)
            found.append({"service": c.name, "metric": m, "before": round(a, 4),
                          "now": round(b, 4), "change": round((b - a) / scale, 3)})
    found.sort(key=lambda r: (-abs(float(r["change"])), r["service"], r["metric"]))
    top = found[:12]
    lines = [f"{r['service']:<16} {r['metric']:<15} {r['before']:>10.4g} -> {r['now']:<10.4g} "
             f"({float(r['change']):+.0%})" for r in top]
    return ToolOutput(f"largest changes over the last {minutes}m\n" + "\n".join(lines), top)
