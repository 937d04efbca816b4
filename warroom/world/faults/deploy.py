"""Deploy and change faults: a release that raises on one endpoint, a bad canary, a schema
migration that breaks another service's query, a dependency bump that breaks
serialization, a rollout strategy that takes every pod down, and a feature flag that turns
on a broken code path. The code's behavior lives in the release (or flag); the error
tracker, logs and traces show what it does."""

from __future__ import annotations

from typing import Any

from .. import noise, ops
from ..state import Flag, Pod
from ..telemetry.errors import issue_id
from ..topology import Topology
from ..world import World
from .base import (
    Evidence,
    FaultType,
    Truth,
    WrongFix,
    bad_release,
    call,
    config_text,
    live_behavior,
    named,
    path_to_edge,
    person,
    pick,
    previous_release,
    register,
    route_services,
    runs_release,
)

EXCEPTIONS = {
    "python": (("KeyError: 'shipping_address'", "app/serializers.py:88 in to_representation"),
               ("TypeError: unsupported operand type(s) for +: 'Decimal' and 'float'",
                "app/pricing.py:142 in total")),
    "java": (("java.lang.NullPointerException: Cannot invoke \"java.math.BigDecimal.scale()\" "
              "because \"amount\" is null", "at com.shop.payments.Amounts.round(Amounts.java:57)"),
             ("java.lang.ClassCastException: class java.lang.String cannot be cast to class "
              "java.lang.Long", "at com.shop.payments.Ids.parse(Ids.java:31)")),
    "go": (("panic: runtime error: invalid memory address or nil pointer dereference",
            "handlers/list.go:77 in (*Handler).List"),
           ("json: cannot unmarshal string into Go struct field Filter.limit of type int",
            "handlers/search.go:52 in (*Handler).Search")),
}
FEATURE_COMMITS = ("Show delivery estimates on listings", "New receipt layout",
                   "Support partial refunds", "Faster search suggestions")


def _exception(world: World, target: str, k: int) -> tuple[str, str]:
    exc, frame = pick(world, EXCEPTIONS[world.topology[target].language], noise.sid(target), k)
    return str(exc), str(frame)


def _issue(world: World, target: str, exc: str) -> str:
    head = exc.split(":", 1)[0] if ":" in exc[:80] else exc[:60]
    return issue_id(world, target, head.strip())


def _endpoint(world: World, target: str, k: int) -> str:
    paths = [ep.path for ep in world.topology.endpoints if ep.service == target]
    return str(pick(world, paths, noise.sid(target), k))


# -- a release raising on one endpoint --------------------------------------------------------
def inject_bad_release(world: World, target: str, params: dict[str, Any]) -> Truth:
    exc, frame = _exception(world, target, 30)
    path = params.get("endpoint") or _endpoint(world, target, 31)
    rid = bad_release(world, target, {"raise": [{"endpoint": path, "rate": float(
        params.get("rate", 0.7)), "exc": exc, "frame": frame}]},
        pick(world, FEATURE_COMMITS, noise.sid(target), 32))
    prev = previous_release(world, target)
    return Truth(
        "bad_release_exception", "deploy", "deploy/bad_release", target, rid,
        path_to_edge(world, target),
        (Evidence("list_issues", exc[:40], "a new exception since the release",
                  {"service": target}),
         Evidence("get_issue", rid, "first seen on the new release",
                  {"issue_id": _issue(world, target, exc)}),
         Evidence("list_deploys", rid, "the release", {"service": target})),
        (call("rollback_deploy", service=target, to_release=prev),),
        params={"release": rid}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "restarted pods run the same code"),
               WrongFix(call("scale_service", service=target,
                             replicas=world.head.services[target].replicas * 2),
                        "more pods raise the same exception")))


def resolved_bad_release(world: World, truth: Truth) -> bool:
    return not runs_release(world, truth.component, truth.params["release"]) and \
        not live_behavior(world, truth.component, "raise")


