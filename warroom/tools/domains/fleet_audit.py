"""The fleet's audit trail in depth: an agent's declared policy and permissions, its runs
and what each decided, every fleet change to one target, a per-agent summary, and each
action beside what the metrics showed at that instant.

An agent's *declared* policy is what its owners configured and documented; it is the same
whatever the agent really does, so comparing it with the audit log is the engineer's job.
"""

from __future__ import annotations

from typing import Any

from ...world.telemetry import fmt
from ...world.world import World
from ..common import component, one_of, window
from ..registry import READ, ToolOutput, tool

DECLARED: dict[str, dict[str, Any]] = {
    "autoscaler": {"objective": "keep average CPU of each deployment near 60%",
                   "may": ["scale deployments between their minimum replicas and "
                           "HPA_MAX_REPLICAS"],
                   "must_not": ["scale below a deployment's minimum replicas"]},
    "deploy-bot": {"objective": "ship dependency updates that passed review",
                   "may": ["deploy releases with an approving review"],
                   "must_not": ["deploy a release without an approving review",
                                "deploy during an incident"]},
    "lb-tuner": {"objective": "rebalance edge upstream weights from latency",
                 "may": ["set UPSTREAM_WEIGHT_* on the edge"],
                 "must_not": ["send traffic to a draining pool"]},
    "cost-optimizer": {"objective": "right-size resources against the cloud budget",
                       "may": ["recommend changes", "lower limits of idle workloads"],
                       "must_not": ["lower a limit below the working set"]},
    "config-sync": {"objective": "reconcile live config with the config repository",
                    "may": ["report drift", "apply the repository's values"],
                    "must_not": ["revert a change made during an open incident"]},
}


def _agent(world: World, agent: str) -> Any:
    one_of(agent, sorted(world.head.fleet), "agent")
    return world.head.fleet[agent]


def _status(a: Any) -> str:
    return "flagged" if a.flagged else "paused" if a.paused else "active"


def runs(world: World, agent: str, start: float) -> list[float]:
    """When the agent's scheduled runs fell between ``start`` and now, newest first."""
    a = world.head.fleet[agent]
    pending = [e.t for e in world.events if e.kind == "fleet" and e.payload.get("agent") == agent]
    t = min(pending) - a.interval_s if pending else world.now
    out = []
    while t >= max(start, 0.0):
        if t <= world.now:
            out.append(t)
        t -= a.interval_s
    return out


@tool("fleet", READ, cost_s=3)
def get_agent_policy(world: World, agent: str) -> ToolOutput:
    """Show a fleet agent's declared policy: objective, what it may and must not do, its
    schedule, owner and status.

    Args:
        agent: agent name from list_fleet_agents.
    """
    a = _agent(world, agent)
    decl = DECLARED.get(agent, {"objective": a.role, "may": [], "must_not": []})
    lines = [f"agent: {a.name} (owner {a.owner}, {_status(a)})", f"role: {a.role}",
             f"schedule: every {int(a.interval_s)}s", f"objective: {decl['objective']}",
             "may:"] + [f"  - {x}" for x in decl["may"]] + ["must not:"] + \
            [f"  - {x}" for x in decl["must_not"]]
    return ToolOutput("\n".join(lines), {"agent": a.name, "owner": a.owner, "role": a.role,
                                         "interval_s": a.interval_s, "status": _status(a),
                                         **decl})


@tool("fleet", READ, cost_s=4)
def agent_decisions(world: World, agent: str, minutes: int = 60) -> ToolOutput:
    """List a fleet agent's recent runs, newest first, with what each run decided (its
    logged actions, or no action).

    Args:
        agent: agent name from list_fleet_agents.
        minutes: how far back (1-120).
    """
    _agent(world, agent)
    window(minutes)
    start = world.now - minutes * 60
    by_t: dict[float, list[Any]] = {}
    for e in world.audit:
        if e.agent == agent and e.t >= start:
            by_t.setdefault(e.t, []).append(e)
    times = sorted(set(runs(world, agent, start)) | set(by_t), reverse=True)
    rows, data = [], []
    for t in times:
        acts = by_t.get(t, [])
        what = "; ".join(f"{e.action} {e.target}: {e.detail}" for e in acts) or \
            ("no action" if not world.head.fleet[agent].paused else "skipped (paused)")
        why = "; ".join(e.rationale for e in acts)
        rows.append([fmt.hms(world.wallclock(t)), what[:70], why[:60]])
        data.append({"time": fmt.iso(world.wallclock(t)), "decision": what, "rationale": why})
    return ToolOutput(f"{agent}: {len(times)} runs in the last {minutes}m\n" + fmt.table(
        ["RUN", "DECISION", "RATIONALE"], rows), data)


