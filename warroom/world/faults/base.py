"""What a fault is: a state change plus its ground truth.

``FaultType.inject`` changes the world (a release that leaks, a rogue policy) and returns a
``Truth``: the root-cause component and the propagation path (for partial credit), the
category from the taxonomy, the culprit entity, the evidence that reveals it (a tool whose
output contains a token), the oracle's fix as tool calls, and the team to page if any.
``FaultType.resolved`` says from state alone whether the root condition is gone.
Truth lives beside the world, never inside it: no tool can read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..world import World


@dataclass(frozen=True)
class Evidence:
    """Seeing ``token`` in the output of ``tool`` is evidence of the cause; ``args`` is a
    call of that tool that shows it (the oracle uses it)."""

    tool: str
    token: str
    what: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Truth:
    fault: str
    family: str
    category: str
    component: str
    culprit: str | None
    path: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    fix: tuple[dict[str, Any], ...]
    params: dict[str, Any] = field(default_factory=dict)
    team: str | None = None
    page_required: bool = False
    facts: tuple[str, ...] = ()
    decoys: tuple[str, ...] = ()


@dataclass(frozen=True)
class FaultType:
    name: str
    family: str
    category: str
    title: str
    sees: str
    wrong_fixes: str
    targets: Callable[[Any], list[str]]
    inject: Callable[[World, str, dict[str, Any]], Truth]
    resolved: Callable[[World, Truth], bool]
    topologies: tuple[str, ...] = ("shop", "startup")


FAULTS: dict[str, FaultType] = {}


def register(ft: FaultType) -> FaultType:
    if ft.name in FAULTS:
        raise ValueError(f"fault {ft.name!r} registered twice")
    FAULTS[ft.name] = ft
    return ft


def previous_release(world: World, service: str) -> str:
    """The release that ran before the current one (what a rollback goes back to)."""
    rels = sorted((r for r in world.head.releases.values() if r.service == service),
                  key=lambda r: r.deployed_at)
    current = world.head.services[service].release
    ids = [r.id for r in rels]
    i = ids.index(current)
    return ids[i - 1] if i > 0 else current


def live_behavior(world: World, service: str, key: str) -> bool:
    """Whether any live pod of ``service`` runs code with behavior ``key``."""
    st = world.head
    svc = st.services[service]
    for p in svc.pods:
        if p.deleted_at is None or p.deleted_at > world.now:
            rel = st.releases.get(p.release)
            if rel is not None and rel.behavior.get(key):
                return True
    return bool(svc.behavior.get(key))


def path_to_edge(world: World, component: str) -> tuple[str, ...]:
    """Components from ``component`` up to the edge along callers (the propagation path)."""
    topo = world.topology
    out = [component]
    frontier = [component]
    while frontier:
        nxt = []
        for n in frontier:
            for caller in topo.callers_of(n):
                if caller not in out:
                    out.append(caller)
                    nxt.append(caller)
            for c in topo.components:
                if n in topo.forwards(c.name) and c.name not in out:
                    out.append(c.name)
                    nxt.append(c.name)
        frontier = nxt
    return tuple(out)
