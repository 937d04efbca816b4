"""Alerts, the service map, provider status pages and nodes: where an investigation starts."""

from __future__ import annotations

from ...world.alerts import active_alerts
from ...world.telemetry import fmt
from ...world.world import World
from ..registry import READ, ToolOutput, tool


@tool("alerts", READ, cost_s=3)
def list_alerts(world: World) -> ToolOutput:
    """List the alerts firing now, with severity and when each started."""
    alerts = active_alerts(world)
    rows = [[a.severity, a.name, fmt.hms(world.wallclock(a.since)), a.summary] for a in alerts]
    data = [{"name": a.name, "severity": a.severity, "since": fmt.iso(world.wallclock(a.since)),
             "summary": a.summary, "slo": a.slo} for a in alerts]
    text = fmt.table(["SEVERITY", "ALERT", "SINCE", "SUMMARY"], rows) if rows else \
        "No alerts firing."
    return ToolOutput(text, data)


@tool("observe", READ, cost_s=3)
def get_service_map(world: World) -> ToolOutput:
    """Show every component (kind, owning team, language), who calls whom, and which
    service serves each public route and user-facing SLO."""
    topo = world.topology
    lines = ["COMPONENTS"]
    comps = []
    for c in topo.components:
        deps = ", ".join(f"{d.target}({d.kind})" for d in c.deps) or "-"
        lines.append(f"  {c.name:<18} {c.kind:<8} team={c.team:<10} {c.language:<9} -> {deps}")
        comps.append({"name": c.name, "kind": c.kind, "team": c.team, "language": c.language,
                      "description": c.description,
                      "calls": [{"target": d.target, "kind": d.kind} for d in c.deps]})
    lines.append("ROUTES (edge -> service) and SLOs")
    routes = []
    for ep in topo.endpoints:
        lines.append(f"  {ep.method:<5} {ep.path:<34} -> {ep.service:<14} slo={ep.slo} "
                     f"(p99 < {ep.slo_p99_ms:.0f} ms, 99.5% success)")
        routes.append({"method": ep.method, "path": ep.path, "service": ep.service,
                       "slo": ep.slo, "p99_objective_ms": ep.slo_p99_ms})
    return ToolOutput("\n".join(lines), {"components": comps, "routes": routes})


@tool("observe", READ, cost_s=5)
def provider_status(world: World) -> ToolOutput:
    """Read the public status pages of external providers."""
    out, data = [], []
    for p in world.head.providers.values():
        expired = world.now >= p.credentials_expire_at
        status = p.status
        out.append(f"{p.name}: {status.upper()}")
        for inc in p.status_incidents:
            out.append(f"  [{inc.get('impact', 'minor')}] {inc.get('title', '')} - "
                       f"{inc.get('update', '')}")
        if not p.status_incidents:
            out.append("  All systems operational." if status == "operational" else "")
        data.append({"provider": p.name, "status": status, "incidents": p.status_incidents,
                     "our_credentials_expired": expired})
    return ToolOutput("\n".join(x for x in out if x), data)


@tool("kubernetes", READ, cost_s=5)
def list_nodes(world: World) -> ToolOutput:
    """List cluster nodes with CPU requested by our pods and used by other tenants."""
    st = world.head
    rows, data = [], []
    for n in st.nodes.values():
        ours = sum(s.cpu_millicores for s in st.services.values() for p in s.pods
                   if p.node == n.name and p.alive(world.now))
        used = min(1.0, (ours * 0.5 + n.foreign_cpu_millicores) / n.cpu_millicores)
        rows.append([n.name, "Ready,SchedulingDisabled" if n.cordoned else "Ready",
                     f"{n.cpu_millicores}m", f"{ours}m", f"{n.foreign_cpu_millicores}m",
                     f"{used:.0%}"])
        data.append({"node": n.name, "cordoned": n.cordoned, "cpu_millicores": n.cpu_millicores,
                     "our_requests_m": ours, "other_tenants_m": n.foreign_cpu_millicores,
                     "cpu_used": round(used, 3)})
    return ToolOutput(fmt.table(["NODE", "STATUS", "CPU", "OUR REQUESTS", "OTHER TENANTS",
                                 "CPU USED"], rows), data)
