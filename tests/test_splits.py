"""Splits: disjoint, seed-disjoint, ood holds out what it claims; every dev scenario is
solvable by the oracle; hard is hard for a competent runbook heuristic."""

from __future__ import annotations

import pytest

from warroom.env.episode import Episode
from warroom.harness.checker import check
from warroom.scenarios import all_scenarios, generate
from warroom.scenarios.splits import OOD_COMBOS, OOD_FAULTS, SEED_BASE, SEED_SPAN
from warroom.world.faults import FAULTS


def by_split() -> dict[str, list]:  # type: ignore[type-arg]
    out: dict[str, list] = {}  # type: ignore[type-arg]
    for s in all_scenarios():
        out.setdefault(s.split, []).append(s)
    return out


def test_splits_are_disjoint_and_seed_disjoint() -> None:
    splits = by_split()
    assert set(splits) == {"train", "dev", "test", "ood"}
    ids = {k: {s.id for s in v} for k, v in splits.items()}
    seeds = {k: {s.seed for s in v} for k, v in splits.items()}
    names = sorted(ids)
    for i, a in enumerate(names):
        lo, hi = SEED_BASE[a], SEED_BASE[a] + SEED_SPAN
        assert all(lo <= x < hi for x in seeds[a])
        for b in names[i + 1:]:
            assert not ids[a] & ids[b], (a, b)
            assert not seeds[a] & seeds[b], (a, b)
    assert len(splits["dev"]) >= 100 and len(splits["test"]) >= 300


def test_ood_holds_out_fault_types_and_combinations() -> None:
    splits = by_split()
    in_dist = [s for k in ("train", "dev", "test") for s in splits[k]]
    for s in in_dist:
        for f in s.faults:  # second faults of hard scenarios included
            assert f.type not in OOD_FAULTS, s.id
            assert (f.type, f.target) not in OOD_COMBOS, s.id
    ood_types = {s.faults[0].type for s in splits["ood"]}
    ood_pairs = {(s.faults[0].type, s.faults[0].target) for s in splits["ood"]}
    assert ood_types >= OOD_FAULTS and ood_pairs >= OOD_COMBOS
    train_types = {s.faults[0].type for s in splits["train"]}
    assert not OOD_FAULTS & train_types
    assert {f for f, _ in OOD_COMBOS} <= train_types  # combos: the fault is seen elsewhere
    families = {FAULTS[f].family for f in OOD_FAULTS}
    assert len(families) >= 6


DEV_CHUNKS = 8


@pytest.mark.parametrize("chunk", range(DEV_CHUNKS))
def test_every_dev_scenario_is_solved_by_the_oracle(chunk: int) -> None:
    failures = []
    for s in generate(split="dev")[chunk::DEV_CHUNKS]:
        report = check(s, s.seed)
        if not report.ok:
            failures.append((s.id, report))
    assert not failures, failures[:3]


def test_a_sample_of_the_other_splits_is_solved_by_the_oracle() -> None:
    failures = []
    for split in ("train", "test", "ood"):
        for s in generate(split=split, n=12, seed=5):
            report = check(s, s.seed)
            if not report.ok:
                failures.append((s.id, report))
    assert not failures, failures[:3]


def test_hard_is_hard_for_a_competent_runbook() -> None:
    from warroom.agents import make_policy

    sample = generate(split="test", tier="hard", n=20, seed=11)
    wins = 0
    for s in sample:
        ep = Episode(s)
        obs = ep.reset(seed=s.seed)
        policy = make_policy("heuristic")
        policy.reset(obs, ep.tools, s.seed, None)
        while not ep.done:
            obs = ep.step(policy.act(obs)).observation
        wins += bool((ep.result or {}).get("success"))
    assert wins / len(sample) <= 0.6, wins
