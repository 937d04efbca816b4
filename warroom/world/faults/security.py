"""Security faults: internal mutual TLS between services. A caller presents a client
certificate (``<DEP>_MTLS_SECRET``) on one edge of the call graph; when it expires, the
callee refuses the handshake, so that edge alone fails while the caller's other calls and
the callee's other clients are fine. The rotation job issued a renewed certificate into a
new secret the caller does not read; pointing the setting at it is the fix.
"""

from __future__ import annotations

import time
from typing import Any

from .. import noise
from ..topology import Topology, dep_prefix
from ..world import World
from .base import (
    Evidence,
    FaultType,
    Truth,
    WrongFix,
    call,
    config_text,
    lang_token,
    path_to_edge,
    pick,
    register,
)

DAY = 86400.0
HANDSHAKE_WORDS = {"java": "certificate_expired", "go": "expired certificate",
                   "python": "certificate expired"}


def _internal_deps(topo: Topology, name: str) -> list[str]:
    return [d.target for d in topo[name].deps if d.kind == "http"
            and topo[d.target].kind in ("service", "gateway")]


def mtls_callers(topo: Topology) -> list[str]:
    """Services and gateways that call another internal service over HTTP."""
    return [c.name for c in topo.components if c.kind in ("service", "gateway")
            and _internal_deps(topo, c.name)]


def inject_mtls(world: World, target: str, params: dict[str, Any]) -> Truth:
    deps = _internal_deps(world.topology, target)
    dep = str(params.get("peer") or pick(world, deps, noise.sid(target), 60))
    key = f"{dep_prefix(dep)}_MTLS_SECRET"
    year = time.gmtime(world.wallclock(world.now)).tm_year
    secret = f"mtls/{target}-to-{dep}-{year}"
    renewed = f"mtls/{target}-to-{dep}-{year + 1}"
    world.service(target).config[key] = secret  # issued a year ago, read at every handshake
    edge = world.edit_single("edge")
    edge.certs = {**edge.certs, secret: world.now, renewed: world.now + 364 * DAY}
    world.record(target, "cert", f"cert-rotator: client certificate for {target} -> {dep} "
                                 f"renewed into secret {renewed}; {secret} expires today",
                 t=world.now - 1800.0)
    return Truth(
        "mtls_client_cert_expired", "security", "security/mtls_expired", target, key,
        (*path_to_edge(world, target), dep),
        (Evidence("search_logs", lang_token(world, target, HANDSHAKE_WORDS),
                  f"{dep} refusing the handshake", {"service": target, "level": "ERROR"}),
         Evidence("get_config", config_text(key, secret), "the caller still presents the old "
                  "certificate", {"service": target}),
         Evidence("search_logs", renewed, "the renewed certificate in a new secret",
                  {"service": target, "query": "cert-rotator", "minutes": 120})),
        (call("set_config", service=target, key=key, value=renewed),),
        params={"key": key, "peer": dep}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=dep),
                        f"{dep} is healthy; it refuses the expired client certificate again"),
               WrongFix(call("restart_service", service=target),
                        "restarted pods present the same expired certificate"),
               WrongFix(call("rollback_deploy", service=target),
                        "the certificate is not in the code")))


def resolved_mtls(world: World, truth: Truth) -> bool:
    secret = world.head.services[truth.component].config.get(truth.params["key"])
    return secret is None or world.head.edge.certs.get(str(secret), 0.0) > world.now + 7 * DAY


register(FaultType(
    "mtls_client_cert_expired", "security", "security/mtls_expired",
    "A service's client certificate for one internal mTLS edge expired; the renewal went "
    "into a new secret",
    "Handshake failures ('certificate expired') on calls from one service to one other, and "
    "nowhere else; the callee healthy for its other clients; errors on the caller's routes",
    "Restarting either side reloads the same expired certificate; rolling back changes no "
    "certificate",
    mtls_callers, inject_mtls, resolved_mtls, topologies=("shop",), generation=2))
