"""A fault that also blinds a tool: a release logs every request's headers and body. Writing
them costs CPU on every request (pods pinned at their limit, load shed), and the volume is
many times what the node log shippers forward, so the log pipeline falls further behind the
longer the release runs: a log search for that service shows only lines from minutes ago
(``telemetry.logs.shipping_delay_s``), the errors of the last minutes not at all. The agent
has to work from metrics and the deploy history; the few shipped lines near the release
show the request dumps. Rolling back removes both the CPU cost and the flood.
"""

from __future__ import annotations

from typing import Any

from .. import noise
from ..world import World
from .base import (
    Evidence,
    FaultType,
    Truth,
    WrongFix,
    bad_release,
    call,
    kinds,
    live_behavior,
    path_to_edge,
    pick,
    previous_release,
    register,
)

COMMITS = ("Log full request and response bodies to debug intermittent 4xx",
           "Add request dump middleware for the partner integration",
           "Trace payloads at INFO while we chase the serialization bug")
VOLUME_MULT = 40.0  # a body dump per request: tens of times the usual log volume


def inject_verbose_logging(world: World, target: str, params: dict[str, Any]) -> Truth:
    svc = world.head.services[target]
    ceiling = svc.config.get("HPA_MAX_REPLICAS", svc.replicas)
    spare = max(1.0, float(ceiling) / max(svc.replicas, 1)) if isinstance(ceiling, int) else 1.0
    util = max(world.snapshot()[target].cpu_util, 0.05)
    mult = float(params.get("cpu_mult") or min(150.0, max(4.0, 1.7 * spare / util)))
    volume = float(params.get("log_volume_mult") or VOLUME_MULT)
    message = pick(world, COMMITS, noise.sid(target), 140)
    rid = bad_release(world, target, {"cpu_mult": round(mult, 2),
                                      "log_volume_mult": volume}, message)
    prev = previous_release(world, target)
    return Truth(
        "verbose_logging_release", "compute", "compute/cpu_hot_loop", target, rid,
        path_to_edge(world, target),
        (Evidence("query_metrics", "cpu", "CPU pinned at the limit since the release",
                  {"service": target, "metric": "cpu", "minutes": 60}),
         Evidence("list_deploys", rid, "the release that started it", {"service": target}),
         Evidence("search_logs", "request dump", "the few shipped lines dump whole requests",
                  {"service": target, "query": "request dump", "minutes": 120})),
        (call("rollback_deploy", service=target, to_release=prev),),
        params={"mult": mult, "release": rid}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "the same code logs the same bodies after a restart"),
               WrongFix(call("scale_service", service=target,
                             replicas=min(30, svc.replicas * 2)),
                        "every new pod pays the same logging cost and floods the same shippers")))


def resolved_verbose_logging(world: World, truth: Truth) -> bool:
    return not live_behavior(world, truth.component, "log_volume_mult")


register(FaultType(
    "verbose_logging_release", "compute", "compute/cpu_hot_loop",
    "A release logs every request's headers and body: CPU pinned, and the log pipeline "
    "falls minutes behind for that service",
    "CPU at the limit on every pod right after a deploy, load shed; a log search for that "
    "service showing nothing recent (the newest lines minutes old, request dumps among them)",
    "Restarting changes nothing; scaling out adds pods that pay the same cost and flood the "
    "same shippers",
    kinds("service", "gateway"), inject_verbose_logging, resolved_verbose_logging,
    generation=3))
