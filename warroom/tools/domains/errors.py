"""The error tracker: grouped issues and their details."""

from __future__ import annotations

from ...world.telemetry import errors as tracker
from ...world.telemetry import fmt
from ...world.world import World
from ..common import component
from ..registry import READ, ToolError, ToolOutput, tool


@tool("errors", READ, cost_s=6)
def list_issues(world: World, service: str | None = None) -> ToolOutput:
    """List error-tracker issues (grouped exceptions), most events first.

    Args:
        service: only issues from this service.
    """
    if service is not None:
        component(world, service)
    found = tracker.issues(world, service)
    rows = [[r["id"], r["service"], r["count"], fmt.ago(world.now - r["first_seen"]),
             fmt.ago(world.now - r["last_seen"]), r["title"][:70]] for r in found[:30]]
    text = fmt.table(["ISSUE", "SERVICE", "EVENTS", "FIRST SEEN", "LAST SEEN", "TITLE"], rows) \
        if rows else "No issues in the last hour."
    return ToolOutput(text, [{k: r[k] for k in ("id", "service", "count", "title",
                                                 "first_seen_iso", "last_seen_iso")}
                             for r in found[:30]])


@tool("errors", READ, cost_s=4)
def get_issue(world: World, issue_id: str) -> ToolOutput:
    """Show one issue: counts, first and last seen, release, culprit frame, a sample event.

    Args:
        issue_id: an id from list_issues, e.g. CHECKOUT-1F3.
    """
    found = {r["id"]: r for r in tracker.issues(world)}
    if issue_id not in found:
        raise ToolError(f"unknown issue {issue_id!r}; valid ids come from list_issues "
                        f"({', '.join(list(found)[:8]) or 'none open'})")
    r = found[issue_id]
    lines = [f"{r['id']}  {r['title']}", f"service: {r['service']}   events: {r['count']}",
             f"first seen: {r['first_seen_iso']}   last seen: {r['last_seen_iso']}",
             f"release at first occurrence: {r['release']}", f"culprit: {r['culprit']}",
             "sample event:", f"  {r['message']}"] + [f"    at {f}" for f in r["frames"]]
    data = {k: v for k, v in r.items() if k not in ("first_seen", "last_seen")}
    return ToolOutput("\n".join(lines), data)
