"""Configuration faults: one setting changed to a harmful value (a timeout, a host, a rate
limit, a pool size, a missing secret, maintenance mode). The physics reads the setting;
the change is in the config history and the service's log."""

from __future__ import annotations

from typing import Any

from .. import noise, ops
from ..topology import Topology, dep_prefix
from ..world import World
from .base import (
    Evidence,
    FaultType,
    Truth,
    WrongFix,
    call,
    config_text,
    kinds,
    lang_token,
    named,
    path_to_edge,
    person,
    pick,
    register,
    route_services,
)

TIMEOUT_WORDS = {"java": "Read timed out", "go": "context deadline exceeded",
                 "python": "ReadTimeout"}
DNS_WORDS = {"java": "UnknownHostException", "go": "no such host",
             "python": "Name or service not known"}
REFUSED_WORDS = {"java": "Connection refused", "go": "connection refused",
                 "python": "Connection refused"}
POOL_WORDS = {"java": "HikariPool", "go": "pgxpool", "python": "QueuePool"}


def _who(world: World, target: str, k: int) -> str:
    return person(world, noise.sid(target), k)


def _http_dep(world: World, target: str) -> str:
    deps = [d.target for d in world.topology[target].deps if d.kind == "http"]
    return str(pick(world, deps, noise.sid(target), 20))


def http_callers(topo: Topology) -> list[str]:
    return [c.name for c in topo.components if c.kind in ("service", "gateway")
            and any(d.kind == "http" for d in c.deps)]


# -- client timeout too low -------------------------------------------------------------------
def inject_timeout(world: World, target: str, params: dict[str, Any]) -> Truth:
    dep = params.get("dependency") or _http_dep(world, target)
    key = f"{dep_prefix(dep)}_TIMEOUT_MS"
    good = world.head.services[target].config[key]
    mean = max(world.snapshot()[dep].mean_ms, 4.0)
    bad = int(params.get("timeout_ms", max(2, round(mean * 0.25))))
    ops.set_config(world, target, key, bad, _who(world, target, 21))
    return Truth(
        "client_timeout_too_low", "config", "config/timeout", target, key,
        (*path_to_edge(world, target), dep),
        (Evidence("search_logs", lang_token(world, target, TIMEOUT_WORDS),
                  f"calls to {dep} timing out", {"service": target, "level": "ERROR"}),
         Evidence("get_config", config_text(key, bad), "a timeout below the callee's latency",
                  {"service": target}),
         Evidence("query_metrics", "latency_p50_ms", f"{dep} answers within its usual time",
                  {"service": dep, "metric": "latency_p50_ms", "minutes": 60})),
        (call("set_config", service=target, key=key, value=good),),
        params={"key": key, "min": mean * 3}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "restarted pods use the same timeout"),
               *([WrongFix(call("scale_service", service=dep,
                                replicas=world.head.services[dep].replicas + 2),
                           f"{dep} was never slow; its callers still give up too early")]
                 if world.topology[dep].kind != "external" else [])))


def resolved_timeout(world: World, truth: Truth) -> bool:
    v = world.head.services[truth.component].config.get(truth.params["key"], 0)
    return isinstance(v, int | float) and v >= truth.params["min"]


register(FaultType(
    "client_timeout_too_low", "config", "config/timeout",
    "A client timeout was set below the dependency's normal latency",
    "Timeouts calling a dependency that is itself healthy and fast; retries add load to it; "
    "504s on the caller's routes",
    "Scaling the dependency does not help a caller that gives up too early",
    http_callers, inject_timeout, resolved_timeout, topologies=("shop",)))


# -- wrong dependency host --------------------------------------------------------------------
def host_callers(topo: Topology) -> list[str]:
    return [c.name for c in topo.components if c.kind == "service"
            and any(d.kind in ("http", "db", "db_read", "cache") for d in c.deps)]


