"""The cache (Redis INFO-style statistics) and flushing it."""

from __future__ import annotations

from ...world.telemetry import fmt
from ...world.world import World
from ..common import component
from ..registry import READ, WRITE, ToolOutput, tool


@tool("cache", READ, cost_s=3)
def cache_stats(world: World) -> ToolOutput:
    """Show Redis INFO-style statistics: uptime, memory, policy, hit ratio, evictions."""
    snap = world.snapshot()
    lines, data = [], []
    for name, cache in world.head.caches.items():
        m = snap[name]
        cfg = world.head.services[name].config
        up = cache.up and m.ready > 0
        rec = {"cache": name, "up": up,
               "uptime": fmt.ago(world.now - cache.restarted_at) if up else "-",
               "used_memory_mb": round(min(cache.keyspace_mb, m.extra.get("maxmemory_mb", 0))),
               "maxmemory": cfg.get("maxmemory"), "maxmemory_policy": cfg.get("maxmemory-policy"),
               "default_ttl_s": cfg.get("default_ttl_s"),
               "keyspace_hit_ratio": round(m.extra.get("hit_ratio", 0.0), 3),
               "evicted_keys_per_s": round(m.extra.get("evictions_per_s", 0.0), 1),
               "ops_per_s": round(m.rps), "rejected_auth_per_s": round(
                   m.causes.get("cache_error:noauth", 0.0))}
        data.append(rec)
        lines.append("\n".join(f"{k}:{v}" for k, v in rec.items()))
    return ToolOutput("\n\n".join(lines), data)


@tool("cache", WRITE, cost_s=20)
def flush_cache(world: World, cache: str) -> ToolOutput:
    """Delete every key in a cache (FLUSHALL). All reads miss until it refills.

    Args:
        cache: cache component.
    """
    component(world, cache, ("redis",))
    c = world.edit_item("caches", cache)
    c.restarted_at = world.now
    world.record(cache, "flush", "FLUSHALL executed by oncall")
    return ToolOutput(f"{cache}: all keys deleted", {"cache": cache})
