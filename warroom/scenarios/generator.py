"""The procedural generator: deterministic samples of the catalog with a declared mix.

``generate(split, tier, n, seed, family)`` filters the catalog; with ``n`` it draws ``n``
scenarios whose fault types follow ``mix(...)`` (uniform over the fault types present, so
rare families are not drowned by families with many targets): each draw picks a fault type
from the mix, then the next unused scenario of that type in a seeded order; a type whose
scenarios are all drawn leaves the mix (renormalised), so no scenario is drawn twice. Same
arguments, same list, in any process.
"""

from __future__ import annotations

from ..world import noise
from ..world.faults import FAULTS
from .catalog import all_scenarios
from .spec import Scenario


def _pool(split: str | None, tier: str | None, family: str | None) -> list[Scenario]:
    return [s for s in all_scenarios() if (split is None or s.split == split)
            and (tier is None or s.tier == tier) and (family is None or s.family == family)]


def mix(split: str | None = None, tier: str | None = None, family: str | None = None
        ) -> dict[str, float]:
    """The declared fault-type distribution of a sample: uniform over the types present."""
    types = sorted({s.faults[0].type for s in _pool(split, tier, family)})
    return {t: 1.0 / len(types) for t in types} if types else {}


def generate(split: str | None = None, tier: str | None = None, n: int | None = None,
             seed: int = 0, family: str | None = None) -> list[Scenario]:
    """Catalog scenarios matching the filters: all of them (``n`` None or at least the
    pool), else ``n`` drawn by the declared mix (see the module docstring)."""
    pool = _pool(split, tier, family)
    if family is not None and family not in {ft.family for ft in FAULTS.values()}:
        return []
    if n is None or n >= len(pool):
        return pool
    key = noise.sid(f"{split}/{tier}/{family}")
    by_type: dict[str, list[Scenario]] = {}
    for s in pool:
        by_type.setdefault(s.faults[0].type, []).append(s)
    for items in by_type.values():
        items.sort(key=lambda s: noise.bits(seed, key, noise.sid(s.id)))
    weights = mix(split, tier, family)
    used = dict.fromkeys(weights, 0)
    out = []
    for i in range(n):
        left = [t for t in sorted(weights) if used[t] < len(by_type[t])]
        r = noise.unit(seed, key, 7, i)
        if len(left) < len(weights):
            r *= sum(weights[t] for t in left)
        acc, pick = 0.0, left[-1]
        for t in left:
            acc += weights[t]
            if r < acc:
                pick = t
                break
        out.append(by_type[pick][used[pick]])
        used[pick] += 1
    return out
