"""Helpers for the scoring tests: play fixed call lists and read the rubric tree."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import warroom
from warroom import ToolCall
from warroom.agents.oracle import plan
from warroom.env.episode import Episode

LEAK = "db_connection_leak/checkout/medium/v3"
MEMLEAK = "memory_leak/checkout/medium/v1"
ROGUE = "rogue_autoscaler/checkout/hard/v2"


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
