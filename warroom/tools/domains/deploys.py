"""The deploy platform: release history, release details, rollbacks and live config."""

from __future__ import annotations

import json
from typing import Any

from ...world import ops
from ...world.telemetry import fmt
from ...world.world import World
from ..common import component
from ..registry import READ, WRITE, ToolError, ToolOutput, tool

ACTOR = "oncall"
DEPLOYABLE = ("service", "gateway", "worker", "edge")


def _status(world: World, rel: Any) -> str:
    svc = world.head.services[rel.service]
    if svc.rollout and svc.rollout["to"] == rel.id:
        return "in progress"
    return "live" if svc.release == rel.id else rel.status


@tool("deploys", READ, cost_s=4)
def list_deploys(world: World, service: str | None = None, hours: int = 24) -> ToolOutput:
    """List releases, newest first: id, service, version, commit, author, message, status.

    Args:
        service: only this service's releases.
        hours: how far back to look (1-720).
    """
    if service is not None:
        component(world, service)
    if not 1 <= hours <= 720:
        raise ToolError(f"hours must be between 1 and 720, got {hours}")
    rels = sorted((r for r in world.head.releases.values()
                   if (service is None or r.service == service)
                   and r.deployed_at >= world.now - hours * 3600 and r.deployed_at <= world.now),
                  key=lambda r: (-r.deployed_at, r.id))
    rows = [[r.id, r.service, r.version, r.commit[:10], r.author,
             fmt.ago(world.now - r.deployed_at) + " ago", _status(world, r), r.message[:48]]
            for r in rels[:40]]
    text = fmt.table(["RELEASE", "SERVICE", "VERSION", "COMMIT", "AUTHOR", "DEPLOYED", "STATUS",
                      "MESSAGE"], rows) if rows else f"No releases in the last {hours}h."
    return ToolOutput(text, [{"id": r.id, "service": r.service, "version": r.version,
                              "commit": r.commit, "author": r.author,
                              "deployed_at": fmt.iso(world.wallclock(r.deployed_at)),
                              "status": _status(world, r), "message": r.message}
                             for r in rels[:40]])


@tool("deploys", READ, cost_s=4)
def get_deploy(world: World, release_id: str) -> ToolOutput:
    """Show one release: commit, author, reviewer, message, config diff, where it runs.

    Args:
        release_id: a release id from list_deploys, e.g. rel-4821.
    """
    rel = world.head.releases.get(release_id)
    if rel is None or rel.deployed_at > world.now:
        raise ToolError(f"unknown release {release_id!r}; ids come from list_deploys")
    svc = world.head.services[rel.service]
    pods = [p.name for p in svc.pods if p.release == rel.id and p.alive(world.now)]
    diff = "\n".join(f"  {k}: {v[0]!r} -> {v[1]!r}" for k, v in rel.config_diff.items()) or \
        "  (no config changes)"
    text = (f"{rel.id} {rel.service} {rel.version} ({_status(world, rel)})\n"
            f"commit {rel.commit}\nauthor {rel.author}; reviewed by "
            f"{rel.reviewed_by or 'NOBODY (no approving review)'}\n"
            f"deployed {fmt.iso(world.wallclock(rel.deployed_at))}\nmessage: {rel.message}\n"
            f"config diff:\n{diff}\nrunning on {len(pods)} pod(s)")
    return ToolOutput(text, {"id": rel.id, "service": rel.service, "version": rel.version,
                             "commit": rel.commit, "author": rel.author,
                             "reviewed_by": rel.reviewed_by, "message": rel.message,
                             "config_diff": rel.config_diff, "pods": pods,
                             "status": _status(world, rel)})


@tool("deploys", WRITE, cost_s=150)
def rollback_deploy(world: World, service: str, to_release: str | None = None) -> ToolOutput:
    """Roll a service back to an earlier release (rolling update; takes minutes).

    Args:
        service: the service to roll back.
        to_release: release id to go back to; default the one before the live release.
    """
    component(world, service, DEPLOYABLE)
    svc = world.head.services[service]
    history = sorted((r for r in world.head.releases.values() if r.service == service
                      and r.deployed_at <= world.now), key=lambda r: r.deployed_at)
    ids = [r.id for r in history]
    if to_release is None:
        i = ids.index(svc.release) if svc.release in ids else len(ids)
        if i == 0:
            raise ToolError(f"{service} has no earlier release to roll back to")
        to_release = ids[i - 1]
    if to_release not in ids:
        raise ToolError(f"{to_release!r} is not a release of {service}; valid: "
                        f"{', '.join(ids[-6:])}")
    if to_release == svc.release and not svc.rollout:
        raise ToolError(f"{service} already runs {to_release}")
    msg = ops.start_rollout(world, service, to_release, "RollingUpdate", ACTOR)
    world.edit_item("releases", svc.release).status = "rolled back"
    return ToolOutput(msg, {"service": service, "to_release": to_release})


@tool("deploys", READ, cost_s=3)
def get_config(world: World, service: str) -> ToolOutput:
    """Show a component's live configuration (environment and settings).

    Args:
        service: component name.
    """
    component(world, service)
    cfg = world.head.services[service].config
    return ToolOutput("\n".join(f"{k}={json.dumps(v)}" for k, v in sorted(cfg.items())),
                      dict(cfg))


@tool("deploys", WRITE, cost_s=60)
def set_config(world: World, service: str, key: str, value: str | int | float | bool | None
               ) -> ToolOutput:
    """Change one configuration key of a component (null removes it). Start-up settings
    take effect as pods restart; the change is pushed to the config repository too.

    Args:
        service: component name.
        key: configuration key, e.g. DB_POOL_SIZE.
        value: new value (of the setting's declared type where it has a default).
    """
    component(world, service)
    cfg = world.head.services[service].config
    if key not in cfg and key not in world.topology.defaults[service]:
        raise ToolError(f"{service} has no config key {key!r}; keys: {', '.join(sorted(cfg))}")
    # the declared type is the default's; a fault may have left a value of another type
    declared = world.topology.defaults[service].get(key, cfg.get(key))
    if declared is not None and value is not None and type(declared) is not type(value) and not (
            isinstance(declared, int | float) and isinstance(value, int | float)
            and not isinstance(value, bool) and not isinstance(declared, bool)):
        raise ToolError(f"{key} is a {type(declared).__name__}; got {value!r}")
    return ToolOutput(ops.set_config(world, service, key, value, ACTOR),
                      {"service": service, "key": key, "value": value})