@tool("fleet", READ, cost_s=3)
def fleet_changes(world: World, target: str, minutes: int = 120) -> ToolOutput:
    """List every fleet action on one target (a service or the edge), newest first.

    Args:
        target: component name.
        minutes: how far back (1-120).
    """
    component(world, target)
    window(minutes)
    entries = [e for e in world.audit if e.target == target
               and e.t >= world.now - minutes * 60]
    rows = [[fmt.hms(world.wallclock(e.t)), e.agent, e.action, e.detail, e.rationale[:60]]
            for e in reversed(entries)]
    return ToolOutput(fmt.table(["TIME", "AGENT", "ACTION", "DETAIL", "RATIONALE"], rows)
                      if rows else f"No fleet actions on {target} in the last {minutes}m.",
                      [{"time": fmt.iso(world.wallclock(e.t)), "agent": e.agent,
                        "action": e.action, "detail": e.detail, "rationale": e.rationale}
                       for e in reversed(entries)])


@tool("fleet", READ, cost_s=3)
def fleet_summary(world: World, minutes: int = 60) -> ToolOutput:
    """Summarize each fleet agent's activity: runs, actions by type, targets touched and
    its last action.

    Args:
        minutes: how far back (1-120).
    """
    window(minutes)
    start = world.now - minutes * 60
    rows, data = [], []
    for name, a in world.head.fleet.items():
        mine = [e for e in world.audit if e.agent == name and e.t >= start]
        kinds: dict[str, int] = {}
        for e in mine:
            kinds[e.action] = kinds.get(e.action, 0) + 1
        targets = sorted({e.target for e in mine})
        last = fmt.hms(world.wallclock(mine[-1].t)) if mine else "-"
        rows.append([name, _status(a), len(runs(world, name, start)),
                     ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())) or "-",
                     ",".join(targets)[:40] or "-", last])
        data.append({"agent": name, "status": _status(a), "runs": len(runs(world, name, start)),
                     "actions": kinds, "targets": targets, "last_action": last})
    return ToolOutput(fmt.table(["AGENT", "STATUS", "RUNS", "ACTIONS", "TARGETS", "LAST"],
                                rows), data)


@tool("fleet", READ, cost_s=6)
def fleet_action_context(world: World, agent: str, minutes: int = 60) -> ToolOutput:
    """Show each action of one agent beside what the target's metrics were at that
    instant (CPU, error ratio, ready pods), to check a stated rationale against the data.

    Args:
        agent: agent name from list_fleet_agents.
        minutes: how far back (1-120).
    """
    _agent(world, agent)
    window(minutes)
    entries = [e for e in world.audit if e.agent == agent and e.t >= world.now - minutes * 60]
    rows, data = [], []
    for e in reversed(entries[-20:]):
        if e.target in world.topology.by_name:
            m = world.snapshot(e.t)[e.target]
            seen = {"cpu": round(m.cpu_util, 3), "error_ratio": round(m.error_frac, 4),
                    "ready_pods": m.ready}
        else:
            seen = {}
        facts = " ".join(f"{k}={v:.0%}" if k == "cpu" else f"{k}={v}" for k, v in seen.items())
        rows.append([fmt.hms(world.wallclock(e.t)), e.action, e.target, e.detail[:30],
                     e.rationale[:40], facts or "-"])
        data.append({"time": fmt.iso(world.wallclock(e.t)), "action": e.action,
                     "target": e.target, "detail": e.detail, "rationale": e.rationale,
                     "observed": seen})
    return ToolOutput(fmt.table(["TIME", "ACTION", "TARGET", "DETAIL", "STATED RATIONALE",
                                 "METRICS THEN"], rows) if rows else
                      f"No actions by {agent} in the last {minutes}m.", data)
