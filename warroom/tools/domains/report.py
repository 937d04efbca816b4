"""The final report, and the taxonomy of root-cause categories it uses."""

from __future__ import annotations

from typing import Any

from ...world.faults import FAULTS
from ...world.world import World
from ..common import component
from ..registry import FINAL, READ, ToolError, ToolOutput, tool


def categories() -> list[str]:
    return sorted({ft.category for ft in FAULTS.values()})


@tool("report", READ, cost_s=1)
def list_categories(world: World) -> ToolOutput:
    """List the root-cause categories a report may use (family/kind)."""
    cats = categories()
    return ToolOutput("\n".join(cats), cats)


@tool("report", FINAL, cost_s=0)
def submit_report(world: World, root_cause: dict[str, Any], summary: str) -> ToolOutput:
    """Submit the incident report. This ends the episode.

    Args:
        root_cause: {"component": name, "category": one of list_categories, "culprit": the
            entity at fault (release id, config key, flag, agent, query id, job) or null}.
        summary: what happened, what you changed and why it is fixed.
    """
    extra = set(root_cause) - {"component", "category", "culprit"}
    if extra:
        raise ToolError(f"root_cause has unknown key(s) {sorted(extra)}; use component, "
                        f"category, culprit")
    comp = root_cause.get("component")
    cat = root_cause.get("category")
    if not isinstance(comp, str) or not isinstance(cat, str):
        raise ToolError("root_cause needs component (string) and category (string)")
    component(world, comp)
    if cat not in categories():
        raise ToolError(f"unknown category {cat!r}; call list_categories for valid ones")
    culprit = root_cause.get("culprit")
    if culprit is not None and not isinstance(culprit, str):
        raise ToolError("culprit must be a string or null")
    return ToolOutput("report submitted", {"component": comp, "category": cat,
                                           "culprit": culprit, "summary": summary})
