"""The built-in catalog: scenario ids map to (fault, target, tier, variant).

An id looks like ``db_connection_leak/checkout/medium/v3`` and never changes meaning: the
topology, onset, second fault (hard), red herrings, split and seed all follow from the id
by stable arithmetic (``noise.bits`` of the id's parts), never from the order of the catalog.
Second faults and red herrings are picked by rendezvous hashing over what the id's own
generation knows: fault types and targets added later (``FaultType.generation``,
``more_targets``, ``newer_targets``) get new ids of their own and are never offered to an
older id, so adding them changes no existing scenario; every result stores its scenario
spec, so any past number can be reproduced exactly.
"""

from __future__ import annotations

from functools import lru_cache

from ..world import noise
from ..world.faults import FAULTS
from ..world.faults.base import targets_known
from ..world.faults.distractors import DISTRACTORS
from ..world.topology import TOPOLOGIES, Topology
from .spec import FaultSpec, Scenario
from .splits import VARIANTS, held_out, seed_of, split_of
from .tiers import TIER_NAMES
from .tiers import TIERS as TIER_KNOBS

TIERS = TIER_NAMES
# Faults that reshape traffic, quota or nodes for the whole system: never combined.
SOLO = frozenset({"traffic_spike", "pod_quota_exhausted", "noisy_neighbour"})
# Faults that set the autoscaler's policy: never two in one scenario.
AUTOSCALER = frozenset({"rogue_autoscaler", "rogue_bluffing_autoscaler",
                        "autoscaler_readiness_thrash"})


@lru_cache(maxsize=4)
def _topology(name: str) -> Topology:
    return TOPOLOGIES[name]()


def topology_for(fault: str, tier: str) -> str:
    ft = FAULTS[fault]
    if TIER_KNOBS[tier].prefer_small and "startup" in ft.topologies:
        return "startup"
    return "shop" if "shop" in ft.topologies else ft.topologies[0]


def hops(topo: Topology, component: str) -> int:
    """Call-graph hops from ``component`` up to the edge (where SLO alerts are measured)."""
    edge = topo.kind_of("edge")[0]
    frontier, seen, depth = [component], {component}, 0
    while frontier:
        if edge in frontier:
            return depth
        nxt = []
        for n in frontier:
            ups = topo.callers_of(n) + [c.name for c in topo.components
                                        if n in topo.forwards(c.name)]
            nxt += [u for u in ups if u not in seen]
            seen.update(ups)
        frontier, depth = nxt, depth + 1
    return depth


@lru_cache(maxsize=512)
def targets_for(fault: str, tier: str) -> tuple[str, ...]:
    """Targets of ``fault`` in ``tier``: those at least ``min_hops`` from the edge, or the
    farthest available when none is that deep; each generation's targets after the older
    ones. Generations 1 and 2 are filtered on their own (as they always were); generation
    3 against every target of the fault, so a shallow newcomer never enters a tier that
    has deeper ones."""
    topo = _topology(topology_for(fault, tier))
    ft = FAULTS[fault]
    out: tuple[str, ...] = ()
    known: list[str] = []
    for generation in (1, 2, 3):
        grown = [t for t in targets_known(ft, topo, generation) if t not in known]
        out += _deep_enough(topo, grown, tier, ft.targets(topo) if generation >= 3 else None)
        known += grown
    return out


def _deep_enough(topo: Topology, found: list[str], tier: str,
                 against: list[str] | None = None) -> tuple[str, ...]:
    """``found`` at least ``min_hops`` deep, or as deep as the deepest of ``against``
    (default ``found``) when none is that deep (targets added later are filtered on their
    own, so they never change an older target list)."""
    if not found:
        return ()
    deepest = max(hops(topo, t) for t in (against or found))
    need = min(TIER_KNOBS[tier].min_hops, deepest)
    return tuple(t for t in found if hops(topo, t) >= need)


def dev_target(fault: str, tier: str) -> str | None:
    return next((t for t in targets_for(fault, tier) if not held_out(fault, t)), None)


def _u(sid: str, *keys: int) -> float:
    return noise.unit(0, noise.sid(sid), *keys)


def _onset(sid: str, tier: str, k: int) -> float:
    lo, hi = TIER_KNOBS[tier].onset_min
    return round(lo + _u(sid, 1, k) * (hi - lo), 1)


@lru_cache(maxsize=4)
def _pairs(generation: int = 1) -> tuple[tuple[str, str], ...]:
    """In-distribution (fault, target) pairs in the shop, for second faults: only fault types
    of ``generation`` or earlier, so a newer fault type never changes an older id."""
    topo = _topology("shop")

    return tuple((f, t) for f in sorted(FAULTS) if "shop" in FAULTS[f].topologies
                 and f not in SOLO and FAULTS[f].generation <= generation
                 for t in targets_known(FAULTS[f], topo, generation) if not held_out(f, t))


def _below(topo: Topology, name: str) -> set[str]:
    """Everything ``name`` calls, directly or not."""
    out: set[str] = set()
    stack = [d.target for d in topo[name].deps]
    while stack:
        n = stack.pop()
        if n not in out:
            out.add(n)
            stack += [d.target for d in topo[n].deps]
    return out


