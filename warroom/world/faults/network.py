"""Network and edge faults: an expired certificate, a stale upstream DNS name, a wrong
health-check path, weights that send traffic to a draining pool, and a connection limit
far too low. All live at the edge load balancer, in front of every route."""

from __future__ import annotations

import time
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
    person,
    pick,
    register,
)

DAY = 86400.0


def edges(topo: Topology) -> list[str]:
    return topo.kind_of("edge")


def _path(world: World, edge: str) -> tuple[str, ...]:
    return (edge,)


def _upstream(world: World, edge: str) -> str:
    return world.topology[edge].deps[0].target


# -- expired certificate ----------------------------------------------------------------------
def inject_cert(world: World, target: str, params: dict[str, Any]) -> Truth:
    cfg = world.head.services[target].config
    secret = str(cfg["TLS_SECRET"])
    renewed = f"{secret}-{time.gmtime(world.wallclock(world.now)).tm_year + 1}"
    edge = world.edit_single("edge")
    edge.cert_expires_at = world.now
    edge.certs = {**edge.certs, secret: world.now, renewed: world.now + 89 * DAY}
    expires = time.strftime("%Y-%m-%d", time.gmtime(world.wallclock(world.now + 89 * DAY)))
    world.record(target, "cert", f"cert-manager: certificate {edge.cert_domain} renewed; "
                                 f"issued into secret {renewed} (not after {expires})",
                 t=world.now - 600.0)
    return Truth(
        "tls_cert_expired", "network", "network/tls_certificate", target, secret,
        _path(world, target),
        (Evidence("search_logs", "certificate expired", "TLS handshakes failing",
                  {"service": target, "query": "certificate expired"}),
         Evidence("search_logs", renewed, "a renewed certificate sits in another secret",
                  {"service": target, "query": "cert-manager", "minutes": 120}),
         Evidence("get_config", config_text("TLS_SECRET", secret),
                  "the edge still serves the old secret", {"service": target})),
        (call("set_config", service=target, key="TLS_SECRET", value=renewed),),
        params={}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "the edge reloads the same expired certificate"),
               WrongFix(call("restart_service", service=_upstream(world, target)),
                        "the backends are healthy; clients never get past TLS")))


def resolved_cert(world: World, truth: Truth) -> bool:
    from ..physics.stores import cert_expiry

    cfg = world.head.services[truth.component].config
    return cert_expiry(world.head.edge, cfg) > world.now + 7 * DAY


register(FaultType(
    "tls_cert_expired", "network", "network/tls_certificate",
    "The edge serves an expired certificate; the renewal went into a new secret",
    "Synthetic probes failing, TLS handshake errors ('certificate expired') in the edge log, "
    "traffic to backends collapsing while they are healthy",
    "Restarting the edge or the backends reloads the same certificate",
    edges, inject_cert, resolved_cert))


# -- stale upstream DNS name ------------------------------------------------------------------
def inject_edge_dns(world: World, target: str, params: dict[str, Any]) -> Truth:
    up = _upstream(world, target)
    key = f"{dep_prefix(up)}_HOST"
    good = str(world.head.services[target].config[key])
    name, port = good.rsplit(":", 1)
    bad = f"{name.replace('.prod.', '.prod-legacy.', 1)}:{port}"
    ops.set_config(world, target, key, bad, person(world, 80))
    return Truth(
        "edge_dns_misconfig", "network", "network/dns", target, key, _path(world, target),
        (Evidence("search_logs", "could not be resolved", "the upstream name does not resolve",
                  {"service": target, "query": "could not be resolved"}),
         Evidence("get_config", config_text(key, bad), "a stale upstream name",
                  {"service": target}),
         Evidence("query_metrics", "rps", f"{up} receiving no traffic",
                  {"service": up, "metric": "rps", "minutes": 60})),
        (call("set_config", service=target, key=key, value=good),),
        params={"key": key, "good": good}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=up),
                        f"{up} is healthy; the edge cannot find it"),
               WrongFix(call("restart_service", service=target),
                        "the edge resolves the same stale name")))


def resolved_edge_dns(world: World, truth: Truth) -> bool:
    return world.head.services[truth.component].config.get(truth.params["key"]) == \
        truth.params["good"]


register(FaultType(
    "edge_dns_misconfig", "network", "network/dns",
    "The edge's upstream host points at a DNS name that no longer resolves",
    "502 on every route, 'could not be resolved' in the edge's error log, the backends "
    "receiving no requests at all",
    "Restarting the backends or the edge keeps the stale name",
    edges, inject_edge_dns, resolved_edge_dns))


# -- wrong health-check path ------------------------------------------------------------------
def inject_health_check(world: World, target: str, params: dict[str, Any]) -> Truth:
    bad = str(params.get("path", pick(world, ("/health", "/status", "/healthz/"), 81)))
    ops.set_config(world, target, "HEALTH_CHECK_PATH", bad, person(world, 82))
    up = _upstream(world, target)
    return Truth(
        "health_check_path_wrong", "network", "network/health_check", target,
        "HEALTH_CHECK_PATH", _path(world, target),
        (Evidence("search_logs", "no live upstreams", "every upstream marked down",
                  {"service": target, "query": "no live upstreams"}),
         Evidence("get_config", config_text("HEALTH_CHECK_PATH", bad), "a path the backends "
                  "do not serve", {"service": target}),
         Evidence("list_pods", "1/1", f"{up} pods ready and healthy", {"service": up})),
        (call("set_config", service=target, key="HEALTH_CHECK_PATH", value="/healthz"),),
        params={}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=up),
                        "healthy backends restarted; the edge still probes the wrong path"),
               WrongFix(call("scale_service", service=up,
                             replicas=world.head.services[up].replicas + 2),
                        "more backends, all marked down")))


