"""The cache and the message broker in their own admin tools' words: Redis INFO and
CLIENT LIST, and kafka-topics / kafka-consumer-groups style listings with a dead-letter
view."""

from __future__ import annotations

from typing import Literal

from ...world import noise
from ...world.physics.stores import parse_mb
from ...world.telemetry import fmt
from ...world.topology import dep_prefix
from ...world.world import World
from ..common import component, one_of
from ..registry import READ, ToolOutput, tool

Section = Literal["server", "clients", "memory", "stats", "keyspace"]


@tool("cache", READ, cost_s=3)
def cache_info(world: World, cache: str, section: Section | None = None) -> ToolOutput:
    """Run Redis INFO on a cache: server, clients, memory, stats and keyspace sections.

    Args:
        cache: cache component.
        section: only this INFO section.
    """
    component(world, cache, ("redis",))
    m = world.snapshot()[cache]
    c = world.head.caches[cache]
    cfg = world.head.services[cache].config
    up = c.up and m.ready > 0
    clients = sum(world.snapshot()[x].ready for x in world.topology.callers_of(cache)) * 8
    used = min(c.keyspace_mb, parse_mb(cfg.get("maxmemory", "6gb")))
    hits = m.rps * m.extra.get("hit_ratio", 0.0)
    sections = {
        "server": {"redis_version": "7.2.4", "uptime_in_seconds": int(world.now - c.restarted_at)
                   if up else 0, "tcp_port": world.topology[cache].port},
        "clients": {"connected_clients": clients if up else 0,
                    "rejected_auth_per_sec": round(m.causes.get("cache_error:noauth", 0.0), 1)},
        "memory": {"used_memory_human": f"{used / 1024:.2f}G",
                   "maxmemory_human": str(cfg.get("maxmemory")),
                   "maxmemory_policy": cfg.get("maxmemory-policy"),
                   "dataset_wants_human": f"{c.keyspace_mb / 1024:.2f}G"},
        "stats": {"instantaneous_ops_per_sec": round(m.rps), "keyspace_hits_per_sec":
                  round(hits), "keyspace_misses_per_sec": round(m.rps - hits),
                  "evicted_keys_per_sec": round(m.extra.get("evictions_per_s", 0.0), 1)},
        "keyspace": {"db0": f"keys={int(used * 2400)},expires={int(used * 2300)},"
                            f"avg_ttl={int(cfg.get('default_ttl_s', 600)) * 1000}"},
    }
    if not up:
        return ToolOutput(f"Could not connect to Redis at {world.topology[cache].host}: "
                          f"Connection refused", {"cache": cache, "up": False})
    chosen = {section: sections[section]} if section else sections
    text = "\n".join(f"# {k.title()}\n" + "\n".join(f"{a}:{b}" for a, b in v.items())
                     for k, v in chosen.items())
    return ToolOutput(text, {"cache": cache, "up": True, **chosen})


@tool("cache", READ, cost_s=3)
def cache_clients(world: World, cache: str) -> ToolOutput:
    """List the cache's clients (like CLIENT LIST grouped by application): connections,
    the credential reference each uses and its authentication errors per second.

    Args:
        cache: cache component.
    """
    component(world, cache, ("redis",))
    snap = world.snapshot()
    server_ref = world.head.services[cache].config.get("requirepass")
    rows, data = [], []
    for caller in world.topology.callers_of(cache):
        cm = snap[caller]
        ref = world.head.services[caller].config.get(f"{dep_prefix(cache)}_AUTH")
        errs = cm.extra.get("cache_errors_rps", 0.0)
        auth = "ok" if ref == server_ref and world.head.caches[cache].password_valid else \
            "NOAUTH errors"
        rows.append([caller, cm.ready * 8, ref, auth, f"{errs:.1f}"])
        data.append({"application": caller, "connections": cm.ready * 8, "auth_ref": ref,
                     "auth": auth, "errors_per_s": round(errs, 2)})
    return ToolOutput(f"{cache} requirepass from {server_ref}\n" + fmt.table(
        ["CLIENT", "CONNS", "AUTH REF", "AUTH", "ERRORS/S"], rows), data)


def _topic(world: World, topic: str | None) -> list[str]:
    names = sorted(world.head.topics)
    if topic is None:
        return names
    return [one_of(topic, names, "topic")]


