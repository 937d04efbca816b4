"""What the flow solver reads from a state version that holds still over time.

A version is immutable once a later edit count exists (see ``World.edit``), so settings,
host checks, query costs and node headroom are worked out once per version and reused by
every solve at any instant it covers (a metrics query solves the same version at dozens of
instants). Each entry is computed lazily, on the first solve that needs it, so a setting
is read exactly when, and only if, the per-instant code used to read it. The topology's
own derived lists (edge, gateways, dependency walks) are kept once per topology.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..state import State
from ..topology import Component, Topology

PLANS_PER_WORLD = 32  # version plans kept per world, dropped all at once when full


@dataclass(slots=True)
class TopologyPlan:
    """Derived lists of a topology the solver walks on every pass."""

    names: list[str]
    order: list[str]
    ordered: list[Component]  # the components in ``order``
    queues: list[Component]  # the queues in ``order`` (solved after the rest of a pass)
    reversed_order: list[str]
    edge: str
    gateways: list[str]
    chain: list[str]  # the proxies every route crosses: the edge, then the first gateway
    load_deps: dict[str, list[Any]]  # deps that take load from a caller (not consume, not
    # the edge's first hop)
    db_deps: dict[str, list[Any]]  # a component's PostgreSQL deps (primary or replica)
    publishers: dict[str, list[tuple[str, Any]]]  # queue -> (publishing component, dep)
    by_path: dict[str, str]


def topology_plan(topo: Topology) -> TopologyPlan:
    """The solver's view of ``topo``, built once and kept on the topology."""
    found = topo._cache.get("flow_plan")
    if found is not None:
        return found  # type: ignore[return-value]
    order = topo.order_leaves_first()
    edge = topo.kind_of("edge")[0]
    gateways = topo.kind_of("gateway")
    load_deps: dict[str, list[Any]] = {}
    publishers: dict[str, list[tuple[str, Any]]] = {}
    for c in topo.components:
        first = c.deps[0].target if c.kind == "edge" and c.deps else None
        load_deps[c.name] = [d for d in c.deps if d.kind != "consume" and d.target != first]
        for d in c.deps:
            if d.kind == "publish":
                publishers.setdefault(d.target, []).append((c.name, d))
    ordered = [topo.by_name[n] for n in order]
    plan = TopologyPlan(topo.names, order, ordered, [c for c in ordered if c.kind == "queue"],
                        list(reversed(order)), edge, gateways,
                        [edge, *gateways[:1]], load_deps,
                        {c.name: [d for d in c.deps if d.kind in ("db", "db_read")]
                         for c in topo.components}, publishers,
                        {ep.path: ep.service for ep in topo.endpoints})
    topo._cache["flow_plan"] = plan
    return plan


@dataclass(slots=True)
class VersionPlan:
    """Per version: the pods' plan and lazily filled memos of version-only quantities."""

    pods: list[tuple[Component, Any, list[tuple[Any, dict[str, Any], str | None, bool]]]]
    calls: dict[tuple[str, str], Any] = field(default_factory=dict)
    services: dict[str, Any] = field(default_factory=dict)
    node_factor: dict[str, float] = field(default_factory=dict)
    db_cost: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    db_broken: dict[tuple[str, str], tuple[float, str]] = field(default_factory=dict)
    steady: dict[int, Any] = field(default_factory=dict)  # id(pod) -> its status for good


def node_factor(st: State, plan: VersionPlan, node_name: str) -> float:
    """A pod's CPU share on its node: 1 with headroom, down to 0.15 under foreign load."""
    f = plan.node_factor.get(node_name)
    if f is None:
        node = st.nodes.get(node_name)
        if node is None:
            f = 1.0
        else:
            free = (node.cpu_millicores - node.foreign_cpu_millicores) / (node.cpu_millicores
                                                                          * 0.6)
            f = min(1.0, max(0.15, free))
        plan.node_factor[node_name] = f
    return f
