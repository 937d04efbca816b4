"""Fact-task templates of the deploys domain (see ``warroom.scenarios.fact_templates``).

Each template reads its facts from the outputs the domain's own tools give at the page
(``_read`` calls the read tool's function, which does not advance the clock), so a fact is
exactly the token the agent sees: a release id, a version, an author, a pipeline run, a
commit, a config key or value, a flag, a pod. Decoys are the look-alikes the same outputs
show next to it: the release before, the other pods, the baseline value, the other flags.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ...tools.registry import load_all
from ...types import ToolCall
from ...world import noise
from ...world.faults import Truth
from ...world.world import World
from ..spec import Scenario
from . import Draft, template
from . import look_alikes as _others

DEPLOYABLE = ("service", "gateway", "worker", "edge")
LONG = 720  # hours: list_deploys and list_pipeline_runs reach back to the first release
# Faults that ship a new release of their target (the release is the culprit or carries it).
RELEASE_FAULTS = frozenset({
    "bad_release_exception", "bad_canary", "schema_migration_breaks_query",
    "dependency_bump_serialization", "recreate_rollout_outage", "memory_leak",
    "cpu_regex_hot_loop", "thread_pool_exhaustion", "gc_pressure", "db_connection_leak",
    "missing_index", "client_tool_call_ids", "payload_over_limit",
    "negative_balance_edge_case", "rogue_deploy_bot", "old_pod_after_migration",
    "flag_meets_old_pod"})
UNREVIEWED_FAULTS = frozenset({"rogue_deploy_bot"})
REVIEWED_FAULTS = RELEASE_FAULTS - UNREVIEWED_FAULTS
# Faults that change one setting of their target by hand (a live config change); not the
# edge's, where the lb-tuner agent changes upstream weights all the time.
LIVE_CONFIG_FAULTS = frozenset({
    "client_timeout_too_low", "wrong_dependency_host", "rate_limit_too_low",
    "pool_size_too_small", "missing_secret", "maintenance_mode_left_on",
    "crash_loop_bad_setting", "recreate_rollout_outage", "visibility_timeout_too_low",
    "cache_ttl_too_short", "cache_eviction_storm", "max_connections_too_low",
    "autovacuum_off_bloat", "replica_not_serving"})
# Live changes whose new value is a distinctive token beside the baseline's.
DRIFT_VALUE_FAULTS = frozenset({
    "client_timeout_too_low", "wrong_dependency_host", "rate_limit_too_low",
    "pool_size_too_small", "visibility_timeout_too_low", "cache_ttl_too_short",
    "max_connections_too_low"})
MIXED_RELEASE_FAULTS = frozenset({"bad_canary", "old_pod_after_migration",
                                  "flag_meets_old_pod"})
FLAG_FAULTS = frozenset({"bad_feature_flag", "flag_meets_old_pod", "consumer_backlog"})
RELEASE_DISTRACTORS = frozenset({"recent_deploy", "fleet_activity"})
_CONFIG_CHANGE = re.compile(r"^config (\S+) changed .* by (\S+)$")
_FLAG_CHANGE = re.compile(r"^flag (\S+) \S+ -> \S+ by (\S+)$")


# -- helpers ----------------------------------------------------------------------------------
def _read(world: World, tool: str, **args: Any) -> Any:
    """The structured output of a read tool, exactly as the agent would get it now."""
    return load_all()[tool].fn(world, **args).data


def _with(scenario: Scenario, types: frozenset[str]) -> bool:
    return any(f.type in types for f in scenario.faults)


def _truth(truths: list[Truth], types: frozenset[str]) -> Truth:
    return next(t for t in truths if t.fault in types)


def _own_release(scenario: Scenario, types: frozenset[str]) -> bool:
    """A fault of ``types`` ships a release, and no red herring ships another on its target."""
    targets = {f.target for f in scenario.faults if f.type in types}
    return bool(targets) and not any(d.type in RELEASE_DISTRACTORS and d.target in targets
                                     for d in scenario.distractors)


def _history(world: World, service: str) -> list[dict[str, Any]]:
    """``list_deploys`` of one service over the whole history, newest first."""
    return list(_read(world, "list_deploys", service=service, hours=LONG))


def _steady(world: World, scenario: Scenario, truths: list[Truth], salt: str) -> str:
    """A deployable service with no rollout in progress: the page's component when it is
    one, else a seeded pick (so a general question still concerns a real service)."""
    st = world.head
    ok = sorted(c.name for c in world.topology.components if c.kind in DEPLOYABLE
                and st.services[c.name].rollout is None)
    first = truths[0].component if truths else ""
    if first in ok:
        return first
    return str(noise.choice(world.seed, ok, noise.sid(scenario.id), noise.sid(salt)))


def _newest_of(world: World, truth: Truth) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The fault's release of its target (the newest one) and the target's history."""
    rows = _history(world, truth.component)
    rid = truth.params.get("release") or truth.culprit
    row = next((r for r in rows if r["id"] == rid), rows[0])
    return row, rows


