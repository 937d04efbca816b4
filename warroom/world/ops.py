"""Write operations on the world, shared by agent tools, fleet agents and fault injection.

Each returns a short description of what changed. Rollouts replace pods one at a time
(RollingUpdate, max surge 1: an old pod goes when its replacement is ready) or all at once
(Recreate: no capacity until the new pods are ready). Pods take their readiness delay.
"""

from __future__ import annotations

from typing import Any

from . import noise
from .state import Pod, Release
from .world import World, on_event

ROLLOUT_STEP_PAD_S = 5.0


def pod_name(world: World, service: str, release: str, i: int) -> str:
    rs = noise.hexid(world.seed, 9, noise.sid(service), noise.sid(release))
    suffix = "".join("bcdfghjklmnpqrstvwxz2456789"[noise.bits(world.seed, noise.sid(service),
                     noise.sid(release), i, int(world.now), j) % 27] for j in range(5))
    return f"{service}-{rs}-{suffix}"


def start_rollout(world: World, service: str, release: str, strategy: str = "RollingUpdate",
                  actor: str = "deploy-platform") -> str:
    svc = world.service(service)
    comp = world.topology[service]
    now = world.now
    live = [p for p in svc.pods if p.deleted_at is None or p.deleted_at > now]
    delay = comp.ready_delay_s
    new: list[Pod] = []
    n = svc.replicas
    step = delay + ROLLOUT_STEP_PAD_S
    for i in range(n):
        created = now if strategy == "Recreate" else now + i * step
        node = world.topology.nodes[(noise.bits(world.seed, noise.sid(service), i, int(now))
                                     % len(world.topology.nodes))]
        new.append(Pod(pod_name(world, service, release, i), node, created, release, delay))
    for i, p in enumerate(live):
        if strategy == "Recreate":
            p.deleted_at = now
        else:
            p.deleted_at = now + min(i, n - 1) * step + delay if i < n else now
    svc.pods = [p for p in svc.pods if p.deleted_at is None or p.deleted_at > now - 3600] + new
    done = now + (delay if strategy == "Recreate" else (n - 1) * step + delay)
    prev = svc.release
    svc.release = release
    svc.rollout = {"from": prev, "to": release, "started_at": now, "done_at": done,
                   "strategy": strategy, "actor": actor}
    world.schedule(done, "rollout_done", service=service, release=release)
    world.record(service, "rollout", f"rollout of {release} started by {actor} ({strategy})")
    return f"rollout of {service} to {release} started ({strategy}); expected done in " \
           f"{int(done - now)}s"


@on_event("rollout_done")
def _rollout_done(world: World, payload: dict[str, Any]) -> None:
    svc = world.head.services[payload["service"]]
    if svc.rollout and svc.rollout["to"] == payload["release"]:
        world.service(payload["service"]).rollout = None
        world.record(payload["service"], "rollout",
                     f"rollout of {payload['release']} complete")


def restart(world: World, service: str, actor: str) -> str:
    """Rolling restart: new pods of the same release (fresh memory, fresh connections)."""
    svc = world.head.services[service]
    if world.topology[service].kind == "redis":
        cache = world.edit_item("caches", service)
        cache.restarted_at = world.now + world.topology[service].ready_delay_s
    out = start_rollout(world, service, svc.release, "RollingUpdate", actor)
    world.record(service, "restart", f"rolling restart requested by {actor}")
    return out.replace("rollout", "restart", 1)


def scale(world: World, service: str, replicas: int, actor: str) -> str:
    svc = world.service(service)
    comp = world.topology[service]
    now = world.now
    live = [p for p in svc.pods if p.deleted_at is None or p.deleted_at > now]
    old = svc.replicas
    svc.replicas = replicas
    if replicas > len(live):
        for i in range(len(live), replicas):
            node = world.topology.nodes[noise.bits(world.seed, noise.sid(service), i,
                                                   int(now)) % len(world.topology.nodes)]
            svc.pods.append(Pod(pod_name(world, service, svc.release, i), node, now,
                                svc.release, comp.ready_delay_s))
    else:
        for p in live[replicas:]:
            p.deleted_at = now
    world.record(service, "scale", f"scaled from {old} to {replicas} replicas by {actor}")
    return f"{service} scaled from {old} to {replicas} replicas"


def set_config(world: World, service: str, key: str, value: Any, actor: str) -> str:
    svc = world.service(service)
    old = svc.config.get(key, "<unset>")
    if value is None:
        svc.config.pop(key, None)
    else:
        svc.config[key] = value
    world.record(service, "config", f"config {key} changed {old!r} -> {value!r} by {actor}")
    return f"{service} config {key}: {old!r} -> {value!r} (applies on the next restart " \
           f"for start-up settings, immediately otherwise)"


def set_resources(world: World, service: str, cpu_millicores: int | None,
                  mem_limit_mb: int | None, actor: str) -> str:
    svc = world.service(service)
    parts = []
    if cpu_millicores is not None:
        parts.append(f"cpu {svc.cpu_millicores}m -> {cpu_millicores}m")
        svc.cpu_millicores = cpu_millicores
    if mem_limit_mb is not None:
        parts.append(f"memory {svc.mem_limit_mb}Mi -> {mem_limit_mb}Mi")
        svc.mem_limit_mb = mem_limit_mb
    world.record(service, "resources", f"resources changed by {actor}: {', '.join(parts)}")
    start_rollout(world, service, svc.release, "RollingUpdate", actor)
    return f"{service}: {', '.join(parts)}; pods are being replaced"


def set_flag(world: World, flag: str, enabled: bool, actor: str) -> str:
    f = world.edit_item("flags", flag)
    old = f.enabled
    f.enabled = enabled
    f.updated_at = world.now
    f.updated_by = actor
    world.record("flags", "flag", f"flag {flag} {old} -> {enabled} by {actor}")
    return f"flag {flag}: {'on' if old else 'off'} -> {'on' if enabled else 'off'}"


def new_release(world: World, service: str, author: str, message: str,
                behavior: dict[str, Any] | None = None, reviewed_by: str | None = None,
                config_diff: dict[str, list[Any]] | None = None, bump: str = "patch") -> Release:
    """Register a new release of ``service`` (not yet rolled out)."""
    st = world.edit()
    prev = st.releases[st.services[service].release]
    major, minor, patch = (int(x) for x in prev.version.lstrip("v").split("."))
    version = (f"v{major}.{minor + 1}.0" if bump == "minor" else f"v{major}.{minor}.{patch + 1}")
    seq = 4000 + len(st.releases) * 7 + noise.bits(world.seed, noise.sid(service),
                                                   len(st.releases)) % 7
    rid = f"rel-{seq}"
    rel = Release(rid, service, version, noise.hexid(world.seed, 40, noise.sid(rid)), author,
                  message, world.now, config_diff or {}, reviewed_by, "succeeded",
                  dict(behavior or {}))
    st.releases[rid] = rel
    return rel
