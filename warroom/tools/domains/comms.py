"""Incident communication: status updates and paging a team."""

from __future__ import annotations

from typing import Literal

from ...world.world import World
from ..common import one_of
from ..registry import WRITE, ToolError, ToolOutput, tool


@tool("comms", WRITE, cost_s=45)
def post_update(world: World, status: Literal["investigating", "identified", "monitoring",
                                               "resolved"], message: str) -> ToolOutput:
    """Post an incident status update to the status page and incident channel.

    Args:
        status: incident stage.
        message: what users and stakeholders should know.
    """
    if not message.strip():
        raise ToolError("message must not be empty")
    world.record("comms", "update", f"[{status}] {message[:500]}")
    return ToolOutput(f"status update posted ({status})", {"status": status})


@tool("comms", WRITE, cost_s=45)
def page_team(world: World, team: str, message: str) -> ToolOutput:
    """Page a team's on-call engineer.

    Args:
        team: team name (owners are listed in the service map).
        message: what you need from them.
    """
    teams = sorted({c.team for c in world.topology.components} | {"finops"})
    one_of(team, teams, "team")
    world.record("comms", "page", f"{team}: {message[:500]}")
    return ToolOutput(f"paged {team} on-call", {"team": team})
