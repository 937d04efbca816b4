"""External dependency faults: the payment provider's outage, its rate limiting, and our
expired API key. None is fixed by a restart; the mitigations are the fallback provider
flag (and paging the owning team) or, for the key, the rotated secret."""

from __future__ import annotations

from typing import Any

from ..topology import Topology, dep_prefix
from ..world import World
from .base import (
    Evidence,
    FaultType,
    Truth,
    WrongFix,
    call,
    path_to_edge,
    register,
)

FALLBACK = "payments-fallback-provider"


def providers(topo: Topology) -> list[str]:
    return [c.name for c in topo.components if c.kind == "external"]


def _client(world: World, provider: str) -> str:
    return world.topology.callers_of(provider)[0]


def _fallback_on(world: World) -> bool:
    flag = world.head.flags.get(FALLBACK)
    return bool(flag and flag.enabled)


def _mitigation(world: World, provider: str, why: str) -> tuple[dict[str, Any], ...]:
    team = world.topology[_client(world, provider)].team
    return (call("set_flag", flag=FALLBACK, enabled=True),
            call("page_team", team=team, message=f"{provider}: {why}; fallback enabled"))


# -- provider outage --------------------------------------------------------------------------
def inject_outage(world: World, target: str, params: dict[str, Any]) -> Truth:
    p = world.edit_item("providers", target)
    p.status = "major_outage"
    p.error_pct = float(params.get("error_pct", 65.0))
    p.latency_ms = 2400.0
    p.status_incidents = [{
        "impact": "major", "title": "Elevated error rates on card authorizations",
        "update": "We are investigating increased errors and latency for the authorizations "
                  "API in all regions."}]
    client = _client(world, target)
    return Truth(
        "provider_outage", "external", "external/provider_outage", target, None,
        (target, *path_to_edge(world, client)),
        (Evidence("provider_status", "MAJOR_OUTAGE", "the provider's status page", {}),
         Evidence("search_logs", "503 Service Unavailable", "calls to the provider failing",
                  {"service": client, "level": "ERROR"}),
         Evidence("list_flags", FALLBACK, "a fallback provider is available", {})),
        _mitigation(world, target, "provider outage"),
        params={}, team=world.topology[client].team, page_required=True,
        wrong=(WrongFix(call("restart_service", service=client),
                        "our pods are fine; the provider still fails"),
               WrongFix(call("scale_service", service=client, replicas=6),
                        "more pods send more failing calls")))


def resolved_provider(world: World, truth: Truth) -> bool:
    return _fallback_on(world)


register(FaultType(
    "provider_outage", "external", "external/provider_outage",
    "The external payment provider has an outage",
    "Purchases failing with 502/503 from the provider, its status page showing a major "
    "outage; nothing wrong inside",
    "Restarting or scaling our services sends the same calls to a failing provider",
    providers, inject_outage, resolved_provider, topologies=("shop",)))


# -- provider rate limiting -------------------------------------------------------------------
def inject_rate_limited(world: World, target: str, params: dict[str, Any]) -> Truth:
    rate = world.snapshot()[target].rps
    p = world.edit_item("providers", target)
    p.rate_limit_rps = round(float(params.get("limit_share", 0.5)) * rate, 1)
    client = _client(world, target)
    return Truth(
        "provider_rate_limited", "external", "external/provider_rate_limit", target, None,
        (target, *path_to_edge(world, client)),
        (Evidence("search_logs", "429 Too Many Requests", "the provider throttling us",
                  {"service": client, "level": "ERROR"}),
         Evidence("provider_status", "OPERATIONAL", "no incident on the provider's side", {}),
         Evidence("list_flags", FALLBACK, "a fallback provider is available", {})),
        _mitigation(world, target, "we are being rate limited"),
        params={}, team=world.topology[client].team, page_required=True,
        wrong=(WrongFix(call("scale_service", service=client, replicas=6),
                        "more pods send more calls into the same limit"),
               WrongFix(call("restart_service", service=client),
                        "the limit is on the provider's side")))


register(FaultType(
    "provider_rate_limited", "external", "external/provider_rate_limit",
    "The payment provider rate-limits our account below our traffic",
    "429 Too Many Requests from the provider on a share of payments, retries making it "
    "worse, the provider's status page green",
    "Scaling out or restarting sends more calls into the same limit",
    providers, inject_rate_limited, resolved_provider, topologies=("shop",)))


# -- our API key expired ----------------------------------------------------------------------
def inject_key_expired(world: World, target: str, params: dict[str, Any]) -> Truth:
    client = _client(world, target)
    key = f"{dep_prefix(target)}_API_KEY"
    ref = str(world.head.services[client].config[key])
    base, version = ref.rsplit("#v", 1)
    renewed = f"{base}#v{int(version) + 1}"
    p = world.edit_item("providers", target)
    p.keys = {ref: world.now, renewed: world.now + 365 * 86400.0}
    p.credentials_expire_at = world.now
    world.record(client, "secret", f"vault-agent: {base.removeprefix('vault:')} has a new "
                                   f"version {int(version) + 1}; version {version} expires "
                                   f"today", t=world.now - 900.0)
    return Truth(
        "provider_key_expired", "external", "external/provider_credentials", client, key,
        (client, target, *path_to_edge(world, client)[1:]),
        (Evidence("search_logs", "401 Unauthorized", "the provider rejecting our key",
                  {"service": client, "level": "ERROR"}),
         Evidence("search_logs", f"new version {int(version) + 1}", "a rotated key exists",
                  {"service": client, "query": "vault", "minutes": 120}),
         Evidence("get_config", ref, "the service still uses the old version",
                  {"service": client})),
        (call("set_config", service=client, key=key, value=renewed),),
        params={"key": key, "provider": target}, team=world.topology[client].team,
        alternatives=(_mitigation(world, target, "our API key expired"),),
        wrong=(WrongFix(call("restart_service", service=client),
                        "restarted pods present the same expired key"),
               WrongFix(call("scale_service", service=client, replicas=6),
                        "more pods with the same expired key")))


def resolved_key_expired(world: World, truth: Truth) -> bool:
    p = world.head.providers[truth.params["provider"]]
    ref = str(world.head.services[truth.component].config.get(truth.params["key"]))
    return p.keys.get(ref, 0.0) > world.now or _fallback_on(world)


register(FaultType(
    "provider_key_expired", "external", "external/provider_credentials",
    "Our API key for the payment provider expired; a rotated key was never deployed",
    "Every payment failing with 401 Unauthorized from the provider, its status page green, "
    "a newer key version announced in the service's log",
    "Restarting or scaling keeps presenting the expired key",
    providers, inject_key_expired, resolved_key_expired, topologies=("shop",)))
