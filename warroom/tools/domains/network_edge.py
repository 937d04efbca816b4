"""The network edge and the service graph: per-dependency traffic, the load balancer's
upstream pools, TLS certificates, DNS lookups and external providers' API usage."""

from __future__ import annotations

import time

from ...world.physics.stores import cert_expiry, upstream_weights
from ...world.telemetry import fmt
from ...world.topology import dep_prefix
from ...world.world import World
from ..common import component
from ..registry import READ, ToolError, ToolOutput, tool

DAY = 86400.0


def _edge(world: World) -> str:
    return world.topology.kind_of("edge")[0]


@tool("observe", READ, cost_s=4)
def service_dependencies(world: World, service: str) -> ToolOutput:
    """Show one component's edges in the service graph now: what it calls (kind, calls
    per request, the callee's error ratio and latency) and who calls it.

    Args:
        service: component name.
    """
    component(world, service)
    snap = world.snapshot()
    topo = world.topology
    rows, data = [], []
    for d in topo[service].deps:
        m = snap[d.target]
        rows.append(["->", d.target, d.kind, f"{d.calls:g}", f"{m.error_frac:.2%}",
                     f"{m.mean_ms:.1f} ms"])
        data.append({"direction": "calls", "component": d.target, "kind": d.kind,
                     "calls_per_request": d.calls, "error_ratio": round(m.error_frac, 4),
                     "latency_ms": round(m.mean_ms, 1)})
    for caller in topo.callers_of(service):
        m = snap[caller]
        rows.append(["<-", caller, "caller", "", f"{m.error_frac:.2%}", f"{m.mean_ms:.1f} ms"])
        data.append({"direction": "called_by", "component": caller,
                     "error_ratio": round(m.error_frac, 4), "latency_ms": round(m.mean_ms, 1)})
    me = snap[service]
    head = (f"{service}: {me.rps:.1f} req/s, errors {me.error_frac:.2%}, mean "
            f"{me.mean_ms:.1f} ms")
    return ToolOutput(head + "\n" + fmt.table(["DIR", "COMPONENT", "KIND", "CALLS/REQ",
                                               "ERRORS", "LATENCY"], rows), data)


@tool("observe", READ, cost_s=3)
def edge_upstreams(world: World) -> ToolOutput:
    """Show the edge load balancer's upstream pools (like an nginx upstream status page):
    weight, draining, health-check path and connections against the limit."""
    edge = _edge(world)
    st = world.head
    cfg = st.services[edge].config
    weights = upstream_weights(st.edge, cfg)
    m = world.snapshot()[edge]
    rows, data = [], []
    for name, up in sorted(st.edge.upstreams.items()):
        state = "draining" if up.draining else "up"
        rows.append([name, weights.get(name, 0), state])
        data.append({"pool": name, "weight": weights.get(name, 0), "draining": up.draining})
    upstream = world.topology[edge].deps[0].target if world.topology[edge].deps else "-"
    text = (f"{edge} -> {upstream}  health_check={cfg.get('HEALTH_CHECK_PATH')}  "
            f"connections {m.extra.get('active_connections', 0):.0f} of "
            f"{m.extra.get('connection_limit', 0):.0f} (WORKER_CONNECTIONS="
            f"{cfg.get('WORKER_CONNECTIONS')} x {m.ready} pods)\n" +
            fmt.table(["POOL", "WEIGHT", "STATE"], rows))
    return ToolOutput(text, {"edge": edge, "health_check_path": cfg.get("HEALTH_CHECK_PATH"),
                             "pools": data,
                             "active_connections": round(m.extra.get("active_connections", 0)),
                             "connection_limit": round(m.extra.get("connection_limit", 0))})


