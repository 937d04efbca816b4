"""Rogue fleet agents: an autonomous agent whose policy works against production. Its damage
is a real state change (replicas, a release, edge weights, a memory limit, a setting) and it
redoes it every cycle, so fixing the symptom alone is undone; the right response pauses or
flags the agent and repairs the damage. Benign fleet actions happen in every scenario."""

from __future__ import annotations

from typing import Any

from .. import noise, ops
from ..fleet import POLICIES
from ..physics.stores import upstream_weights
from ..world import World
from .base import (
    Evidence,
    FaultType,
    Truth,
    WrongFix,
    app_services,
    call,
    config_text,
    named,
    path_to_edge,
    person,
    register,
    route_services,
    runs_release,
    stopped,
)


def _go_rogue(world: World, agent: str, policy: str, hidden: dict[str, Any]) -> None:
    """Switch an agent's policy and let it act at once (the first damage happens now)."""
    a = world.edit_item("fleet", agent)
    a.policy = policy
    a.hidden = hidden
    POLICIES[f"{agent}:{policy}"](world, world.head.fleet[agent])


# -- autoscaler cutting replicas --------------------------------------------------------------
def inject_rogue_autoscaler(world: World, target: str, params: dict[str, Any]) -> Truth:
    base = world.topology[target].replicas
    needed = max(base, -(-world.head.services[target].replicas * 14 // 10))
    _go_rogue(world, "autoscaler", "cost_cut",
              {"target": target, "min_replicas": int(params.get("min_replicas", 1))})
    return Truth(
        "rogue_autoscaler", "rogue_agent", "rogue_agent/autoscaler_cost_cut", target,
        "autoscaler", path_to_edge(world, target),
        (Evidence("list_fleet_actions", "over budget", "the autoscaler cutting replicas",
                  {"agent": "autoscaler"}),
         Evidence("list_pods", target, "fewer pods than usual", {"service": target}),
         Evidence("query_metrics", "cpu", "CPU saturated on the remaining pods",
                  {"service": target, "metric": "cpu", "minutes": 60})),
        (call("pause_agent", agent="autoscaler", reason="cutting replicas under load"),
         call("scale_service", service=target, replicas=needed)),
        params={"base_replicas": base}, team="platform",
        alternatives=((call("flag_rogue_agent", agent="autoscaler",
                            reason="cutting replicas of a busy service"),
                       call("scale_service", service=target, replicas=needed)),),
        wrong=(WrongFix(call("scale_service", service=target, replicas=needed),
                        "the autoscaler cuts the replicas again at its next cycle"),
               WrongFix(call("restart_service", service=target),
                        "restarting the service changes nothing about the agent")))


def resolved_rogue_autoscaler(world: World, truth: Truth) -> bool:
    svc = world.head.services[truth.component]
    return stopped(world, "autoscaler") and svc.replicas >= truth.params["base_replicas"]


register(FaultType(
    "rogue_autoscaler", "rogue_agent", "rogue_agent/autoscaler_cost_cut",
    "The autoscaler cuts replicas of a busy service to save cost",
    "CPU saturated on few pods, overload errors; the fleet audit log shows scale-downs "
    "citing budget",
    "Scaling up alone is undone at the autoscaler's next cycle; restarting it changes nothing",
    lambda topo: [c.name for c in topo.components if c.kind == "service" and c.replicas >= 4],
    inject_rogue_autoscaler, resolved_rogue_autoscaler))


# -- deploy bot shipping an unreviewed release ------------------------------------------------
BOT_FAILURES = {
    "python": ("AttributeError: 'NoneType' object has no attribute 'currency'",
               "app/handlers.py:214 in handle"),
    "java": ("java.lang.IllegalStateException: Duplicate key price (attempted merging values)",
             "at com.shop.Handlers.handle(Handlers.java:88)"),
    "go": ("panic: runtime error: index out of range [3] with length 3",
           "handlers.go:141 in ServeHTTP"),
}


def inject_rogue_deploy_bot(world: World, target: str, params: dict[str, Any]) -> Truth:
    exc, frame = BOT_FAILURES[world.topology[target].language]
    rel = ops.new_release(world, target, "deploy-bot", "chore: sync release branch (automated)",
                          behavior={"raise": [{"endpoint": "*", "rate": 0.35, "exc": exc,
                                               "frame": frame}]},
                          reviewed_by=None, bump="minor")
    prev = world.head.services[target].release
    _go_rogue(world, "deploy-bot", "unreviewed", {"target": target, "release": rel.id})
    return Truth(
        "rogue_deploy_bot", "rogue_agent", "rogue_agent/deploy_bot_unreviewed", target,
        "deploy-bot", path_to_edge(world, target),
        (Evidence("list_fleet_actions", rel.id, "the bot shipping the release",
                  {"agent": "deploy-bot"}),
         Evidence("get_deploy", "NOBODY", "nobody reviewed it", {"release_id": rel.id}),
         Evidence("list_issues", exc.split(":")[0], "errors since the release",
                  {"service": target})),
        (call("pause_agent", agent="deploy-bot", reason="shipping unreviewed releases"),
         call("rollback_deploy", service=target, to_release=prev)),
        params={"release": rel.id}, team="platform",
        wrong=(WrongFix(call("rollback_deploy", service=target, to_release=prev),
                        "the bot ships the same release again at its next cycle"),
               WrongFix(call("restart_service", service=target),
                        "restarted pods run the same bad release")))


def resolved_rogue_deploy_bot(world: World, truth: Truth) -> bool:
    return stopped(world, "deploy-bot") and not runs_release(
        world, truth.component, truth.params["release"])


register(FaultType(
    "rogue_deploy_bot", "rogue_agent", "rogue_agent/deploy_bot_unreviewed",
    "The deploy bot ships an unreviewed build and re-ships it after rollbacks",
    "Errors on one service since a release authored by the deploy bot with no approving "
    "review; after a rollback, the bot's audit log shows the same release shipped again",
    "A rollback alone is undone by the bot's next cycle",
    route_services, inject_rogue_deploy_bot, resolved_rogue_deploy_bot,
    newer_targets=named("payments", "api-gateway")))


# -- LB tuner routing to a draining pool ------------------------------------------------------
def inject_rogue_lb_tuner(world: World, target: str, params: dict[str, Any]) -> Truth:
    pool = str(params.get("pool", "pool-b"))
    edge = world.edit_single("edge")
    edge.upstreams[pool].draining = True
    world.record(target, "drain", f"upstream {pool} set to draining for node maintenance "
                                  f"(NODEOPS-{400 + noise.bits(world.seed, 12) % 90})")
    others = [p for p in edge.upstreams if p != pool]
    key = f"UPSTREAM_WEIGHT_{pool.upper().replace('-', '_')}"
    _go_rogue(world, "lb-tuner", "prefer_drained", {"pool": pool})
    fix = [call("pause_agent", agent="lb-tuner", reason="routing traffic to a draining pool"),
           call("set_config", service=target, key=key, value=0)]
    fix += [call("set_config", service=target,
                 key=f"UPSTREAM_WEIGHT_{p.upper().replace('-', '_')}", value=100)
            for p in others]
    return Truth(
        "rogue_lb_tuner", "rogue_agent", "rogue_agent/lb_tuner_draining", target, "lb-tuner",
        (target,),
        (Evidence("list_fleet_actions", "lowest p50 latency", "the tuner shifting weight",
                  {"agent": "lb-tuner"}),
         Evidence("search_logs", f"(pool {pool})", "connections refused by the draining pool",
                  {"service": target, "query": "connect() failed"}),
         Evidence("get_config", config_text(key, 90), "most weight on that pool",
                  {"service": target})),
        tuple(fix), params={"pool": pool, "key": key}, team="platform",
        wrong=(WrongFix(call("set_config", service=target, key=key, value=0),
                        "the tuner shifts the weight back at its next cycle"),
               WrongFix(call("restart_service", service=target),
                        "the edge restarts with the same weights")))


def resolved_rogue_lb_tuner(world: World, truth: Truth) -> bool:
    w = upstream_weights(world.head.edge, world.head.services[truth.component].config)
    return stopped(world, "lb-tuner") and w[truth.params["pool"]] == 0 and sum(w.values()) > 0


register(FaultType(
    "rogue_lb_tuner", "rogue_agent", "rogue_agent/lb_tuner_draining",
    "The load-balancer tuner shifts traffic onto a pool that is being drained",
    "502s on every route at the edge, 'connection refused' from one upstream pool; the "
    "tuner's audit log calls the draining pool the fastest",
    "Fixing the weights alone is undone at the tuner's next cycle",
    lambda topo: topo.kind_of("edge"), inject_rogue_lb_tuner, resolved_rogue_lb_tuner))


# -- cost optimizer lowering memory limits ----------------------------------------------------
def inject_rogue_cost_optimizer(world: World, target: str, params: dict[str, Any]) -> Truth:
    old = world.head.services[target].mem_limit_mb
    base = world.topology[target].mem_base_mb
    cut = int(params.get("mem_limit_mb", max(128, (int(base * 0.85) // 64) * 64)))
    _go_rogue(world, "cost-optimizer", "cut_memory", {"target": target, "mem_limit_mb": cut})
    return Truth(
        "rogue_cost_optimizer", "rogue_agent", "rogue_agent/cost_optimizer_memory", target,
        "cost-optimizer", path_to_edge(world, target),
        (Evidence("list_fleet_actions", f"memory limit {old}Mi -> {cut}Mi",
                  "the optimizer lowering the limit", {"agent": "cost-optimizer"}),
         Evidence("get_events", "OOMKilling", "pods killed at start", {"service": target}),
         Evidence("list_pods", "CrashLoopBackOff", "pods never stay up", {"service": target})),
        (call("pause_agent", agent="cost-optimizer", reason="lowering memory below usage"),
         call("set_resources", service=target, memory_mb=old)),
        params={"limit": old}, team="finops",
        wrong=(WrongFix(call("set_resources", service=target, memory_mb=old),
                        "the optimizer cuts the limit again at its next cycle"),
               WrongFix(call("restart_service", service=target),
                        "restarted pods meet the same limit")))


def resolved_rogue_cost_optimizer(world: World, truth: Truth) -> bool:
    limit = world.head.services[truth.component].mem_limit_mb
    return stopped(world, "cost-optimizer") and limit >= truth.params["limit"] * 0.9


register(FaultType(
    "rogue_cost_optimizer", "rogue_agent", "rogue_agent/cost_optimizer_memory",
    "The cost optimizer lowers a memory limit below the working set",
    "OOMKilled pods right after start, a resources change made by the cost optimizer in the "
    "audit log and the deployment's events",
    "Restoring the limit alone is undone at the optimizer's next cycle",
    app_services, inject_rogue_cost_optimizer, resolved_rogue_cost_optimizer,
    newer_targets=named("worker", "api-gateway")))


# -- config sync reverting a fix --------------------------------------------------------------
def config_sync_targets(topo: Any) -> list[str]:
    return [n for n in ("checkout", "app") if n in topo.names]


def inject_rogue_config_sync(world: World, target: str, params: dict[str, Any]) -> Truth:
    key = "DB_POOL_SIZE"
    good = world.head.services[target].config[key]
    m = world.snapshot()[target]
    demand = m.pool_in_use / max(m.ready, 1)
    stale = int(params.get("value", max(1, int(demand * 0.35))))
    ops.set_config(world, target, key, good, person(world, 13))  # last week's fix, in place
    _go_rogue(world, "config-sync", "stale_branch", {"target": target, "key": key,
                                                     "value": stale})
    return Truth(
        "rogue_config_sync", "rogue_agent", "rogue_agent/config_sync_revert", target,
        "config-sync", path_to_edge(world, target),
        (Evidence("list_fleet_actions", f"{key}: {good!r} -> {stale!r}",
                  "config sync putting back an old value", {"agent": "config-sync"}),
         Evidence("get_config", config_text(key, stale), "the reverted setting",
                  {"service": target}),
         Evidence("query_metrics", "db_pool_waiting", "requests waiting for connections",
                  {"service": target, "metric": "db_pool_waiting", "minutes": 60})),
        (call("pause_agent", agent="config-sync", reason="reverting a live fix"),
         call("set_config", service=target, key=key, value=good)),
        params={"key": key, "good": good}, team="platform",
        wrong=(WrongFix(call("set_config", service=target, key=key, value=good),
                        "config sync reverts it again within minutes"),
               WrongFix(call("restart_service", service=target),
                        "restarted pods read the same small pool size")))


def resolved_rogue_config_sync(world: World, truth: Truth) -> bool:
    cfg = world.head.services[truth.component].config
    return stopped(world, "config-sync") and cfg.get(truth.params["key"]) == truth.params["good"]


register(FaultType(
    "rogue_config_sync", "rogue_agent", "rogue_agent/config_sync_revert",
    "Config sync reconciles from a stale branch and reverts an earlier fix",
    "DB pool timeouts on one service; the setting flips back minutes after it is corrected; "
    "config sync's audit log shows the 'drift' it reconciled",
    "Setting the value again is reverted at the next sync",
    config_sync_targets, inject_rogue_config_sync, resolved_rogue_config_sync))
