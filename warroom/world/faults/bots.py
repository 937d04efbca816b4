"""Bots as authors: a fleet agent, not a person, wrote the bad change, and its audit-log
entry is the evidence. The config-sync bot applies a merged overlay that carries a staging
address into production; the deploy bot ships a managed edge rule bundle whose regular
expression backtracks and pins the edge's CPU. The bots are working as designed (pausing
or flagging them reverts nothing): the change itself must be undone.
"""

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
    bad_release,
    call,
    config_text,
    kinds,
    lang_token,
    pick,
    previous_release,
    register,
)
from .compute import _util
from .config import DNS_WORDS, host_callers

RULE_BUNDLES = ("managed rules: block inline JavaScript in query strings",
                "managed rules: detect SQL comments in form fields",
                "managed rules: tighten XSS detection on path segments")


# -- config-sync applies a staging overlay ----------------------------------------------------
def staged_callers(topo: Topology) -> list[str]:
    """Services with a required dependency addressed by an in-cluster (``.prod.``) name."""
    return [n for n in host_callers(topo) if any(
        d.required and d.kind in ("http", "db", "db_read")
        and ".prod." in str(topo.defaults[n].get(f"{dep_prefix(d.target)}_HOST", ""))
        for d in topo[n].deps)]


def inject_bot_config(world: World, target: str, params: dict[str, Any]) -> Truth:
    cfg = world.head.services[target].config
    deps = [d.target for d in world.topology[target].deps if d.kind in ("http", "db", "db_read")
            and d.required and ".prod." in str(cfg.get(f"{dep_prefix(d.target)}_HOST", ""))]
    dep = str(pick(world, deps, noise.sid(target), 61))
    key = f"{dep_prefix(dep)}_HOST"
    good = str(world.head.services[target].config[key])
    bad = good.replace(".prod.", ".staging.", 1)
    change = 4000 + noise.bits(world.seed, noise.sid(target), 62) % 900
    ops.set_config(world, target, key, bad, "config-sync")
    world.log_audit("config-sync", "sync", target, f"{key}: {good!r} -> {bad!r}",
                    f"applying merged change #{change} from the config repository")
    return Truth(
        "bot_config_push", "config", "config/bot_push", target, key,
        (target, *world.topology.callers_of(target), dep),
        (Evidence("list_fleet_actions", f"#{change}", "config-sync applied the change",
                  {"agent": "config-sync"}),
         Evidence("get_config", config_text(key, bad), "a staging address in production",
                  {"service": target}),
         Evidence("search_logs", lang_token(world, target, DNS_WORDS),
                  f"the {dep} address does not resolve", {"service": target, "level": "ERROR"})),
        (call("set_config", service=target, key=key, value=good),),
        params={"key": key, "good": good}, team=world.topology[target].team,
        wrong=(WrongFix(call("pause_agent", agent="config-sync", reason="bad sync"),
                        "pausing the bot leaves the value it already applied"),
               WrongFix(call("restart_service", service=target),
                        "restarted pods read the same address"),
               WrongFix(call("restart_service", service=dep),
                        f"{dep} is healthy; the caller dials a staging name")))


def resolved_bot_config(world: World, truth: Truth) -> bool:
    return world.head.services[truth.component].config.get(truth.params["key"]) == \
        truth.params["good"]


register(FaultType(
    "bot_config_push", "config", "config/bot_push",
    "The config-sync bot applied a merged change that points a service at a staging address",
    "Every call from one service to one dependency fails to resolve a '.staging.' name; the "
    "dependency healthy for its other clients; a config-sync entry in the fleet audit log at "
    "the minute the errors began",
    "Pausing or flagging the bot keeps the applied value; restarting either side keeps it too",
    staged_callers, inject_bot_config, resolved_bot_config, generation=2))


# -- deploy bot ships an edge rule bundle with a backtracking regex ---------------------------
def inject_edge_rules(world: World, target: str, params: dict[str, Any]) -> Truth:
    mult = float(params.get("cpu_mult") or min(150.0, max(6.0, 2.5 / _util(world, target))))
    message = str(pick(world, RULE_BUNDLES, noise.sid(target), 63))
    rid = bad_release(world, target, {"cpu_mult": round(mult, 2)}, message, author="deploy-bot",
                      reviewed_by=None, actor="deploy-bot", bump="patch")
    world.log_audit("deploy-bot", "deploy", target, rid, "scheduled managed-rules update "
                                                          "(auto-approved channel)")
    prev = previous_release(world, target)
    return Truth(
        "edge_rules_regex_cpu", "network", "network/edge_rules_cpu", target, rid,
        (target,),
        (Evidence("query_metrics", "cpu", "edge CPU pinned since the rules update",
                  {"service": target, "metric": "cpu", "minutes": 60}),
         Evidence("list_fleet_actions", rid, "the deploy bot shipped the rule bundle",
                  {"agent": "deploy-bot"}),
         Evidence("list_deploys", rid, "an unreviewed release of the edge",
                  {"service": target})),
        (call("rollback_deploy", service=target, to_release=prev),),
        params={"release": rid}, team=world.topology[target].team,
        wrong=(WrongFix(call("pause_agent", agent="deploy-bot", reason="bad rules"),
                        "pausing the bot leaves the rule bundle it shipped running"),
               WrongFix(call("restart_service", service=target),
                        "the edge reloads the same rules and burns the same CPU"),
               WrongFix(call("scale_service", service=target,
                             replicas=world.head.services[target].replicas * 2),
                        "twice the proxies cannot absorb a many-fold CPU cost per request")))


def resolved_edge_rules(world: World, truth: Truth) -> bool:
    return not any(p.release == truth.params["release"] and p.alive(world.now)
                   for p in world.head.services[truth.component].pods)


register(FaultType(
    "edge_rules_regex_cpu", "network", "network/edge_rules_cpu",
    "The deploy bot shipped an edge rule bundle whose regular expression backtracks",
    "CPU at 100% on every edge proxy, 502/503s on every route at once, backends idle; an "
    "unreviewed edge release by the deploy bot minutes before",
    "Pausing the bot keeps the rules; restarting or scaling the edge keeps burning CPU",
    kinds("edge"), inject_edge_rules, resolved_edge_rules, generation=2))