def inject_wrong_host(world: World, target: str, params: dict[str, Any]) -> Truth:
    deps = [d for d in world.topology[target].deps if d.kind in ("http", "db", "db_read")
            and d.required] or [d for d in world.topology[target].deps if d.kind == "cache"]
    dep = pick(world, deps, noise.sid(target), 22).target
    key = f"{dep_prefix(dep)}_HOST"
    good = str(world.head.services[target].config[key])
    name, port = good.rsplit(":", 1)
    typo = bool(params.get("typo", noise.bits(world.seed, noise.sid(target), 23) % 2))
    if typo:
        first, _, rest = name.partition(".")
        bad = f"{first[:-2]}{first[-1]}.{rest}:{port}"  # a dropped letter
        token = lang_token(world, target, DNS_WORDS)
    else:
        bad = f"{name}:{int(port) + 1}"
        token = lang_token(world, target, REFUSED_WORDS)
    ops.set_config(world, target, key, bad, _who(world, target, 24))
    return Truth(
        "wrong_dependency_host", "config", "config/dependency_host", target, key,
        (*path_to_edge(world, target), dep),
        (Evidence("search_logs", token, f"connections to {dep} failing",
                  {"service": target, "level": "ERROR"}),
         Evidence("get_config", config_text(key, bad), "the wrong address",
                  {"service": target}),
         Evidence("search_logs", key, "the config change",
                  {"service": target, "query": key, "minutes": 120})),
        (call("set_config", service=target, key=key, value=good),),
        params={"key": key, "good": good}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "restarted pods read the same address"),
               *([WrongFix(call("restart_service", service=dep),
                           f"{dep} is healthy; the caller still dials the wrong address")]
                 if world.topology[dep].kind != "external" else [])))


def resolved_wrong_host(world: World, truth: Truth) -> bool:
    cfg = world.head.services[truth.component].config
    return cfg.get(truth.params["key"]) == truth.params["good"]


register(FaultType(
    "wrong_dependency_host", "config", "config/dependency_host",
    "A dependency's host or port setting was changed to a wrong address",
    "Every call to one dependency fails at once (name not resolved or connection refused) "
    "while that dependency is healthy for its other clients",
    "Restarting the dependency or the caller keeps the wrong address",
    host_callers, inject_wrong_host, resolved_wrong_host,
    newer_targets=named("api-gateway")))


