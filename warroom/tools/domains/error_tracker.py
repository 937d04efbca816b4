"""The error tracker beyond the issue list: search, events, breadcrumbs, tags, releases,
trends, suspect commits, release health, and resolving or assigning an issue.

Views read like a Sentry issue page. Resolving and assigning are recorded in the tracker
(``world.records``, source ``error-tracker``) and shown only by the views here, so a world
where nobody resolved anything renders every other tool exactly as before.
"""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from typing import Any, Literal

from ...world.telemetry import errors as tracker
from ...world.telemetry import fmt
from ...world.telemetry import tracker_history as history
from ...world.world import World
from ..common import component, one_of
from ..registry import READ, WRITE, ToolError, ToolOutput, tool

SOURCE = "error-tracker"
SEARCH_KEYS = ("is", "service", "release", "level", "assigned")
IS_VALUES = ("unresolved", "resolved", "regressed", "assigned", "unassigned")


def _issues(world: World) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in tracker.issues(world)}


def _issue(world: World, issue_id: str) -> dict[str, Any]:
    found = _issues(world)
    if issue_id not in found:
        raise ToolError(f"unknown issue {issue_id!r}; valid ids come from list_issues or "
                        f"search_issues ({', '.join(list(found)[:8]) or 'none open'})")
    return found[issue_id]


def workflow(world: World, issue_id: str, last_seen: float) -> dict[str, Any]:
    """Status and assignee of an issue from the tracker's own records."""
    status, assignee, resolved_at = "unresolved", None, None
    for rec in world.records:
        if rec.source != SOURCE or not rec.text.startswith(issue_id + " "):
            continue
        if rec.kind == "resolve":
            status, resolved_at = "resolved", rec.t
        elif rec.kind == "assign":
            assignee = rec.text.rsplit(" ", 1)[-1]
    if status == "resolved" and resolved_at is not None and last_seen > resolved_at:
        status = "regressed"
    return {"status": status, "assignee": assignee}


def _teams(world: World) -> list[str]:
    return sorted({c.team for c in world.topology.components})


@tool("errors", READ, cost_s=6)
def search_issues(world: World, query: str = "is:unresolved",
                  sort: Literal["freq", "date", "new"] = "freq") -> ToolOutput:
    """Search issues with the tracker's query syntax: key:value tokens (is:unresolved,
    is:resolved, is:regressed, is:assigned, is:unassigned, service:NAME, release:ID,
    level:error, assigned:TEAM) and free words matched against the title.

    Args:
        query: search tokens, e.g. 'is:unresolved service:checkout timeout'.
        sort: freq (most events), date (last seen) or new (first seen).
    """
    filters: list[tuple[str, str]] = []
    words = []
    for token in query.split():
        key, sep, value = token.partition(":")
        if sep and key in SEARCH_KEYS:
            if key == "is":
                one_of(value, IS_VALUES, "is: value")
            if key == "service":
                component(world, value)
            filters.append((key, value))
        elif sep and key.isalpha():
            raise ToolError(f"unknown search key {key!r}; valid keys: {', '.join(SEARCH_KEYS)}")
        else:
            words.append(token.lower())
    rows = []
    for r in tracker.issues(world):
        wf = workflow(world, r["id"], r["last_seen"])
        facts = {"service": r["service"], "release": r["release"], "level": r["level"],
                 "assigned": wf["assignee"] or ""}
        ok = all(words_in in r["title"].lower() for words_in in words)
        for key, value in filters:
            if key == "is":
                ok &= (value == wf["status"] or (value == "unresolved" and wf["status"] !=
                                                 "resolved")
                       or (value == "assigned" and wf["assignee"] is not None)
                       or (value == "unassigned" and wf["assignee"] is None))
            else:
                ok &= facts[key] == value
        if ok:
            rows.append({**{k: r[k] for k in ("id", "service", "count", "title", "release",
                                              "first_seen", "last_seen")}, **wf})
    order = {"freq": lambda r: (-r["count"], r["id"]), "date": lambda r: (-r["last_seen"], r["id"]),
             "new": lambda r: (-r["first_seen"], r["id"])}[sort]
    rows.sort(key=order)
    table = fmt.table(["ISSUE", "STATUS", "SERVICE", "EVENTS", "LAST SEEN", "ASSIGNEE", "TITLE"],
                      [[r["id"], r["status"], r["service"], r["count"],
                        fmt.ago(world.now - r["last_seen"]) + " ago", r["assignee"] or "-",
                        r["title"][:60]] for r in rows[:30]])
    text = f"{len(rows)} issues match '{query}'\n" + (table if rows else "")
    return ToolOutput(text.rstrip(), [{k: v for k, v in r.items()
                                       if k not in ("first_seen", "last_seen")}
                                      for r in rows[:30]])


