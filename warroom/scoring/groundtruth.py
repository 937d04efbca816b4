"""The grading view of an episode's ground truth, built once per episode.

From the faults' ``Truth`` records and the topology: the root components and their
propagation paths, the culprit entities, the declared fixes and their acceptable
alternatives, the wrong fixes that cause a second failure, the evidence items, the rogue
fleet agents, the teams that must be paged, and the task facts and decoys. Distractors (red
herrings) are kept apart: acting on them is acting on something healthy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..world.faults import Evidence, Truth
from ..world.topology import Topology

# Arguments that name what a write acts on, in the order they are looked for.
TARGET_ARGS = ("service", "cache", "agent", "flag", "database", "node", "job", "topic",
               "queue", "provider", "pool", "pod", "release_id", "team")
# Tools that do the same thing to the same target (a catch is a catch either way).
SAME_ACTION = {"flag_rogue_agent": "pause_agent"}
DATASTORES = ("postgres", "redis", "queue")
COMMS = ("post_update", "page_team")
FLEET = ("pause_agent", "flag_rogue_agent")


def action_key(name: str) -> str:
    return SAME_ACTION.get(name, name)


def _key(call: dict[str, Any]) -> tuple[str, str | None]:
    return action_key(call["name"]), target_of(dict(call.get("arguments", {})))


def _fix_calls(truth: Truth) -> list[dict[str, Any]]:
    """The declared fix and every acceptable alternative, as tool calls."""
    return [*truth.fix, *(f for alt in getattr(truth, "alternatives", ()) for f in alt)]


def target_of(arguments: dict[str, Any]) -> str | None:
    """The entity a call acts on: its first naming argument that is a string."""
    for key in TARGET_ARGS:
        value = arguments.get(key)
        if isinstance(value, str):
            return value
    return None


@dataclass(frozen=True)
class GroundTruth:
    truths: tuple[Truth, ...]
    distractors: tuple[Truth, ...]
    components: tuple[str, ...]
    kinds: dict[str, str]
    teams: tuple[str, ...]
    fleet: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    fixes: frozenset[tuple[str, str | None]]
    fix_sets: tuple[frozenset[tuple[str, str | None]], ...]
    harmful: frozenset[tuple[str, str | None]]
    roots: frozenset[str]
    causes: frozenset[str]
    on_path: frozenset[str]
    rogues: frozenset[str]
    page_teams: frozenset[str]
    owner_teams: frozenset[str]
    facts: tuple[str, ...]
    decoys: tuple[str, ...]
    has_fix: bool
    evidence_by_tool: dict[str, tuple[int, ...]]

    @property
    def fact_task(self) -> bool:
        """Facts to find and nothing to fix: success is about the facts, not mitigation."""
        return bool(self.facts) and not self.has_fix

    def is_fix(self, name: str, target: str | None) -> bool:
        key = action_key(name)
        return (key, target) in self.fixes or (key, None) in self.fixes


def build(truths: list[Truth], distractors: list[Truth], topology: Topology,
          fleet: list[str]) -> GroundTruth:
    evidence: list[Evidence] = []
    for t in truths:
        evidence += [e for e in t.evidence if e not in evidence]
    fix_sets = tuple(frozenset(_key(f) for f in _fix_calls(t)) for t in truths)
    fixes: set[tuple[str, str | None]] = set().union(*fix_sets)
    harmful = {_key(w.call) for t in truths for w in getattr(t, "wrong", ()) if w.second}
    roots = {t.component for t in truths}
    causes = roots | {t.culprit for t in truths if t.culprit} | {x for _, x in fixes if x}
    path = {c for t in truths for c in t.path} - roots
    rogues = {t.culprit for t in truths if t.family == "rogue_agent" and t.culprit in fleet}
    rogues |= {x for key, x in fixes if key == "pause_agent" and x in fleet}
    facts = tuple(dict.fromkeys(f for t in truths for f in t.facts))
    decoys = tuple(dict.fromkeys(d for t in truths for d in t.decoys if d not in facts))
    return GroundTruth(
        truths=tuple(truths), distractors=tuple(distractors),
        components=tuple(c.name for c in topology.components),
        kinds={c.name: c.kind for c in topology.components},
        teams=tuple(sorted({c.team for c in topology.components})), fleet=tuple(fleet),
        evidence=tuple(evidence), fixes=frozenset(fixes), fix_sets=fix_sets,
        harmful=frozenset(harmful - fixes), roots=frozenset(roots),
        causes=frozenset(c for c in causes if c), on_path=frozenset(path),
        rogues=frozenset(r for r in rogues if r),
        page_teams=frozenset(t.team for t in truths if t.page_required and t.team),
        owner_teams=frozenset(t.team for t in truths if t.team),
        facts=facts, decoys=decoys, has_fix=any(t.fix for t in truths),
        evidence_by_tool={tool: tuple(i for i, e in enumerate(evidence) if e.tool == tool)
                          for tool in {e.tool for e in evidence}})