register(FaultType(
    "bad_release_exception", "deploy", "deploy/bad_release",
    "A release raises an exception on one endpoint",
    "500s on one route only, a new error-tracker issue first seen on the new release, the "
    "service's other routes fine",
    "Restarting or scaling runs the same code",
    route_services, inject_bad_release, resolved_bad_release))


# -- bad canary -------------------------------------------------------------------------------
def inject_bad_canary(world: World, target: str, params: dict[str, Any]) -> Truth:
    exc, frame = _exception(world, target, 33)
    prev = world.head.services[target].release
    rel = ops.new_release(world, target, person(world, noise.sid(target), 34),
                          pick(world, FEATURE_COMMITS, noise.sid(target), 35),
                          behavior={"raise": [{"endpoint": "*", "rate": 1.0, "exc": exc,
                                               "frame": frame}]},
                          reviewed_by="alice.chen", bump="minor")
    svc = world.service(target)
    comp = world.topology[target]
    svc.pods.append(Pod(ops.pod_name(world, target, rel.id, 0),
                        ops.place(world, target, 0), world.now, rel.id, comp.ready_delay_s))
    svc.replicas += 1
    svc.release = rel.id
    svc.rollout = {"from": prev, "to": rel.id, "started_at": world.now, "done_at": None,
                   "strategy": "Canary", "actor": "deploy-platform", "paused": True}
    world.record(target, "rollout", f"canary of {rel.id} started: 1 pod, analysis paused")
    return Truth(
        "bad_canary", "deploy", "deploy/bad_canary", target, rel.id,
        path_to_edge(world, target),
        (Evidence("list_issues", exc[:40], "errors from one pod", {"service": target}),
         Evidence("get_issue", rel.id, "all events from the canary release",
                  {"issue_id": _issue(world, target, exc)}),
         Evidence("list_deploys", "in progress", "a canary still running",
                  {"service": target})),
        (call("rollback_deploy", service=target, to_release=prev),),
        params={"release": rel.id}, team=comp.team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "a restart rolls every pod onto the canary's release",
                        second=target),
               WrongFix(call("scale_service", service=target, replicas=svc.replicas + 3),
                        "new pods start on the canary's release")))


def resolved_bad_canary(world: World, truth: Truth) -> bool:
    return not runs_release(world, truth.component, truth.params["release"])


register(FaultType(
    "bad_canary", "deploy", "deploy/bad_canary",
    "A canary pod of a broken release takes a share of traffic",
    "A steady fraction of 500s on every route of one service (about one pod's share), all "
    "from the new release's pod; a rollout paused in progress",
    "Restarting promotes the canary's release to every pod",
    route_services, inject_bad_canary, resolved_bad_canary))


# -- schema migration breaking another service's query ----------------------------------------
MIGRATIONS = {  # migrating service -> (table, old column, new column)
    "orders": ("orders", "total", "total_amount"),
    "payments": ("payments", "amount", "amount_cents"),
    "app": ("items", "owner_id", "user_id"),
}


def migration_targets(topo: Topology) -> list[str]:
    return [s for s in MIGRATIONS if s in topo.names]


def inject_schema_migration(world: World, target: str, params: dict[str, Any]) -> Truth:
    table, old, new = MIGRATIONS[target]
    primary = next(n for n, db in world.head.databases.items() if not db.replica_of)
    rid = bad_release(world, target, {"ddl_rename": {"database": primary, "table": table,
                                                     "column": old, "to": new}},
                      f"Rename {table}.{old} to {new} for clarity")
    prev = previous_release(world, target)
    broken = sorted({q.service for q in world.head.databases[primary].queries.values()
                     if q.table == table and f" {old}" in q.text.replace("(", " ")})
    victim = broken[0]
    return Truth(
        "schema_migration_breaks_query", "deploy", "deploy/schema_migration", target, rid,
        (target, primary, *broken, *path_to_edge(world, victim)[1:]),
        (Evidence("search_logs", f'column "{old}" does not exist', "statements failing",
                  {"service": primary, "level": "ERROR"}),
         Evidence("search_logs", f"RENAME COLUMN {old} TO {new}", "the migration's DDL",
                  {"service": primary, "query": "RENAME COLUMN", "minutes": 120}),
         Evidence("list_deploys", rid, "the release that shipped it", {"service": target})),
        (call("rollback_deploy", service=target, to_release=prev),),
        params={"table": table, "column": old}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=victim),
                        "restarted clients send the same statement"),
               WrongFix(call("rollback_deploy", service=victim),
                        f"{victim}'s own code was not changed; its query still fails")
               if victim != target else
               WrongFix(call("restart_service", service=primary),
                        "restarting the database keeps the renamed column")))


