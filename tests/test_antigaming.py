"""No cheap strategy pays: each scores at most its named bound and never succeeds, on a
sample with every family and every tier of whatever the catalog holds, while the oracle
scores >= 0.95 and succeeds. The bounds live beside the strategies in
``warroom.scoring.gaming``; ``gaming.audit`` runs every strategy on any scenario list.
"""

from __future__ import annotations

import pytest

import warroom
from warroom.agents.oracle import plan
from warroom.scenarios import Scenario, generate
from warroom.scoring.gaming import STRATEGIES
from warroom.scoring.gaming import play as play_cheap
from warroom.world.noise import bits, sid

TIERS = ("easy", "medium", "hard")
ORACLE_MIN = 0.95


def _groups() -> dict[tuple[str, str], list[Scenario]]:
    out: dict[tuple[str, str], list[Scenario]] = {}
    for s in generate():
        out.setdefault((s.family, s.tier), []).append(s)
    return out


def _pick(group: list[Scenario], salt: int) -> Scenario:
    """A stable, fault-diverse choice from one (family, tier) group."""
    return min(group, key=lambda s: bits(salt, sid(s.id)))


GROUPS = _groups()
FAMILIES = sorted({f for f, _ in GROUPS})
# one scenario per (family, tier) present in the catalog
SAMPLE = [_pick(GROUPS[(f, t)], i) for i, f in enumerate(FAMILIES) for t in TIERS
          if (f, t) in GROUPS]


def cases() -> list[tuple[Scenario, str]]:
    """Every strategy on one tier of every family, the tier rotating with the family, so
    each strategy also meets every tier across families."""
    out = []
    for i, family in enumerate(FAMILIES):
        mine = [s for s in SAMPLE if s.family == family]
        for k, name in enumerate(sorted(STRATEGIES)):
            out.append((mine[(i + k) % len(mine)], name))
    return out


CASES = cases()


def run_oracle(scenario: Scenario, config: str | None = None) -> dict:
    ep = warroom.make(scenario, reward_config=config)
    ep.reset()
    for call in plan(ep.truths):
        if ep.done:
            break
        ep.step(call)
    assert ep.result is not None, "the oracle's plan must end with its report"
    return ep.result


def check_cheap(scenario: Scenario, name: str) -> None:
    cheap = STRATEGIES[name]
    result = play_cheap(warroom.make(scenario, max_steps=cheap.max_steps), cheap)
    assert not result["success"], f"{name} succeeded on {scenario.id}"
    assert result["score"] <= cheap.bound, (
        f"{name} scored {result['score']:.3f} > {cheap.bound} on {scenario.id}: "
        f"{result['gates']} {result['metrics']['unsafe'][:3]}")


def test_sample_covers_every_family_and_tier() -> None:
    assert {(s.family, s.tier) for s in SAMPLE} == set(GROUPS)
    for name in STRATEGIES:
        mine = [s for s, n in CASES if n == name]
        assert {s.family for s in mine} == set(FAMILIES)
        if len(FAMILIES) >= len(TIERS):
            assert {s.tier for s in mine} == {t for _, t in GROUPS}


@pytest.mark.parametrize("scenario", SAMPLE, ids=lambda s: s.id)
def test_oracle_scores_high(scenario: Scenario) -> None:
    result = run_oracle(scenario)
    assert result["success"] and result["score"] >= ORACLE_MIN, result["rubric"]


@pytest.mark.parametrize("scenario,name", CASES, ids=lambda x: getattr(x, "id", x))
def test_cheap_strategy_does_not_pay(scenario: Scenario, name: str) -> None:
    check_cheap(scenario, name)


def test_binary_config_scores_success_only() -> None:
    scenario = SAMPLE[0]
    assert run_oracle(scenario, "binary")["score"] == 1.0
    cheap = STRATEGIES["look_then_rollback_everything"]
    ep = warroom.make(scenario, reward_config="binary", max_steps=cheap.max_steps)
    assert play_cheap(ep, cheap)["score"] == 0.0
