"""Cache faults: Redis down (crash-looping on a bad directive), an eviction storm from a
lowered maxmemory, a TTL cut to seconds, and a rotated password the clients do not have.
Every miss becomes a dearer database query, so the symptom shows on PostgreSQL and on the
services behind it, two hops from the cache."""

from __future__ import annotations

from typing import Any

from .. import ops
from ..topology import dep_prefix
from ..world import World
from .base import (
    Evidence,
    FaultType,
    Truth,
    WrongFix,
    call,
    config_text,
    kinds,
    path_to_edge,
    person,
    register,
)

NOAUTH_WORDS = ("WRONGPASS",)


def _db_behind(world: World, cache: str) -> str:
    """The database most of the cache's misses land on."""
    load: dict[str, float] = {}
    snap = world.snapshot()
    for caller in world.topology.callers_of(cache):
        dbs = [d.target for d in world.topology[caller].deps if d.kind in ("db", "db_read")]
        if dbs:
            load[dbs[-1]] = load.get(dbs[-1], 0.0) + snap[caller].rps
    return max(sorted(load), key=lambda n: load[n])


def _path(world: World, cache: str) -> tuple[str, ...]:
    db = _db_behind(world, cache)
    return (cache, db, *[c for c in path_to_edge(world, cache)[1:]])


def _main_client(world: World, cache: str) -> str:
    snap = world.snapshot()
    return max(world.topology.callers_of(cache), key=lambda n: (snap[n].rps, n))


# -- cache down (crash loop on a bad directive) -----------------------------------------------
def inject_cache_down(world: World, target: str, params: dict[str, Any]) -> Truth:
    good = world.head.services[target].config["maxmemory-policy"]
    bad = str(params.get("value", "allkeys_lru"))
    who = person(world, 60)
    ops.set_config(world, target, "maxmemory-policy", bad, who)
    ops.restart(world, target, who)
    db = _db_behind(world, target)
    return Truth(
        "cache_crashloop", "cache", "cache/cache_down", target, "maxmemory-policy",
        _path(world, target),
        (Evidence("search_logs", "FATAL CONFIG FILE ERROR", "Redis refuses its config",
                  {"service": target, "level": "ERROR"}),
         Evidence("list_pods", "0/1", "the cache pod never ready", {"service": target}),
         Evidence("query_metrics", "cpu", f"every miss now lands on {db}",
                  {"service": db, "metric": "cpu", "minutes": 60})),
        (call("set_config", service=target, key="maxmemory-policy", value=good),
         call("restart_service", service=target)),
        params={"good": good}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "Redis reads the same bad directive and crashes again"),
               WrongFix(call("scale_service", service=_main_client(world, target),
                             replicas=world.head.services[_main_client(world, target)]
                             .replicas * 2),
                        "more clients send more misses to the database")))


def resolved_cache_down(world: World, truth: Truth) -> bool:
    cfg = world.head.services[truth.component].config
    return cfg.get("maxmemory-policy") == truth.params["good"] and \
        world.snapshot()[truth.component].ready > 0


register(FaultType(
    "cache_crashloop", "cache", "cache/cache_down",
    "Redis crash-loops after a config change with an invalid directive",
    "Cache connection refused from every client, clients falling back to the database, "
    "database CPU and latency up; Redis pod in CrashLoopBackOff with a FATAL CONFIG error",
    "Restarting Redis re-reads the same directive; scaling clients adds misses",
    kinds("redis"), inject_cache_down, resolved_cache_down))


# -- eviction storm ---------------------------------------------------------------------------
def inject_eviction(world: World, target: str, params: dict[str, Any]) -> Truth:
    good = world.head.services[target].config["maxmemory"]
    keyspace = world.head.caches[target].keyspace_mb
    bad = str(params.get("value", f"{max(256, int(keyspace * 0.2) // 256 * 256)}mb"))
    ops.set_config(world, target, "maxmemory", bad, person(world, 61))
    db = _db_behind(world, target)
    return Truth(
        "cache_eviction_storm", "cache", "cache/eviction", target, "maxmemory",
        _path(world, target),
        (Evidence("cache_stats", "evicted_keys_per_s", "keys evicted as fast as written", {}),
         Evidence("get_config", config_text("maxmemory", bad), "a memory cap far below the "
                  "keyspace", {"service": target}),
         Evidence("query_metrics", "hit_ratio", "hit ratio collapsed",
                  {"service": target, "metric": "hit_ratio", "minutes": 60})),
        (call("set_config", service=target, key="maxmemory", value=good),),
        params={"keyspace": keyspace}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "a restart empties the cache: the database takes every read",
                        second=db),
               WrongFix(call("flush_cache", cache=target),
                        "flushing under load sends every read to the database", second=db)))


