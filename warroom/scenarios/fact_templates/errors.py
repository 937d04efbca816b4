"""Fact-task templates of the errors domain (see ``warroom.scenarios.fact_templates``).

Every template reads its facts and decoys from the tool outputs its reads produce (played on
a fork of the world, as the domain episode will play them: each read at the instant the one
before it left), so a fact is always printed where the oracle looks and a decoy is always a
look-alike those same outputs show. ``observe`` and ``finish`` are shared with the database
templates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from ...types import ToolCall
from ...world.faults import Truth
from ...world.faults.distractors import NOISE_ERRORS
from ...world.telemetry import errors as tracker
from ...world.telemetry import tracker_history as history
from ...world.topology import TOPOLOGIES, Topology
from ...world.world import World
from ..fact_tasks import names as named
from ..spec import FaultSpec, Scenario
from . import Draft, observe, template
from . import checked as finish

FRAME = re.compile(r"[\w./$]+\.(?:py|go|java|rb|js|ts):\d+")
NOISE_FRAMES = frozenset(frame for _, frame in NOISE_ERRORS.values())


# -- shared helpers --------------------------------------------------------------------------
def any_fault(*types: str) -> Callable[[Scenario], bool]:
    """``applies``: some fault of the scenario is one of ``types``."""
    wanted = frozenset(types)

    def applies(scenario: Scenario) -> bool:
        return any(f.type in wanted for f in scenario.faults)

    applies.__doc__ = f"some fault is one of {', '.join(sorted(wanted))}"
    return applies


# -- the issues a template can ask about -------------------------------------------------------
def _issues(world: World) -> list[dict[str, Any]]:
    return tracker.issues(world)


def _ranked(world: World, truths: list[Truth]) -> list[dict[str, Any]]:
    """Issues, those of the faulted components first (by events), then the rest."""
    hit = [t.component for t in truths]
    issues = _issues(world)
    return sorted(issues, key=lambda r: (r["service"] not in hit, -r["count"], r["id"]))


def _frame(issue: dict[str, Any]) -> str | None:
    m = FRAME.search(issue["culprit"])
    return m.group(0) if m else None


def _ids(issues: Iterable[dict[str, Any]], but: str) -> list[str]:
    return [r["id"] for r in issues if r["id"] != but]


# -- which scenarios have issues to ask about (from the spec alone) -------------------------
TRACKED_KINDS = ("service", "gateway", "worker")
# Faults whose failures the tracker does not hold steadily: at the edge requests fail before
# any tracked service sees them; a leaking or GC-bound service, a poisoned or backed-up
# queue and a consumer past its visibility timeout fail in bursts or not through requests.
QUIET = ("edge_connection_limit", "edge_dns_misconfig", "edge_rules_regex_cpu",
         "health_check_path_wrong", "lb_weights_to_draining", "tls_cert_expired",
         "rogue_lb_tuner", "memory_leak", "gc_pressure", "poison_message", "consumer_backlog",
         "visibility_timeout_too_low")
# Faults whose errors build up slowly (a leak exhausts the pool minutes after its onset).
SLOW_ONSET = ("db_connection_leak",)
# Faults that fail only a slice of one service's requests: no second issue is relayed.
NARROW = ("payload_over_limit", "client_tool_call_ids", "negative_balance_edge_case",
          "schema_migration_breaks_query")


@lru_cache(maxsize=2)
def _topology(name: str) -> Topology:
    return TOPOLOGIES[name]()


def _steady(scenario: Scenario, f: FaultSpec) -> bool:
    """The fault makes a tracked service fail steadily for several tracker intervals."""
    topo = _topology(scenario.topology)
    if f.type in QUIET or (f.type in SLOW_ONSET and f.onset_min < 20):
        return False
    if f.type == "long_transaction_locks" and scenario.topology == "startup":
        return False  # the one locked table has one client: its issue starts with the page
    return topo[f.target].kind != "worker" or f.type == "retry_storm"


def steady_issues(scenario: Scenario) -> bool:
    """Some fault keeps a tracked service failing: the tracker holds an issue with history."""
    return any(_steady(scenario, f) for f in scenario.faults)


def with_pods(scenario: Scenario) -> bool:
    """Steady issues whose events come from running pods (not a service scaled to zero)."""
    return any(_steady(scenario, f) and f.type != "scaled_to_zero" for f in scenario.faults)


def relayed_issues(scenario: Scenario) -> bool:
    """Steady issues on more than one service: the faulted component has tracked callers
    (or is a store or provider they share), so their failures are tracked too."""
    topo = _topology(scenario.topology)
    for f in scenario.faults:
        if not _steady(scenario, f) or f.type in NARROW:
            continue
        callers = [c for c in topo.callers_of(f.target) if topo[c].kind in TRACKED_KINDS]
        if callers or topo[f.target].kind in ("postgres", "redis", "external"):
            return True
    return False


# -- templates ------------------------------------------------------------------------------
EXCEPTION_FAULTS = ("bad_release_exception", "bad_canary", "bad_feature_flag",
                    "client_tool_call_ids", "flag_meets_old_pod", "rogue_deploy_bot",
                    "negative_balance_edge_case", "old_pod_after_migration")


@template("errors", applies=any_fault(*EXCEPTION_FAULTS), weight=5)
def exception_frame(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The issue of the new exception on the faulted service, the frame that raises it and
    the release it first occurred in (decoys: the other issues, the release before)."""
    issues = _issues(world)
    hit = {t.component for t in truths}
    raising = [r for r in _ranked(world, truths) if _frame(r) and r["culprit"] not in
               NOISE_FRAMES]
    issue = next((r for r in raising if r["service"] in hit), raising[0])
    reads = (ToolCall("list_issues", {}), ToolCall("get_issue", {"issue_id": issue["id"]}),
             ToolCall("issue_suspect_commits", {"issue_id": issue["id"]}))
    outs = observe(world, reads)
    return finish(f"{issue['service']} started raising an exception. Which error-tracker "
                  f"issue is it, which source frame (file:line) raises it, and in which "
                  f"release did it first occur?",
                  (issue["id"], str(_frame(issue)), issue["release"]),
                  [*_ids(issues, issue["id"]), outs[2][1].get("previous_release")], reads,
                  outs)