def resolved_schema_migration(world: World, truth: Truth) -> bool:
    return all(truth.params["column"] not in db.tables[truth.params["table"]].renamed
               for db in world.head.databases.values() if truth.params["table"] in db.tables)


register(FaultType(
    "schema_migration_breaks_query", "deploy", "deploy/schema_migration",
    "A release's migration renames a column another query still uses",
    "'column does not exist' errors from PostgreSQL for one table's statements, failures in "
    "the services that run them, a RENAME COLUMN in the database log after another "
    "service's deploy",
    "Rolling back or restarting the failing client changes nothing: the schema moved",
    migration_targets, inject_schema_migration, resolved_schema_migration))


# -- dependency bump breaking serialization ---------------------------------------------------
BUMPS = {
    "python": ("Bump orjson from 3.9.15 to 3.10.0",
               "TypeError: Type is not JSON serializable: decimal.Decimal"),
    "java": ("Bump jackson-databind from 2.15.4 to 2.17.0",
             "com.fasterxml.jackson.databind.exc.InvalidDefinitionException: Java 8 date/time "
             "type `java.time.Instant` not supported by default"),
    "go": ("Bump google.golang.org/protobuf from 1.33.0 to 1.34.0",
           "proto: cannot parse invalid wire-format data"),
}


def bump_targets(topo: Topology) -> list[str]:
    return [c.name for c in topo.components if c.kind in ("service", "gateway")
            and any(d.kind == "http" and d.required for d in c.deps)]


def inject_dependency_bump(world: World, target: str, params: dict[str, Any]) -> Truth:
    message, exc = BUMPS[world.topology[target].language]
    deps = [d.target for d in world.topology[target].deps if d.kind == "http"]
    dep = str(pick(world, deps, noise.sid(target), 36))
    rid = bad_release(world, target, {"dep_error": {dep: {"rate": 1.0, "exc": exc}}}, message,
                      author=str(pick(world, ("renovate[bot]", "dependabot[bot]"), 37)),
                      reviewed_by=person(world, noise.sid(target), 38), bump="patch")
    prev = previous_release(world, target)
    return Truth(
        "dependency_bump_serialization", "deploy", "deploy/dependency_bump", target, rid,
        (*path_to_edge(world, target), dep),
        (Evidence("list_issues", exc[:30], f"every call to {dep} failing to serialize",
                  {"service": target}),
         Evidence("get_deploy", message.split(" from ")[0].removeprefix("Bump "),
                  "a dependency bump", {"release_id": rid}),
         Evidence("list_deploys", rid, "the release", {"service": target})),
        (call("rollback_deploy", service=target, to_release=prev),),
        params={"release": rid}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "restarted pods run the same library"),
               *([WrongFix(call("restart_service", service=dep),
                           f"{dep} is healthy; the payload never reaches it")]
                 if world.topology[dep].kind != "external" else [])))


def resolved_dependency_bump(world: World, truth: Truth) -> bool:
    return not live_behavior(world, truth.component, "dep_error")


register(FaultType(
    "dependency_bump_serialization", "deploy", "deploy/dependency_bump",
    "A bot's dependency bump breaks serialization of calls to one dependency",
    "Every call from one service to one dependency fails before it is sent (a serializer "
    "error); the dependency sees less traffic, not more; a bot-authored release just before",
    "Restarting the dependency or the caller changes nothing",
    bump_targets, inject_dependency_bump, resolved_dependency_bump, topologies=("shop",)))


# -- recreate rollout taking every pod down ---------------------------------------------------
def recreate_targets(topo: Topology) -> list[str]:
    return [n for n in route_services(topo) if topo[n].replicas >= 2]


