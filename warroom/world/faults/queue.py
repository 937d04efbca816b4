"""Queue faults: consumers too few for a surge of messages, a poison message crashing every
consumer, a retry storm from a consumer's retry settings, and a visibility timeout shorter
than a batch (messages processed twice). Depth and lag integrate publish minus consume."""

from __future__ import annotations

import math
from typing import Any

from .. import noise, ops
from ..state import Flag
from ..topology import Topology
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


def _topic(world: World, worker: str) -> str:
    return next(t.name for t in world.head.topics.values() if t.consumer_service == worker)


def _publisher(world: World, topic: str) -> str:
    return next(c.name for c in world.topology.components
                if any(d.kind == "publish" and d.target == topic for d in c.deps))


def _queue_path(world: World, worker: str) -> tuple[str, ...]:
    return (worker, _topic(world, worker))


# -- consumers too few for a surge ------------------------------------------------------------
def inject_backlog(world: World, target: str, params: dict[str, Any]) -> Truth:
    topic = _topic(world, target)
    pub = _publisher(world, topic)
    q = world.snapshot()[topic].extra
    mult = float(params.get("publish_mult", 1.5 * q["consumer_capacity_rps"]
                            / max(q["publish_rps"], 0.1)))
    name = f"{pub}-replay-events"
    who = person(world, noise.sid(pub), 70)
    st = world.edit()
    st.flags[name] = Flag(name, False, "Re-publish historical events for the new warehouse",
                          world.topology[pub].team, world.now - 86400.0, who,
                          {"service": pub, "publish_mult": round(mult, 2)})
    ops.set_flag(world, name, True, who)
    have = world.head.services[target].replicas
    downstream = next((d.target for d in world.topology[target].deps if d.kind == "http"),
                      next(d.target for d in world.topology[target].deps if d.kind == "db"))
    floor = math.ceil(have * mult * q["publish_rps"] / q["consumer_capacity_rps"] * 1.05)
    need = floor + 1
    return Truth(
        "consumer_backlog", "queue", "queue/consumer_lag", target, None,
        _queue_path(world, target),
        (Evidence("queue_stats", "lag_s", "depth and lag growing", {}),
         Evidence("query_metrics", "publish_rate", "publishing several times normal",
                  {"service": topic, "metric": "publish_rate", "minutes": 60}),
         Evidence("list_flags", name, "a replay switched on", {})),
        (call("set_flag", flag=name, enabled=False),),
        params={"floor": floor, "flag": name},
        team=world.topology[target].team,
        alternatives=((call("scale_service", service=target, replicas=min(30, need)),),),
        wrong=(WrongFix(call("restart_service", service=target),
                        "a restart pauses consumption while pods come back"),
               *([WrongFix(call("scale_service", service=target, replicas=need * 3),
                           "draining the backlog at full speed overloads the consumers' "
                           "dependencies", second=downstream)]
                 if world.topology[downstream].kind == "service" else [])))


def resolved_backlog(world: World, truth: Truth) -> bool:
    return (world.head.services[truth.component].replicas >= truth.params["floor"]
            or not world.head.flags[truth.params["flag"]].enabled)


register(FaultType(
    "consumer_backlog", "queue", "queue/consumer_lag",
    "A replay multiplies published messages beyond what the consumers can process",
    "Queue depth and consumer lag climbing, publish rate several times normal, consumers "
    "healthy and busy",
    "Restarting consumers or the broker pauses consumption and deepens the backlog",
    kinds("worker"), inject_backlog, resolved_backlog))


# -- poison message ---------------------------------------------------------------------------
POISON = {
    "python": "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0) "
              "while decoding message offset={offset} partition={part}",
    "java": "com.fasterxml.jackson.core.JsonParseException: Unexpected character ('<') "
            "in message offset={offset} partition={part}",
    "go": "panic: proto: cannot parse invalid wire-format data (message offset={offset} "
          "partition={part})",
}


def inject_poison(world: World, target: str, params: dict[str, Any]) -> Truth:
    topic = _topic(world, target)
    offset = 880000 + noise.bits(world.seed, 71) % 90000
    part = noise.bits(world.seed, 72) % 12
    msg = POISON[world.topology[target].language].format(offset=offset, part=part)
    t = world.edit_item("topics", topic)
    t.hidden = {**t.hidden, "poison": msg}
    return Truth(
        "poison_message", "queue", "queue/poison_message", target, None,
        _queue_path(world, target),
        (Evidence("list_pods", "CrashLoopBackOff", "every consumer crashing",
                  {"service": target}),
         Evidence("search_logs", f"offset={offset}", "the same message each time",
                  {"service": target, "level": "ERROR"}),
         Evidence("get_config", config_text("MAX_DELIVERIES", 0), "no dead-letter limit",
                  {"service": target})),
        (call("set_config", service=target, key="MAX_DELIVERIES", value=5),),
        params={}, team=world.topology[target].team,
        wrong=(WrongFix(call("restart_service", service=target),
                        "restarted consumers fetch the same message and crash"),
               WrongFix(call("scale_service", service=target, replicas=6),
                        "more consumers, each crashing on the message")))