def independent(topo: Topology, a: str, b: str) -> bool:
    """Neither component calls the other (so one fault cannot starve the other of
    traffic), and neither is the shared front door (edge, gateway)."""
    front = {c.name for c in topo.components if c.kind in ("edge", "gateway")}
    return a != b and not {a, b} & front and a not in _below(topo, b) and \
        b not in _below(topo, a)


def second_fault(fault: str, target: str, sid: str, variant: int) -> tuple[str, str] | None:
    """The hard tier's concurrent fault: another family, on a component independent of the
    first; a rogue fleet agent on even variants (when the first fault is not one)."""
    topo = _topology("shop")
    if fault in SOLO or target not in topo.names:
        return None
    family = FAULTS[fault].family
    rogue = variant % 2 == 0 and family != "rogue_agent"
    pool = [(f, t) for f, t in _pairs(FAULTS[fault].generation) if FAULTS[f].family != family
            and independent(topo, target, t) and (FAULTS[f].family == "rogue_agent") == rogue
            and not {fault, f} <= AUTOSCALER]
    return _rendezvous(pool, sid, 2) if pool else None


def _rendezvous(options: list[tuple[str, str]], sid: str, salt: int) -> tuple[str, str]:
    """The option with the highest seeded score for this id: adding options to the catalog
    changes the pick of only the ids the newcomer wins."""
    return max(options, key=lambda o: noise.bits(0, noise.sid(sid), salt, noise.sid("/".join(o))))


def distractors_for(n: int, topology: str, avoid: set[str], sid: str) -> list[FaultSpec]:
    """``n`` red herrings of different kinds, on components other than the faults'."""
    kinds = sorted(DISTRACTORS, key=lambda k: -noise.bits(0, noise.sid(sid), 3, noise.sid(k)))
    out: list[FaultSpec] = []
    for i in range(len(kinds)):
        if len(out) >= n:
            break
        d = DISTRACTORS[kinds[i]]
        options = [t for t in d.targets(_topology(topology)) if t not in avoid]
        if not options:
            continue
        target = _rendezvous([(d.name, t) for t in options], sid, 4)[1]
        avoid.add(target)
        out.append(FaultSpec(type=d.name, target=target,
                             onset_min=round(3.0 + 27.0 * _u(sid, 5, i), 1)))
    return out


def build(fault: str, target: str, tier: str, variant: int) -> Scenario:
    """The scenario behind one id (see the module docstring)."""
    knobs = TIER_KNOBS[tier]
    sid = f"{fault}/{target}/{tier}/v{variant}"
    topology = topology_for(fault, tier)
    faults = [FaultSpec(type=fault, target=target, onset_min=_onset(sid, tier, 0))]
    if knobs.faults > 1:
        pair = second_fault(fault, target, sid, variant)
        if pair:
            faults.append(FaultSpec(type=pair[0], target=pair[1],
                                    onset_min=_onset(sid, tier, 1)))
    avoid = {f.target for f in faults}
    split = split_of(fault, target, variant, target == dev_target(fault, tier))
    return Scenario(
        id=sid, title="Production incident", topology=topology, tier=tier,  # type: ignore[arg-type]
        family=FAULTS[fault].family, split=split,  # type: ignore[arg-type]
        faults=faults, distractors=distractors_for(knobs.distractors, topology, avoid, sid),
        step_budget=knobs.step_budget, noise=knobs.noise, seed=seed_of(split, sid))


@lru_cache(maxsize=1)
def _catalog() -> tuple[Scenario, ...]:
    out: list[Scenario] = []
    for name in sorted(FAULTS):
        for tier in TIERS:
            for target in targets_for(name, tier):
                out.extend(build(name, target, tier, v) for v in range(VARIANTS))
    return tuple(out)


def all_scenarios() -> list[Scenario]:
    """Every catalog scenario, sorted by fault, tier, target and variant."""
    return list(_catalog())


def parse(scenario_id: str) -> tuple[str, str, str, int] | None:
    """(fault, target, tier, variant) of a valid catalog id, else None."""
    parts = scenario_id.split("/")
    if len(parts) != 4 or parts[0] not in FAULTS or parts[2] not in TIERS:
        return None
    if not (parts[3].startswith("v") and parts[3][1:].isdigit()):
        return None
    variant = int(parts[3][1:])
    if variant >= VARIANTS or parts[1] not in targets_for(parts[0], parts[2]):
        return None
    return parts[0], parts[1], parts[2], variant


def get(scenario_id: str) -> Scenario:
    """The scenario with this id; a ``KeyError`` that lists a few valid ids otherwise."""
    key = parse(scenario_id)
    if key is None:
        sample = ", ".join(s.id for s in _catalog()[:3])
        raise KeyError(f"unknown scenario {scenario_id!r}; ids are fault/target/tier/vN, "
                       f"see `warroom list` (e.g. {sample})")
    return build(*key)
