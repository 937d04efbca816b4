"""Fact-task templates of the kubernetes domain (see ``warroom.scenarios.fact_templates``).

Facts are read from the outputs of the domain's kubectl-like tools at the page (``_read``
calls a read tool's function, which does not advance the clock): revisions and their
releases, replica sets, image versions, memory limits, nodes, autoscalers, pods and the
settings their crashes name. Decoys are what the same output shows beside them: the other
revisions, replica sets, nodes and deployments, the limit before the change.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ...tools.registry import ToolOutput, load_all
from ...types import ToolCall
from ...world import noise
from ...world.faults import Truth
from ...world.topology import TOPOLOGIES
from ...world.world import World
from ..spec import Scenario
from . import Draft, template
from . import look_alikes as _others

WORKLOADS = ("service", "gateway", "worker", "edge", "postgres", "redis", "queue")
MEMORY_CUT_FAULTS = frozenset({"oom_limit_too_low", "rogue_cost_optimizer"})
MIXED_RELEASE_FAULTS = frozenset({"bad_canary", "old_pod_after_migration",
                                  "flag_meets_old_pod"})
UNDERSCALED_FAULTS = frozenset({"rogue_autoscaler", "rogue_bluffing_autoscaler",
                                "scaled_to_zero", "partial_capacity_removed"})
CRASH_SETTING_FAULTS = frozenset({"crash_loop_bad_setting", "missing_secret"})
_RESOURCES = re.compile(r"^resources changed by (\S+): .*memory (\d+)Mi -> (\d+)Mi")
_SCALED = re.compile(r"^scaled from \d+ to (\d+) replicas by (\S+)$")


# -- helpers ----------------------------------------------------------------------------------
def _call(world: World, tool: str, **args: Any) -> ToolOutput:
    """A read tool's output, exactly as the agent would get it now."""
    out: ToolOutput = load_all()[tool].fn(world, **args)
    return out


def _read(world: World, tool: str, **args: Any) -> Any:
    return _call(world, tool, **args).data


def _with(scenario: Scenario, types: frozenset[str]) -> bool:
    return any(f.type in types for f in scenario.faults)


def _truth(truths: list[Truth], types: frozenset[str]) -> Truth:
    return next(t for t in truths if t.fault in types)


@lru_cache(maxsize=4)
def _kinds(topology: str) -> dict[str, str]:
    return {c.name: c.kind for c in TOPOLOGIES[topology]().components}


def _steady(world: World, scenario: Scenario, truths: list[Truth], salt: str) -> str:
    """A workload whose pods all run its target release (no rollout in progress, at least
    one pod): the page's component when it is one, else a seeded pick."""
    st = world.head
    snap = world.snapshot()
    ok = []
    for c in world.topology.components:
        svc = st.services[c.name]
        pods = [p for p in snap[c.name].pods if p.phase != "Terminated"] \
            if c.kind in WORKLOADS else []
        if pods and svc.rollout is None and all(p.release == svc.release for p in pods):
            ok.append(c.name)
    first = truths[0].component if truths else ""
    if first in ok:
        return first
    return str(noise.choice(world.seed, sorted(ok), noise.sid(scenario.id), noise.sid(salt)))


def _revisions(world: World, service: str) -> tuple[list[dict[str, Any]], int]:
    """``rollout_history`` rows, oldest first, and the index of the current one."""
    rows = list(_read(world, "rollout_history", service=service))
    return rows, next(i for i, r in enumerate(rows) if r["current"])


