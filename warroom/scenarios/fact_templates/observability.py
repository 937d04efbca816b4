"""Fact-task templates of the observability domain (see ``warroom.scenarios.fact_templates``).

Every template reads what one tool prints at the incident page (its first read runs before
the clock moves), so facts and decoys are exactly the tokens the agent sees: times as the
tool prints them, service and route names, alert names, runbook titles.
"""

from __future__ import annotations

from typing import Any

from ...tools.registry import ToolOutput, load_all
from ...types import ToolCall
from ...world.faults import FAULTS, Truth
from ...world.telemetry import traces as tr
from ...world.world import World
from ..spec import Scenario
from . import Draft, checked, observe, template

APP = ("edge", "gateway", "service", "worker")


def read(world: World, tool: str, **args: Any) -> ToolOutput:
    """What ``tool`` prints on ``world`` now (a read: the world does not change)."""
    return load_all()[tool].fn(world, **args)


def draft(world: World, question: str, facts: list[str], decoys: list[str],
          reads: list[ToolCall]) -> Draft:
    """``checked`` on what the reads print in this world, at most six decoys."""
    return checked(question, facts, decoys, reads, observe(world, reads), most=6)


def subjects(world: World, truths: list[Truth]) -> list[str]:
    """Application components the page is about: the faulty ones and their path to the
    edge first, then every other application component, in topology order."""
    kinds = {c.name: c.kind for c in world.topology.components}
    order: list[str] = []
    for t in truths:
        for name in (t.component, *t.path):
            if kinds.get(name) in APP and name not in order:
                order.append(name)
    order += [c.name for c in world.topology.components if c.kind in APP and c.name not in order]
    return order


def printed(value: float) -> float:
    """A value as query_metrics prints it (4 significant digits)."""
    return float(f"{value:.4g}")


def between(lo: float, hi: float) -> float | None:
    """The roundest number strictly between ``lo`` and ``hi`` (None if none prints)."""
    mid = (lo + hi) / 2
    for digits in range(1, 5):
        t = float(f"{mid:.{digits}g}")
        if lo < t < hi:
            return t
    return None


