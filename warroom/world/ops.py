"""Write operations on the world, shared by agent tools, fleet agents and fault injection.

Each returns a short description of what changed. Rollouts replace pods one at a time
(RollingUpdate, max surge 1: an old pod goes when its replacement is ready) or all at once
(Recreate: no capacity until the new pods are ready). Pods take their readiness delay.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from . import noise
from .state import Pod, Release
from .world import World, on_event

ROLLOUT_STEP_PAD_S = 5.0
STRATEGIES = ("RollingUpdate", "Recreate")


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
    configured = svc.config.get("ROLLOUT_STRATEGY")
    if configured in STRATEGIES:
        strategy = str(configured)
    live = [p for p in svc.pods if p.deleted_at is None or p.deleted_at > now]
    rel = world.head.releases.get(release)
    delay = comp.ready_delay_s + float(rel.behavior.get("warmup_s", 0.0) if rel else 0.0)
    new: list[Pod] = []
    n = svc.replicas
    step = delay + ROLLOUT_STEP_PAD_S
    for i in range(n):
        created = now if strategy == "Recreate" else now + i * step
        new.append(Pod(pod_name(world, service, release, i), place(world, service, i, new),
                       created, release, delay))
    for i, p in enumerate(live):
        if strategy == "Recreate":
            p.deleted_at = now
        else:
            p.deleted_at = now + min(i, n - 1) * step + delay if i < n else now
    svc.pods = [p for p in svc.pods if p.deleted_at is None or p.deleted_at > now - 3600] + new
    done = now + (delay if strategy == "Recreate" else (n - 1) * step + delay)
    prev = svc.release
    migrate(world, prev, release)
    svc.release = release
    svc.rollout = {"from": prev, "to": release, "started_at": now, "done_at": done,
                   "strategy": strategy, "actor": actor}
    world.schedule(done, "rollout_done", service=service, release=release)
    world.record(service, "rollout", f"rollout of {release} started by {actor} ({strategy})")
    return f"rollout of {service} to {release} started ({strategy}); expected done in " \
           f"{int(done - now)}s"


def place(world: World, service: str, i: int, pending: list[Pod] | None = None) -> str:
    """The node a new pod lands on: least CPU allocated (our requests plus other tenants'),
    ties broken by a seeded draw, like the default scheduler's LeastAllocated scoring."""
    st = world.head
    used = {n.name: n.foreign_cpu_millicores for n in st.nodes.values()}
    for _name, s in st.services.items():
        for p in s.pods:
            if p.deleted_at is None or p.deleted_at > world.now:
                used[p.node] = used.get(p.node, 0) + s.cpu_millicores
    for p in pending or []:
        used[p.node] = used.get(p.node, 0) + st.services[service].cpu_millicores
    free = {n: st.nodes[n].cpu_millicores - u for n, u in used.items() if n in st.nodes}
    tie = {n: noise.unit(world.seed, noise.sid(service), noise.sid(n), i, int(world.now))
           for n in free}
    return max(free, key=lambda n: (free[n] // 2000, tie[n]))


def migrate(world: World, old_release: str, new_release: str) -> None:
    """Schema changes ship with releases: moving to a release applies its DDL, moving off
    one reverts it (the deploy platform runs the down-migration on rollback)."""
    st = world.head
    old = st.releases[old_release].behavior if old_release in st.releases else {}
    new = st.releases[new_release].behavior if new_release in st.releases else {}
    for key in ("ddl_drop_index", "ddl_rename"):
        if old.get(key) == new.get(key):
            continue
        if old.get(key):
            _ddl(world, key, old[key], undo=True)
        if new.get(key):
            _ddl(world, key, new[key], undo=False)


def _ddl(world: World, key: str, spec: dict[str, Any], undo: bool) -> None:
    names = [n for n, db in world.head.databases.items()
             if n == spec["database"] or db.replica_of == spec["database"]]
    for name in names:
        db = world.edit_item("databases", name)
        table = db.tables[spec["table"]] = dataclasses.replace(db.tables[spec["table"]])
        if key == "ddl_drop_index":
            table.indexes = [i for i in table.indexes if i != spec["index"]]
            if undo:
                table.indexes.append(spec["index"])
            stmt = (f"CREATE INDEX CONCURRENTLY {spec['index']} ON {spec['table']}" if undo
                    else f"DROP INDEX CONCURRENTLY {spec['index']}")
        else:
            table.renamed = {k: v for k, v in table.renamed.items() if k != spec["column"]}
            if not undo:
                table.renamed[spec["column"]] = spec["to"]
            a, b = (spec["to"], spec["column"]) if undo else (spec["column"], spec["to"])
            stmt = f"ALTER TABLE {spec['table']} RENAME COLUMN {a} TO {b}"
        if not world.head.databases[name].replica_of:
            world.record(name, "ddl", f"LOG:  statement: {stmt}")


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
    kind = world.topology[service].kind
    if kind == "redis":
        cache = world.edit_item("caches", service)
        cache.restarted_at = world.now + world.topology[service].ready_delay_s
    if kind == "postgres" and world.head.databases[service].transactions:
        db = world.edit_item("databases", service)
        for tx in db.transactions:
            world.record(service, "terminate", f"FATAL:  terminating connection due to "
                                               f"administrator command (pid {tx.pid})")
        db.transactions = []  # a restart ends every session
    out = start_rollout(world, service, svc.release, "RollingUpdate", actor)
    world.record(service, "restart", f"rolling restart requested by {actor}")
    return out.replace("rollout", "restart", 1)


def scale(world: World, service: str, replicas: int, actor: str) -> str:
    """Set the replica count. The deployment converges on the pods that are not due to go
    (during a rollout, those of the new release); pods an ongoing rollout is replacing keep
    their schedule. New pods beyond the namespace's pod quota are refused (FailedCreate)."""
    svc = world.service(service)
    comp = world.topology[service]
    now = world.now
    staying = [p for p in svc.pods if p.deleted_at is None]
    old = svc.replicas
    room = world.head.traffic.namespace_pod_quota - pods_in_namespace(world)
    if replicas - len(staying) > room:
        world.record(service, "scale", f"FailedCreate: pods \"{service}-\" is forbidden: "
                     f"exceeded quota: prod-pods, requested: pods={replicas - len(staying)}, "
                     f"used: pods={pods_in_namespace(world)}, limited: "
                     f"pods={world.head.traffic.namespace_pod_quota}")
        replicas = len(staying) + max(room, 0)
    svc.replicas = replicas
    if replicas > len(staying):
        new: list[Pod] = []
        for i in range(len(staying), replicas):
            new.append(Pod(pod_name(world, service, svc.release, i),
                           place(world, service, i, new), now, svc.release, comp.ready_delay_s))
        svc.pods.extend(new)
    else:
        for p in sorted(staying, key=lambda p: p.created_at)[replicas:]:
            p.deleted_at = now
    world.record(service, "scale", f"scaled from {old} to {replicas} replicas by {actor}")
    return f"{service} scaled from {old} to {replicas} replicas"


def pods_in_namespace(world: World) -> int:
    """Pods counted against the namespace's pod quota (those not yet terminated)."""
    return sum(1 for s in world.head.services.values() for p in s.pods
               if p.deleted_at is None or p.deleted_at > world.now)


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
    """Register a new release of ``service`` (not yet rolled out). Its code does what the
    live release's does unless ``behavior`` says otherwise (a build carries its history)."""
    st = world.edit()
    prev = st.releases[st.services[service].release]
    major, minor, patch = (int(x) for x in prev.version.lstrip("v").split("."))
    version = (f"v{major}.{minor + 1}.0" if bump == "minor" else f"v{major}.{minor}.{patch + 1}")
    seq = 4000 + len(st.releases) * 7 + noise.bits(world.seed, noise.sid(service),
                                                   len(st.releases)) % 7
    rid = f"rel-{seq}"
    rel = Release(rid, service, version, noise.hexid(world.seed, 40, noise.sid(rid)), author,
                  message, world.now, config_diff or {}, reviewed_by, "succeeded",
                  dict(prev.behavior if behavior is None else behavior))
    st.releases[rid] = rel
    return rel


@on_event("autovacuum")
def _autovacuum(world: World, payload: dict[str, Any]) -> None:
    """The autovacuum launcher's round (every minute): when ``autovacuum`` is on, bloated
    tables are vacuumed on the primary, and the cleanup replicates to its standbys."""
    world.schedule(world.now + 60.0, "autovacuum", **payload)
    primary = payload["database"]
    if world.head.services[primary].config.get("autovacuum", "on") != "on":
        return
    bloated = [t for t in world.head.databases[primary].tables.values() if t.dead_pct > 20.0]
    for table in bloated:
        for name, db in world.head.databases.items():
            if name != primary and db.replica_of != primary:
                continue
            edited = world.edit_item("databases", name)
            edited.tables[table.name] = dataclasses.replace(
                edited.tables[table.name], dead_pct=3.0, last_autovacuum=world.now)
        dead = int(table.rows * table.dead_pct / 100)
        world.record(primary, "vacuum", f'LOG:  automatic vacuum of table "{table.name}": index '
                                        f"scans: 1, tuples: {dead} removed, "
                                        f"{table.rows} remain")