@tool("errors", READ, cost_s=5)
def issue_events(world: World, issue_id: str, limit: int = 10) -> ToolOutput:
    """List the latest events of one issue: event id, time, pod (server_name), release.

    Args:
        issue_id: an id from list_issues, e.g. CHECKOUT-1F3.
        limit: how many events (1-50).
    """
    _issue(world, issue_id)
    if not 1 <= limit <= 50:
        raise ToolError(f"limit must be between 1 and 50, got {limit}")
    events = history.sample_events(world, issue_id, limit)
    rows = [[e["event_id"][:12], fmt.iso(world.wallclock(e["t"])), e["pod"], e["release"],
             e["message"][:60]] for e in events]
    data = [{"event_id": e["event_id"], "time": fmt.iso(world.wallclock(e["t"])),
             "server_name": e["pod"], "release": e["release"], "message": e["message"]}
            for e in events]
    return ToolOutput(f"{issue_id}: latest {len(rows)} events\n" +
                      fmt.table(["EVENT", "TIMESTAMP", "SERVER_NAME", "RELEASE", "MESSAGE"],
                                rows), data)


@tool("errors", READ, cost_s=5)
def issue_breadcrumbs(world: World, issue_id: str) -> ToolOutput:
    """Show the breadcrumbs of the issue's latest event: the calls (HTTP, SQL, cache,
    queue) the request made before it failed, with their outcome.

    Args:
        issue_id: an id from list_issues.
    """
    issue = _issue(world, issue_id)
    line = history.timeline(world, issue_id)
    last = line[-1] if line else None
    svc = issue["service"]
    db = next(iter(world.head.databases.values()), None)
    crumbs: list[dict[str, Any]] = [{"category": "http.server", "level": "info",
                                     "message": f"request received by {svc}"}]
    for d in world.topology[svc].deps:
        if d.kind == "consume":
            continue
        failed = last is not None and last["peer"] == d.target
        level = "error" if failed else "info"
        if d.kind in ("db", "db_read"):
            text = next((q.text for q in (db.queries.values() if db else [])
                         if q.service == svc), "SELECT 1")
            crumbs.append({"category": "query", "level": level,
                           "message": f"{d.target}: {text[:70]}"})
        elif d.kind == "cache":
            crumbs.append({"category": "redis", "level": level,
                           "message": f"GET {svc}:{{id}} on {d.target}"})
        elif d.kind == "publish":
            crumbs.append({"category": "queue", "level": level,
                           "message": f"produce to {d.target}"})
        else:
            crumbs.append({"category": "http.client", "level": level,
                           "message": f"POST http://{world.topology[d.target].host}/"
                                      f"{'  failed' if failed else ' 200'}"})
    crumbs.append({"category": "exception", "level": "error",
                   "message": (last or issue)["message"][:120]})
    text = f"{issue_id} breadcrumbs (oldest first)\n" + fmt.table(
        ["CATEGORY", "LEVEL", "MESSAGE"], [[c["category"], c["level"], c["message"]]
                                           for c in crumbs])
    return ToolOutput(text, crumbs)


