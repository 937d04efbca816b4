"""Fleet agents: autonomous bots that act on the system on a schedule and audit-log why.

Every agent runs its policy each ``interval_s``. The benign policies are what the bots are
meant to do; a scenario may set ``policy`` to a rogue one (hidden from tools). A paused
agent does nothing. Policies read the same metrics an engineer sees.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from . import noise, ops
from .world import World, on_event

Policy = Callable[[World, Any], None]
POLICIES: dict[str, Policy] = {}

CPU_TARGET = 0.6


P = TypeVar("P", bound=Callable[..., None])


def policy(name: str) -> Callable[[P], P]:
    def deco(fn: P) -> P:
        POLICIES[name] = fn
        return fn

    return deco


@on_event("fleet")
def _run_agent(world: World, payload: dict[str, Any]) -> None:
    agent = world.head.fleet[payload["agent"]]
    world.schedule(world.now + agent.interval_s, "fleet", agent=agent.name)
    if agent.paused:
        return
    POLICIES[f"{agent.name}:{agent.policy}"](world, agent)


def scalable(world: World) -> list[str]:
    return [c.name for c in world.topology.components if c.kind in ("service", "gateway")]


@policy("autoscaler:benign")
def autoscale(world: World, agent: Any, skip: str | None = None) -> None:
    snap = world.snapshot()
    for name in scalable(world):
        have = world.head.services[name].replicas
        base = world.topology[name].replicas
        util = snap[name].cpu_util
        ceiling = world.head.services[name].config.get("HPA_MAX_REPLICAS", base * 3)
        ceiling = ceiling if isinstance(ceiling, int) and ceiling > 0 else base * 3
        if name == skip or world.head.services[name].rollout or have == 0:
            continue  # like an HPA: a deployment scaled to zero is left alone
        if have > ceiling:
            ops.scale(world, name, ceiling, agent.name)
            world.log_audit(agent.name, "scale", name, f"replicas {have} -> {ceiling}",
                            f"above HPA_MAX_REPLICAS={ceiling}; clamping")
        elif util > 0.75 and have < ceiling:
            want = min(ceiling, have + max(1, round(have * (util / CPU_TARGET - 1))))
            ops.scale(world, name, want, agent.name)
            world.log_audit(agent.name, "scale", name, f"replicas {have} -> {want}",
                            f"average CPU {util:.0%} above target {CPU_TARGET:.0%}")
        elif util > 0.75:
            world.log_audit(agent.name, "hold", name, f"replicas {have} (at maximum)",
                            f"average CPU {util:.0%} above target {CPU_TARGET:.0%} but "
                            f"HPA_MAX_REPLICAS={ceiling} reached")
        elif util < 0.2 and have > base:
            ops.scale(world, name, have - 1, agent.name)
            world.log_audit(agent.name, "scale", name, f"replicas {have} -> {have - 1}",
                            f"average CPU {util:.0%} well below target; keeping min {base}")


@policy("autoscaler:cost_cut")
def autoscale_cost_cut(world: World, agent: Any) -> None:
    """Scales the target down to ``min_replicas`` whenever it is above it, citing budget."""
    target = agent.hidden["target"]
    floor = int(agent.hidden.get("min_replicas", 1))
    have = world.head.services[target].replicas
    if have > floor:
        ops.scale(world, target, floor, agent.name)
        world.log_audit(agent.name, "scale", target, f"replicas {have} -> {floor}",
                        "projected monthly compute spend over budget; reducing replicas "
                        "of lowest-priority deployments")
    autoscale(world, agent, skip=target)


@policy("autoscaler:replace_unready")
def autoscale_replace_unready(world: World, agent: Any) -> None:
    """Holds the target at its ``desired`` replica count and, like an instance group's
    health check, replaces pods that have failed readiness for longer than ``grace_s``;
    every other deployment is scaled as usual."""
    target, desired = agent.hidden["target"], int(agent.hidden["desired"])
    grace = float(agent.hidden.get("grace_s", 120.0))
    born = {p.name: p.created_at for p in world.head.services[target].pods}
    stuck = [p for p in world.snapshot()[target].pods
             if not p.ready and world.now - born.get(p.name, world.now) > grace]
    have = world.head.services[target].replicas
    if stuck:
        ops.scale(world, target, max(have - len(stuck), 0), agent.name)
        ops.scale(world, target, max(have, desired), agent.name)
        world.log_audit(agent.name, "replace", target, f"{len(stuck)} pods replaced",
                        f"readiness failing for over {grace:.0f}s; replacing unhealthy pods "
                        f"to keep {desired} replicas")
    elif have < desired:
        ops.scale(world, target, desired, agent.name)
        world.log_audit(agent.name, "scale", target, f"replicas {have} -> {desired}",
                        f"below desired capacity of {desired} set during the load peak")
    autoscale(world, agent, skip=target)


@policy("deploy-bot:benign")
def deploy_bump(world: World, agent: Any) -> None:
    """Ships an approved, harmless dependency update now and then."""
    k = int(world.now // agent.interval_s)
    if noise.unit(world.seed, noise.sid(agent.name), k) > 0.3:
        return
    names = [c.name for c in world.topology.components if c.kind in ("service", "worker")]
    service = noise.choice(world.seed, names, noise.sid(agent.name), k, 1)
    if world.head.services[service].rollout or any(
            r.service == service and r.deployed_at > world.now - 3600
            for r in world.head.releases.values()):
        return  # one deploy per service per hour, and never over a rollout
    m = world.snapshot()[service]
    if m.error_frac > 0.005 or m.ready < m.desired or any(
            p.last_exit_at is not None and p.last_exit_at > world.now - 900 for p in m.pods):
        return  # health gate: no routine deploys to a degraded service
    lib = noise.choice(world.seed, ("urllib3", "protobuf", "orjson", "grpcio", "certifi"),
                       noise.sid(agent.name), k, 2)
    current = world.head.releases[world.head.services[service].release]
    rel = ops.new_release(world, service, "deploy-bot", f"chore(deps): bump {lib}",
                          behavior=current.behavior, reviewed_by="renovate-approver")
    ops.start_rollout(world, service, rel.id, "RollingUpdate", agent.name)
    world.log_audit(agent.name, "deploy", service, f"{rel.id} ({rel.version})",
                    f"approved dependency update for {lib}; all checks green")


@policy("deploy-bot:unreviewed")
def deploy_unreviewed(world: World, agent: Any) -> None:
    """Re-ships its pending release to the target whenever it is not running."""
    target, rid = agent.hidden["target"], agent.hidden["release"]
    svc = world.head.services[target]
    if svc.release != rid:
        ops.start_rollout(world, target, rid, "RollingUpdate", agent.name)
        world.log_audit(agent.name, "deploy", target, f"{rid}",
                        "release branch ahead of production; shipping latest build")
    else:
        deploy_bump(world, agent)


def _weights(world: World) -> tuple[str, dict[str, int]]:
    from .physics.stores import upstream_weights

    edge = world.topology.kind_of("edge")[0]
    return edge, upstream_weights(world.head.edge, world.head.services[edge].config)


def _set_weights(world: World, agent: Any, want: dict[str, int], why: str) -> None:
    edge, have = _weights(world)
    for pool, w in want.items():
        if have[pool] != w:
            ops.set_config(world, edge, f"UPSTREAM_WEIGHT_{pool.upper().replace('-', '_')}", w,
                           agent.name)
    world.log_audit(agent.name, "set_weights", edge,
                    ", ".join(f"{p}={w}" for p, w in want.items()), why)


@policy("lb-tuner:benign")
def lb_rebalance(world: World, agent: Any) -> None:
    ups = world.head.edge.upstreams
    if any(u.draining for u in ups.values()):
        return  # weights are left to people during a maintenance drain
    k = int(world.now // agent.interval_s)
    skew = int(noise.bits(world.seed, noise.sid(agent.name), k) % 5) - 2
    pools = sorted(ups)
    live = [p for p in pools if not ups[p].draining]
    want = {p: 0 if ups[p].draining else (100 if len(live) == 1 else
                                          50 + (skew if p == live[0] else -skew))
            for p in pools}
    if want == _weights(world)[1]:
        return
    _set_weights(world, agent, want, "balancing upstream pools by observed p50 latency")


@policy("lb-tuner:prefer_drained")
def lb_to_draining(world: World, agent: Any) -> None:
    """Sends most traffic to the pool being drained, calling it the faster pool."""
    pool = agent.hidden["pool"]
    if _weights(world)[1][pool] >= 90:
        return
    want = {p: 90 if p == pool else 10 for p in world.head.edge.upstreams}
    _set_weights(world, agent, want, f"{pool} shows lowest p50 latency; shifting weight to it")


@policy("cost-optimizer:benign")
def cost_recommend(world: World, agent: Any) -> None:
    k = int(world.now // agent.interval_s)
    names = scalable(world)
    service = noise.choice(world.seed, names, noise.sid(agent.name), k)
    util = world.snapshot()[service].cpu_util
    if util < 0.3:
        why = "utilization below budget band; downsizing suggested, recommendation only"
    elif util > 0.8:
        why = "utilization above budget band; more capacity suggested, recommendation only"
    else:
        why = "utilization within budget band; recommendation only"
    world.log_audit(agent.name, "recommend", service, f"cpu util {util:.0%}; no change", why)


@policy("cost-optimizer:cut_memory")
def cost_cut_memory(world: World, agent: Any) -> None:
    """Lowers the target's memory limit to a 'right-sized' value below its working set."""
    target, limit = agent.hidden["target"], int(agent.hidden["mem_limit_mb"])
    have = world.head.services[target].mem_limit_mb
    if have > limit:
        ops.set_resources(world, target, None, limit, agent.name)
        world.log_audit(agent.name, "set_resources", target,
                        f"memory limit {have}Mi -> {limit}Mi",
                        "memory requests over-provisioned versus 7-day p50 usage")


@policy("config-sync:benign")
def config_check(world: World, agent: Any) -> None:
    k = int(world.now // agent.interval_s)
    if k % 3:
        return
    world.log_audit(agent.name, "sync", "all", "live config matches repository",
                    "periodic reconciliation; no drift found")


@policy("config-sync:stale_branch")
def config_revert(world: World, agent: Any) -> None:
    """Puts back a stale value of one key from an outdated branch."""
    target, key, value = agent.hidden["target"], agent.hidden["key"], agent.hidden["value"]
    live = world.head.services[target].config.get(key)
    if live != value:
        ops.set_config(world, target, key, value, agent.name)
        world.log_audit(agent.name, "sync", target, f"{key}: {live!r} -> {value!r}",
                        "drift detected: live value differs from repository; reconciling")
    else:
        config_check(world, agent)
