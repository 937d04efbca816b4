"""The sampler: each scenario at most once per (tier, run), the whole pool when asked for
more than it holds (and a note on stderr), stable across calls."""

from __future__ import annotations

from collections import Counter

import pytest

from warroom.harness import plan
from warroom.harness.policies import PolicySpec
from warroom.scenarios import generate
from warroom.scenarios.catalog import TIERS
from warroom.scenarios.splits import SPLITS

POLICIES = [PolicySpec("random"), PolicySpec("heuristic"), PolicySpec("oracle")]


@pytest.mark.parametrize("split", [*SPLITS, None])
@pytest.mark.parametrize("n", [1, 7, 24, 100, 300])
def test_planned_tasks_never_repeat(split: str | None, n: int) -> None:
    ids = plan.select(split, None, None, n)
    spec = plan.make_spec(POLICIES, ids, [0, 1])
    keys = [(t.scenario, t.seed, t.policy.name) for t in plan.tasks_of(spec)]
    repeated = [k for k, c in Counter(keys).items() if c > 1]
    assert not repeated, repeated[:5]
    for tier in TIERS:
        pool = len(generate(split=split, tier=tier))
        in_tier = [i for i in ids if f"/{tier}/" in i]
        assert len(in_tier) == min(n, pool), (tier, pool)


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("tier", TIERS)
def test_generate_draws_without_replacement(split: str, tier: str) -> None:
    pool = generate(split=split, tier=tier)
    for n in (len(pool) // 3, len(pool) - 1):
        for seed in (0, 5):
            drawn = [s.id for s in generate(split=split, tier=tier, n=n, seed=seed)]
            assert len(drawn) == n == len(set(drawn))


def test_family_filter_and_seed_are_stable() -> None:
    fams = sorted({s.family for s in generate(split="test", tier="medium")})[:2]
    a = plan.select("test", ["medium"], fams, 15, seed=3)
    assert a == plan.select("test", ["medium"], fams, 15, seed=3)
    assert len(a) == len(set(a)) == 15
    assert {s.family for s in generate(split="test", tier="medium") if s.id in a} <= set(fams)


def test_small_pool_takes_all_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    pool = generate(split="dev", tier="easy")
    ids = plan.select("dev", ["easy"], None, len(pool) + 50)
    assert sorted(ids) == sorted(s.id for s in pool)
    err = capsys.readouterr().err
    assert f"holds {len(pool)} scenarios" in err and "dev/easy" in err
    plan.select("dev", ["easy"], None, len(pool))
    assert capsys.readouterr().err == ""