# -- rate limit too low -----------------------------------------------------------------------
def inject_rate_limit(world: World, target: str, params: dict[str, Any]) -> Truth:
    good = world.head.services[target].config.get("RATE_LIMIT_RPS", 2000)
    rate = world.snapshot()[target].rps
    bad = int(params.get("rate_limit_rps", max(10, int(rate * 0.6) // 10 * 10)))
    ops.set_config(world, target, "RATE_LIMIT_RPS", bad, _who(world, target, 25))
    return Truth(
        "rate_limit_too_low", "config", "config/rate_limit", target, "RATE_LIMIT_RPS",
        (target, *world.topology.kind_of("edge")),
        (Evidence("search_logs", "rate limit exceeded", "the gateway rejecting requests",
                  {"service": target, "level": "ERROR"}),
         Evidence("get_config", config_text("RATE_LIMIT_RPS", bad), "a limit below traffic",
                  {"service": target}),
         Evidence("search_logs", '" 429 ', "clients receiving 429",
                  {"service": world.topology.kind_of("edge")[0]})),
        (call("set_config", service=target, key="RATE_LIMIT_RPS", value=good),),
        params={"need": rate * 2.0}, team=world.topology[target].team,
        wrong=(WrongFix(call("scale_service", service=target,
                             replicas=world.head.services[target].replicas * 2),
                        "the limit is global: more gateway pods reject the same share"),))


def resolved_rate_limit(world: World, truth: Truth) -> bool:
    v = world.head.services[truth.component].config.get("RATE_LIMIT_RPS", 0)
    return isinstance(v, int | float) and v >= truth.params["need"]


register(FaultType(
    "rate_limit_too_low", "config", "config/rate_limit",
    "The gateway's rate limit was set below normal traffic",
    "429s on every route, 'rate limit exceeded' in the gateway log, backends idle",
    "Scaling the gateway does not raise a global limit",
    kinds("gateway"), inject_rate_limit, resolved_rate_limit, topologies=("shop",)))


# -- pool size too small ----------------------------------------------------------------------
def pool_targets(topo: Topology) -> list[str]:
    return [n for n in ("checkout", "app") if n in topo.names]


def inject_pool_small(world: World, target: str, params: dict[str, Any]) -> Truth:
    m = world.snapshot()[target]
    demand = m.pool_in_use / max(m.ready, 1)
    good = world.head.services[target].config["DB_POOL_SIZE"]
    bad = int(params.get("pool_size", max(1, int(demand * 0.4))))
    ops.set_config(world, target, "DB_POOL_SIZE", bad, _who(world, target, 26))
    return Truth(
        "pool_size_too_small", "config", "config/pool_size", target, "DB_POOL_SIZE",
        path_to_edge(world, target),
        (Evidence("search_logs", lang_token(world, target, POOL_WORDS),
                  "requests timing out waiting for a connection",
                  {"service": target, "level": "ERROR"}),
         Evidence("get_config", config_text("DB_POOL_SIZE", bad), "a tiny pool",
                  {"service": target}),
         Evidence("query_metrics", "db_pool_waiting", "requests queued for the pool",
                  {"service": target, "metric": "db_pool_waiting", "minutes": 60})),
        (call("set_config", service=target, key="DB_POOL_SIZE", value=good),),
        params={"need": demand * 1.8}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "restarted pods open the same tiny pools"),))


def resolved_pool_small(world: World, truth: Truth) -> bool:
    v = world.head.services[truth.component].config.get("DB_POOL_SIZE", 0)
    return isinstance(v, int) and v >= truth.params["need"]


register(FaultType(
    "pool_size_too_small", "config", "config/pool_size",
    "DB_POOL_SIZE was lowered below what the service needs",
    "Requests wait for a database connection and time out; pool in use pinned at a small "
    "size; the database itself idle",
    "Restarting keeps the same pool size",
    pool_targets, inject_pool_small, resolved_pool_small))


# -- missing secret ---------------------------------------------------------------------------
def secret_targets(topo: Topology) -> list[str]:
    return [c.name for c in topo.components if c.kind in ("service", "worker")
            and any(k.endswith(("_AUTH", "_PASSWORD", "_API_KEY")) for k in topo.defaults[c.name])]


def inject_missing_secret(world: World, target: str, params: dict[str, Any]) -> Truth:
    keys = sorted(k for k in world.topology.defaults[target]
                  if k.endswith(("_AUTH", "_PASSWORD", "_API_KEY")))
    key = params.get("key") or pick(world, keys, noise.sid(target), 27)
    good = world.head.services[target].config[key]
    who = _who(world, target, 28)
    ops.set_config(world, target, key, None, who)
    ops.restart(world, target, who)
    return Truth(
        "missing_secret", "config", "config/missing_secret", target, key,
        path_to_edge(world, target),
        (Evidence("list_pods", "CrashLoopBackOff", "restarted pods crash at start",
                  {"service": target}),
         Evidence("search_logs", f"required setting '{key}' is not set", "the crash reason",
                  {"service": target, "level": "ERROR"}),
         Evidence("search_logs", key, "the setting removed before the restart",
                  {"service": target, "query": key, "minutes": 120})),
        (call("set_config", service=target, key=key, value=good),
         call("restart_service", service=target)),
        params={"key": key}, team=world.topology[target].team,
        wrong=(WrongFix(call("rollback_deploy", service=target),
                        "older code needs the same secret; its pods crash too"),
               WrongFix(call("restart_service", service=target),
                        "pods restart without the secret and crash again")))


def resolved_missing_secret(world: World, truth: Truth) -> bool:
    if truth.params["key"] not in world.head.services[truth.component].config:
        return False
    return not any(p.phase == "CrashLoopBackOff"
                   for p in world.snapshot()[truth.component].pods)


register(FaultType(
    "missing_secret", "config", "config/missing_secret",
    "A secret reference was removed from a service's environment before a restart",
    "Restarted pods crash at start with a KeyError naming the setting; capacity drains as "
    "old pods are replaced",
    "Rolling back or restarting starts pods without the secret",
    secret_targets, inject_missing_secret, resolved_missing_secret))


# -- maintenance mode left on -----------------------------------------------------------------
def inject_maintenance(world: World, target: str, params: dict[str, Any]) -> Truth:
    ops.set_config(world, target, "MAINTENANCE_MODE", True, _who(world, target, 29))
    return Truth(
        "maintenance_mode_left_on", "config", "config/maintenance_mode", target,
        "MAINTENANCE_MODE", path_to_edge(world, target),
        (Evidence("search_logs", "maintenance mode is enabled", "every request refused",
                  {"service": target, "level": "ERROR"}),
         Evidence("get_config", config_text("MAINTENANCE_MODE", True), "the switch is on",
                  {"service": target}),
         Evidence("query_metrics", "error_rate", "all requests failing",
                  {"service": target, "metric": "error_rate", "minutes": 60})),
        (call("set_config", service=target, key="MAINTENANCE_MODE", value=False),),
        team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "the setting survives a restart"),
               WrongFix(call("rollback_deploy", service=target),
                        "older code honours the same setting")))


def resolved_maintenance(world: World, truth: Truth) -> bool:
    return world.head.services[truth.component].config.get("MAINTENANCE_MODE") is False


register(FaultType(
    "maintenance_mode_left_on", "config", "config/maintenance_mode",
    "Maintenance mode was left on after a maintenance window",
    "Every request to one service answered 503 in a couple of milliseconds; pods healthy, "
    "CPU idle",
    "Restarting or rolling back keeps the setting",
    route_services, inject_maintenance, resolved_maintenance,
    more_targets=lambda topo: [n for n in ("payments",) if n in topo.names],
    newer_targets=named("api-gateway")))
