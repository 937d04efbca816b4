"""Fact-task templates of the fleet domain (see ``warroom.scenarios.fact_templates``).

The benign fleet acts in every world (the autoscaler, lb-tuner and config-sync log on their
schedules), so most templates apply to every scenario; the rogue-agent ones ask about the
culprit's own actions. Facts are read from the audit log as the fleet tools print it, at
the incident page (the first read runs before the clock moves).
"""

from __future__ import annotations

import re
from typing import Any

from ...types import ToolCall
from ...world import noise
from ...world.faults import FAULTS, Truth
from ...world.telemetry import fmt
from ...world.world import World
from ..spec import Scenario
from . import Draft, template
from .observability import draft, read

#: Keep picked entries this far inside the 60-minute windows the reads use.
MARGIN_S = 300.0


def one_of(scenario: Scenario, items: list[str], salt: int) -> str:
    """A stable pick among ``items`` for this scenario (spreads tasks over agents)."""
    return items[noise.bits(0, noise.sid(scenario.id), salt) % len(items)]


def hms(world: World, t: float) -> str:
    return fmt.hms(world.wallclock(t))


def recent(world: World, minutes: int = 60) -> list[Any]:
    """Audit entries of the last ``minutes``, oldest first."""
    return [e for e in world.audit if e.t >= world.now - minutes * 60]


def routine(e: Any) -> bool:
    return f"{e.action} {e.target}" == "sync all" or e.action == "recommend"


def rogue(scenario: Scenario) -> bool:
    return any(FAULTS[f.type].family == "rogue_agent" for f in scenario.faults)


def culprit_entries(world: World, scenario: Scenario, truths: list[Truth]
                    ) -> tuple[Truth, list[Any]]:
    """The rogue truth and its agent's entries since the fault's onset, on its target when
    it logged any there."""
    truth = next(t for t in truths if t.family == "rogue_agent")
    spec = next(f for f in scenario.faults if f.type == truth.fault)
    onset = world.now - spec.onset_min * 60 - 1.0
    mine = [e for e in world.audit if e.agent == truth.culprit and e.t >= onset
            and not routine(e)]
    there = [e for e in mine if e.target == truth.component]
    return truth, there or mine