@tool("observe", READ, cost_s=3)
def tls_certificates(world: World) -> ToolOutput:
    """List the edge's TLS certificates: secret, domain, not-after date, days left, and
    which secret the edge serves now."""
    edge = _edge(world)
    st = world.head
    cfg = st.services[edge].config
    served = str(cfg.get("TLS_SECRET"))
    certs = dict(st.edge.certs)
    certs.setdefault(served, cert_expiry(st.edge, cfg))
    rows, data = [], []
    for secret, expires in sorted(certs.items(), key=lambda kv: (kv[1], kv[0])):
        days = (expires - world.now) / DAY
        not_after = time.strftime("%Y-%m-%d %H:%M", time.gmtime(world.wallclock(expires)))
        rows.append([secret, st.edge.cert_domain, not_after, f"{days:.1f}",
                     "serving" if secret == served else "-"])
        data.append({"secret": secret, "domain": st.edge.cert_domain, "not_after": not_after,
                     "days_left": round(days, 1), "served": secret == served})
    return ToolOutput(fmt.table(["SECRET", "DOMAIN", "NOT AFTER (UTC)", "DAYS LEFT", "EDGE"],
                                rows), data)


@tool("observe", READ, cost_s=2)
def dns_lookup(world: World, host: str) -> ToolOutput:
    """Resolve a host name the way a pod's resolver does (like dig +short).

    Args:
        host: a host name, optionally with :port, e.g. checkout.prod.svc.cluster.local.
    """
    name = host.strip().rsplit(":", 1)[0] if ":" in host else host.strip()
    if not name:
        raise ToolError("host must not be empty")
    known: dict[str, str] = {}
    for c in world.topology.components:
        known[f"{c.name}.prod.svc.cluster.local"] = f"10.96.{c.port % 250}.{len(known) + 10}"
    for cfg in world.topology.defaults.values():
        for k, v in cfg.items():
            if k.endswith("_HOST") and isinstance(v, str):
                known.setdefault(v.rsplit(":", 1)[0], f"203.0.113.{len(known) % 250 + 1}")
    if name not in known:
        return ToolOutput(f";; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN\n;; QUESTION: "
                          f"{name}. IN A\n(no answer)", {"host": name, "status": "NXDOMAIN"})
    return ToolOutput(f"{name}.  30  IN  A  {known[name]}", {"host": name, "status": "NOERROR",
                                                              "address": known[name]})


@tool("observe", READ, cost_s=4)
def provider_usage(world: World) -> ToolOutput:
    """Show our use of each external provider's API: calls per second against our rate
    limit, answers by outcome, and the API key each client uses with its expiry."""
    snap = world.snapshot()
    lines, data = [], []
    for name, p in sorted(world.head.providers.items()):
        m = snap[name]
        causes = {k.split(":")[0]: v for k, v in m.causes.items()}
        lines.append(f"{name}: {m.rps:.1f} calls/s of limit {p.rate_limit_rps:.0f}/s; "
                     f"429 {causes.get('provider_429', 0.0):.1f}/s, 401 "
                     f"{causes.get('provider_401', 0.0):.1f}/s, 5xx "
                     f"{causes.get('provider_5xx', 0.0):.1f}/s")
        keys = []
        for caller in world.topology.callers_of(name):
            ref = world.head.services[caller].config.get(f"{dep_prefix(name)}_API_KEY")
            expires = p.keys.get(str(ref), p.credentials_expire_at) if p.keys else \
                p.credentials_expire_at
            left = (expires - world.now) / DAY
            lines.append(f"  key used by {caller}: {ref} (expires in {left:.1f} days)")
            keys.append({"client": caller, "key_ref": ref, "days_left": round(left, 2)})
        data.append({"provider": name, "rps": round(m.rps, 1),
                     "rate_limit_rps": p.rate_limit_rps, "keys": keys,
                     "rejected_429_per_s": round(causes.get("provider_429", 0.0), 2),
                     "unauthorized_per_s": round(causes.get("provider_401", 0.0), 2)})
    return ToolOutput("\n".join(lines) or "No external providers.", data)
