"""Charts of the world over simulated time: error rate and p99 latency of the affected
routes, and the root component's most telling metric, sampled from the world's history.

Times are seconds since the incident page; sampling starts ``LOOKBACK_S`` before it so the
onset shows. Markers sit where the agent wrote (restarts, rollbacks, scaling, ...).
"""

from __future__ import annotations

from typing import Any

from ...env.episode import Episode
from ...world.alerts import ERROR_SLO
from .charts import Chart, Marker, Series

LOOKBACK_S = 600.0
SAMPLES = 60
MIN_SPAN_S = 300.0


def _component_metrics(m: Any) -> dict[str, float]:
    out = {"error %": 100.0 * m.error_frac, "p99 ms": m.p99_ms, "cpu %": 100.0 * m.cpu_util,
           "saturation %": 100.0 * m.saturation, "memory MB": m.mem_mb,
           "ready pods": float(m.ready), "restarts": float(m.restarts)}
    if m.pool_size:
        out["pool in use"] = m.pool_in_use
    for k, v in m.extra.items():
        out[k] = float(v)
    return out


def _telling(series: dict[str, list[tuple[float, float]]]) -> str | None:
    """The metric that moved most relative to its size (first wins a tie)."""
    best, score = None, 0.0
    for name, pts in series.items():
        vals = [v for _, v in pts]
        span = max(vals) - min(vals)
        rel = span / (max(abs(v) for v in vals) or 1.0)
        if rel > score + 1e-9:
            best, score = name, rel
    return best


def world_charts(episode: Episode, start_t: float, writes: list[Marker],
                 root: str | None = None) -> list[Chart]:
    """Three charts from ``episode``'s world between the page (minus lookback) and now."""
    world = episode.world
    assert world is not None
    end = max(world.now, start_t + MIN_SPAN_S)
    first = max(0.0, start_t - LOOKBACK_S)
    times = [first + k * (end - first) / SAMPLES for k in range(SAMPLES + 1)]
    times = [t for t in times if t <= world.now] or [world.now]
    err: dict[str, list[tuple[float, float]]] = {}
    lat: dict[str, list[tuple[float, float]]] = {}
    slo_ms: dict[str, float] = {}
    comp: dict[str, list[tuple[float, float]]] = {}
    root = root or (episode.truths[0].component if episode.truths else None)
    for t in times:
        snap = world.snapshot(t)
        rel = t - start_t
        for ep in snap.endpoints:
            name = f"{ep.method} {ep.path}"
            err.setdefault(name, []).append((rel, 100.0 * ep.error_rps / ep.rps
                                             if ep.rps > 0 else 0.0))
            lat.setdefault(name, []).append((rel, ep.p99_ms))
            slo_ms[name] = ep.slo_p99_ms
        if root and root in snap.components:
            for k, v in _component_metrics(snap.components[root]).items():
                comp.setdefault(k, []).append((rel, v))
    affected = [n for n in err
                if max(v for _, v in err[n]) > 100 * ERROR_SLO
                or max(v for _, v in lat[n]) > slo_ms[n]]
    affected = affected or list(err)[:3]
    charts = [
        Chart("SLO error rate, affected routes", "% of requests",
              [Series(n, err[n]) for n in affected], writes, 100 * ERROR_SLO),
        Chart("p99 latency, affected routes", "ms", [Series(n, lat[n]) for n in affected],
              writes, min(slo_ms[n] for n in affected) if affected else None)]
    key = _telling(comp)
    if root and key:
        charts.append(Chart(f"{root}: {key}", "root component", [Series(key, comp[key])],
                            writes))
    return charts


def write_markers(steps: list[dict[str, Any]]) -> list[Marker]:
    """A marker per successful write step of a trace (``t`` since the page)."""
    return [Marker(float(s["t"]), f"#{s['step']} {s['tool']} "
                                  f"{_target(s.get('arguments') or {})}".strip())
            for s in steps if s.get("kind") == "write" and s.get("ok")]


def _target(args: dict[str, Any]) -> str:
    for key in ("service", "component", "target", "name", "team"):
        if isinstance(args.get(key), str):
            return str(args[key])
    return ""
