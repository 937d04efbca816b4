"""Cheap strategies that must not pay, and the bound each must stay under.

Each strategy is a generator of tool calls over a ``Scout`` (what it may know: the public
topology, fleet and category list, the incident page and every output so far; the
``truth_aware`` ones also get the ground truth, to bound any lucky guess from above). The
tests play every strategy on a sample of scenarios from every family and tier and check
that none succeeds and each scores at most its bound, while the oracle scores >= 0.95.

    result = play(episode, STRATEGIES["restart_everything"])
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..types import ToolCall
from ..world.faults import FAULTS, Truth

WORKLOADS = ("service", "gateway", "worker", "edge", "postgres", "redis", "queue")
DEPLOYABLE = ("service", "gateway", "worker", "edge")
ID_RE = re.compile(r"\b(?:[a-z]+-\d{3,}|[0-9a-f]{8}-[0-9a-f-]{27}|[0-9a-f]{10,40}|"
                   r"[A-Z]{2,}-\d+|[a-z]+_[a-z0-9_]+)\b")


@dataclass
class Scout:
    """What a strategy may use: public facts of the episode and its outputs so far."""

    page: str
    components: dict[str, str]
    teams: list[str]
    fleet: list[str]
    categories: list[str]
    truths: list[Truth] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)

    def guess(self) -> dict[str, Any]:
        """A report from priors only: the first service the page names (else the first
        service), the first category of the taxonomy, no culprit."""
        services = [n for n, k in self.components.items() if k == "service"]
        named = [n for n in self.components if re.search(rf"\b{re.escape(n)}\b", self.page)]
        component = (named or services or list(self.components))[0]
        return {"component": component, "category": self.categories[0], "culprit": None}


Strategy = Callable[[Scout], Iterator[ToolCall]]


@dataclass(frozen=True)
class Cheap:
    name: str
    run: Strategy
    bound: float
    what: str
    truth_aware: bool = False
    max_steps: int | None = None


def report(rc: dict[str, Any], summary: str = "Resolved.") -> ToolCall:
    return ToolCall("submit_report", {"root_cause": rc, "summary": summary})


def guess_report(s: Scout) -> Iterator[ToolCall]:
    yield report(s.guess())


def blind_correct_report(s: Scout) -> Iterator[ToolCall]:
    t = s.truths[0]
    yield report({"component": t.component, "category": t.category, "culprit": t.culprit})


def wrong_category(s: Scout) -> Iterator[ToolCall]:
    t = s.truths[0]
    family = t.category.split("/")[0]
    other = next(c for c in s.categories if c.split("/")[0] != family)
    yield report({"component": t.component, "category": other, "culprit": t.culprit})


def restart_everything(s: Scout) -> Iterator[ToolCall]:
    for name, kind in s.components.items():
        if kind in WORKLOADS:
            yield ToolCall("restart_service", {"service": name})
    yield report(s.guess())


def rollback_everything(s: Scout) -> Iterator[ToolCall]:
    for name, kind in s.components.items():
        if kind in DEPLOYABLE:
            yield ToolCall("rollback_deploy", {"service": name})
    yield report(s.guess())


def look_then(strategy: Strategy) -> Strategy:
    """The same strategy after one read, so that it does not count as acting blind."""

    def run(s: Scout) -> Iterator[ToolCall]:
        yield ToolCall("list_alerts", {})
        yield from strategy(s)

    return run


def scale_everything_up(s: Scout) -> Iterator[ToolCall]:
    for name, kind in s.components.items():
        if kind in ("service", "gateway"):
            yield ToolCall("scale_service", {"service": name, "replicas": 8})
    yield report(s.guess())


def report_every_component(s: Scout) -> Iterator[ToolCall]:
    """The root component itself, with every other component named in the summary."""
    rc = dict(s.guess(), component=s.truths[0].component)
    yield report(rc, "Candidates: " + ", ".join(s.components))


def stuffed_summary(s: Scout) -> Iterator[ToolCall]:
    for name in ("list_alerts", "get_service_map", "list_deploys", "list_issues",
                 "list_fleet_agents", "list_flags", "list_pods", "list_categories"):
        yield ToolCall(name, {})
    ids = sorted({m for out in s.outputs for m in ID_RE.findall(out)})
    summary = " ".join(list(s.components) + s.categories + ids)
    yield report(s.guess(), summary)


def flag_every_agent(s: Scout) -> Iterator[ToolCall]:
    yield ToolCall("list_fleet_actions", {})
    for agent in s.fleet:
        yield ToolCall("flag_rogue_agent", {"agent": agent, "reason": "suspicious"})
    yield report(s.guess())


def pause_every_agent(s: Scout) -> Iterator[ToolCall]:
    yield ToolCall("list_fleet_actions", {})
    for agent in s.fleet:
        yield ToolCall("pause_agent", {"agent": agent, "reason": "incident freeze"})
    yield report(s.guess())


def repeat_read(s: Scout) -> Iterator[ToolCall]:
    for _ in range(100):
        yield ToolCall("list_alerts", {})
    yield report(s.guess())


def page_everyone(s: Scout) -> Iterator[ToolCall]:
    for _ in range(3):
        yield ToolCall("post_update", {"status": "investigating", "message": "Looking."})
    for team in s.teams:
        yield ToolCall("page_team", {"team": team, "message": "Please help."})
    yield report(s.guess())


def invalid_spam(s: Scout) -> Iterator[ToolCall]:
    for i in range(20):
        yield ToolCall("not_a_tool" if i % 2 else "restart_service", {"service": "?"})
    yield report(s.guess())


def stall(s: Scout) -> Iterator[ToolCall]:
    while True:
        yield ToolCall("get_service_map", {})


STRATEGIES: dict[str, Cheap] = {c.name: c for c in (
    Cheap("guess_report", guess_report, 0.1, "report at once from priors"),
    Cheap("blind_correct_report", blind_correct_report, 0.15,
          "report the true cause at once, with no look and no fix", truth_aware=True),
    Cheap("wrong_category", wrong_category, 0.1,
          "the right component at once, with a category of another family", truth_aware=True),
    Cheap("restart_everything", restart_everything, 0.1, "restart every workload"),
    Cheap("rollback_everything", rollback_everything, 0.2, "roll back every service"),
    Cheap("look_then_restart_everything", look_then(restart_everything), 0.1,
          "one read, then restart every workload"),
    Cheap("look_then_rollback_everything", look_then(rollback_everything), 0.2,
          "one read, then roll back every service"),
    Cheap("scale_everything_up", look_then(scale_everything_up), 0.2,
          "one read, then scale every service up"),
    Cheap("report_every_component", report_every_component, 0.15,
          "the root component with every component in the summary", truth_aware=True),
    Cheap("stuffed_summary", stuffed_summary, 0.2,
          "a summary with every component, category and id seen"),
    Cheap("flag_every_agent", flag_every_agent, 0.1, "flag every fleet agent"),
    Cheap("pause_every_agent", pause_every_agent, 0.2, "pause every fleet agent"),
    Cheap("repeat_read", repeat_read, 0.1, "one read a hundred times", max_steps=101),
    Cheap("page_everyone", page_everyone, 0.15, "updates and a page to every team"),
    Cheap("invalid_spam", invalid_spam, 0.1, "twenty invalid calls, then a guess",
          max_steps=21),
    Cheap("stall", stall, 0.05, "read until the step budget runs out"),
)}


def scout(episode: Any) -> Scout:
    world = episode.world
    topo = world.topology
    return Scout(page=episode.incident_page(), components={c.name: c.kind for c in
                                                           topo.components},
                 teams=sorted({c.team for c in topo.components}),
                 fleet=sorted(world.head.fleet),
                 categories=sorted({ft.category for ft in FAULTS.values()}),
                 truths=list(episode.truths))


def play(episode: Any, cheap: Cheap, seed: int | None = None) -> dict[str, Any]:
    """Reset ``episode``, play ``cheap`` until the episode ends; return the result."""
    episode.reset(seed=seed)
    s = scout(episode)
    if not cheap.truth_aware:
        s.truths = []
    calls = cheap.run(s)
    while not episode.done:
        call = next(calls, None)
        if call is None:
            break
        out = episode.step(call)
        s.outputs.append(out.observation.text)
    return episode.result or episode.grader.final()


def audit(scenarios: list[Any], make: Callable[..., Any],
          names: list[str] | None = None) -> list[dict[str, Any]]:
    """Play each strategy (all by default) on each scenario; ``make(scenario, max_steps=)``
    builds an episode (``warroom.make``). One row per pair, with ``ok`` when the strategy
    stayed under its bound and did not succeed."""
    rows = []
    for scenario in scenarios:
        for name in names or sorted(STRATEGIES):
            cheap = STRATEGIES[name]
            result = play(make(scenario, max_steps=cheap.max_steps), cheap)
            rows.append({"scenario": getattr(scenario, "id", str(scenario)), "strategy": name,
                         "score": result["score"], "success": result["success"],
                         "bound": cheap.bound,
                         "ok": result["score"] <= cheap.bound and not result["success"]})
    return rows
