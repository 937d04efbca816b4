"""What a fault is: a state change plus its ground truth.

``FaultType.inject`` changes the world (a release that leaks, a rogue policy) and returns a
``Truth``: the root-cause component and the propagation path (for partial credit), the
category from the taxonomy (``family/kind``), the culprit entity, the evidence that reveals
it (a tool whose output contains a token), the oracle's fix as tool calls, the wrong fixes
and what they do, and the team to page if any. ``FaultType.resolved`` says from state alone
whether the root condition is gone. Truth lives beside the world, never inside it: no tool
can read it.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import noise
from ..build import PEOPLE
from ..topology import Topology
from ..world import World

FAMILIES = ("compute", "config", "deploy", "capacity", "database", "cache", "queue", "network",
            "external", "rogue_agent", "appdata", "rollout", "security")


@dataclass(frozen=True)
class Evidence:
    """Seeing ``token`` in the output of ``tool`` is evidence of the cause; ``args`` is a
    call of that tool that shows it (the oracle uses it)."""

    tool: str
    token: str
    what: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WrongFix:
    """A tempting remediation that does not remove the cause. ``call`` is the tool call,
    ``effect`` what happens, and ``second`` the component where it causes a second failure
    (None when it merely changes nothing)."""

    call: dict[str, Any]
    effect: str
    second: str | None = None


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
    wrong: tuple[WrongFix, ...] = ()
    alternatives: tuple[tuple[dict[str, Any], ...], ...] = ()


Inject = Callable[[World, str, dict[str, Any]], Truth]
Resolved = Callable[[World, Truth], bool]


@dataclass(frozen=True)
class FaultType:
    """A kind of fault. ``targets(topology)`` lists where it can be injected; ``sees`` is
    what the on-call engineer observes and ``wrong_fixes`` what tempting fixes do (both for
    the generated docs). ``generation`` is 2 or 3 for fault types added after the catalog's
    first release: they never become the second fault or the pick of an older id.
    ``more_targets`` are targets added in generation 2 to an older fault type and
    ``newer_targets`` those added in generation 3; ``register`` makes ``targets`` list them
    after the first ones and keeps those as ``first_targets`` (see ``targets_known``)."""

    name: str
    family: str
    category: str
    title: str
    sees: str
    wrong_fixes: str
    targets: Callable[[Topology], list[str]]
    inject: Inject
    resolved: Resolved
    topologies: tuple[str, ...] = ("shop", "startup")
    generation: int = 1
    more_targets: Callable[[Topology], list[str]] | None = None
    newer_targets: Callable[[Topology], list[str]] | None = None
    first_targets: Callable[[Topology], list[str]] | None = None


FAULTS: dict[str, FaultType] = {}


def register(ft: FaultType) -> FaultType:
    if ft.name in FAULTS:
        raise ValueError(f"fault {ft.name!r} registered twice")
    if ft.family not in FAMILIES or not ft.category.startswith(ft.family + "/"):
        raise ValueError(f"fault {ft.name!r}: category {ft.category!r} outside its family")
    groups = [g for g in (ft.targets, ft.more_targets, ft.newer_targets) if g is not None]

    def targets(topo: Topology) -> list[str]:
        return list(dict.fromkeys(t for g in groups for t in g(topo)))

    FAULTS[ft.name] = dataclasses.replace(ft, inject=_searching(ft.inject), targets=targets,
                                          first_targets=ft.targets)
    return FAULTS[ft.name]


def targets_known(ft: FaultType, topo: Topology, generation: int) -> list[str]:
    """The targets of ``ft`` that an id of ``generation`` knows: the first ones, plus the
    generation-2 ``more_targets`` from generation 2, plus ``newer_targets`` from 3."""
    first = ft.first_targets or ft.targets
    if generation <= 1:
        return first(topo)
    groups = [first, ft.more_targets] + ([ft.newer_targets] if generation >= 3 else [])
    return list(dict.fromkeys(t for g in groups if g is not None for t in g(topo)))


_PARAM = re.compile(r"""params(?:\.get\(|\[)\s*["'](\w+)["']""")


def parameters(ft: FaultType) -> tuple[str, ...]:
    """The parameters ``ft``'s injection reads (``params.get("x")`` / ``params["x"]`` in
    its source), sorted: what a scenario file may set in ``faults[i].params``."""
    inject = getattr(ft.inject, "__wrapped__", ft.inject)
    return tuple(sorted(set(_PARAM.findall(inspect.getsource(inject)))))


def _searching(inject: Inject) -> Inject:
    """Log evidence is read the way an engineer greps: the call searches for the token
    over the last half hour (so a busy log cannot push the line off the page)."""

    def wrapped(world: World, target: str, params: dict[str, Any]) -> Truth:
        truth = inject(world, target, params)
        evidence = tuple(
            Evidence(e.tool, e.token, e.what, {"service": e.args["service"], "query": e.token,
                                               "minutes": max(30, e.args.get("minutes", 30))})
            if e.tool == "search_logs" and "query" not in e.args else e
            for e in truth.evidence)
        return dataclasses.replace(truth, evidence=evidence)

    wrapped.__name__ = getattr(inject, "__name__", "inject")
    wrapped.__wrapped__ = inject  # type: ignore[attr-defined]
    return wrapped


def call(name: str, **arguments: Any) -> dict[str, Any]:
    """A tool call as the oracle and the docs write it."""
    return {"name": name, "arguments": arguments}


# -- targets ----------------------------------------------------------------------------------
def named(*names: str) -> Callable[[Topology], list[str]]:
    """The given components, those the topology has."""
    return lambda topo: [n for n in names if n in topo.names]


def kinds(*wanted: str) -> Callable[[Topology], list[str]]:
    """Components of the given kinds."""
    return lambda topo: [c.name for c in topo.components if c.kind in wanted]


def app_services(topo: Topology) -> list[str]:
    return [c.name for c in topo.components if c.kind == "service"]


def route_services(topo: Topology) -> list[str]:
    """Services that serve a public route (their failures reach an SLO directly)."""
    return list(dict.fromkeys(ep.service for ep in topo.endpoints))


def db_clients(topo: Topology) -> list[str]:
    return [c.name for c in topo.components if c.kind == "service"
            and any(d.kind == "db" for d in c.deps)]


def primaries(topo: Topology) -> list[str]:
    return [c.name for c in topo.components if c.kind == "postgres"
            and not c.name.endswith("replica")]


def replicas(topo: Topology) -> list[str]:
    return [c.name for c in topo.components if c.kind == "postgres" and c.name.endswith("replica")]


# -- injection helpers ------------------------------------------------------------------------
def person(world: World, *keys: int) -> str:
    """A seeded engineer's name (authors, people who changed things)."""
    return str(noise.choice(world.seed, PEOPLE, 77, *keys))


def pick(world: World, options: list[Any] | tuple[Any, ...], *keys: int) -> Any:
    return noise.choice(world.seed, options, 78, *keys)


def bad_release(world: World, target: str, behavior: dict[str, Any], message: str,
                author: str | None = None, reviewed_by: str | None = "sven.lindqvist",
                actor: str = "deploy-platform", bump: str = "minor") -> str:
    """Register and roll out a release of ``target`` whose code does ``behavior``."""
    from .. import ops

    author = author or person(world, noise.sid(target), 1)
    rel = ops.new_release(world, target, author, message, behavior=behavior,
                          reviewed_by=reviewed_by, bump=bump)
    ops.start_rollout(world, target, rel.id, "RollingUpdate", actor)
    return rel.id


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


def runs_release(world: World, service: str, release: str) -> bool:
    """Whether any live pod of ``service`` runs ``release``."""
    return any(p.release == release and (p.deleted_at is None or p.deleted_at > world.now)
               for p in world.head.services[service].pods)


def stopped(world: World, agent: str) -> bool:
    a = world.head.fleet[agent]
    return a.paused or a.flagged


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


def config_text(key: str, value: Any) -> str:
    """How ``get_config`` prints one setting (the evidence token for a bad value)."""
    import json

    return f"{key}={json.dumps(value)}"


def lang_token(world: World, service: str, tokens: dict[str, str]) -> str:
    """The word a service's runtime uses for something (by language, 'python' default)."""
    lang = world.topology[service].language
    return tokens.get(lang, tokens["python"])
