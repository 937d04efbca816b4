"""Log search across components, in each technology's own format."""

from __future__ import annotations

from typing import Literal

from ...world.telemetry import logs as render
from ...world.world import World
from ..common import component, window
from ..registry import READ, ToolOutput, tool


@tool("logs", READ, cost_s=12)
def search_logs(world: World, service: str, query: str | None = None, minutes: int = 15,
                level: Literal["ERROR", "WARN", "INFO"] | None = None) -> ToolOutput:
    """Search one component's logs, newest first.

    Args:
        service: component whose logs to read (services, databases, cache, queue, edge-lb).
        query: case-insensitive text the line must contain; omit for all lines.
        minutes: how far back to search (1-120).
        level: only lines of this level.
    """
    component(world, service)
    window(minutes)
    hits, total = render.search(world, service, world.now - minutes * 60, world.now, query,
                                level, 60)
    head = f"{total} matching lines in {service} logs over {minutes}m (newest first)"
    if total > len(hits):
        head += f"; showing {len(hits)}"
    text = head + "\n" + "\n".join(h[2] for h in hits)
    return ToolOutput(text, {"service": service, "total": total,
                             "lines": [{"level": h[1], "line": h[2]} for h in hits]})
