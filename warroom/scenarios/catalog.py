"""The built-in catalog: scenario ids map to (fault, target, tier, variant).

An id looks like ``db_connection_leak/checkout/easy/v3`` and never changes meaning.
"""

from __future__ import annotations

from ..world.faults import FAULTS
from ..world.topology import TOPOLOGIES
from .spec import FaultSpec, Scenario

TIERS = ("easy", "medium", "hard")
VARIANTS = 8
STEP_BUDGET = {"easy": 40, "medium": 35, "hard": 30}
ONSET = {"easy": 25.0, "medium": 20.0, "hard": 15.0}


def _topology_for(tier: str) -> str:
    return "startup" if tier == "easy" else "shop"


def split_of(variant: int) -> str:
    return ("train", "train", "train", "train", "dev", "test", "test", "test")[variant % 8]


def build(fault: str, target: str, tier: str, variant: int) -> Scenario:
    ft = FAULTS[fault]
    return Scenario(
        id=f"{fault}/{target}/{tier}/v{variant}", title="Production incident",
        topology=_topology_for(tier), tier=tier, family=ft.family, split=split_of(variant),
        faults=[FaultSpec(type=fault, target=target, onset_min=ONSET[tier])],
        step_budget=STEP_BUDGET[tier], seed=variant)


def all_scenarios() -> list[Scenario]:
    out = []
    for name, ft in FAULTS.items():
        for tier in TIERS:
            topo_name = _topology_for(tier)
            if topo_name not in ft.topologies:
                continue
            for target in ft.targets(TOPOLOGIES[topo_name]()):
                for v in range(VARIANTS):
                    out.append(build(name, target, tier, v))
    return out


def get(scenario_id: str) -> Scenario:
    """The scenario with this id; a ``KeyError`` that lists a few valid ids otherwise."""
    parts = scenario_id.split("/")
    if len(parts) == 4 and parts[0] in FAULTS and parts[2] in TIERS and parts[3][1:].isdigit():
        sc = build(parts[0], parts[1], parts[2], int(parts[3][1:]))
        topo = TOPOLOGIES[sc.topology]()
        if parts[1] in FAULTS[parts[0]].targets(topo):
            return sc
    sample = ", ".join(s.id for s in all_scenarios()[:3])
    raise KeyError(f"unknown scenario {scenario_id!r}; see `warroom list` (e.g. {sample})")


def generate(split: str | None = None, tier: str | None = None, n: int | None = None,
             seed: int = 0, family: str | None = None) -> list[Scenario]:
    """A deterministic selection of catalog scenarios (every n-th after a seeded offset)."""
    pool = [s for s in all_scenarios() if (split is None or s.split == split)
            and (tier is None or s.tier == tier) and (family is None or s.family == family)]
    if n is None or n >= len(pool):
        return pool
    from ..world.noise import bits

    ranked = sorted(pool, key=lambda s: bits(seed, *(ord(ch) for ch in s.id[-24:])))
    return sorted(ranked[:n], key=lambda s: s.id)