def resolved_poison(world: World, truth: Truth) -> bool:
    n = world.head.services[truth.component].config.get("MAX_DELIVERIES", 0)
    return isinstance(n, int) and n > 0


register(FaultType(
    "poison_message", "queue", "queue/poison_message",
    "A malformed message crashes every consumer that reads it; nothing dead-letters it",
    "Consumers in CrashLoopBackOff with the same decode error and message offset, the queue "
    "backing up",
    "Restarting or adding consumers hands the same message to more crashers",
    kinds("worker"), inject_poison, resolved_poison))


# -- retry storm ------------------------------------------------------------------------------
def retry_targets(topo: Topology) -> list[str]:
    return [c.name for c in topo.components if c.kind == "worker"
            and any(d.kind == "http" for d in c.deps)]


def inject_retry_storm(world: World, target: str, params: dict[str, Any]) -> Truth:
    dep = next(d.target for d in world.topology[target].deps if d.kind == "http")
    prefix = dep.upper().replace("-", "_")
    key_r, key_t = f"{prefix}_RETRIES", f"{prefix}_TIMEOUT_MS"
    cfg = world.head.services[target].config
    good_r, good_t = cfg[key_r], cfg[key_t]
    mean = world.snapshot()[dep].mean_ms
    bad_t = int(params.get("timeout_ms", max(1, round(mean * 0.04))))
    bad_r = int(params.get("retries", 40))
    who = person(world, noise.sid(target), 73)
    ops.set_config(world, target, key_t, bad_t, who)
    ops.set_config(world, target, key_r, bad_r, who)
    return Truth(
        "retry_storm", "queue", "queue/retry_storm", target, key_r,
        (target, dep, *path_to_edge(world, dep)[1:]),
        (Evidence("query_metrics", "rps", f"{dep} receiving many times its usual calls",
                  {"service": dep, "metric": "rps", "minutes": 60}),
         Evidence("get_config", config_text(key_r, bad_r), "aggressive retries",
                  {"service": target}),
         Evidence("search_logs", key_r, "the change", {"service": target, "query": key_r,
                                                       "minutes": 120})),
        (call("set_config", service=target, key=key_r, value=good_r),
         call("set_config", service=target, key=key_t, value=good_t)),
        params={"key": key_r}, team=world.topology[target].team,
        wrong=(WrongFix(call("scale_service", service=dep, replicas=8),
                        f"{dep} absorbs the amplified load; the retries keep multiplying it"),
               WrongFix(call("restart_service", service=target),
                        "restarted consumers retry just as hard")))


def resolved_retry_storm(world: World, truth: Truth) -> bool:
    v = world.head.services[truth.component].config.get(truth.params["key"], 0)
    return isinstance(v, int) and v <= 3


register(FaultType(
    "retry_storm", "queue", "queue/retry_storm",
    "A consumer retries a dependency a dozen times with a tight timeout, amplifying load",
    "One dependency receiving many times its usual calls and timing out, its own users' "
    "route failing, the consumer slowing and lag building",
    "Scaling the dependency feeds the storm; restarting the consumer keeps its settings",
    retry_targets, inject_retry_storm, resolved_retry_storm, topologies=("shop",)))


# -- visibility timeout too low ---------------------------------------------------------------
def inject_visibility(world: World, target: str, params: dict[str, Any]) -> Truth:
    good = world.head.services[target].config["VISIBILITY_TIMEOUT_S"]
    bad = int(params.get("visibility_s", 1))
    ops.set_config(world, target, "VISIBILITY_TIMEOUT_S", bad, person(world, 75))
    return Truth(
        "visibility_timeout_too_low", "queue", "queue/visibility_timeout", target,
        "VISIBILITY_TIMEOUT_S", _queue_path(world, target),
        (Evidence("queue_stats", "redelivered_rps", "messages redelivered before acked", {}),
         Evidence("get_config", config_text("VISIBILITY_TIMEOUT_S", bad),
                  "a timeout shorter than a batch", {"service": target}),
         Evidence("query_metrics", "redelivered_rate", "redeliveries since the change",
                  {"service": _topic(world, target), "metric": "redelivered_rate",
                   "minutes": 60})),
        (call("set_config", service=target, key="VISIBILITY_TIMEOUT_S", value=good),),
        params={"good": good}, team=world.topology[target].team,
        wrong=(WrongFix(call("scale_service", service=target, replicas=6),
                        "more consumers process the same duplicates"),
               WrongFix(call("restart_service", service=target),
                        "restarted consumers keep the short timeout")))


def resolved_visibility(world: World, truth: Truth) -> bool:
    v = world.head.services[truth.component].config.get("VISIBILITY_TIMEOUT_S", 0)
    return isinstance(v, int) and v >= 30


register(FaultType(
    "visibility_timeout_too_low", "queue", "queue/visibility_timeout",
    "The queue's visibility timeout is shorter than a consumer's batch; messages reappear "
    "and are processed twice",
    "Redeliveries as high as consumption, duplicated side effects downstream, consumers busy "
    "while lag still grows",
    "More consumers process more duplicates; restarting keeps the setting",
    kinds("worker"), inject_visibility, resolved_visibility))
