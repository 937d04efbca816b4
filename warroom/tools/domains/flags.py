"""Feature flags."""

from __future__ import annotations

from ...world import ops
from ...world.telemetry import fmt
from ...world.world import World
from ..common import one_of
from ..registry import READ, WRITE, ToolOutput, tool


@tool("flags", READ, cost_s=3)
def list_flags(world: World) -> ToolOutput:
    """List feature flags with state, owner, last change and description."""
    flags = sorted(world.head.flags.values(), key=lambda f: f.name)
    rows = [[f.name, "on" if f.enabled else "off", f.owner, fmt.ago(world.now - f.updated_at)
             + " ago", f.updated_by, f.description] for f in flags]
    return ToolOutput(fmt.table(["FLAG", "STATE", "OWNER", "CHANGED", "BY", "DESCRIPTION"], rows),
                      [{"flag": f.name, "enabled": f.enabled, "owner": f.owner,
                        "updated_by": f.updated_by, "description": f.description}
                       for f in flags])


@tool("flags", WRITE, cost_s=30)
def set_flag(world: World, flag: str, enabled: bool) -> ToolOutput:
    """Turn a feature flag on or off (takes effect within seconds).

    Args:
        flag: flag name from list_flags.
        enabled: true to turn it on, false to turn it off.
    """
    one_of(flag, sorted(world.head.flags), "flag")
    return ToolOutput(ops.set_flag(world, flag, enabled, "oncall"),
                      {"flag": flag, "enabled": enabled})
