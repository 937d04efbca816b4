"""Later fault types (per-pod versions, internal mTLS, bots as authors, partial capacity) and
targets added to older fault types: each is solved by the oracle, its wrong fixes do not
mitigate, a runbook heuristic misses it, and no older scenario id changes meaning."""

from __future__ import annotations

import pytest

from warroom.agents import make_policy
from warroom.env.episode import Episode
from warroom.harness.checker import check, check_wrong_fix
from warroom.scenarios import catalog
from warroom.scenarios.spec import Scenario
from warroom.world.faults import FAULTS, WrongFix
from warroom.world.faults.base import FAMILIES
from warroom.world.topology import TOPOLOGIES

LATER = sorted(n for n, f in FAULTS.items() if f.generation > 1)


def test_the_catalog_holds_64_fault_types_in_12_families() -> None:
    assert len(FAULTS) >= 64 and len(LATER) >= 6
    assert len({f.family for f in FAULTS.values()}) >= 12
    assert {"rollout", "security"} <= set(FAMILIES)


def test_older_ids_never_meet_a_later_fault_type_or_target() -> None:
    """Older ids keep their targets (in order) and their second faults."""
    shop = TOPOLOGIES["shop"]()
    for name, ft in FAULTS.items():
        if ft.generation > 1:
            continue
        for tier in catalog.TIERS:
            topo = TOPOLOGIES[catalog.topology_for(name, tier)]()
            first = ft.first_targets(topo) if ft.first_targets else ft.targets(topo)
            old = catalog._deep_enough(topo, first, tier)
            assert catalog.targets_for(name, tier)[:len(old)] == old
            if tier != "hard":
                continue
            for target in old:
                for v in range(0, 10, 3):
                    pair = catalog.second_fault(name, target, f"{name}/{target}/hard/v{v}", v)
                    if pair:
                        other = FAULTS[pair[0]]
                        assert other.generation == 1, (name, target, pair)
                        assert other.first_targets is None or pair[1] in other.first_targets(
                            shop), (name, target, pair)


@pytest.mark.parametrize("name", LATER)
def test_a_later_fault_is_solved_and_its_wrong_fixes_fail(name: str) -> None:
    target = catalog.targets_for(name, "medium")[0]
    sc = catalog.build(name, target, "medium", 1)
    report = check(sc, sc.seed)
    assert report.ok, report
    for i, wrong in enumerate(_wrong(sc)):
        out = check_wrong_fix(sc, i, sc.seed)
        assert not out["mitigated"], (name, wrong)
        if wrong.second:
            assert out["second"]["error_after"] > out["second"]["error_before"] + 0.2, out


def _wrong(sc: Scenario) -> tuple[WrongFix, ...]:
    ep = Episode(sc)
    ep.reset(seed=sc.seed)
    return ep.truths[0].wrong


def test_rolling_back_a_mixed_version_service_takes_it_down() -> None:
    for name in ("old_pod_after_migration", "flag_meets_old_pod"):
        sc = catalog.build(name, "checkout", "easy" if name == "old_pod_after_migration"
                           else "medium", 2)
        i = next(i for i, w in enumerate(_wrong(sc)) if w.call["name"] == "rollback_deploy")
        out = check_wrong_fix(sc, i, sc.seed)
        assert out["second"]["error_after"] > 0.9 > out["second"]["error_before"], out


# a runbook rule covers it (CPU pinned after a release), see test_realism_generation3
RUNBOOK_COVERED = frozenset({"verbose_logging_release"})


@pytest.mark.parametrize("name", [n for n in LATER if n not in RUNBOOK_COVERED])
def test_a_runbook_heuristic_misses_later_faults_on_medium_and_hard(name: str) -> None:
    wins = 0
    sample = [catalog.build(name, catalog.targets_for(name, tier)[-1], tier, 4)
              for tier in ("medium", "hard")]
    for sc in sample:
        ep = Episode(sc)
        obs = ep.reset(seed=sc.seed)
        policy = make_policy("heuristic")
        policy.reset(obs, ep.tools, sc.seed, None)
        while not ep.done:
            obs = ep.step(policy.act(obs)).observation
        wins += bool((ep.result or {}).get("success"))
    assert wins == 0, (name, wins)


def test_targets_added_to_older_faults_are_solved() -> None:
    for name in ("scaled_to_zero", "maintenance_mode_left_on", "recreate_rollout_outage"):
        sc = catalog.build(name, "payments", "hard", 3)
        assert sc.id in {s.id for s in catalog.all_scenarios()}
        report = check(sc, sc.seed)
        assert report.ok, report
