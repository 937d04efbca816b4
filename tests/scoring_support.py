"""Helpers for the scoring tests: play fixed call lists and read the rubric tree."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import warroom
from warroom import ToolCall
from warroom.agents.oracle import plan
from warroom.env.episode import Episode
from warroom.scenarios import generate


def pick(fault: str, tier: str, prefer: str = "checkout") -> str:
    """A catalog id of ``fault`` in ``tier`` (on ``prefer`` when it is a target), so the
    tests follow the catalog as it grows."""
    ids = sorted(s.id for s in generate(tier=tier) if s.id.startswith(fault + "/"))
    preferred = [i for i in ids if i.split("/")[1] == prefer]
    return (preferred or ids)[0]


LEAK = pick("db_connection_leak", "medium")
ROGUE = pick("rogue_autoscaler", "hard")
EASY_LEAK = pick("db_connection_leak", "easy", "app")
EASY_MEM = pick("memory_leak", "easy", "app")
EASY_ROGUE = pick("rogue_autoscaler", "easy", "app")


def play(sid: str, calls: list[ToolCall] | None = None, *, oracle: bool = False,
         seed: int | None = None, **options: Any) -> Episode:
    """Reset ``sid`` and make ``calls`` (after the oracle's plan when ``oracle``)."""
    ep = warroom.make(sid, **options)
    ep.reset(seed=seed)
    todo = list(calls or [])
    if oracle:
        full = plan(ep.truths)
        todo = full[:-1] + todo + full[-1:]
    for call in todo:
        if ep.done:
            break
        ep.step(call)
    return ep


def oracle_plan(sid: str) -> list[ToolCall]:
    return list(_plan(sid))


@lru_cache(maxsize=32)
def _plan(sid: str) -> tuple[ToolCall, ...]:
    ep = warroom.make(sid)
    ep.reset()
    return tuple(plan(ep.truths))


def node(result: dict[str, Any], path: str) -> dict[str, Any]:
    """A rubric node by dotted path below the root, e.g. ``achievement.diagnosis``."""
    cur = result["rubric"]
    for part in path.split("."):
        cur = next(c for c in cur["children"] if c["name"] == part)
    return cur


def score(result: dict[str, Any], path: str) -> float:
    return float(node(result, path)["score"])


def report(component: str, category: str, culprit: str | None = None,
           summary: str = "Fixed.") -> ToolCall:
    return ToolCall("submit_report", {"root_cause": {
        "component": component, "category": category, "culprit": culprit},
        "summary": summary})


@lru_cache(maxsize=32)
def layout(sid: str) -> tuple[Any, str, str]:
    """(the first fault's truth, a healthy service, a team with no part in the incident)."""
    ep = warroom.make(sid)
    ep.reset()
    assert ep.world is not None
    truth = ep.truths[0]
    busy = set(truth.path) | {truth.component}
    for f in truth.fix:
        busy |= {v for v in f["arguments"].values() if isinstance(v, str)}
    comps = ep.world.topology.components
    healthy = next((c.name for c in comps if c.kind in ("service", "worker")
                    and c.name not in busy), "")
    team = next((c.team for c in comps if c.team != truth.team and c.name not in busy), "")
    return truth, healthy, team