# -- general templates ------------------------------------------------------------------------
@template("kubernetes")
def previous_revision(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The release ``kubectl rollout undo`` would return to (decoys: the current revision's
    release and the one before the target)."""
    svc = _steady(world, scenario, truths, "previous_revision")
    rows, cur = _revisions(world, svc)
    prev = rows[cur - 1]["release"]
    near = [rows[cur]["release"], *(r["release"] for r in reversed(rows[:cur - 1]))]
    return Draft(f"If someone ran `kubectl rollout undo` on deployment {svc} now, which release "
                 f"would it go back to? Give its release id.", (prev,), _others(near, (prev,)),
                 (ToolCall("rollout_history", {"service": svc}),))


@template("kubernetes")
def live_replicaset(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The replica set that holds a deployment's pods and its release (decoys: the older
    replica sets and their releases)."""
    svc = _steady(world, scenario, truths, "live_replicaset")
    rows = list(_read(world, "list_replicasets", service=svc))
    live = next(r for r in rows if r["pods"] > 0)
    facts = (live["replicaset"], live["release"])
    older = [x for r in rows if r is not live for x in (r["replicaset"], r["release"])]
    return Draft(f"Which replica set of deployment {svc} runs its pods, and which release does "
                 f"that replica set belong to?", facts, _others(older, facts, 3),
                 (ToolCall("list_replicasets", {"service": svc}),))


@template("kubernetes")
def image_version(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The image version a deployment runs and its revision's release (decoys: the previous
    revision's release and version)."""
    svc = _steady(world, scenario, truths, "image_version")
    image = _call(world, "describe_deployment", service=svc).text
    version = next(line.rsplit(":", 1)[1] for line in image.splitlines()
                   if line.startswith("Image: "))
    rows, cur = _revisions(world, svc)
    by_id = {r.id: r for r in world.head.releases.values()}
    facts = (version, rows[cur]["release"])
    older = [x for r in reversed(rows[:cur]) for x in (r["release"], by_id[r["release"]].version)]
    return Draft(f"Which image version does deployment {svc} run, and which release's revision "
                 f"is that?", facts, _others(older, facts),
                 (ToolCall("describe_deployment", {"service": svc}),
                  ToolCall("rollout_history", {"service": svc})))


# -- fault-specific templates -----------------------------------------------------------------
@template("kubernetes", weight=4, applies=lambda sc: _with(sc, MEMORY_CUT_FAULTS))
def memory_limit_cut(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The memory limit a deployment was cut to and who cut it (decoy: the limit before)."""
    svc = _truth(truths, MEMORY_CUT_FAULTS).component
    cuts = [m for e in _read(world, "get_events", service=svc, minutes=60)
            if (m := _RESOURCES.match(e["message"]))]
    who, old, new = cuts[-1].groups()
    facts = (f"{new}Mi", who)
    return Draft(f"{svc}'s pods are being OOM-killed. What memory limit do they run with now, "
                 f"and who changed it?", facts, _others([f"{old}Mi"], facts),
                 (ToolCall("get_events", {"service": svc, "minutes": 60}),))


@template("kubernetes", weight=5, applies=lambda sc: _with(sc, MIXED_RELEASE_FAULTS))
def odd_replicaset(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The replica set with the fewest running pods of a deployment running two, and its
    release (decoys: the other replica set and its release)."""
    svc = _truth(truths, MIXED_RELEASE_FAULTS).component
    live = sorted((r for r in _read(world, "list_replicasets", service=svc) if r["pods"] > 0),
                  key=lambda r: (r["pods"], r["replicaset"]))
    if len(live) != 2 or live[0]["pods"] >= live[1]["pods"]:
        raise ValueError(f"{svc} does not run a minority replica set: {live}")
    few, many = live
    facts = (few["replicaset"], few["release"])
    return Draft(f"Deployment {svc} has pods in two replica sets. Which replica set has the "
                 f"fewest pods, and which release does it run?", facts,
                 _others([many["replicaset"], many["release"]], facts),
                 (ToolCall("list_replicasets", {"service": svc}),
                  ToolCall("list_pods", {"service": svc})))


@template("kubernetes", weight=40, applies=lambda sc: _with(sc, frozenset({"noisy_neighbour"})))
def saturated_node(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The node whose CPU is saturated and how much other tenants use on it (decoys: the
    healthy nodes)."""
    rows = list(_read(world, "node_conditions"))
    hot = [r["node"] for r in rows if r["CPUSaturated"] == "True"]
    if len(hot) != 1:
        raise ValueError(f"expected one saturated node, got {hot}")
    node = _read(world, "describe_node", node=hot[0])
    facts = (hot[0], f"{node['other_tenants_m']}m")
    return Draft("One node is CPU-saturated. Which node is it, and how much CPU do other "
                 "tenants use on it?", facts, _others([r["node"] for r in rows], facts),
                 (ToolCall("node_conditions", {}), ToolCall("describe_node", {"node": hot[0]})))


def _underscaled(scenario: Scenario) -> bool:
    """One fault leaves an autoscaled deployment under its minimum (the shop has other
    autoscalers to mistake it for; the startup has one)."""
    kinds = _kinds(scenario.topology)
    hits = [f for f in scenario.faults if f.type in UNDERSCALED_FAULTS]
    return scenario.topology == "shop" and len(hits) == 1 and \
        kinds.get(hits[0].target) in ("service", "gateway")


@template("kubernetes", weight=3, applies=_underscaled)
def below_hpa_minimum(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The deployment running fewer replicas than its autoscaler's minimum and who scaled it
    down (decoys: the other autoscaled deployments)."""
    hpas = list(_read(world, "hpa_status"))
    low = [h for h in hpas if h["replicas"] < h["min_replicas"]]
    if len(low) != 1:
        raise ValueError(f"expected one deployment below its minimum, got {low}")
    svc, floor = low[0]["hpa"], low[0]["min_replicas"]
    downs = [m for e in _read(world, "get_events", service=svc, minutes=60)
             if (m := _SCALED.match(e["message"])) and int(m.group(1)) < floor]
    facts = (svc, downs[-1].group(2))
    return Draft("One deployment runs fewer replicas than its autoscaler's minimum. Which "
                 "deployment, and who scaled it down?", facts,
                 _others([h["hpa"] for h in hpas], facts),
                 (ToolCall("hpa_status", {}),
                  ToolCall("get_events", {"service": svc, "minutes": 60})))


@template("kubernetes", weight=4, applies=lambda sc: _with(sc, CRASH_SETTING_FAULTS))
def crash_setting(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The setting a crash-looping pod's last error names (decoys: the deployment's
    look-alike settings)."""
    truth = _truth(truths, CRASH_SETTING_FAULTS)
    svc, key = truth.component, str(truth.params.get("key") or truth.culprit)
    pods = sorted(p["pod"] for p in _read(world, "list_pods", service=svc))
    pod = next(p for p in pods if any(
        line.strip().startswith("Message:") and key in line
        for line in _call(world, "describe_pod", pod=p).text.splitlines()))
    keys = sorted(k for k in world.head.services[svc].config if k != key)
    prefix = key.split("_")[0]
    keys.sort(key=lambda k: (not k.startswith(prefix), k))
    return Draft(f"Pod {pod} of {svc} is crash-looping. Which configuration setting does its "
                 f"last error name?", (key,), _others(keys, (key,)),
                 (ToolCall("describe_pod", {"pod": pod}),
                  ToolCall("describe_deployment", {"service": svc})))


@template("kubernetes", weight=4,
          applies=lambda sc: _with(sc, frozenset({"recreate_rollout_outage"})))
def stuck_rollout(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The release a stuck rollout is rolling out and its strategy (decoys: the earlier
    revisions' releases)."""
    svc = _truth(truths, frozenset({"recreate_rollout_outage"})).component
    status = _call(world, "rollout_status", service=svc).text
    strategy = status.rstrip(")").rsplit(", ", 1)[-1]
    rows, cur = _revisions(world, svc)
    facts = (rows[cur]["release"], strategy)
    return Draft(f"The rollout of {svc} has no ready pods. Which release is it rolling out, and "
                 f"with which deployment strategy?", facts,
                 _others([r["release"] for r in reversed(rows[:cur])], facts),
                 (ToolCall("rollout_status", {"service": svc}),
                  ToolCall("rollout_history", {"service": svc})))
