"""Runbooks and the service catalog, searchable by keyword."""

from __future__ import annotations

from ...world.world import World
from ..registry import READ, ToolError, ToolOutput, tool

RUNBOOKS = {
    "Database connection pool exhausted": (
        "Symptoms: requests wait for a DB connection, 'QueuePool limit' or 'Connection is not "
        "available' errors, pool in use pinned at its size. Check whether the database itself is "
        "slow (db_activity, db_slow_queries) or the service holds connections (recent releases, "
        "pool metrics per pod). A pool that fills steadily after a deploy points at a leak; "
        "roll back. Raising the pool or adding replicas multiplies connections against "
        "max_connections."),
    "Pods OOMKilled": (
        "Symptoms: restarts with reason OOMKilled, exit code 137, memory sawtooth. Compare "
        "memory growth with the release timeline. Steady growth to the limit after a deploy is "
        "a leak: roll back. A working set above a recently lowered limit needs the limit "
        "restored and whoever lowered it stopped."),
    "Crash loops": (
        "CrashLoopBackOff with exit code 1 at start: read the container log for the start-up "
        "error (missing or invalid setting, bad secret). Fix the setting; pods restart."),
    "High latency or errors on a route": (
        "Find the service behind the SLO in the service map, then follow its dependencies: "
        "traces show which span is slow or failing; the database, cache and external "
        "provider each have their own tools."),
    "Fleet agents": (
        "Autonomous agents (autoscaler, deploy-bot, lb-tuner, cost-optimizer, config-sync) act "
        "on production and log every action with a rationale. If one keeps undoing fixes or "
        "acts against the incident, pause it (pause_agent) or flag it (flag_rogue_agent) and "
        "repair what it changed. Their routine actions are normal: flag only with evidence."),
    "Queue backlog": (
        "Growing depth and lag: compare publish and consume rates; check consumer pods for "
        "crashes and processing time against the visibility timeout."),
    "Cache problems": (
        "A cold or unavailable cache sends reads to the database. Do not flush or restart the "
        "cache under load: the database takes every miss."),
    "Payment provider": (
        "Check the provider status page. During a provider outage, switch to the fallback "
        "provider flag and page the payments team; a restart does not help."),
    "Incident process": (
        "Post a status update early (post_update), page owning teams when their component is "
        "at fault or needs them, and submit a report naming the root cause component, the "
        "category (list_categories) and the culprit (release id, config key, flag, agent, "
        "query or job)."),
}


@tool("docs", READ, cost_s=8)
def search_docs(world: World, query: str) -> ToolOutput:
    """Search runbooks and the service catalog by keywords.

    Args:
        query: words to look for, e.g. 'OOMKilled' or 'connection pool'.
    """
    words = [w for w in query.lower().split() if len(w) > 2]
    if not words:
        raise ToolError("query needs at least one word of 3 or more letters")
    docs = dict(RUNBOOKS)
    for c in world.topology.components:
        docs[f"Service catalog: {c.name}"] = (f"{c.description}. Owner team: {c.team}. "
                                              f"Language: {c.language}.")
    scored = sorted(((sum(text.lower().count(w) + 3 * title.lower().count(w) for w in words),
                      title, text) for title, text in docs.items()), key=lambda x: (-x[0], x[1]))
    hits = [(title, text) for score, title, text in scored if score > 0][:4]
    if not hits:
        return ToolOutput("No documents match.", [])
    return ToolOutput("\n\n".join(f"# {t}\n{x}" for t, x in hits),
                      [{"title": t, "text": x} for t, x in hits])
