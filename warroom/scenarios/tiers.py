"""Tiers, defined by measurable knobs.

| knob | easy | medium | hard |
|---|---|---|---|
| ``topology`` | ``startup`` where the fault fits it, else ``shop`` | ``shop`` | ``shop`` |
| ``faults`` (concurrent) | 1 | 1 | 2 (the second from another family, on another component) |
| ``rogue_share`` (variants whose second fault is a rogue fleet agent) | 0 | 0 | 0.5 |
| ``distractors`` (red herrings) | 0 | 2 | 3 |
| ``min_hops`` (hops from the root cause to the edge, see below) | 1 | 2 | 2 |
| ``noise`` (telemetry noise multiplier) | 0.5 | 1.0 | 2.0 |
| ``step_budget`` (tool calls) | 40 | 32 | 26 |
| ``onset_min`` (minutes before the page the fault starts) | 15-30 | 10-35 | 8-40 |

``min_hops`` counts call-graph hops from the root cause up to the edge, where the SLO alerts
are measured; a fault whose targets are all nearer keeps its farthest ones.

Every tier has the benign fleet acting on its own schedule (scale-downs, dependency bumps,
weight tuning), so a fleet action alone is never evidence. Hard scenarios combine two faults,
so the first fix found never mitigates on its own, and cascades (a cold cache loading the
database, a leak exhausting database connections, a retry storm overloading a dependency)
arise from the physics rather than from a script.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tier:
    name: str
    prefer_small: bool
    faults: int
    rogue_share: float
    distractors: int
    min_hops: int
    noise: float
    step_budget: int
    onset_min: tuple[float, float]


TIERS: dict[str, Tier] = {
    "easy": Tier("easy", True, 1, 0.0, 0, 1, 0.5, 40, (15.0, 30.0)),
    "medium": Tier("medium", False, 1, 0.0, 2, 2, 1.0, 32, (10.0, 35.0)),
    "hard": Tier("hard", False, 2, 0.5, 3, 2, 2.0, 26, (8.0, 40.0)),
}
TIER_NAMES = tuple(TIERS)


def knob_table() -> str:
    """The knobs as a markdown table (the module docstring's table, for the docs)."""
    doc = __doc__ or ""
    start = doc.index("| knob")
    return doc[start:doc.index("\n\n", start)].strip()
