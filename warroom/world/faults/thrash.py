"""Autoscaler thrash on a dependency limit. A service opens its whole database pool before it
reports ready (``DB_POOL_PREFILL``), its pool sized so that its usual pods just fit in the
connection slots the database's other clients leave. A load peak made the autoscaler scale
it out; the pods past the headroom find no connection slot, exit at start-up and never get
ready, and the autoscaler, which keeps the peak's replica count and replaces pods that fail
readiness, churns them: every fresh pod grabs connections while it retries, so the database
refuses clients of every service (``stores.prefill_fit``, ``autoscaler:replace_unready``).

The fix pauses the autoscaler and scales the service back to what fits (or makes the pods
fit, with a smaller pool). Scaling back alone is undone at the autoscaler's next cycle;
restarting the service churns its pods once more.
"""

from __future__ import annotations

from typing import Any

from .. import ops
from ..physics.stores import prefill_fit
from ..world import World
from .base import (
    Evidence,
    FaultType,
    Truth,
    WrongFix,
    call,
    config_text,
    db_clients,
    path_to_edge,
    register,
    stopped,
)


def _db(world: World, target: str) -> str:
    return next(d.target for d in world.topology[target].deps if d.kind == "db")


def inject_thrash(world: World, target: str, params: dict[str, Any]) -> Truth:
    svc = world.service(target)
    db = _db(world, target)
    base = svc.replicas
    ceiling = svc.config.get("HPA_MAX_REPLICAS")
    desired = int(params.get("desired") or (ceiling if isinstance(ceiling, int)
                                             and ceiling > base else base * 2))
    # the pool sized long ago so the usual pods just fit (half a pool of margin)
    headroom = prefill_fit(world.topology, world.head, target, db) * float(
        svc.config.get("DB_POOL_SIZE", 10))
    pool = max(2, int(headroom // (base + 0.5)))
    svc.config["DB_POOL_SIZE"] = pool
    svc.config["DB_POOL_PREFILL"] = True
    small = max(1, int(headroom // (desired + 0.5)))
    ops.scale(world, target, desired, "autoscaler")
    world.log_audit("autoscaler", "scale", target, f"replicas {base} -> {desired}",
                    "average CPU 91% above target 60% during the load peak")
    agent = world.edit_item("fleet", "autoscaler")
    agent.policy = "replace_unready"
    agent.hidden = {"target": target, "desired": desired, "grace_s": 120.0}
    return Truth(
        "autoscaler_readiness_thrash", "database", "database/max_connections", target,
        "autoscaler", (target, db, *path_to_edge(world, target)[1:]),
        (Evidence("list_fleet_actions", f"replicas {base} -> {desired}",
                  "the autoscaler scaled the service out at the peak", {"agent": "autoscaler"}),
         Evidence("db_activity", "clients want", "more connections wanted than the limit",
                  {"database": db}),
         Evidence("get_config", config_text("DB_POOL_PREFILL", True),
                  "each pod opens its whole pool before it is ready", {"service": target})),
        (call("pause_agent", agent="autoscaler", reason="replacing pods that cannot get "
              "database connections"),
         call("scale_service", service=target, replicas=base)),
        params={"db": db, "base": base, "desired": desired}, team=world.topology[target].team,
        alternatives=((call("flag_rogue_agent", agent="autoscaler",
                            reason="churning pods that fail readiness"),
                       call("scale_service", service=target, replicas=base)),
                      (call("set_config", service=target, key="DB_POOL_SIZE", value=small),)),
        wrong=(WrongFix(call("scale_service", service=target, replicas=base),
                        f"the autoscaler scales it back to {desired} at its next cycle"),
               WrongFix(call("restart_service", service=target),
                        "fresh pods warm their pools into the same full database")))


def resolved_thrash(world: World, truth: Truth) -> bool:
    fit = prefill_fit(world.topology, world.head, truth.component, truth.params["db"])
    have = world.head.services[truth.component].replicas
    return have <= fit and (stopped(world, "autoscaler") or fit >= truth.params["desired"])


register(FaultType(
    "autoscaler_readiness_thrash", "database", "database/max_connections",
    "The autoscaler scaled out a service whose pods open their whole DB pool before they are "
    "ready; the new pods find no connection slot and it keeps replacing them",
    "Pods of one service failing readiness and replaced over and over since a scale-out; "
    "'too many clients' errors on every service that uses the same database",
    "Scaling back alone is undone at the autoscaler's next cycle; restarting the service "
    "churns its pods again",
    db_clients, inject_thrash, resolved_thrash, generation=3))