def resolved_eviction(world: World, truth: Truth) -> bool:
    from ..physics.stores import parse_mb

    cfg = world.head.services[truth.component].config
    return parse_mb(cfg.get("maxmemory", "0")) >= truth.params["keyspace"]


register(FaultType(
    "cache_eviction_storm", "cache", "cache/eviction",
    "Redis maxmemory was cut below the keyspace; keys are evicted as fast as they are set",
    "Hit ratio collapsed, evictions per second high, database load and latency up on the "
    "services behind the cache",
    "Restarting or flushing the cache sends every read to the database at once",
    kinds("redis"), inject_eviction, resolved_eviction))


# -- TTL misconfiguration ---------------------------------------------------------------------
def inject_ttl(world: World, target: str, params: dict[str, Any]) -> Truth:
    good = world.head.services[target].config["default_ttl_s"]
    bad = int(params.get("ttl_s", 3))
    ops.set_config(world, target, "default_ttl_s", bad, person(world, 62))
    db = _db_behind(world, target)
    return Truth(
        "cache_ttl_too_short", "cache", "cache/ttl", target, "default_ttl_s",
        _path(world, target),
        (Evidence("cache_stats", f"default_ttl_s:{bad}", "entries expire within seconds", {}),
         Evidence("query_metrics", "hit_ratio", "hit ratio collapsed without evictions",
                  {"service": target, "metric": "hit_ratio", "minutes": 60}),
         Evidence("query_metrics", "qps", f"{db} answering the misses",
                  {"service": db, "metric": "qps", "minutes": 60})),
        (call("set_config", service=target, key="default_ttl_s", value=good),),
        params={"good": good}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "a cold restart makes the miss storm worse", second=db),))


def resolved_ttl(world: World, truth: Truth) -> bool:
    v = world.head.services[truth.component].config.get("default_ttl_s", 0)
    return isinstance(v, int | float) and v >= 300


register(FaultType(
    "cache_ttl_too_short", "cache", "cache/ttl",
    "The cache's default TTL was cut to a few seconds",
    "Hit ratio collapsed with no evictions and plenty of free memory; database load up",
    "Restarting the cache only makes it colder",
    kinds("redis"), inject_ttl, resolved_ttl))


# -- credentials rotated without the clients --------------------------------------------------
def inject_cache_auth(world: World, target: str, params: dict[str, Any]) -> Truth:
    good = str(world.head.services[target].config["requirepass"])
    version = int(good.rsplit("#v", 1)[1])
    bad = f"{good.rsplit('#v', 1)[0]}#v{version + 1}"
    ops.set_config(world, target, "requirepass", bad, "secrets-rotator")
    client = _main_client(world, target)
    _db_behind(world, target)
    return Truth(
        "cache_auth_rotated", "cache", "cache/credentials", target, "requirepass",
        _path(world, target),
        (Evidence("search_logs", "WRONGPASS", "clients rejected by Redis",
                  {"service": client, "query": "WRONGPASS"}),
         Evidence("get_config", config_text("requirepass", bad), "a new password version",
                  {"service": target}),
         Evidence("get_config", config_text(f"{dep_prefix(target)}_AUTH", good),
                  "clients still present the old one", {"service": client})),
        (call("set_config", service=target, key="requirepass", value=good),),
        params={"good": good}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "Redis restarts with the new password and an empty cache"),
               WrongFix(call("restart_service", service=client),
                        "the client restarts with the same old password")))


def resolved_cache_auth(world: World, truth: Truth) -> bool:
    need = world.head.services[truth.component].config.get("requirepass")
    key = f"{dep_prefix(truth.component)}_AUTH"
    return all(world.head.services[c].config.get(key) == need
               for c in world.topology.callers_of(truth.component))


register(FaultType(
    "cache_auth_rotated", "cache", "cache/credentials",
    "The cache password was rotated but the clients still present the old one",
    "WRONGPASS from Redis in every client's log, hit ratio zero for them, database "
    "overloaded by the fallback reads",
    "Restarting Redis or the clients keeps the mismatch (and empties the cache)",
    kinds("redis"), inject_cache_auth, resolved_cache_auth))