@template("observability")
def first_breach(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The minute a metric of the paged service first went above a threshold."""
    best: tuple[float, str, str, int, float, list[dict[str, Any]]] | None = None
    for svc in subjects(world, truths):
        cat = load_all()["list_metrics"].fn(world, service=svc).data
        for metric in (m["metric"] for m in cat):
            pts = read(world, "query_metrics", service=svc, metric=metric, minutes=30).data[
                "points"]
            vals = [printed(p["value"]) for p in pts]
            for i in range(2, len(vals)):
                lo, hi = max(vals[:i]), vals[i]
                if hi <= lo:
                    continue
                jump = (hi - lo) / max(abs(lo), 1e-3)
                threshold = between(lo, hi)
                if threshold is not None and (best is None or jump > best[0]):
                    best = (jump, svc, metric, i, threshold, pts)
        if best is not None and best[0] >= 0.5:
            break
    assert best is not None, "no metric series rises at all"
    _, svc, metric, i, threshold, pts = best
    times = [p["time"][11:19] for p in pts]
    decoys = [times[i - 1]] + ([times[i + 1]] if i + 1 < len(times) else []) + [times[-1]]
    return draft(world,
                 f"In the last 30 minutes, at which minute did {metric} of {svc} first go "
                 f"above {threshold:g}? Give the minute as query_metrics prints it (HH:MM:SS).",
                 [times[i]], decoys,
                 [ToolCall("query_metrics", {"service": svc, "metric": metric, "minutes": 30})])


def sampled(world: World, minutes: int = 15) -> list[dict[str, Any]]:
    """Every sampled trace of the last ``minutes`` (what search_traces scans), slowest
    first, as get_trace shows each."""
    last = int(world.now // 60)
    found = [tr.build(world, minute, route, i) for minute in range(last, last - minutes, -1)
             for route in range(len(world.topology.endpoints))
             for i in range(tr.SAMPLES_PER_MIN)]
    return sorted(found, key=lambda x: (-x["duration_ms"], x["trace_id"]))


def self_time(trace: dict[str, Any]) -> dict[str, float]:
    """Per service, the time its spans spent in their own work (not waiting on children)."""
    child = {s["span"]: 0.0 for s in trace["spans"]}
    for s in trace["spans"]:
        if s["parent"] is not None:
            child[s["parent"]] += s["duration_ms"]
    own: dict[str, float] = {}
    for s in trace["spans"]:
        own[s["service"]] = own.get(s["service"], 0.0) + max(0.0, s["duration_ms"]
                                                             - child[s["span"]])
    return own


@template("observability")
def dominant_span(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The service whose own work dominates a slow trace (decoys: its other services)."""
    pick: tuple[str, dict[str, Any], list[str]] | None = None
    traces = sampled(world)
    for factor in (1.5, 1.2, 1.0):
        for trace in traces:
            own = sorted(self_time(trace).items(), key=lambda kv: (-kv[1], kv[0]))
            if len(own) >= 2 and own[0][1] > factor * own[1][1]:
                pick = (trace["trace_id"], trace, [n for n, _ in own])
                break
        if pick is not None:
            break
    assert pick is not None, "no sampled trace has a dominant service"
    tid, trace, ranked = pick
    return draft(world,
                 f"Trace {tid} ({trace['route']}) took {trace['duration_ms']:.0f} ms. Which "
                 f"service spent the most time in its own work, not counting the calls it "
                 f"waited on? Name the service.", [ranked[0]], ranked[1:],
                 [ToolCall("get_trace", {"trace_id": tid})])


def clear_leader(rows: list[dict[str, Any]], key: str, factor: float) -> bool:
    return len(rows) >= 2 and float(rows[0][key]) > 0 and \
        float(rows[0][key]) >= factor * float(rows[1][key])


@template("observability")
def worst_route(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The public route that leads the top-k ranking (errors, else latency, else traffic)."""
    asks = (("errors", "error_ratio", 1.5, "the highest share of failing requests"),
            ("latency", "p99_ms", 1.2, "the slowest p99 latency"),
            ("rps", "rps", 1.02, "the most traffic"))
    for by, key, factor, what in asks:
        rows = read(world, "top_routes", by=by, k=5).data
        if clear_leader(rows, key, factor):
            routes = [str(r["route"]).split(" ", 1)[1] for r in rows]
            return draft(world,
                         f"Which public route has {what} right now? Give its path.",
                         [routes[0]], routes[1:], [ToolCall("top_routes", {"by": by, "k": 5})])
    raise AssertionError("no route leads any ranking")


@template("observability")
def first_alert(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The alert that fired first in the last hour and when; when several fired at once,
    which alerting rules fired (decoys: the rules that did not)."""
    events = read(world, "alert_history", minutes=60).data
    firing = [e for e in events if e["state"] == "firing"]
    assert firing, "no alert fired in the last hour"
    first = firing[0]
    others = [e["alert"] for e in firing if e["alert"] != first["alert"]]
    times = [e["time"][11:19] for e in events if e["time"] != first["time"]]
    if others and times and all(e["time"] != first["time"] for e in firing[1:]):
        return draft(world,
                     "Which alert started firing first in the last hour, and at what time? Give "
                     "the alert name and the time as the alert history prints it (HH:MM:SS).",
                     [first["alert"], first["time"][11:19]], others + times,
                     [ToolCall("alert_history", {"minutes": 60})])
    rules = [r["alert"] for r in read(world, "list_alert_rules").data["rules"]]
    fired = sorted({str(e["alert"]).split(":")[0] for e in firing})
    return draft(world,
                 "Which alerting rules fired in the last hour? Name each rule (not its SLO).",
                 fired, [r for r in rules if r not in fired],
                 [ToolCall("alert_history", {"minutes": 60}), ToolCall("list_alert_rules", {})])


@template("observability")
def noisiest_logs(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The component that logged the most error (else warning, else any) lines lately."""
    rows = read(world, "log_volume", minutes=5).data
    for key, what in (("error", "ERROR lines"), ("warn", "WARN lines"), ("total", "lines")):
        most = max(r[key] for r in rows)
        leaders = sorted(r["service"] for r in rows if r[key] == most)
        if most > 0 and len(leaders) <= 2:
            ranked = sorted(rows, key=lambda r: (-r[key], r["service"]))
            return draft(world,
                         f"Which component logged the most {what} over the last 5 minutes? If "
                         f"several tie, name each.", leaders,
                         [r["service"] for r in ranked if r["service"] not in leaders][:3],
                         [ToolCall("log_volume", {"minutes": 5})])
    raise AssertionError("no component leads the log volume")


def origins(trace: dict[str, Any]) -> list[str]:
    """Services of the error spans none of whose descendants failed (where errors start)."""
    spans = {s["span"]: s for s in trace["spans"]}
    failing_below: set[int] = set()
    for s in trace["spans"]:
        if "error" in s:
            p = s["parent"]
            while p is not None:
                failing_below.add(p)
                p = spans[p]["parent"]
    return sorted({s["service"] for s in trace["spans"]
                   if "error" in s and s["span"] not in failing_below})


ERROR_FAMILIES = frozenset({"deploy", "database", "config", "external", "security",
                            "appdata", "rollout", "cache"})


#: Faults of those families whose failures need not reach a sampled trace as an error span
#: (rejected requests, or locks that only slow requests down).
NO_ERROR_SPANS = frozenset({"client_tool_call_ids", "long_transaction_locks"})


def errors_surface(scenario: Scenario) -> bool:
    return any(FAULTS[f.type].family in ERROR_FAMILIES and f.type not in NO_ERROR_SPANS
               for f in scenario.faults)


@template("observability", applies=errors_surface, weight=1.5)
def error_origin(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The service a failing trace's error starts in (decoys: the spans above it)."""
    for trace in sampled(world):
        start = origins(trace) if trace["status"] >= 400 else []
        if len(start) == 1:
            others = [s["service"] for s in trace["spans"] if s["service"] != start[0]]
            return draft(world,
                         f"Request trace {trace['trace_id']} ({trace['route']}) ended in status "
                         f"{trace['status']}. In which service did the error start? Name "
                         f"the service.", start, others,
                         [ToolCall("get_trace", {"trace_id": trace["trace_id"]})])
    raise AssertionError("no failing trace with one origin")


@template("observability")
def p99_now(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The paged service's p99 latency now (decoys: 15 and 60 minutes ago)."""
    rows: list[tuple[str, list[str]]] = []
    for svc in subjects(world, truths)[:4]:
        text = read(world, "golden_signals", service=svc).text
        row = next(line.split() for line in text.splitlines()
                   if line.startswith("latency_p99_ms"))
        rows.append((svc, row[1:4]))  # now, 15 and 60 minutes ago, as printed
    # prefer a service whose value prints plainly (not as 2.976e+04) and whose earlier
    # values are not read as it (``109.4`` names ``109``)
    rows.sort(key=lambda r: "e" in r[1][0])
    for svc, values in rows:
        try:
            return draft(world, f"What is the p99 latency of {svc} right now, in ms, as its "
                         f"golden signals show it?", values[:1], values[1:],
                         [ToolCall("golden_signals", {"service": svc})])
        except ValueError:
            continue
    raise ValueError("no service's p99 now stands apart from its earlier values")


@template("observability")
def largest_change(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The component whose signal moved most over the last half hour."""
    rows = read(world, "metric_changes", minutes=30).data
    top = rows[0]
    return draft(world,
                 "Which application component's error rate, p99 latency or CPU changed "
                 "the most over the last 30 minutes? Name the component.", [top["service"]],
                 [r["service"] for r in rows[1:]],
                 [ToolCall("metric_changes", {"minutes": 30})])


POOL = ("requests timing out waiting for a database connection from the pool",
        "database connection pool", "Database connection pool exhausted")
OOM = ("pods killed with exit code 137 for exceeding memory", "OOMKilled memory limit",
       "Pods OOMKilled")
CRASH = ("containers restarting in CrashLoopBackOff right at start",
         "CrashLoopBackOff crash start", "Crash loops")
#: Per fault type (or family): a symptom an engineer would search for, the words of the
#: oracle's search, and the title of the runbook that covers it.
RUNBOOKS: dict[str, tuple[str, str, str]] = {
    "db_connection_leak": POOL, "pool_size_too_small": POOL,
    "oom_limit_too_low": OOM, "memory_leak": OOM,
    "crash_loop_bad_setting": CRASH, "missing_secret": CRASH,
    "rogue_agent": ("an autonomous fleet agent that keeps undoing fixes",
                    "fleet agent undoing fixes", "Fleet agents"),
    "queue": ("a message queue whose depth and consumer lag keep growing",
              "queue backlog depth lag", "Queue backlog"),
    "cache": ("the cache misbehaving and reads falling through to the database",
              "cache database", "Cache problems"),
    "external": ("card payments failing at the external payment provider",
                 "payment provider status", "Payment provider"),
}


def _runbook(scenario: Scenario) -> tuple[str, str, str] | None:
    f = scenario.faults[0]
    return RUNBOOKS.get(f.type) or RUNBOOKS.get(FAULTS[f.type].family)


@template("observability", applies=lambda sc: _runbook(sc) is not None, weight=1.5)
def runbook(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The runbook that covers the page's main symptom (decoys: the other hits)."""
    entry = _runbook(scenario)
    assert entry is not None
    symptom, query, title = entry
    hits = [h["title"] for h in read(world, "search_docs", query=query).data]
    assert title in hits, f"runbook {title!r} not found by {query!r}"
    return draft(world,
                 f"We see {symptom}. Which runbook covers this? Give its title.", [title],
                 [h for h in hits if h != title], [ToolCall("search_docs", {"query": query})])
