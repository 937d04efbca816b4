"""Turn a scenario into a running world: build it, inject faults at their onsets, and run
the clock to the incident page. Returns the world and the ground truth (kept apart)."""

from __future__ import annotations

import dataclasses

from ..world import fleet, noise, ops  # noqa: F401  (registers event handlers and policies)
from ..world.build import build_world
from ..world.faults import FAULTS, Truth
from ..world.faults.distractors import DISTRACTORS
from ..world.resets import RESETS
from ..world.world import World
from .overrides import apply_overrides
from .spec import Scenario


def world_seed(scenario: Scenario, seed: int) -> int:
    return noise.bits(seed, noise.sid(scenario.id), scenario.seed)


def start(scenario: Scenario, seed: int) -> tuple[World, list[Truth], list[Truth]]:
    """(world at the incident page, truths of the faults, truths of the distractors); built
    once per (scenario, seed) in a process and forked by later resets (``world.resets``)."""
    world, (truths, decoys) = RESETS.fork_or_build((scenario.model_dump_json(), seed),
                                                   lambda: _build(scenario, seed))
    return world, list(truths), list(decoys)


def _build(scenario: Scenario, seed: int) -> tuple[World, tuple[list[Truth], list[Truth]]]:
    world = build_world(scenario.topology, world_seed(scenario, seed))
    world.noise_level = scenario.noise  # type: ignore[attr-defined]
    apply_overrides(world, scenario)
    planned = [(f.onset_min, 0, i, f) for i, f in enumerate(scenario.faults)]
    planned += [(d.onset_min, 1, i, d) for i, d in enumerate(scenario.distractors)]
    truths: list[Truth] = []
    decoys: list[Truth] = []
    for onset, is_distractor, _, spec in sorted(planned, key=lambda x: (-x[0], x[1], x[2])):
        world.advance_to(world.incident_at - onset * 60.0)
        registry = DISTRACTORS if is_distractor else FAULTS
        kind = registry.get(spec.type)
        if kind is None:
            raise KeyError(f"unknown {'distractor' if is_distractor else 'fault'} type "
                           f"{spec.type!r}; known: {', '.join(sorted(registry))}")
        truth = kind.inject(world, spec.target, dict(spec.params))
        (decoys if is_distractor else truths).append(truth)
    world.advance_to(world.incident_at)
    if truths and (scenario.facts or scenario.decoys):
        first = truths[0]
        truths[0] = dataclasses.replace(first, facts=first.facts + tuple(scenario.facts),
                                        decoys=first.decoys + tuple(scenario.decoys))
    return world, (truths, decoys)