@template("fleet")
def who_acted(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """Which agent last logged a given change, and when (decoys: the agents and times
    around it)."""
    window = recent(world)
    assert window, "no fleet action in the last hour"
    lines = [(e.action, e.target, e.detail) for e in window]
    changes = [e for e in reversed(window) if not routine(e)]
    pick = next((e for e in changes if lines.count((e.action, e.target, e.detail)) == 1),
                changes[0] if changes else window[-1])
    line = (pick.action, pick.target, pick.detail)
    at = window.index(pick)
    near = window[max(0, at - 2):at + 3] + [e for e in window
                                            if (e.action, e.target, e.detail) == line]
    return draft(world,
                 f"Which fleet agent last logged '{pick.action} {pick.target}: {pick.detail}' "
                 f"in the last hour, and at what time? Give the agent and the time as the "
                 f"audit log prints it (HH:MM:SS).", [pick.agent, hms(world, pick.t)],
                 [e.agent for e in reversed(window)] + [hms(world, e.t) for e in near],
                 [ToolCall("list_fleet_actions", {"minutes": 60})])


@template("fleet")
def who_touched(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """Every agent that changed one service in the last hour (decoys: the other agents)."""
    services = {c.name for c in world.topology.components}
    window = [e for e in recent(world) if e.target in services and not routine(e)
              and e.agent != "oncall"]
    by_target: dict[str, set[str]] = {}
    for e in window:
        by_target.setdefault(e.target, set()).add(e.agent)
    edge = world.topology.kind_of("edge")[0]
    assert by_target, "no fleet agent changed a component in the last hour"
    target = min(by_target, key=lambda t: (t == edge, -len(by_target[t]), t))
    agents = sorted(by_target[target])
    others = sorted(set(world.head.fleet) - set(agents))
    question = (f"Which fleet agents made changes to {target} in the last hour (not counting "
                f"recommendations)? Name every one.")
    try:
        return draft(world, question, agents, others,
                     [ToolCall("list_fleet_actions", {"minutes": 60})])
    except ValueError:  # the audit log's first page ends before the oldest of them
        return draft(world, question, agents, others,
                     [ToolCall("fleet_changes", {"target": target, "minutes": 60}),
                      ToolCall("list_fleet_agents", {})])


@template("fleet")
def last_action(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """When an agent last logged an action, and on what (decoys: its other runs, targets)."""
    window = [e for e in recent(world) if e.agent != "oncall"]
    agents = sorted({e.agent for e in window})
    assert agents, "no fleet agent logged anything in the last hour"
    agent = one_of(scenario, agents, 1)
    mine = [e for e in window if e.agent == agent]
    when = hms(world, mine[-1].t)
    targets = sorted({e.target for e in mine if e.t == mine[-1].t})
    runs = read(world, "agent_decisions", agent=agent, minutes=60).data
    decoys = [r["time"][11:19] for r in runs] + [e.target for e in reversed(mine)]
    return draft(world,
                 f"When did {agent} last log an action (a run whose decision is not 'no "
                 f"action'), and on which target? Give the time as its decisions list prints "
                 f"it (HH:MM:SS) and the target.", [when, *targets],
                 [d for d in decoys if d != when and d not in targets],
                 [ToolCall("agent_decisions", {"agent": agent, "minutes": 60})])


@template("fleet")
def busiest_agent(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The agent with the most logged actions of one kind in the last hour, and the count."""
    rows = read(world, "fleet_summary", minutes=60).data
    counts = sorted(((n, kind, row["agent"]) for row in rows
                     for kind, n in row["actions"].items()), key=lambda x: (-x[0], x[2]))
    others = [r["agent"] for r in rows]
    reads = [ToolCall("fleet_summary", {"minutes": 60})]
    if len(counts) >= 2 and counts[0][0] > counts[1][0]:
        n, kind, agent = counts[0]
        return draft(world,
                     "Which fleet agent logged the most actions of a single kind in the last "
                     "hour, and how many? Give the agent and the count as the fleet summary "
                     "prints it (action=count).", [agent, f"{kind}={n}"],
                     [a for a in others if a != agent] + [f"{k}={c}" for c, k, _ in counts[1:]],
                     reads)
    total = sorted(((sum(r["actions"].values()), r["agent"]) for r in rows),
                   key=lambda x: (-x[0], x[1]))
    if total[0][0] > total[1][0]:
        agent = total[0][1]
        return draft(world,
                     "Which fleet agent logged the most actions (of all kinds together) in "
                     "the last hour?", [agent], [a for a in others if a != agent], reads)
    latest: dict[str, float] = {e.agent: e.t for e in recent(world)}
    last = sorted(latest, key=lambda a: (-latest[a], a))
    assert len(last) >= 2 and latest[last[0]] > latest[last[1]], "no agent leads the summary"
    return draft(world,
                 "Which fleet agent logged an action most recently, and when? Give the agent "
                 "and the time as the fleet summary prints it (HH:MM:SS).",
                 [last[0], hms(world, latest[last[0]])],
                 last[1:] + [hms(world, latest[a]) for a in last[1:]], reads)


@template("fleet")
def agent_owner(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The team that owns an agent and its schedule (decoys: the other agents' ones)."""
    rows = read(world, "list_fleet_agents").data
    culprit = next((t.culprit for t in truths if t.family == "rogue_agent"), None)
    agent = culprit or one_of(scenario, [r["agent"] for r in rows], 3)
    pick = next(r for r in rows if r["agent"] == agent)
    sched = f"every {int(pick['interval_s'] // 60)}m"
    return draft(world,
                 f"Which team owns the fleet agent {pick['agent']}, and how often does it run? "
                 f"Give the team and the schedule as the agent list prints it (every Nm).",
                 [pick["owner"], sched],
                 [r["owner"] for r in rows] + [f"every {int(r['interval_s'] // 60)}m"
                                               for r in rows],
                 [ToolCall("list_fleet_agents", {})])


@template("fleet")
def action_context(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """What the target's CPU was when an agent acted (checks a rationale against data)."""
    services = {c.name for c in world.topology.components}
    window = [e for e in recent(world) if e.target in services and e.agent != "oncall"
              and e.t >= world.now - 3600 + MARGIN_S]
    agents = sorted({e.agent for e in window})
    assert agents, "no fleet action on a component in the last hour"
    changing = sorted({e.agent for e in window if not routine(e)})
    agent = one_of(scenario, changing or agents, 4)
    rows = [r for r in read(world, "fleet_action_context", agent=agent, minutes=60).data
            if "cpu" in r["observed"]]
    acted = [r for r in rows if r["action"] != "recommend"]
    pick = (acted or rows)[0]
    seen = pick["observed"]
    # a recommendation quotes the CPU it saw, so ask for the ready pods instead
    ask, fact, form = ("CPU", f"cpu={seen['cpu']:.0%}", "cpu=N%") if acted else \
        ("number of ready pods", f"ready_pods={seen['ready_pods']}", "ready_pods=N")
    return draft(world,
                 f"When {agent} logged '{pick['action']} {pick['target']}: {pick['detail']}' "
                 f"at {pick['time'][11:19]}, what was {pick['target']}'s {ask} at that instant? "
                 f"Give it as the action context prints it ({form}).", [fact],
                 [f"cpu={seen['cpu']:.0%}", f"ready_pods={seen['ready_pods']}"]
                 + [f"cpu={r['observed']['cpu']:.0%}" for r in rows[1:]]
                 + [f"ready_pods={r['observed']['ready_pods']}" for r in rows[1:]],
                 [ToolCall("fleet_action_context", {"agent": agent, "minutes": 60})])


@template("fleet", applies=rogue, weight=4.0)
def rogue_first_change(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """The agent that started damaging the paged component, and its first such change."""
    truth, mine = culprit_entries(world, scenario, truths)
    assert mine, f"{truth.culprit} logged nothing since the onset"
    first = mine[0]
    question = (f"A fleet agent has been changing {first.target} against the incident. Which "
                f"agent, and when did it make the first such change? Give the agent and the "
                f"time as the fleet log prints it (HH:MM:SS).")
    facts = [first.agent, hms(world, first.t)]
    log = [e for e in reversed(recent(world, 120)) if e.target == first.target]
    reads = [ToolCall("fleet_changes", {"target": first.target, "minutes": 120})]
    decoys = [e.agent for e in log] + [hms(world, e.t) for e in log]
    if any(d not in facts for d in decoys):
        return draft(world,
                     question, facts, decoys, reads)
    others = [e.agent for e in reversed(recent(world)) if e.agent != first.agent]
    return draft(world,
                 question, facts, others,
                 [*reads, ToolCall("list_fleet_actions", {"minutes": 60})])


#: What a rogue change sets, per action: the token an engineer repairs.
CHANGED = {"set_resources": r"-> (\S+)", "deploy": r"(rel-\d+)",
           "sync": r"^([A-Z][A-Z0-9_]+): \S+ -> (\S+)", "set_weights": r"(pool-[\w-]+=\d+)",
           "scale": r"(\d+ -> \d+)"}


def changed(action: str, detail: str) -> list[str]:
    """The tokens a change set, read from its audit detail (none for other actions)."""
    out: list[str] = []
    for found in re.findall(CHANGED.get(action, r"$^"), detail):
        out += [found] if isinstance(found, str) else list(found)
    return out


@template("fleet", applies=rogue, weight=4.0)
def rogue_change(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """What exactly the rogue agent set on its target (decoys: the values before, others)."""
    truth, mine = culprit_entries(world, scenario, truths)
    pick = next((e for e in reversed(mine) if changed(e.action, e.detail)), None)
    assert pick is not None, f"no change by {truth.culprit} to read"
    facts = changed(pick.action, pick.detail)[:2]
    rows = read(world, "fleet_changes", target=pick.target, minutes=120).data
    decoys = [t for r in rows for t in changed(r["action"], r["detail"])]
    decoys += re.findall(r"(\S+) ->", pick.detail) + [r["agent"] for r in rows]
    decoys += [r["time"][11:19] for r in rows]
    return draft(world,
                 f"Which fleet agent made the latest change to {pick.target} that hurts it, "
                 f"and what value did it set? Give the agent and the value as the fleet log "
                 f"prints it.", [pick.agent, *facts], decoys,
                 [ToolCall("fleet_changes", {"target": pick.target, "minutes": 120})])


@template("fleet")
def runs_since(world: World, scenario: Scenario, truths: list[Truth]) -> Draft:
    """An agent's two latest runs, to tell whether it still runs (decoys: earlier runs)."""
    rows = read(world, "fleet_summary", minutes=60).data
    often = [r["agent"] for r in rows if r["runs"] >= 3]
    agent = one_of(scenario, often, 2)
    runs = read(world, "agent_decisions", agent=agent, minutes=60).data
    assert len(runs) >= 2, f"{agent} ran fewer than twice"
    return draft(world,
                 f"When was {agent}'s most recent run, and what was the run before it? Give "
                 f"both times as its decisions list prints them (HH:MM:SS).",
                 [runs[0]["time"][11:19], runs[1]["time"][11:19]],
                 [r["time"][11:19] for r in runs[2:5]],
                 [ToolCall("agent_decisions", {"agent": agent, "minutes": 60})])