@tool("queue", READ, cost_s=3)
def queue_topics(world: World) -> ToolOutput:
    """Describe each topic (like kafka-topics --describe): partitions, retention, consumer
    group, visibility timeout and delivery limit."""
    lines, data = [], []
    for name in _topic(world, None):
        t = world.head.topics[name]
        qcfg = world.head.services[t.queue].config
        ccfg = world.head.services[t.consumer_service].config
        rec = {"topic": name, "partitions": qcfg.get("partitions"),
               "retention_h": qcfg.get("retention_h"), "consumer_group":
               ccfg.get("CONSUMER_GROUP"), "visibility_timeout_s":
               ccfg.get("VISIBILITY_TIMEOUT_S"), "max_deliveries": ccfg.get("MAX_DELIVERIES"),
               "batch_size": ccfg.get("BATCH_SIZE")}
        data.append(rec)
        lines.append(f"Topic: {name}\tPartitionCount: {rec['partitions']}\tConfigs: "
                     f"retention.ms={int(rec['retention_h'] or 0) * 3600000}\n"
                     f"  consumer group {rec['consumer_group']}: visibility_timeout_s="
                     f"{rec['visibility_timeout_s']} max_deliveries={rec['max_deliveries']} "
                     f"batch_size={rec['batch_size']}")
    return ToolOutput("\n".join(lines) or "No topics.", data)


@tool("queue", READ, cost_s=4)
def queue_consumers(world: World, topic: str | None = None) -> ToolOutput:
    """Describe consumer groups (like kafka-consumer-groups --describe): per partition the
    committed offset, log end, lag and the consumer pod that owns it.

    Args:
        topic: only this topic.
    """
    snap = world.snapshot()
    rows, data = [], []
    for name in _topic(world, topic):
        t = world.head.topics[name]
        q = snap[t.queue].extra
        parts = int(world.head.services[t.queue].config.get("partitions", 4))
        group = world.head.services[t.consumer_service].config.get("CONSUMER_GROUP", "-")
        pods = [p.name for p in snap[t.consumer_service].pods if p.ready]
        depth = q.get("depth", 0.0)
        end0 = int(world.now * max(q.get("publish_rps", 0.0), 0.1))
        for i in range(parts):
            w = 0.7 + 0.6 * noise.unit(world.seed, noise.sid(name), i)
            lag = int(depth / parts * w)
            end = end0 // parts + 1000 * i
            owner = pods[i % len(pods)] if pods else "-"
            rows.append([group, name, i, end - lag, end, lag, owner])
            data.append({"group": group, "topic": name, "partition": i,
                         "current_offset": end - lag, "log_end_offset": end, "lag": lag,
                         "consumer": owner})
    return ToolOutput(fmt.table(["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET",
                                 "LOG-END-OFFSET", "LAG", "CONSUMER-ID"], rows)
                      if rows else "No consumer groups.", data)


@tool("queue", READ, cost_s=4)
def queue_dead_letters(world: World, topic: str) -> ToolOutput:
    """Show a topic's dead-letter queue: how many messages were dead-lettered, the
    delivery limit, the redelivery rate now and the newest dead letters' headers.

    Args:
        topic: topic name from queue_stats.
    """
    name = _topic(world, topic)[0]
    t = world.head.topics[name]
    q = world.snapshot()[t.queue].extra
    limit = world.head.services[t.consumer_service].config.get("MAX_DELIVERIES", 0)
    sample = []
    for i in range(min(t.dead_letters, 5)):
        off = 100000 + noise.bits(world.seed, noise.sid(name), 31, i) % 900000
        sample.append({"offset": off, "x-delivery-count": limit, "x-first-death-reason":
                       "rejected", "consumer": t.consumer_service})
    lines = [f"{name}.dlq: {t.dead_letters} messages (delivery limit "
             f"{limit or 'none: redeliver forever'})",
             f"redeliveries now: {q.get('redelivered_rps', 0.0):.2f}/s"]
    lines += [f"  offset={s['offset']} x-delivery-count={s['x-delivery-count']} "
              f"x-first-death-reason={s['x-first-death-reason']}" for s in sample]
    return ToolOutput("\n".join(lines), {"topic": name, "dead_letters": t.dead_letters,
                                         "max_deliveries": limit, "redelivered_rps":
                                         round(q.get("redelivered_rps", 0.0), 2),
                                         "sample": sample})
