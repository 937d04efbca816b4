"""Alerts as an on-call engineer receives them: user-facing SLO burn and infrastructure
symptoms, computed from metrics. Alert text names a symptom (an SLO, a saturated resource),
never a cause; SLO alerts name the user journey, not the service behind it."""

from __future__ import annotations

from dataclasses import dataclass

from .physics.stores import cert_expiry
from .world import World

ERROR_SLO = 0.02
PROBE_S = 120.0
LOOKBACK_S = 1800.0
WINDOW_S = 300.0


@dataclass(frozen=True)
class Alert:
    name: str
    severity: str
    since: float
    summary: str
    slo: str | None = None


def _firing(world: World, t: float) -> list[tuple[str, str, str, str | None]]:
    """(alert, severity, summary, SLO) of each alert firing at ``t``; kept per instant (the
    start search of every alert probes the same instants)."""
    return world.memo("alerts", t, lambda: _firing_now(world, t))


def _firing_now(world: World, t: float) -> list[tuple[str, str, str, str | None]]:
    snap = world.snapshot(t)
    out: list[tuple[str, str, str, str | None]] = []
    slo_of = {(e.method, e.path): e.slo for e in reversed(world.topology.endpoints)}
    for ep in snap.endpoints:
        name = slo_of[(ep.method, ep.path)]
        if ep.rps > 0 and ep.error_rps / ep.rps > ERROR_SLO:
            out.append((f"SLOErrorBudgetBurn:{name}", "page",
                        f"{name}: {ep.error_rps / ep.rps:.1%} of requests failing "
                        f"(objective 99.5% success)", name))
        elif ep.p99_ms > ep.slo_p99_ms:
            out.append((f"SLOLatency:{name}", "page",
                        f"{name}: p99 latency {ep.p99_ms:.0f} ms over the "
                        f"{ep.slo_p99_ms:.0f} ms objective", name))
    queues = [m for c, m in snap.components.items()
              if world.topology[c].kind == "queue" and m.extra.get("lag_s", 0) > 300]
    for m in queues:
        out.append((f"ConsumerLagHigh:{m.name}", "ticket",
                    f"consumer lag on a message topic above 5 minutes "
                    f"({m.extra['lag_s']:.0f} s)", None))
    restarts = sum(1 for m in snap.components.values() for p in m.pods
                   if p.last_exit_at is not None and p.last_exit_at >= t - 900)
    if restarts >= 3:
        out.append(("KubePodRestartsHigh", "ticket",
                    f"{restarts} container restarts in namespace prod in the last 15 minutes",
                    None))
    st = world.at(t)
    edge = world.topology.kind_of("edge")[0]
    synthetic_tls = t >= cert_expiry(st.edge, st.services[edge].config)
    if synthetic_tls:
        out.append(("SyntheticProbeFailing", "page",
                    "external synthetic checks failing for the public site", None))
    return out


def active_alerts(world: World, t: float | None = None) -> list[Alert]:
    """Alerts firing at ``t``, each with the time it started (checked back 30 minutes)."""
    t = world.now if t is None else t
    now = _firing(world, t)
    alerts = []
    top = (t // PROBE_S) * PROBE_S  # probes on a grid, so history solves are shared
    if top >= t:
        top -= PROBE_S
    grid = [top - k * PROBE_S for k in range(int(LOOKBACK_S // PROBE_S))]
    for name, sev, summary, slo in now:
        alerts.append(Alert(name.split(":")[0], sev, _started(world, name, t, grid), summary,
                            slo))
    return alerts


def _started(world: World, name: str, t: float, grid: list[float]) -> float:
    """When the current firing run of alert ``name`` began: a binary search back over the
    probe grid (newest first), taking the alert to fire continuously since its start."""
    def fires(i: int) -> bool:
        return any(a[0] == name for a in _firing(world, grid[i]))

    lo, hi = -1, len(grid)  # grid[:lo+1] fires, grid[hi:] does not
    if not grid or not fires(0):
        return t
    lo = 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fires(mid):
            lo = mid
        else:
            hi = mid
    return grid[lo]
