"""The message queue: topics, consumer groups, depth and lag."""

from __future__ import annotations

from ...world.world import World
from ..registry import READ, ToolOutput, tool


@tool("queue", READ, cost_s=3)
def queue_stats(world: World) -> ToolOutput:
    """Show each topic's depth, publish and consume rates, consumer lag, consumers,
    redeliveries and dead letters."""
    snap = world.snapshot()
    lines, data = [], []
    for topic in world.head.topics.values():
        q = snap[topic.queue].extra
        group = world.head.services[topic.consumer_service].config.get("CONSUMER_GROUP", "-")
        vis = world.head.services[topic.consumer_service].config.get("VISIBILITY_TIMEOUT_S")
        rec = {"topic": topic.name, "consumer_group": group,
               "consumer_service": topic.consumer_service,
               "depth": round(q.get("depth", 0.0)),
               "publish_rps": round(q.get("publish_rps", 0), 2),
               "consume_rps": round(q.get("consume_rps", 0), 2),
               "lag_s": round(q.get("lag_s", 0.0), 1), "consumers": int(q.get("consumers", 0)),
               "redelivered_rps": round(q.get("redelivered_rps", 0.0), 2),
               "dead_letters": topic.dead_letters, "visibility_timeout_s": vis}
        data.append(rec)
        lines.append(" ".join(f"{k}={v}" for k, v in rec.items()))
    return ToolOutput("\n".join(lines) or "No topics.", data)
