"""Capacity faults: a traffic surge beyond what autoscaling reaches, a deployment scaled to
zero, pods packed onto a node with a noisy neighbour, and a pod quota used up so the
autoscaler cannot add pods. Symptoms come from CPU queueing and readiness."""

from __future__ import annotations

import math
from typing import Any

from .. import noise, ops
from ..physics.flow import daily_shape
from ..topology import Topology
from ..world import World
from .base import (
    Evidence,
    FaultType,
    Truth,
    WrongFix,
    call,
    config_text,
    named,
    path_to_edge,
    person,
    register,
    route_services,
)

PEAK = 1.35
MAX_REPLICAS = 30


def _busiest_path(world: World, target: str) -> str:
    eps = [ep for ep in world.topology.endpoints if ep.service == target]
    return max(eps, key=lambda ep: (ep.base_rps, ep.path)).path


def _spike(world: World, target: str, path: str, want_load: float) -> tuple[float, float]:
    """Add a ramped spike on ``path`` so ``target``'s load grows ``want_load``-fold;
    returns (route factor, load factor actually reached)."""
    share = (sum(ep.base_rps for ep in world.topology.endpoints if ep.path == path)
             / sum(ep.base_rps for ep in world.topology.endpoints if ep.service == target))
    factor = min(30.0, 1.0 + (want_load - 1.0) / share)
    traffic = world.edit_single("traffic")
    traffic.spikes = [*traffic.spikes, {"start": world.now, "factor": round(factor, 2),
                                        "ramp_s": 300.0, "path": path}]
    return factor, 1.0 + (factor - 1.0) * share


def _replicas_for(world: World, target: str, load: float, util_target: float) -> int:
    """Replicas that keep ``target`` at ``util_target`` CPU under ``load`` x today's peak."""
    m = world.snapshot()[target]
    svc = world.head.services[target]
    per_pod = svc.cpu_millicores / world.topology[target].cpu_ms_per_req
    peak = PEAK / daily_shape(world.wallclock(world.now))
    return math.ceil(m.rps * load * peak / (per_pod * util_target))


# -- traffic spike beyond the autoscaler's ceiling --------------------------------------------
def spike_targets(topo: Topology) -> list[str]:
    return [n for n in ("catalog",) if n in topo.names]


def _ceiling(world: World, target: str) -> int:
    v = world.head.services[target].config.get("HPA_MAX_REPLICAS")
    return v if isinstance(v, int) else world.topology[target].replicas * 3


def inject_traffic_spike(world: World, target: str, params: dict[str, Any]) -> Truth:
    comp = world.topology[target]
    per_pod = world.head.services[target].cpu_millicores / comp.cpu_ms_per_req
    rps = max(world.snapshot()[target].rps, 1.0)
    ceiling = _ceiling(world, target)
    want = float(params.get("over_ceiling", 1.3)) * ceiling * per_pod * 0.8
    path = _busiest_path(world, target)
    factor, load = _spike(world, target, path, want / rps)
    needed = min(MAX_REPLICAS, math.ceil(rps * load * 1.3 * 1.1 / per_pod / 0.8))
    floor = math.ceil(rps * load / per_pod / 0.95)
    return Truth(
        "traffic_spike", "capacity", "capacity/traffic_spike", target, "HPA_MAX_REPLICAS",
        path_to_edge(world, target),
        (Evidence("query_metrics", "rps", f"requests to {target} multiplied",
                  {"service": target, "metric": "rps", "minutes": 60}),
         Evidence("query_metrics", f"max={ceiling}", "ready pods stuck at the ceiling",
                  {"service": target, "metric": "ready_pods", "minutes": 30}),
         Evidence("get_config", config_text("HPA_MAX_REPLICAS", ceiling), "the ceiling",
                  {"service": target})),
        (call("set_config", service=target, key="HPA_MAX_REPLICAS", value=needed + 4),
         call("scale_service", service=target, replicas=needed)),
        params={"floor": floor, "path": path, "factor": factor}, team=comp.team,
        wrong=(WrongFix(call("scale_service", service=target, replicas=needed),
                        "the autoscaler clamps the deployment back to its maximum"),
               WrongFix(call("restart_service", service=target),
                        "a rolling restart removes capacity while pods warm up")))


