"""Rollout faults: per-pod versions. A rollout that stalls leaves one pod on the previous
release (an eviction the disruption budget refused); that pod's old code then meets
something only the new code understands: a column the new release's migration renamed, or
a flag whose name the old code reads with another meaning. The share of failing requests
is the old pod's; rolling back puts every pod on the old code and turns the share into an
outage, while finishing the rollout (a restart on the live release) or replacing the pod
removes it.
"""

from __future__ import annotations

from typing import Any

from .. import noise, ops
from ..world import World
from .base import (
    Evidence,
    FaultType,
    Truth,
    WrongFix,
    call,
    path_to_edge,
    person,
    pick,
    register,
    route_services,
)
from .deploy import FEATURE_COMMITS

COLUMNS = {  # service -> (table, old column, new column) the new release's migration renames
    "auth": ("sessions", "user_ref", "account_id"), "catalog": ("products", "price", "price_cents"),
    "checkout": ("carts", "coupon", "coupon_code"), "payments": ("payments", "ref", "provider_ref"),
    "orders": ("orders", "state", "status"), "notifications": ("outbox", "to_addr", "recipient"),
    "app": ("items", "owner", "owner_id"),
}
MODES = ("strict", "v2", "batch", "async")


def _undefined_column(world: World, target: str, table: str, column: str) -> tuple[str, str]:
    lang = world.topology[target].language
    if lang == "java":
        return (f"org.postgresql.util.PSQLException: ERROR: column \"{column}\" of relation "
                f"\"{table}\" does not exist", "at com.shop.db.Rows.read(Rows.java:41)")
    if lang == "go":
        return (f"pq: column \"{column}\" of relation \"{table}\" does not exist",
                "store/rows.go:63 in (*Store).Load")
    return (f"psycopg2.errors.UndefinedColumn: column \"{column}\" of relation \"{table}\" "
            "does not exist", "app/store.py:77 in load")


def _stall(world: World, target: str, release: str, why: str) -> tuple[str, str]:
    """Roll ``target`` out to ``release`` but leave one old pod running; returns
    (previous release, the old pod's name)."""
    svc = world.head.services[target]
    prev = svc.release
    live = [p for p in svc.pods if p.alive(world.now)]
    keep = sorted(live, key=lambda p: p.name)[noise.bits(world.seed, noise.sid(target), 90)
                                                % len(live)].name
    ops.start_rollout(world, target, release, "RollingUpdate", "deploy-platform")
    edited = world.service(target)
    for p in edited.pods:
        if p.name == keep:
            p.deleted_at = None  # the eviction was refused: this pod stays on the old code
    world.record(target, "rollout", f"Cannot evict pod {keep}: {why}")
    return prev, keep


def _old_pod_gone(world: World, truth: Truth) -> bool:
    return not any(p.release == truth.params["old"] and p.alive(world.now)
                   for p in world.head.services[truth.component].pods)


def _common_wrong(world: World, target: str) -> tuple[WrongFix, ...]:
    return (WrongFix(call("rollback_deploy", service=target),
                     "every pod goes back to the old code, which fails on every request",
                     second=target),
            WrongFix(call("scale_service", service=target,
                          replicas=world.head.services[target].replicas + 2),
                     "new pods run the new release; the old pod keeps its share of traffic"))


# -- an old pod after a column rename ---------------------------------------------------------
def migration_pod_targets(topo: Any) -> list[str]:
    return [n for n in route_services(topo) if n in COLUMNS
            and any(d.kind in ("db", "db_read") for d in topo[n].deps)]


