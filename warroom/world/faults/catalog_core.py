"""The three faults that prove the design end to end: a release that leaks DB connections,
a release that leaks memory until OOM kills, and a rogue autoscaler cutting replicas."""

from __future__ import annotations

from typing import Any

from .. import ops
from ..world import World
from .base import (
    Evidence,
    FaultType,
    Truth,
    live_behavior,
    path_to_edge,
    previous_release,
    register,
)

LEAK_COMMITS = ("Refactor order persistence into repository layer",
                "Move receipt rendering into request handler",
                "Batch writes in order sync")


def db_services(topo: Any) -> list[str]:
    return [c.name for c in topo.components
            if c.kind in ("service",) and any(d.kind == "db" for d in c.deps)]


def app_services(topo: Any) -> list[str]:
    return [c.name for c in topo.components if c.kind == "service"]


def _bad_release(world: World, target: str, behavior: dict[str, Any], message: str) -> str:
    author = "marco.rossi" if world.seed % 2 else "diego.alvarez"
    rel = ops.new_release(world, target, author, message, behavior=behavior,
                          reviewed_by="sven.lindqvist", bump="minor")
    ops.start_rollout(world, target, rel.id, "RollingUpdate", "deploy-platform")
    return rel.id


def inject_conn_leak(world: World, target: str, params: dict[str, Any]) -> Truth:
    rate = float(params.get("leak_per_min", 1.6))
    rid = _bad_release(world, target, {"conn_leak_per_min": rate},
                       LEAK_COMMITS[world.seed % len(LEAK_COMMITS)])
    prev = previous_release(world, target)
    comp = world.topology[target]
    db = next(d.target for d in comp.deps if d.kind == "db")
    return Truth(
        "db_connection_leak", "database", "database/connection_leak", target, rid,
        path_to_edge(world, target) + (db,),
        (Evidence("list_deploys", rid, "the release that started the leak", {"service": target}),
         Evidence("query_metrics", "db_pool_in_use", "pool saturation of the service",
                  {"service": target, "metric": "db_pool_in_use", "minutes": 60}),
         Evidence("search_logs", "pool", "pool timeout errors in the service's logs",
                  {"service": target, "level": "ERROR"})),
        ({"name": "rollback_deploy", "arguments": {"service": target, "to_release": prev}},),
        params={"rate": rate}, team=comp.team)


def resolved_conn_leak(world: World, truth: Truth) -> bool:
    return not live_behavior(world, truth.component, "conn_leak_per_min")


def inject_mem_leak(world: World, target: str, params: dict[str, Any]) -> Truth:
    rate = float(params.get("leak_mb_per_min", 60.0))
    rid = _bad_release(world, target, {"leak_mb_per_min": rate},
                       "Cache rendered responses in process memory")
    prev = previous_release(world, target)
    return Truth(
        "memory_leak", "compute", "compute/memory_leak", target, rid,
        path_to_edge(world, target),
        (Evidence("get_events", "OOMKilling", "pods killed for exceeding the memory limit",
                  {"service": target}),
         Evidence("list_deploys", rid, "the release after which memory grows",
                  {"service": target}),
         Evidence("query_metrics", "memory_mb", "memory climbing between restarts",
                  {"service": target, "metric": "memory_mb", "minutes": 60})),
        ({"name": "rollback_deploy", "arguments": {"service": target, "to_release": prev}},),
        params={"rate": rate}, team=world.topology[target].team)


def resolved_mem_leak(world: World, truth: Truth) -> bool:
    return not live_behavior(world, truth.component, "leak_mb_per_min")


def inject_rogue_autoscaler(world: World, target: str, params: dict[str, Any]) -> Truth:
    agent = world.edit_item("fleet", "autoscaler")
    agent.policy = "cost_cut"
    agent.hidden = {"target": target, "min_replicas": int(params.get("min_replicas", 1))}
    base = world.topology[target].replicas
    needed = max(base, -(-world.head.services[target].replicas * 14 // 10))
    return Truth(
        "rogue_autoscaler", "rogue_agent", "rogue_agent/autoscaler_cost_cut", target,
        "autoscaler", path_to_edge(world, target),
        (Evidence("list_fleet_actions", "over budget", "the autoscaler cutting replicas",
                  {"agent": "autoscaler"}),
         Evidence("list_pods", target, "fewer pods than usual", {"service": target}),
         Evidence("query_metrics", "cpu", "CPU saturated on the remaining pods",
                  {"service": target, "metric": "cpu", "minutes": 60})),
        ({"name": "pause_agent", "arguments": {"agent": "autoscaler",
                                                "reason": "cutting replicas under load"}},
         {"name": "scale_service", "arguments": {"service": target, "replicas": needed}}),
        params={"base_replicas": base}, team="platform")


def resolved_rogue_autoscaler(world: World, truth: Truth) -> bool:
    agent = world.head.fleet["autoscaler"]
    svc = world.head.services[truth.component]
    return (agent.paused or agent.flagged) and svc.replicas >= truth.params["base_replicas"]


register(FaultType(
    "db_connection_leak", "database", "database/connection_leak",
    "A release leaks database connections until the pool is exhausted",
    "5xx and latency on routes served by the service; pool in use at its size with waiters; "
    "'pool timeout' errors in its logs; the database itself is healthy",
    "Restarting frees the pool for a while and the leak comes back; adding replicas opens "
    "more connections and can exhaust the database's connection slots",
    db_services, inject_conn_leak, resolved_conn_leak))

register(FaultType(
    "memory_leak", "compute", "compute/memory_leak",
    "A release leaks memory until pods are OOMKilled",
    "Pods restarting with OOMKilled, memory climbing in a sawtooth, errors while pods restart",
    "Restarting or raising the memory limit only delays the next OOM kill",
    app_services, inject_mem_leak, resolved_mem_leak))

register(FaultType(
    "rogue_autoscaler", "rogue_agent", "rogue_agent/autoscaler_cost_cut",
    "The autoscaler cuts replicas of a busy service to save cost",
    "CPU saturated on few pods, overload errors; the fleet audit log shows scale-downs "
    "citing budget",
    "Scaling up alone is undone at the autoscaler's next cycle; restarting it changes nothing",
    lambda topo: [c.name for c in topo.components if c.kind == "service" and c.replicas >= 3],
    inject_rogue_autoscaler, resolved_rogue_autoscaler))
