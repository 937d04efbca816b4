"""Partial capacity removal: a playbook meant to take a few pods out of a pool is run with
the wrong input and resizes the whole deployment, autoscaling bounds included. What is left
serves a fraction of the traffic (CPU saturation and load shedding, not an outage), and the
autoscaler clamps any hand-made scale-up back to the lowered maximum. The fix restores the
bound and the replicas; pods then warm up before they take traffic, and a rolling restart
removes still more capacity while it runs.
"""

from __future__ import annotations

import math
from typing import Any

from .. import noise, ops
from ..world import World
from .base import (
    Evidence,
    FaultType,
    Truth,
    WrongFix,
    call,
    config_text,
    path_to_edge,
    person,
    register,
    route_services,
)

BUSY = ("auth", "catalog", "app")  # busy enough that a cut to a fraction overloads them


def partial_targets(topo: Any) -> list[str]:
    return [n for n in route_services(topo) if n in BUSY]


def _ceiling(world: World, target: str) -> int:
    v = world.head.services[target].config.get("HPA_MAX_REPLICAS")
    return v if isinstance(v, int) and v > 0 else world.topology[target].replicas * 3


def inject_partial(world: World, target: str, params: dict[str, Any]) -> Truth:
    svc = world.head.services[target]
    base, ceiling = svc.replicas, _ceiling(world, target)
    util = max(world.snapshot()[target].cpu_util, 0.05)
    keep = int(params.get("keep") or max(1, min(base - 1, math.floor(base * util / 1.6))))
    who = person(world, noise.sid(target), 52)
    ops.set_config(world, target, "HPA_MAX_REPLICAS", keep, who)
    ops.scale(world, target, keep, who)
    world.record(target, "scale", f"playbook remove-capacity run by {who}: pool={target} "
                                  f"count={base - keep} (resize to {keep})")
    return Truth(
        "partial_capacity_removed", "capacity", "capacity/partial_removal", target, who,
        path_to_edge(world, target),
        (Evidence("get_events", f"from {base} to {keep} replicas", "a person removed most pods",
                  {"service": target}),
         Evidence("get_config", config_text("HPA_MAX_REPLICAS", keep),
                  "the autoscaler's maximum lowered to the same size", {"service": target}),
         Evidence("query_metrics", "cpu", "the remaining pods saturated",
                  {"service": target, "metric": "cpu", "minutes": 30})),
        (call("set_config", service=target, key="HPA_MAX_REPLICAS", value=ceiling),
         call("scale_service", service=target, replicas=base)),
        params={"floor": base}, team=world.topology[target].team,
        wrong=(WrongFix(call("scale_service", service=target, replicas=base),
                        "the autoscaler clamps the deployment back to the lowered maximum"),
               WrongFix(call("restart_service", service=target),
                        "a rolling restart takes more of the little capacity left"),
               WrongFix(call("rollback_deploy", service=target),
                        "the code is fine; the pods are missing")))


def resolved_partial(world: World, truth: Truth) -> bool:
    floor = truth.params["floor"]
    return world.head.services[truth.component].replicas >= floor and \
        _ceiling(world, truth.component) >= floor


register(FaultType(
    "partial_capacity_removed", "capacity", "capacity/partial_removal",
    "A capacity-removal playbook run with the wrong input resized a deployment to a fraction "
    "of its pods and lowered its autoscaling maximum to match",
    "CPU saturated and load shed on one service whose pod count fell by hand minutes ago; "
    "the autoscaler holding at a maximum equal to the new size",
    "Scaling by hand alone is clamped back; restarting removes more capacity; rolling back "
    "changes nothing",
    partial_targets, inject_partial, resolved_partial, generation=2))
