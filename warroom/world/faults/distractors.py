"""Red herrings: real, harmless state changes that look like they could matter.

A distractor happens in the world like a fault does (an unrelated noisy error, an unrelated
recent deploy, a harmless scheduled job, benign fleet activity, a flag flipped for an
unrelated feature) but breaks no SLO. It is kept in its own registry, so it never appears in
the category taxonomy, and its ``Truth`` (family ``distractor``) tells the grader what acting
on it means: touching something healthy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import noise, ops
from ..state import CronJob
from ..topology import Topology
from ..world import World
from .base import Inject, Truth, person, pick, route_services


@dataclass(frozen=True)
class Distractor:
    name: str
    title: str
    targets: Callable[[Topology], list[str]]
    inject: Inject


DISTRACTORS: dict[str, Distractor] = {}


def distractor(name: str, title: str, targets: Callable[[Topology], list[str]]
               ) -> Callable[[Inject], Inject]:
    def deco(fn: Inject) -> Inject:
        DISTRACTORS[name] = Distractor(name, title, targets, fn)
        return fn

    return deco


def _truth(name: str, component: str, culprit: str | None, **params: Any) -> Truth:
    return Truth(name, "distractor", f"distractor/{name}", component, culprit, (component,),
                 (), (), params=params)


def _workloads(topo: Topology) -> list[str]:
    return [c.name for c in topo.components if c.kind in ("service", "worker")]


NOISE_ERRORS = {
    "python": ("starlette.requests.ClientDisconnect: client closed the connection",
               "app/streaming.py:40 in body"),
    "java": ("org.apache.catalina.connector.ClientAbortException: java.io.IOException: "
             "Broken pipe", "at org.apache.catalina.connector.OutputBuffer.realWriteBytes"),
    "go": ("write tcp 10.0.3.17:8080: write: broken pipe", "server/respond.go:88 in write"),
}


@distractor("noisy_error", "A steady trickle of harmless client-disconnect errors",
            route_services)
def noisy_error(world: World, target: str, params: dict[str, Any]) -> Truth:
    exc, frame = NOISE_ERRORS[world.topology[target].language]
    paths = [ep.path for ep in world.topology.endpoints if ep.service == target]
    path = pick(world, paths, noise.sid(target), 200)
    svc = world.service(target)
    svc.behavior = {**svc.behavior, "raise": [
        {"endpoint": path, "rate": float(params.get("rate", 0.006)), "exc": exc,
         "frame": frame}]}
    return _truth("noisy_error", target, None, path=path)


@distractor("recent_deploy", "An unrelated, healthy release shortly before the page",
            _workloads)
def recent_deploy(world: World, target: str, params: dict[str, Any]) -> Truth:
    msg = pick(world, ("Update translations", "Add request id to access logs",
                       "Fix typo in receipt email", "Tune log sampling"), noise.sid(target), 201)
    rel = ops.new_release(world, target, person(world, noise.sid(target), 202), msg,
                          reviewed_by=person(world, noise.sid(target), 203))
    ops.start_rollout(world, target, rel.id, "RollingUpdate", "deploy-platform")
    return _truth("recent_deploy", target, rel.id)


def _primary_dbs(topo: Topology) -> list[str]:
    return [c.name for c in topo.components if c.kind == "postgres"
            and not c.name.endswith("replica")]


@distractor("scheduled_job", "A harmless scheduled database job running now", _primary_dbs)
def scheduled_job(world: World, target: str, params: dict[str, Any]) -> Truth:
    name, cmd = pick(world, (("refresh-materialized-views", "REFRESH MATERIALIZED VIEW "
                              "CONCURRENTLY daily_sales"),
                             ("analyze-small-tables", "ANALYZE inventory, products"),
                             ("purge-expired-sessions", "DELETE FROM sessions WHERE "
                              "expires_at < now() - interval '30 days' LIMIT 500")), 204)
    db = world.edit_item("databases", target)
    db.jobs = {**db.jobs, name: CronJob(name, "*/30 * * * *", "data", cmd, True,
                                         db_cpu_share=0.03)}
    return _truth("scheduled_job", target, name)


@distractor("fleet_activity", "The deploy bot ships a routine dependency bump", _workloads)
def fleet_activity(world: World, target: str, params: dict[str, Any]) -> Truth:
    lib = pick(world, ("urllib3", "certifi", "grpcio", "protobuf"), noise.sid(target), 205)
    rel = ops.new_release(world, target, "deploy-bot", f"chore(deps): bump {lib}",
                          reviewed_by="renovate-approver")
    ops.start_rollout(world, target, rel.id, "RollingUpdate", "deploy-bot")
    world.log_audit("deploy-bot", "deploy", target, f"{rel.id} ({rel.version})",
                    f"approved dependency update for {lib}; all checks green")
    return _truth("fleet_activity", target, rel.id, agent="deploy-bot")


def _quiet_flags(topo: Topology) -> list[str]:
    from ..build import _flags

    return [n for n, f in _flags(topo).items() if not f.behavior]


@distractor("flag_flip", "A feature flag for an unrelated feature flipped minutes ago",
            _quiet_flags)
def flag_flip(world: World, target: str, params: dict[str, Any]) -> Truth:
    flag = world.head.flags[target]
    ops.set_flag(world, target, not flag.enabled, person(world, noise.sid(target), 206))
    owner = next(c.name for c in world.topology.components if c.team == flag.owner)
    return _truth("flag_flip", owner, target)
