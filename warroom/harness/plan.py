"""What a run will do: pick scenarios, and write it down as a versioned spec.

The sample is stratified: ``n`` scenarios per tier, shared out evenly across the fault
families present in that tier (so the family x policy heatmap has every family). A spec
holds everything needed to rebuild the task list, so ``--resume`` reads it back from disk.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from .. import __version__
from ..scenarios import generate
from ..scenarios.catalog import TIERS
from .policies import PolicySpec
from .rundir import SPEC_VERSION, git_revision
from .tasks import Task

DEFAULT_WORKERS = max(1, min(4, os.cpu_count() or 1))  # local worker processes
DEFAULT_N = 24  # scenarios per tier in the default eval (3 tiers x 3 baselines: < 2 min)


def _allot(n: int, sizes: dict[str, int], offset: int) -> dict[str, int]:
    """Share ``n`` picks round-robin over families (starting at ``offset``), each capped
    at its pool size."""
    names = sorted(sizes)
    take = dict.fromkeys(names, 0)
    if not names:
        return take
    i = offset % len(names)
    left = min(n, sum(sizes.values()))
    while left > 0:
        name = names[i % len(names)]
        if take[name] < sizes[name]:
            take[name] += 1
            left -= 1
        i += 1
    return take


def select(split: str | None = "test", tiers: list[str] | None = None,
           families: list[str] | None = None, n: int | None = DEFAULT_N,
           seed: int = 0) -> list[str]:
    """Scenario ids: ``n`` per tier (None: all), stratified by family, deterministic, each
    scenario at most once; a tier with fewer than ``n`` gives its whole pool (noted on
    stderr)."""
    ids: list[str] = []
    for tier in tiers or list(TIERS):
        pool = [s for s in generate(split=split, tier=tier)
                if families is None or s.family in families]
        sizes: dict[str, int] = {}
        for s in pool:
            sizes[s.family] = sizes.get(s.family, 0) + 1
        if n is None:
            ids.extend(s.id for s in pool)
            continue
        if n > len(pool):
            where = f"{split or 'all'}/{tier}" + (f" ({', '.join(families)})" if families else "")
            print(f"note: {where} holds {len(pool)} scenarios, fewer than the "
                  f"{n} asked: taking all {len(pool)} once each", file=sys.stderr)
        for fam, k in _allot(n, sizes, seed).items():
            if k:
                ids.extend(s.id for s in generate(split=split, tier=tier, n=k, seed=seed,
                                                  family=fam))
    return ids


def make_spec(policies: list[PolicySpec], scenarios: list[str], seeds: list[int],
              reward_config: str | None = None, selection: dict[str, Any] | None = None,
              ) -> dict[str, Any]:
    """The run's spec.json content."""
    return {"spec_version": SPEC_VERSION, "warroom_version": __version__,
            "git_revision": git_revision(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "policies": [p.to_json() for p in policies], "scenarios": list(scenarios),
            "seeds": list(seeds), "reward_config": reward_config,
            "selection": selection or {}}


def tasks_of(spec: dict[str, Any]) -> list[Task]:
    """Every task of a spec, interleaved (scenario, seed, policy) so that progress and the
    running success rate are representative from the start."""
    policies = [PolicySpec(p["name"], dict(p.get("kwargs") or {})) for p in spec["policies"]]
    return [Task(p, sid, int(seed), spec.get("reward_config"))
            for sid in spec["scenarios"] for seed in spec["seeds"] for p in policies]


def parse_seeds(text: str) -> list[int]:
    """``0``, ``0,1,2`` or ``0-4`` (inclusive ranges may be mixed with commas)."""
    out: list[int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        lo, dash, hi = part.partition("-")
        if dash and lo:
            out.extend(range(int(lo), int(hi) + 1))
        else:
            out.append(int(part))
    if not out:
        raise ValueError("no seeds given")
    if len(set(out)) != len(out):
        raise ValueError(f"seeds repeat: {text}")
    return out