def inject_old_pod_migration(world: World, target: str, params: dict[str, Any]) -> Truth:
    table, old_col, new_col = COLUMNS[target]
    author = person(world, noise.sid(target), 91)
    rel = ops.new_release(world, target, author, f"Rename {table}.{old_col} to {new_col} "
                          "(migration in the release)", behavior={}, reviewed_by="alice.chen")
    prev, pod = _stall(world, target, rel.id,
                       "Cannot evict pod as it would violate the pod's disruption budget")
    exc, frame = _undefined_column(world, target, table, old_col)
    old = world.edit_item("releases", prev)  # the old code now meets the renamed column
    old.behavior = {**old.behavior, "raise": [{"endpoint": "*", "rate": 1.0, "exc": exc,
                                               "frame": frame}]}
    return Truth(
        "old_pod_after_migration", "rollout", "rollout/mixed_versions_schema", target, pod,
        path_to_edge(world, target),
        (Evidence("list_issues", exc[:40], "old code reading a renamed column",
                  {"service": target}),
         Evidence("describe_pod", f"Release: {prev}", "one pod still on the previous release",
                  {"pod": pod}),
         Evidence("get_deploy", f"Rename {table}.{old_col}", "the release renamed the column",
                  {"release_id": rel.id})),
        (call("restart_service", service=target),),
        params={"old": prev, "release": rel.id}, team=world.topology[target].team,
        wrong=_common_wrong(world, target))


register(FaultType(
    "old_pod_after_migration", "rollout", "rollout/mixed_versions_schema",
    "A stalled rollout left one pod on the previous release after a column rename",
    "About one pod's share of 500s on every route of one service, a 'column does not exist' "
    "error naming the old column, the error tracker blaming the new release, one pod whose "
    "release is the previous one",
    "Rolling back puts every pod on the code that reads the old column; scaling keeps the old "
    "pod serving",
    migration_pod_targets, inject_old_pod_migration, _old_pod_gone, topologies=("shop",),
    generation=2))


# -- a flag the old code reads differently ----------------------------------------------------
def inject_flag_old_pod(world: World, target: str, params: dict[str, Any]) -> Truth:
    author = person(world, noise.sid(target), 92)
    message = str(pick(world, FEATURE_COMMITS, noise.sid(target), 93))
    rel = ops.new_release(world, target, author, message, behavior={},
                          reviewed_by="sven.lindqvist")
    prev, pod = _stall(world, target, rel.id,
                       "Cannot evict pod as it would violate the pod's disruption budget")
    mode = pick(world, MODES, noise.sid(target), 94)
    name = f"{target}-{mode}-mode"
    exc = (f"ValueError: unknown {target} mode 'on' for flag {name} (expected one of: off, "
           "legacy)")
    from ..state import Flag

    st = world.edit()
    st.flags[name] = Flag(name, False, f"{mode} mode (needs {rel.version} or later)",
                          world.topology[target].team, world.now - 86400.0, author,
                          {"service": target, "releases": [prev],
                           "raise": [{"endpoint": "*", "rate": 1.0, "exc": exc,
                                      "frame": f"{target}/modes.py:31 in select"}]})
    ops.set_flag(world, name, True, person(world, noise.sid(target), 95))
    return Truth(
        "flag_meets_old_pod", "rollout", "rollout/mixed_versions_flag", target, name,
        path_to_edge(world, target),
        (Evidence("list_issues", exc[:40], "an error about the flag's value",
                  {"service": target}),
         Evidence("describe_pod", f"Release: {prev}", "one pod still on the previous release",
                  {"pod": pod}),
         Evidence("list_flags", name, "the flag switched on minutes before", {})),
        (call("restart_service", service=target),),
        params={"old": prev, "flag": name}, team=world.topology[target].team,
        alternatives=((call("set_flag", flag=name, enabled=False),),),
        wrong=_common_wrong(world, target))


def resolved_flag_old_pod(world: World, truth: Truth) -> bool:
    return _old_pod_gone(world, truth) or not world.head.flags[truth.params["flag"]].enabled


register(FaultType(
    "flag_meets_old_pod", "rollout", "rollout/mixed_versions_flag",
    "A flag for the new release's mode was switched on while one pod still ran the old "
    "release, which reads the flag differently",
    "One pod's share of 500s on every route of one service starting when a flag was switched "
    "on, an error naming the flag's value, one pod whose release is the previous one",
    "Rolling back puts every pod on the code that misreads the flag",
    route_services, inject_flag_old_pod, resolved_flag_old_pod, generation=2))
