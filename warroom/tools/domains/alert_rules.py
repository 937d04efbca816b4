"""Alerting as its rule files and history show it: the rules, when each alert fired and
resolved, and every SLO's success ratio and error-budget burn."""

from __future__ import annotations

from ...world.alerts import ERROR_SLO
from ...world.telemetry import alert_timeline, fmt
from ...world.world import World
from ..common import window
from ..registry import READ, ToolOutput, tool

RULES = (
    ("SLOErrorBudgetBurn", "page",
     f"sum(rate(http_requests_total{{code=~\"5..\",slo=\"$slo\"}}[5m])) / "
     f"sum(rate(http_requests_total{{slo=\"$slo\"}}[5m])) > {ERROR_SLO}", "2m"),
    ("SLOLatency", "page",
     "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket"
     "{slo=\"$slo\"}[5m]))) > $objective", "2m"),
    ("ConsumerLagHigh", "ticket", "max(consumer_lag_seconds) by (topic) > 300", "5m"),
    ("KubePodRestartsHigh", "ticket",
     "sum(increase(kube_pod_container_status_restarts_total{namespace=\"prod\"}[15m])) >= 3",
     "0m"),
    ("SyntheticProbeFailing", "page", "probe_success{job=\"blackbox-https\"} == 0", "1m"),
)


@tool("alerts", READ, cost_s=2)
def list_alert_rules(world: World) -> ToolOutput:
    """List the alerting rules: name, severity, expression and how long it must hold."""
    rows = [[n, s, f, e] for n, s, e, f in RULES]
    slos = [f"  {ep.slo}: p99 < {ep.slo_p99_ms:.0f} ms, 99.5% success ({ep.method} {ep.path})"
            for ep in world.topology.endpoints]
    text = fmt.table(["ALERT", "SEVERITY", "FOR", "EXPR"], rows) + "\nSLOs:\n" + "\n".join(slos)
    return ToolOutput(text, {"rules": [{"alert": n, "severity": s, "expr": e, "for": f}
                                       for n, s, e, f in RULES],
                             "slos": [ep.slo for ep in world.topology.endpoints]})


@tool("alerts", READ, cost_s=6)
def alert_history(world: World, minutes: int = 60) -> ToolOutput:
    """Show when alerts started firing and resolved over the recent past, oldest first
    (probed every five minutes).

    Args:
        minutes: how far back (5-120).
    """
    window(minutes, 5, 120)
    events = alert_timeline.transitions(world, minutes)
    rows = [[fmt.hms(world.wallclock(e["t"])), e["state"], e["severity"], e["alert"],
             e["summary"][:70]] for e in events]
    text = fmt.table(["TIME", "STATE", "SEVERITY", "ALERT", "SUMMARY"], rows) if rows else \
        f"No alert state changes in the last {minutes}m."
    return ToolOutput(text, [{"time": fmt.iso(world.wallclock(e["t"])), "alert": e["alert"],
                              "state": e["state"], "severity": e["severity"]}
                             for e in events])


@tool("alerts", READ, cost_s=6)
def slo_status(world: World) -> ToolOutput:
    """Show every SLO's success ratio and p99 now and averaged over the last hour, and
    the error-budget burn rate (1.0 spends the budget exactly on time)."""
    times = [max(world.now - k * 600, 0.0) for k in range(6, -1, -1)]
    acc: dict[int, list[float]] = {i: [0.0, 0.0] for i in range(len(world.topology.endpoints))}
    for t in times:
        for i, ep in enumerate(world.snapshot(t).endpoints):
            acc[i][0] += ep.rps
            acc[i][1] += ep.error_rps
    now = world.snapshot().endpoints
    rows, data = [], []
    for i, spec in enumerate(world.topology.endpoints):
        ep = now[i]
        ok_now = 1 - ep.error_rps / ep.rps if ep.rps > 0 else 1.0
        ok_hour = 1 - acc[i][1] / acc[i][0] if acc[i][0] > 0 else 1.0
        burn = (1 - ok_hour) / 0.005
        rows.append([spec.slo, f"{ok_now:.3%}", f"{ok_hour:.3%}", f"{ep.p99_ms:.0f} ms",
                     f"{spec.slo_p99_ms:.0f} ms", f"{burn:.1f}x"])
        data.append({"slo": spec.slo, "success_now": round(ok_now, 5),
                     "success_1h": round(ok_hour, 5), "p99_ms": round(ep.p99_ms, 1),
                     "p99_objective_ms": spec.slo_p99_ms, "burn_rate_1h": round(burn, 2)})
    return ToolOutput(fmt.table(["SLO", "SUCCESS NOW", "SUCCESS 1H", "P99 NOW", "OBJECTIVE",
                                 "BURN 1H"], rows), data)