def resolved_traffic_spike(world: World, truth: Truth) -> bool:
    svc = world.head.services[truth.component]
    return svc.replicas >= truth.params["floor"] and \
        _ceiling(world, truth.component) >= truth.params["floor"]


register(FaultType(
    "traffic_spike", "capacity", "capacity/traffic_spike",
    "A surge on one route beyond the autoscaler's ceiling",
    "Requests per second on one route several times normal, CPU pinned on every pod, the "
    "autoscaler holding at HPA_MAX_REPLICAS, 503s from load shedding",
    "Scaling by hand is clamped back by the autoscaler; restarting removes capacity",
    spike_targets, inject_traffic_spike, resolved_traffic_spike, topologies=("shop",)))



# -- scaled to zero ---------------------------------------------------------------------------
def inject_scaled_to_zero(world: World, target: str, params: dict[str, Any]) -> Truth:
    base = world.head.services[target].replicas
    ops.scale(world, target, 0, person(world, noise.sid(target), 50))
    return Truth(
        "scaled_to_zero", "capacity", "capacity/scaled_to_zero", target, None,
        path_to_edge(world, target),
        (Evidence("get_events", f"from {base} to 0 replicas", "someone scaled it to zero",
                  {"service": target}),
         Evidence("query_metrics", "ready_pods", "no ready pods",
                  {"service": target, "metric": "ready_pods", "minutes": 60}),
         Evidence("queue_stats", "consumers=0", "nothing consumes the topic")
         if world.topology[target].kind == "worker" else
         Evidence("search_logs", "no healthy upstream", "the gateway finds nothing to call",
                  {"service": target, "level": "ERROR"})),
        (call("scale_service", service=target, replicas=base),),
        params={"base": base}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "restarting zero pods starts none"),
               WrongFix(call("rollback_deploy", service=target),
                        "a rollback of zero replicas runs nothing")))


def resolved_scaled_to_zero(world: World, truth: Truth) -> bool:
    return world.head.services[truth.component].replicas >= truth.params["base"]


register(FaultType(
    "scaled_to_zero", "capacity", "capacity/scaled_to_zero",
    "A deployment was scaled to zero replicas by hand",
    "No pods at all for one service, every request to it failing with 503, a scaling event "
    "by a person",
    "Restarting or rolling back a deployment with no replicas starts nothing",
    route_services, inject_scaled_to_zero, resolved_scaled_to_zero,
    more_targets=lambda topo: [n for n in ("payments",) if n in topo.names],
    newer_targets=named("api-gateway", "worker")))


# -- noisy neighbour --------------------------------------------------------------------------
def neighbour_targets(topo: Topology) -> list[str]:
    return [n for n in ("catalog", "auth") if n in topo.names]


def inject_noisy_neighbour(world: World, target: str, params: dict[str, Any]) -> Truth:
    svc = world.service(target)
    live = [p for p in svc.pods if p.deleted_at is None or p.deleted_at > world.now]
    counts: dict[str, int] = {}
    for p in live:
        counts[p.node] = counts.get(p.node, 0) + 1
    node = max(sorted(counts), key=lambda n: counts[n])
    for p in live:  # no anti-affinity: the scheduler packed them together last night
        p.node = node
    others = sorted(n for n in world.head.nodes if n != node)
    for name, other in world.head.services.items():
        if name != target and any(p.node == node for p in other.pods):
            moved = world.service(name)
            for i, p in enumerate(moved.pods):
                if p.node == node:
                    p.node = others[(noise.sid(p.name) + i) % len(others)]
    n = world.edit_item("nodes", node)
    n.foreign_cpu_millicores = int(n.cpu_millicores * float(params.get("foreign", 0.95)))
    return Truth(
        "noisy_neighbour", "capacity", "capacity/noisy_neighbour", target, node,
        path_to_edge(world, target),
        (Evidence("list_nodes", f"{n.foreign_cpu_millicores}m", "another tenant using the "
                  "node's CPU", {}),
         Evidence("list_pods", node, "every pod of the service on that node",
                  {"service": target}),
         Evidence("query_metrics", "latency_p99_ms", "slow while CPU usage stays low",
                  {"service": target, "metric": "latency_p99_ms", "minutes": 60})),
        (call("restart_service", service=target),),
        params={"node": node}, team=world.topology[target].team,
        wrong=(WrongFix(call("scale_service", service=target, replicas=len(live) + 1),
                        "one pod lands elsewhere; the rest stay on the starved node"),))