# -- general templates ------------------------------------------------------------------------
@template("deploys")
def live_release(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The release live on a service and its version (decoys: the releases before it)."""
    svc = _steady(world, scenario, truths, "live_release")
    rows = _history(world, svc)
    live = next(r for r in rows if r["status"] == "live")
    older = [r for r in rows if r["id"] != live["id"]]
    facts = (live["id"], live["version"])
    decoys = _others([x for r in older[:2] for x in (r["id"], r["version"])], facts, 3)
    return Draft(f"Which release is live on {svc} right now? Give its release id and version.",
                 facts, decoys, (ToolCall("list_deploys", {"service": svc, "hours": LONG}),))


@template("deploys")
def pipeline_run(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The CI/CD run that shipped a service's newest release (decoys: the earlier runs)."""
    svc = _steady(world, scenario, truths, "pipeline_run")
    runs = list(_read(world, "list_pipeline_runs", service=svc, hours=LONG))
    facts = (str(runs[0]["run"]), runs[0]["release"])
    decoys = _others([x for r in runs[1:3] for x in (str(r["run"]), r["release"])], facts, 3)
    return Draft(f"Which CI/CD pipeline run shipped the newest release of {svc}? Give the run "
                 f"number and the release id.", facts, decoys,
                 (ToolCall("list_pipeline_runs", {"service": svc, "hours": LONG}),))


@template("deploys")
def latest_deploy_commit(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The last release shipped before the page, on any service, and its full commit."""
    rows = list(_read(world, "list_deploys", hours=LONG))
    new, before = rows[0], rows[1]
    facts = (new["id"], new["commit"])
    decoys = _others([before["id"], before["commit"][:10]], facts)
    return Draft("What was the last release deployed before the page, on any service? Give "
                 "its release id and its full 40-character commit hash.", facts, decoys,
                 (ToolCall("list_deploys", {"hours": LONG}),
                  ToolCall("get_deploy", {"release_id": new["id"]})))


# -- releases shipped by a fault --------------------------------------------------------------
@template("deploys", weight=3,
          applies=lambda sc: _own_release(sc, RELEASE_FAULTS - MIXED_RELEASE_FAULTS))
def rollback_target(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The release a rollback of the broken service returns to (decoys: the newest release
    and the one before the target)."""
    truth = _truth(truths, RELEASE_FAULTS - MIXED_RELEASE_FAULTS)
    bad, rows = _newest_of(world, truth)
    i = [r["id"] for r in rows].index(bad["id"])
    prev = rows[i + 1]
    facts = (prev["id"], prev["version"])
    decoys = _others([bad["id"], bad["version"], *(r["id"] for r in rows[i + 2:i + 3])], facts, 3)
    return Draft(f"{truth.component} went bad after its latest release. Which release would a "
                 f"rollback of {truth.component} return to? Give its release id and version.",
                 facts, decoys,
                 (ToolCall("list_deploys", {"service": truth.component, "hours": LONG}),))


@template("deploys", weight=3, applies=lambda sc: _own_release(sc, REVIEWED_FAULTS))
def release_people(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """Who wrote and who approved the release that went out before the page (decoys: the
    authors of the service's earlier releases)."""
    truth = _truth(truths, REVIEWED_FAULTS)
    new, rows = _newest_of(world, truth)
    detail = _read(world, "get_deploy", release_id=new["id"])
    facts = tuple(dict.fromkeys([detail["author"], detail["reviewed_by"]]))
    decoys = _others([r["author"] for r in rows if r["id"] != new["id"]], facts) or \
        (rows[1]["id"],)
    return Draft(f"A release of {truth.component} went out shortly before the page. Who "
                 f"authored it and who approved it in review?", facts, decoys,
                 (ToolCall("list_deploys", {"service": truth.component, "hours": LONG}),
                  ToolCall("get_deploy", {"release_id": new["id"]})))


@template("deploys", weight=6, applies=lambda sc: _own_release(sc, UNREVIEWED_FAULTS))
def unreviewed_release(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The release that shipped with no approving review, and who shipped it (decoys: the
    reviewed releases before it)."""
    truth = _truth(truths, UNREVIEWED_FAULTS)
    new, rows = _newest_of(world, truth)
    facts = (new["id"], new["author"])
    decoys = _others([r["id"] for r in rows if r["id"] != new["id"]], facts)
    return Draft(f"One release of {truth.component} went to production without an approving "
                 f"review. Which release is it, and who shipped it?", facts, decoys,
                 (ToolCall("list_deploys", {"service": truth.component, "hours": LONG}),
                  ToolCall("get_deploy", {"release_id": new["id"]})))


@template("deploys", weight=5, applies=lambda sc: _with(sc, MIXED_RELEASE_FAULTS))
def mixed_releases(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The release that runs on the fewest pods of a service running two releases, and its
    pod (decoys: the other release and its pods)."""
    svc = _truth(truths, MIXED_RELEASE_FAULTS).component
    prog = _read(world, "rollout_progress", service=svc)
    by_rel: dict[str, list[str]] = {}
    for p in prog["pods"]:
        by_rel.setdefault(p["release"], []).append(p["pod"])
    ranked = sorted(by_rel.items(), key=lambda kv: (len(kv[1]), kv[0]))
    if len(ranked) != 2 or not 0 < len(ranked[0][1]) < min(3, len(ranked[1][1])):
        raise ValueError(f"{svc} does not run one release on a minority of pods: {by_rel}")
    (few, few_pods), (many, many_pods) = ranked
    facts = (few, *few_pods)
    return Draft(f"{svc} runs two releases at once. Which release runs on the fewest pods, "
                 f"and which pod(s) run it?", facts, _others([many, *many_pods], facts, 3),
                 (ToolCall("rollout_progress", {"service": svc}),))


# -- configuration ----------------------------------------------------------------------------
def _live_change(world: World, service: str) -> tuple[str, str]:
    """(key, who) of the live config change of ``service`` that config_history shows; more
    than one changed key (an agent tuning another) would make the question ambiguous."""
    out = []
    for row in _read(world, "config_history", service=service):
        m = _CONFIG_CHANGE.match(row["change"]) if row["source"] == "live change" else None
        if m:
            out.append((m.group(1), m.group(2)))
    if len({key for key, _ in out}) != 1:
        raise ValueError(f"{service}: expected live changes of one key, got {out}")
    return out[0]


def _one_live_change(scenario: Scenario, types: frozenset[str]) -> bool:
    """A fault of ``types`` changes its target's config, and it is the only one that does."""
    hits = [f for f in scenario.faults if f.type in types]
    return len(hits) == 1 and not any(f.target == hits[0].target for f in scenario.faults
                                      if f is not hits[0] and f.type in LIVE_CONFIG_FAULTS)


def _similar_keys(key: str, keys: list[str]) -> list[str]:
    """Other keys, those sharing the longest prefix with ``key`` first."""
    def shared(k: str) -> int:
        return next((i for i, (a, b) in enumerate(zip(k, key, strict=False)) if a != b),
                    min(len(k), len(key)))
    return sorted((k for k in keys if k != key), key=lambda k: (-shared(k), k))


@template("deploys", weight=3, applies=lambda sc: _one_live_change(sc, LIVE_CONFIG_FAULTS))
def config_change(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The setting changed by hand before the page and who changed it (decoys: the
    service's look-alike settings)."""
    svc = _truth(truths, LIVE_CONFIG_FAULTS).component
    key, who = _live_change(world, svc)
    facts = (key, who)
    decoys = _others(_similar_keys(key, list(_read(world, "get_config", service=svc))), facts)
    return Draft(f"Someone changed a setting of {svc} by hand shortly before the page. Which "
                 f"configuration key was it, and who changed it?", facts, decoys,
                 (ToolCall("config_history", {"service": svc}),
                  ToolCall("get_config", {"service": svc})))


def _token(value: Any) -> str:
    """How a config value reads as one token in a diff (strings without their quotes)."""
    return value if isinstance(value, str) else json.dumps(value)


@template("deploys", weight=3, applies=lambda sc: _one_live_change(sc, DRIFT_VALUE_FAULTS))
def config_drift_value(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The setting that drifted from the config repository and its live value (decoy: the
    baseline value)."""
    svc = _truth(truths, DRIFT_VALUE_FAULTS).component
    drift = _read(world, "config_drift", service=svc)["drift"]
    key = _live_change(world, svc)[0]
    base, live = drift[key]
    facts = (key, _token(live))
    decoys = _others([_token(base)], facts)
    if not decoys:
        raise ValueError(f"{svc} {key}: live and baseline values read alike")
    return Draft(f"{svc} no longer matches its config repository. Which key drifted from the "
                 f"baseline, and what is its live value? (Give the live value only.)", facts,
                 decoys, (ToolCall("config_drift", {"service": svc}),))


# -- feature flags ----------------------------------------------------------------------------
def _one_flag_change(scenario: Scenario) -> bool:
    return sum(f.type in FLAG_FAULTS for f in scenario.faults) + \
        sum(d.type == "flag_flip" for d in scenario.distractors) == 1


@template("deploys", weight=2, applies=_one_flag_change)
def flag_changed(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The feature flag changed in the last hour and who changed it (decoys: the flags
    that did not change)."""
    data = _read(world, "flag_history", minutes=60)
    changes = [m for m in map(_FLAG_CHANGE.match, data["changes"]) if m]
    flag, who = changes[0].group(1), changes[0].group(2)
    facts = (flag, who)
    decoys = _others([f["flag"] for f in data["flags"]], facts)
    return Draft("A feature flag was changed in the last hour. Which flag, and who changed it?",
                 facts, decoys, (ToolCall("flag_history", {"minutes": 60}),))