def resolved_health_check(world: World, truth: Truth) -> bool:
    return world.head.services[truth.component].config.get("HEALTH_CHECK_PATH") == "/healthz"


register(FaultType(
    "health_check_path_wrong", "network", "network/health_check",
    "The edge's health check probes a path the backends do not serve",
    "502 on every route with 'no live upstreams' at the edge while every backend pod is "
    "ready",
    "Restarting or scaling the backends: they stay marked down",
    edges, inject_health_check, resolved_health_check))


# -- weights sending traffic to a draining pool -----------------------------------------------
def inject_lb_weights(world: World, target: str, params: dict[str, Any]) -> Truth:
    pool = str(params.get("pool", "pool-b"))
    edge = world.edit_single("edge")
    edge.upstreams[pool].draining = True
    world.record(target, "drain", f"upstream {pool} set to draining for node maintenance "
                                  f"(NODEOPS-{400 + noise.bits(world.seed, 83) % 90})")
    key = f"UPSTREAM_WEIGHT_{pool.upper().replace('-', '_')}"
    other = next(p for p in edge.upstreams if p != pool)
    other_key = f"UPSTREAM_WEIGHT_{other.upper().replace('-', '_')}"
    bad = int(params.get("weight", 80))
    who = person(world, 84)
    ops.set_config(world, target, key, bad, who)
    ops.set_config(world, target, other_key, 100 - bad, who)
    return Truth(
        "lb_weights_to_draining", "network", "network/lb_weights", target, key,
        _path(world, target),
        (Evidence("search_logs", f"(pool {pool})", "connections refused by that pool",
                  {"service": target, "query": "connect() failed"}),
         Evidence("get_config", config_text(key, bad), "most weight on the draining pool",
                  {"service": target}),
         Evidence("search_logs", "draining", "the pool is being drained",
                  {"service": target, "query": "draining", "minutes": 120})),
        (call("set_config", service=target, key=key, value=0),
         call("set_config", service=target, key=other_key, value=100)),
        params={"pool": pool}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "the edge restarts with the same weights"),
               WrongFix(call("restart_service", service=_upstream(world, target)),
                        "the live pool was never the problem")))


def resolved_lb_weights(world: World, truth: Truth) -> bool:
    from ..physics.stores import upstream_weights

    w = upstream_weights(world.head.edge, world.head.services[truth.component].config)
    return w[truth.params["pool"]] == 0 and sum(w.values()) > 0


register(FaultType(
    "lb_weights_to_draining", "network", "network/lb_weights",
    "Edge weights send most traffic to a pool that is being drained",
    "A large share of 502s on every route, 'connection refused' from one upstream pool in "
    "the edge log, backends healthy",
    "Restarting the edge or the backends keeps the weights",
    edges, inject_lb_weights, resolved_lb_weights))


# -- connection limit at the edge -------------------------------------------------------------
def inject_conn_limit(world: World, target: str, params: dict[str, Any]) -> Truth:
    m = world.snapshot()[target]
    conns = m.extra.get("active_connections", 50.0)
    good = world.head.services[target].config["WORKER_CONNECTIONS"]
    bad = int(params.get("worker_connections", max(2, int(conns / max(m.ready, 1) * 0.3))))
    ops.set_config(world, target, "WORKER_CONNECTIONS", bad, person(world, 85))
    return Truth(
        "edge_connection_limit", "network", "network/connection_limit", target,
        "WORKER_CONNECTIONS", _path(world, target),
        (Evidence("search_logs", "worker_connections are not enough", "the edge out of "
                  "connection slots", {"service": target, "query": "worker_connections"}),
         Evidence("get_config", config_text("WORKER_CONNECTIONS", bad), "a tiny limit",
                  {"service": target}),
         Evidence("query_metrics", "active_connections", "connections pinned at the limit",
                  {"service": target, "metric": "active_connections", "minutes": 60})),
        (call("set_config", service=target, key="WORKER_CONNECTIONS", value=good),),
        params={"need": conns * 2}, team=world.topology[target].team,
        wrong=(WrongFix(call("scale_service", service=_upstream(world, target),
                             replicas=world.head.services[_upstream(world, target)].replicas
                             + 2), "the backends were never the bottleneck"),))


def resolved_conn_limit(world: World, truth: Truth) -> bool:
    v = world.head.services[truth.component].config.get("WORKER_CONNECTIONS", 0)
    ready = max(world.snapshot()[truth.component].ready, 1)
    return isinstance(v, int) and v * ready >= truth.params["need"]


register(FaultType(
    "edge_connection_limit", "network", "network/connection_limit",
    "The edge's worker_connections was set far below the concurrent connections",
    "A share of 503s on every route, 'worker_connections are not enough' in the edge log, "
    "active connections pinned at the limit",
    "Scaling the backends does not add connection slots at the edge",
    edges, inject_conn_limit, resolved_conn_limit))
