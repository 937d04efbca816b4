"""Training rows for GRPO: splits, tiers, and a curriculum by step counts.

A row is what TRL hands to ``WarroomEnv.reset(**row)``: ``prompt`` (the system prompt and an
empty user turn that TRL fills with the incident page), ``scenario`` (a catalog id that never
changes meaning), ``seed``, ``tier`` and ``family``. Selection goes through
``warroom.scenarios.generate``, so held-out splits stay held out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

TIERS = ("easy", "medium", "hard")


def prompt(system_prompt: str | None = None) -> list[dict[str, str]]:
    """The conversational prompt of every row: system prompt, then the page's user turn."""
    from ..agents.llm import load_system_prompt

    return [{"role": "system", "content": load_system_prompt(system_prompt)},
            {"role": "user", "content": ""}]


def scenario_rows(split: str = "train", tier: str | None = None, n: int | None = None,
                  seed: int = 0, system_prompt: str | None = None) -> list[dict[str, Any]]:
    """One row per selected scenario (all of the split and tier when ``n`` is None)."""
    from ..scenarios import generate

    head = prompt(system_prompt)
    rows = []
    for sc in generate(split=split, tier=tier, n=n, seed=seed):
        rows.append({"prompt": head, "scenario": sc.id, "seed": int(sc.seed),
                     "tier": sc.tier, "family": sc.family})
    if not rows:
        raise ValueError(f"no scenarios for split={split!r} tier={tier!r}")
    return rows


def parse_schedule(schedule: str | Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """``"easy:50,medium:100,hard:100"`` (or pairs) -> [(tier, steps), ...], validated."""
    if isinstance(schedule, str):
        pairs = []
        for part in filter(None, (p.strip() for p in schedule.split(","))):
            tier, _, count = part.partition(":")
            if not count.strip().isdigit():
                raise ValueError(f"curriculum stage {part!r} must look like tier:steps")
            pairs.append((tier.strip(), int(count)))
    else:
        pairs = [(str(t), int(s)) for t, s in schedule]
    for tier, steps in pairs:
        if tier not in TIERS or steps <= 0:
            raise ValueError(f"bad curriculum stage {tier}:{steps}; tiers are {TIERS}, "
                             "steps > 0")
    if not pairs:
        raise ValueError("empty curriculum")
    return pairs


def curriculum_rows(schedule: str | Sequence[tuple[str, int]], prompts_per_step: int,
                    split: str = "train", seed: int = 0,
                    system_prompt: str | None = None) -> list[dict[str, Any]]:
    """Rows in training order: each stage fills ``steps * prompts_per_step`` rows of its tier.

    Train with ``shuffle_dataset=False`` so the order holds; ``prompts_per_step`` is the number
    of distinct prompts per optimizer step (``generation_batch_size // num_generations``).
    Scenarios of a stage are cycled in a seeded order if the stage needs more rows.
    """
    if prompts_per_step <= 0:
        raise ValueError("prompts_per_step must be positive")
    rows: list[dict[str, Any]] = []
    for stage, (tier, steps) in enumerate(parse_schedule(schedule)):
        pool = scenario_rows(split=split, tier=tier, seed=seed + stage,
                             system_prompt=system_prompt)
        pool = _seeded_order(pool, seed + stage)
        need = steps * prompts_per_step
        rows += [dict(pool[i % len(pool)], stage=stage) for i in range(need)]
    return rows


def _seeded_order(rows: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    import random

    out = list(rows)
    random.Random(seed).shuffle(out)
    return out


def to_dataset(rows: list[dict[str, Any]]) -> Any:
    """A ``datasets.Dataset`` of rows (needs the ``train`` extra)."""
    from datasets import Dataset

    return Dataset.from_list(rows)