@template("errors", applies=steady_issues)
def suspect_release(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The release an issue was first seen in and its author (decoys: the release before,
    the reviewer)."""
    for issue in _ranked(world, truths):
        reads = (ToolCall("issue_suspect_commits", {"issue_id": issue["id"]}),)
        outs = observe(world, reads)
        data = outs[0][1]
        if not data or not data.get("previous_release"):
            continue
        rel = world.head.releases[data["release"]]
        return finish(f"Error-tracker issue {issue['id']} ({issue['service']}): in which "
                      f"release was it first seen, and who authored that release?",
                      (rel.id, rel.author), (data["previous_release"], rel.reviewed_by),
                      reads, outs)
    raise ValueError("no issue with a release history")


@template("errors", applies=relayed_issues)
def busiest_issue(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The issue with the most events (decoys: the next ones)."""
    reads = (ToolCall("list_issues", {}),)
    outs = observe(world, reads)
    rows = outs[0][1]
    if len(rows) < 2 or rows[0]["count"] == rows[1]["count"]:
        raise ValueError("no single busiest issue")
    return finish("Which error-tracker issue has recorded the most events over the last "
                  "hour? Give its issue id.", (rows[0]["id"],), [r["id"] for r in rows[1:4]],
                  reads, outs)


@template("errors", applies=steady_issues)
def first_seen(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """When an issue was first seen (decoy: when it was last seen)."""
    for issue in _ranked(world, truths):
        if issue["first_seen_iso"] == issue["last_seen_iso"]:
            continue
        reads = (ToolCall("get_issue", {"issue_id": issue["id"]}),)
        outs = observe(world, reads)
        data = outs[0][1]
        return finish(f"When was error-tracker issue {issue['id']} first seen? Give the "
                      f"time exactly as the tracker prints it.", (data["first_seen_iso"],),
                      (data["last_seen_iso"],), reads, outs)
    raise ValueError("no issue seen over more than one interval")


DEPENDENCY_FAULTS = ("wrong_dependency_host", "bot_config_push", "client_timeout_too_low",
                     "replica_not_serving", "dependency_bump_serialization", "retry_storm",
                     "provider_outage", "provider_rate_limited", "provider_key_expired",
                     "mtls_client_cert_expired")


def dependency_failure(scenario: Scenario) -> bool:
    """A fault breaks calls from a service that has other dependencies to compare with (a
    gateway with one upstream has nothing beside the failed call)."""
    topo = _topology(scenario.topology)
    for f in scenario.faults:
        if f.type not in DEPENDENCY_FAULTS:
            continue
        deps = [d for d in topo[f.target].deps if d.kind != "consume"]
        if topo[f.target].kind in ("postgres", "external") or len(deps) >= 2:
            return True
    return False


def _failed_peer(world: World, issue: dict[str, Any]) -> str | None:
    line = history.timeline(world, issue["id"])
    return line[-1]["peer"] if line else None


@template("errors", applies=dependency_failure, weight=3)
def failed_dependency(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The dependency whose call failed in an issue's latest event (decoys: the other calls
    in its breadcrumbs)."""
    for issue in _ranked(world, truths):
        peer = _failed_peer(world, issue)
        deps = [d.target for d in world.topology[issue["service"]].deps if d.kind != "consume"]
        if peer not in deps or len(deps) < 2:
            continue
        reads = (ToolCall("issue_breadcrumbs", {"issue_id": issue["id"]}),)
        outs = observe(world, reads)
        failed = [c for c in outs[0][1] if c["level"] == "error" and c["category"] !=
                  "exception"]
        if len(failed) != 1 or not named(failed[0]["message"], str(peer)):
            continue
        return finish(f"In the latest event of error-tracker issue {issue['id']} "
                      f"({issue['service']}), which dependency call failed just before the "
                      f"exception? Name the component.", (str(peer),),
                      [d for d in deps if d != peer], reads, outs)
    raise ValueError("no issue whose breadcrumbs show one failed dependency call")


MIXED_RELEASE_FAULTS = ("bad_canary", "old_pod_after_migration", "flag_meets_old_pod")


@template("errors", applies=any_fault(*MIXED_RELEASE_FAULTS), weight=6)
def erroring_release(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """Of the releases a service runs side by side, the one its errors come from."""
    for svc in [t.component for t in truths if t.fault in MIXED_RELEASE_FAULTS]:
        reads = (ToolCall("release_health", {"service": svc}),)
        outs = observe(world, reads)
        rows = sorted(outs[0][1], key=lambda r: (-r["events_1h"], r["release"]))
        if len(rows) < 2 or rows[0]["events_1h"] <= 2 * rows[1]["events_1h"]:
            continue
        return finish(f"{svc} is running more than one release. Which release do its errors "
                      f"come from? Give the release id.", (rows[0]["release"],),
                      [r["release"] for r in rows[1:]], reads, outs)
    raise ValueError("no service whose errors come from one of several releases")


@template("errors", applies=with_pods)
def latest_event(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The latest event of an issue: its event id and the pod that sent it (decoys: the
    events before it)."""
    for issue in _ranked(world, truths):
        reads = (ToolCall("issue_events", {"issue_id": issue["id"], "limit": 5}),)
        outs = observe(world, reads)
        events = outs[0][1]
        if len(events) < 2:
            continue
        first = events[0]
        return finish(f"Which pod (server_name) sent the latest event of error-tracker issue "
                      f"{issue['id']}, and what is that event's id as the tracker lists it?",
                      (first["event_id"][:12], first["server_name"]),
                      [e["event_id"][:12] for e in events[1:3]] +
                      [e["server_name"] for e in events[1:]
                       if e["server_name"] != first["server_name"]], reads, outs)
    raise ValueError("no issue with two events")


@template("errors", applies=steady_issues)
def onset_bucket(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The five-minute bucket an issue started in and its event count (decoys: the bucket
    after it)."""
    for issue in _ranked(world, truths):
        reads = (ToolCall("issue_trend", {"issue_id": issue["id"]}),)
        outs = observe(world, reads)
        rows = outs[0][1]
        start = next((i for i, r in enumerate(rows) if r["events"] > 0), None)
        if start is None or start == 0 or start + 1 >= len(rows):
            continue
        first, after = rows[start], rows[start + 1]
        label, next_label = first["time"][11:19], after["time"][11:19]
        return finish(f"Error-tracker issue {issue['id']}: in which five-minute bucket of its "
                      f"trend did it start (the time as the histogram prints it), and how many "
                      f"events did that first bucket record?",
                      (label, str(first["events"])), (next_label, str(after["events"])),
                      reads, outs)
    raise ValueError("no issue that starts inside the trend window")