def inject_recreate(world: World, target: str, params: dict[str, Any]) -> Truth:
    who = person(world, noise.sid(target), 39)
    ops.set_config(world, target, "ROLLOUT_STRATEGY", "Recreate", who)
    onset = world.incident_at - world.now
    warmup = float(params.get("warmup_s", onset + 600.0))
    rid = bad_release(world, target, {"warmup_s": warmup},
                      "Prime caches before reporting ready", author=who)
    return Truth(
        "recreate_rollout_outage", "deploy", "deploy/rollout_strategy", target,
        "ROLLOUT_STRATEGY", path_to_edge(world, target),
        (Evidence("get_events", "(Recreate)", "every pod replaced at once",
                  {"service": target}),
         Evidence("list_pods", "Running (not ready)", "new pods still warming up",
                  {"service": target}),
         Evidence("get_config", config_text("ROLLOUT_STRATEGY", "Recreate"),
                  "the deployment's strategy", {"service": target})),
        (call("set_config", service=target, key="ROLLOUT_STRATEGY", value="RollingUpdate"),),
        params={"release": rid}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "a restart under Recreate takes every pod down again"),))


def resolved_recreate(world: World, truth: Truth) -> bool:
    cfg = world.head.services[truth.component].config
    return cfg.get("ROLLOUT_STRATEGY") == "RollingUpdate"


register(FaultType(
    "recreate_rollout_outage", "deploy", "deploy/rollout_strategy",
    "A deployment's strategy was switched to Recreate; a slow-starting release took every "
    "pod down at once",
    "All pods of one service replaced at the same instant, none ready for minutes, 503s "
    "(no healthy upstream) on its routes",
    "Another restart or deploy under Recreate takes everything down again",
    recreate_targets, inject_recreate, resolved_recreate,
    more_targets=lambda topo: [n for n in ("payments",) if n in topo.names],
    newer_targets=named("worker", "api-gateway")))


# -- a feature flag turning on a broken path --------------------------------------------------
FLAG_FEATURES = ("express-pay", "smart-sort", "bundle-pricing", "inline-recs")


def inject_bad_flag(world: World, target: str, params: dict[str, Any]) -> Truth:
    exc, frame = _exception(world, target, 40)
    path = params.get("endpoint") or _endpoint(world, target, 41)
    name = f"{target}-{pick(world, FLAG_FEATURES, noise.sid(target), 42)}"
    who = person(world, noise.sid(target), 43)
    st = world.edit()
    st.flags[name] = Flag(name, False, f"{name.split('-', 1)[1].replace('-', ' ')} rollout",
                          world.topology[target].team, world.now - 3 * 86400.0, who,
                          {"service": target, "raise": [{"endpoint": path, "rate": 0.8,
                                                         "exc": exc, "frame": frame}]})
    ops.set_flag(world, name, True, who)
    return Truth(
        "bad_feature_flag", "deploy", "deploy/feature_flag", target, name,
        path_to_edge(world, target),
        (Evidence("list_flags", name, "a flag switched on minutes before the errors", {}),
         Evidence("list_issues", exc[:40], "a new exception on one route",
                  {"service": target}),
         Evidence("get_issue", exc.split(":")[0][:30], "the exception's first occurrence",
                  {"issue_id": _issue(world, target, exc)})),
        (call("set_flag", flag=name, enabled=False),),
        params={"flag": name}, team=world.topology[target].team,
        wrong=(WrongFix(call("rollback_deploy", service=target),
                        "the code path is behind the flag, not in the release"),
               WrongFix(call("restart_service", service=target),
                        "restarted pods read the same flag")))


def resolved_bad_flag(world: World, truth: Truth) -> bool:
    return not world.head.flags[truth.params["flag"]].enabled


register(FaultType(
    "bad_feature_flag", "deploy", "deploy/feature_flag",
    "A feature flag switched on a broken code path",
    "500s on one route starting at the minute a flag was switched on, no deploy at that time",
    "Rolling back the service keeps the flag on",
    route_services, inject_bad_flag, resolved_bad_flag))