def _tag_counts(world: World, issue_id: str) -> dict[str, Counter[str]]:
    issue = _issue(world, issue_id)
    comp = world.topology[issue["service"]]
    routes = [f"{e.method} {e.path}" for e in world.topology.endpoints
              if e.service == comp.name] or [f"{comp.name} worker"]
    tags: dict[str, Counter[str]] = {k: Counter() for k in (
        "release", "server_name", "transaction", "environment", "runtime", "level")}
    for b in history.timeline(world, issue_id):
        share = b["events"] / max(len(b["pods"]), 1)
        for pod, release in b["pods"]:
            tags["release"][release] += share
            tags["server_name"][pod] += share
        for r in routes:
            tags["transaction"][r] += b["events"] / len(routes)
        tags["environment"]["production"] += b["events"]
        tags["runtime"][comp.language] += b["events"]
        tags["level"]["error"] += b["events"]
    return tags


@tool("errors", READ, cost_s=5)
def issue_tags(world: World, issue_id: str, key: str | None = None) -> ToolOutput:
    """Show the tag distribution of an issue's events (release, server_name, transaction,
    environment, runtime, level): which values its events carry, with shares.

    Args:
        issue_id: an id from list_issues.
        key: only this tag key.
    """
    tags = _tag_counts(world, issue_id)
    if key is not None:
        one_of(key, tags, "tag key")
        tags = {key: tags[key]}
    lines, data = [], {}
    for k, counts in tags.items():
        total = sum(counts.values()) or 1.0
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:6]
        data[k] = [{"value": v, "share": round(c / total, 3)} for v, c in top]
        lines.append(f"{k}: " + ", ".join(f"{v} ({c / total:.0%})" for v, c in top))
    return ToolOutput(f"{issue_id} tags\n" + "\n".join(lines), data)


@tool("errors", READ, cost_s=5)
def issue_releases(world: World, issue_id: str) -> ToolOutput:
    """Show the releases an issue was seen in: events per release, first seen in which
    release, and whether that release is still live.

    Args:
        issue_id: an id from list_issues.
    """
    issue = _issue(world, issue_id)
    first: dict[str, float] = {}
    counts: Counter[str] = Counter()
    for b in history.timeline(world, issue_id):
        share = b["events"] / max(len(b["pods"]), 1)
        for _, release in b["pods"]:
            counts[release] += share
            first.setdefault(release, b["t"])
    live = world.head.services[issue["service"]].release
    rows, data = [], []
    for rel_id in sorted(counts, key=lambda r: (first[r], r)):
        rel = world.head.releases.get(rel_id)
        rows.append([rel_id, rel.version if rel else "-", int(counts[rel_id]) + 1,
                     fmt.iso(world.wallclock(first[rel_id])), "live" if rel_id == live else "-"])
        data.append({"release": rel_id, "version": rel.version if rel else None,
                     "events": int(counts[rel_id]) + 1,
                     "first_seen": fmt.iso(world.wallclock(first[rel_id])),
                     "live": rel_id == live})
    return ToolOutput(f"{issue_id} first seen in release {issue['release']}\n" + fmt.table(
        ["RELEASE", "VERSION", "EVENTS", "FIRST SEEN", "STATUS"], rows), data)