def resolved_noisy_neighbour(world: World, truth: Truth) -> bool:
    node = world.head.nodes[truth.params["node"]]
    pods = [p for p in world.head.services[truth.component].pods
            if p.deleted_at is None or p.deleted_at > world.now]
    on = sum(1 for p in pods if p.node == node.name)
    return node.foreign_cpu_millicores < node.cpu_millicores * 0.5 or on * 2 < len(pods)


register(FaultType(
    "noisy_neighbour", "capacity", "capacity/noisy_neighbour",
    "Every pod of a service sits on one node whose CPU another tenant consumes",
    "High latency and load shedding on one service while its CPU limit is not reached; all "
    "its pods on one node; that node's CPU taken by other tenants",
    "Rolling back or raising limits does not move the pods off the starved node",
    neighbour_targets, inject_noisy_neighbour, resolved_noisy_neighbour, topologies=("shop",),
    newer_targets=named("api-gateway")))


# -- pod quota exhausted ----------------------------------------------------------------------
def quota_targets(topo: Topology) -> list[str]:
    return [n for n in ("catalog", "auth") if n in topo.names]


def inject_quota(world: World, target: str, params: dict[str, Any]) -> Truth:
    hog = next(c.name for c in world.topology.components if c.kind == "worker")
    hog_base = world.head.services[hog].replicas
    ops.scale(world, hog, hog_base + int(params.get("hog_pods", 16)),
              person(world, noise.sid(hog), 51))
    traffic = world.edit_single("traffic")
    traffic.namespace_pod_quota = ops.pods_in_namespace(world) + 1
    comp = world.topology[target]
    per_pod = world.head.services[target].cpu_millicores / comp.cpu_ms_per_req
    rps = max(world.snapshot()[target].rps, 1.0)
    want = float(params.get("base_util", 1.12)) * comp.replicas * per_pod
    _, load = _spike(world, target, _busiest_path(world, target), want / rps)
    have = world.head.services[target].replicas
    ops.scale(world, target, have + 3, "autoscaler")  # its first try as the surge starts
    world.log_audit("autoscaler", "scale", target, f"replicas {have} -> {have + 3}",
                    "average CPU above target 60%")
    ceiling = _ceiling(world, target)
    needed = min(ceiling, math.ceil(rps * load * 1.3 * 1.1 / per_pod / 0.8))
    floor = min(ceiling, math.ceil(rps * load / per_pod / 0.95))
    return Truth(
        "pod_quota_exhausted", "capacity", "capacity/pod_quota", target, "prod-pods",
        (*path_to_edge(world, target), hog),
        (Evidence("get_events", "exceeded quota", "new pods refused by the namespace quota",
                  {"service": target}),
         Evidence("get_events", f"from {hog_base} to", f"{hog} scaled far up by hand",
                  {"service": hog}),
         Evidence("query_metrics", "cpu", "the service saturated",
                  {"service": target, "metric": "cpu", "minutes": 30})),
        (call("scale_service", service=hog, replicas=hog_base),
         call("scale_service", service=target, replicas=needed)),
        params={"floor": floor}, team=comp.team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "a rolling restart needs a surge pod the quota refuses"),
               WrongFix(call("rollback_deploy", service=target),
                        "the code is fine; the pods are missing")))


def resolved_quota(world: World, truth: Truth) -> bool:
    return world.head.services[truth.component].replicas >= truth.params["floor"]


register(FaultType(
    "pod_quota_exhausted", "capacity", "capacity/pod_quota",
    "The namespace pod quota is used up (a backfill left scaled up), so a busy service "
    "cannot scale",
    "CPU saturated on one service during a surge, the autoscaler's scale-ups failing with "
    "'exceeded quota', another workload scaled far above normal by hand",
    "Restarting needs a surge pod the quota refuses; rolling back changes nothing",
    quota_targets, inject_quota, resolved_quota, topologies=("shop",),
    newer_targets=named("orders", "notifications")))