@tool("errors", READ, cost_s=4)
def issue_trend(world: World, issue_id: str) -> ToolOutput:
    """Show an issue's events per five minutes over the recorded history (a histogram).

    Args:
        issue_id: an id from list_issues.
    """
    _issue(world, issue_id)
    line = {int(b["t"] // tracker.STEP_S): b["events"] for b in history.timeline(world,
                                                                                  issue_id)}
    last = int(world.now // tracker.STEP_S)
    first = max(0, last - 12)
    peak = max(line.values(), default=1)
    rows, data = [], []
    for k in range(first, last + 1):
        n = line.get(k, 0)
        stamp = fmt.hms(world.wallclock(k * tracker.STEP_S))
        rows.append(f"{stamp}  {n:>7}  {'#' * round(30 * n / peak)}")
        data.append({"time": fmt.iso(world.wallclock(k * tracker.STEP_S)), "events": n})
    return ToolOutput(f"{issue_id} events per 5m\n" + "\n".join(rows), data)


@tool("errors", READ, cost_s=5)
def issue_suspect_commits(world: World, issue_id: str) -> ToolOutput:
    """Show suspect commits for an issue: the release it first appeared in, its commit,
    author and message, and the release before it on the same service.

    Args:
        issue_id: an id from list_issues.
    """
    issue = _issue(world, issue_id)
    rel = world.head.releases.get(issue["release"])
    if rel is None:
        return ToolOutput(f"{issue_id}: no release information", {})
    history_ids = sorted((r for r in world.head.releases.values()
                          if r.service == rel.service and r.deployed_at <= world.now),
                         key=lambda r: (r.deployed_at, r.id))
    prev = next((a for a, b in pairwise(history_ids)
                 if b.id == rel.id), None)
    text = (f"{issue_id} first seen in {rel.id} ({rel.version}) of {rel.service}\n"
            f"suspect commit {rel.commit[:12]} by {rel.author}: {rel.message}\n"
            f"deployed {fmt.iso(world.wallclock(rel.deployed_at))}; reviewed by "
            f"{rel.reviewed_by or 'nobody'}\n"
            f"previous release: {prev.id + ' ' + prev.version if prev else 'none'}")
    return ToolOutput(text, {"release": rel.id, "commit": rel.commit, "author": rel.author,
                             "message": rel.message, "previous_release": prev.id if prev
                             else None})


@tool("errors", READ, cost_s=6)
def release_health(world: World, service: str) -> ToolOutput:
    """Show release health for one service over the last hour: per release, the pods
    running it, events of its issues and the share of error-free requests.

    Args:
        service: service whose releases to compare.
    """
    component(world, service, tracker.TRACKED)
    events: Counter[str] = Counter()
    for r in tracker.issues(world, service):
        for b in history.timeline(world, r["id"]):
            if b["t"] < world.now - 3600:
                continue
            for _, release in b["pods"]:
                events[release] += b["events"] / max(len(b["pods"]), 1)
    pods: Counter[str] = Counter(p.release for p in world.head.services[service].pods
                                 if p.alive(world.now))
    m = world.snapshot()[service]
    total_pods = max(sum(pods.values()), 1)
    rows, data = [], []
    for rel_id in sorted(set(pods) | set(events)):
        requests = max(m.rps * 3600 * pods.get(rel_id, 0) / total_pods, 1.0)
        ok = max(0.0, 1.0 - events[rel_id] / requests) if pods.get(rel_id) else None
        rel = world.head.releases.get(rel_id)
        rows.append([rel_id, rel.version if rel else "-", pods.get(rel_id, 0),
                     int(events[rel_id]), f"{ok:.2%}" if ok is not None else "-"])
        data.append({"release": rel_id, "pods": pods.get(rel_id, 0),
                     "events_1h": int(events[rel_id]),
                     "error_free": round(ok, 4) if ok is not None else None})
    return ToolOutput(f"{service} release health (last 1h)\n" + fmt.table(
        ["RELEASE", "VERSION", "PODS", "EVENTS(1h)", "ERROR-FREE"], rows), data)


@tool("errors", WRITE, cost_s=20)
def resolve_issue(world: World, issue_id: str) -> ToolOutput:
    """Mark an issue resolved in the error tracker; it shows as regressed if it recurs.

    Args:
        issue_id: an id from list_issues.
    """
    issue = _issue(world, issue_id)
    if workflow(world, issue_id, issue["last_seen"])["status"] == "resolved":
        raise ToolError(f"{issue_id} is already resolved")
    world.record(SOURCE, "resolve", f"{issue_id} resolved by oncall")
    return ToolOutput(f"{issue_id} marked resolved", {"issue_id": issue_id,
                                                      "status": "resolved"})


@tool("errors", WRITE, cost_s=20)
def assign_issue(world: World, issue_id: str, team: str) -> ToolOutput:
    """Assign an issue to a team in the error tracker.

    Args:
        issue_id: an id from list_issues.
        team: owning team (from the service map).
    """
    _issue(world, issue_id)
    one_of(team, _teams(world), "team")
    world.record(SOURCE, "assign", f"{issue_id} assigned to {team}")
    return ToolOutput(f"{issue_id} assigned to {team}", {"issue_id": issue_id, "team": team})
