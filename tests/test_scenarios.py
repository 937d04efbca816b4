"""Scenario catalog, generator, files and generated docs."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from warroom.env.episode import Episode
from warroom.harness.checker import check
from warroom.scenarios import all_scenarios, generate, get, mix
from warroom.scenarios.catalog import hops, parse, targets_for, topology_for
from warroom.scenarios.files import ScenarioFileError, examples, load, validate
from warroom.scenarios.tiers import TIERS
from warroom.world.faults import FAULTS
from warroom.world.topology import TOPOLOGIES

ROOT = Path(__file__).resolve().parents[1]


def test_catalog_is_large_distinct_and_ids_round_trip() -> None:
    scenarios = all_scenarios()
    ids = [s.id for s in scenarios]
    assert len(ids) >= 1000 and len(set(ids)) == len(ids)
    for s in scenarios[::97]:
        fault, target, tier, _variant = parse(s.id) or ("", "", "", -1)
        assert (fault, target, tier) == (s.faults[0].type, s.faults[0].target, s.tier)
        assert get(s.id) == s
    with pytest.raises(KeyError, match="fault/target/tier/vN"):
        get("memory_leak/nowhere/easy/v1")


def test_ids_never_change_meaning() -> None:
    """Pinned ids: fault, target, tier, split and seed are fixed by the id."""
    pinned = {
        "db_connection_leak/checkout/medium/v1": ("shop", "train"),
        "memory_leak/orders/hard/v2": ("shop", "train"),
        "db_connection_leak/app/easy/v1": ("startup", "train"),
        "rogue_deploy_bot/catalog/medium/v3": ("shop", "ood"),
        "gc_pressure/app/easy/v0": ("startup", "ood"),
    }
    for sid, (topology, split) in pinned.items():
        sc = get(sid)
        assert (sc.topology, sc.split) == (topology, split), sid
        assert sc == get(sid)
    assert get("memory_leak/orders/hard/v2").faults[1].type == "rogue_autoscaler"


def test_tiers_follow_their_knobs() -> None:
    shop = TOPOLOGIES["shop"]()
    for s in all_scenarios()[::5]:
        knobs = TIERS[s.tier]
        assert s.step_budget == knobs.step_budget and s.noise == knobs.noise
        assert len(s.distractors) <= knobs.distractors
        assert knobs.onset_min[0] <= s.faults[0].onset_min <= knobs.onset_min[1]
        assert len(s.faults) <= knobs.faults
        assert s.topology == topology_for(s.faults[0].type, s.tier)
        if s.tier != "easy":
            deepest = max(hops(shop, t) for t in FAULTS[s.faults[0].type].targets(shop))
            assert hops(shop, s.faults[0].target) >= min(knobs.min_hops, deepest)
    medium = [s for s in all_scenarios() if s.tier == "medium"]
    hard = [s for s in all_scenarios() if s.tier == "hard"]
    assert all(len(s.distractors) == 2 for s in medium[::7])
    assert sum(len(s.faults) == 2 for s in hard) > 0.8 * len(hard)
    rogue = sum(len(s.faults) == 2 and FAULTS[s.faults[1].type].family == "rogue_agent"
                for s in hard)
    assert rogue > 0.3 * len(hard)
    for s in hard:
        if len(s.faults) == 2:
            a, b = (FAULTS[f.type] for f in s.faults)
            assert a.family != b.family and s.faults[0].target != s.faults[1].target


def test_generator_is_deterministic_and_samples_n() -> None:
    a = [s.id for s in generate(split="train", tier="medium", n=40, seed=7)]
    b = [s.id for s in generate(split="train", tier="medium", n=40, seed=7)]
    c = [s.id for s in generate(split="train", tier="medium", n=40, seed=8)]
    assert a == b and a != c and len(a) == 40 and len(set(a)) == 40
    assert [s.id for s in generate(split="dev")] == [s.id for s in generate(split="dev")]
    fams = {s.family for s in generate(family="cache", n=10, seed=1)}
    assert fams == {"cache"}
    assert generate(family="no-such-family") == []


def test_generator_is_deterministic_across_processes() -> None:
    code = ("import json, warroom.scenarios as s; print(json.dumps([x.id for x in "
            "s.generate(split='test', tier='hard', n=25, seed=3)]))")
    outs = []
    for hashseed in ("1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=hashseed)
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, check=True, cwd=ROOT)
        outs.append(json.loads(res.stdout))
    assert outs[0] == outs[1] == [s.id for s in generate(split="test", tier="hard", n=25,
                                                        seed=3)]


def _chi2_critical(df: int, z: float = 3.09) -> float:
    """Upper critical value of chi-squared at p=0.001 (Wilson-Hilferty approximation)."""
    return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3


@pytest.mark.parametrize("split,tier", [("train", "medium"), ("train", "easy"),
                                        ("test", "hard"), ("ood", "medium")])
def test_fault_mix_matches_the_declared_distribution(split: str, tier: str) -> None:
    declared = mix(split, tier)
    # Draws are without replacement: the mix holds while no fault type runs out.
    per_type = Counter(s.faults[0].type for s in generate(split=split, tier=tier))
    size = min(150, min(per_type.values()) * len(per_type))
    n = 0
    counts = dict.fromkeys(declared, 0)
    for seed in range(6):
        for s in generate(split=split, tier=tier, n=size, seed=seed):
            counts[s.faults[0].type] += 1
            n += 1
    stat = sum((counts[t] - n * p) ** 2 / (n * p) for t, p in declared.items())
    assert stat < _chi2_critical(len(declared) - 1), (stat, counts)
    # and a skewed sample is caught by the same test
    skew = dict(counts)
    first = sorted(skew)[0]
    skew[first] += n // 10
    stat_skew = sum((skew[t] - n * p) ** 2 / (n * p) for t, p in declared.items())
    assert stat_skew > _chi2_critical(len(declared) - 1)


def test_no_alert_or_title_reveals_the_fault() -> None:
    seen: set[str] = set()
    for s in generate(split="test", n=60, seed=2):
        if s.family in seen:
            continue
        seen.add(s.family)
        ep = Episode(s)
        obs = ep.reset(seed=s.seed)
        text = obs.text + s.title
        for t in ep.truths:
            assert t.fault not in text and t.category not in text
            assert t.family not in obs.text.lower()
            if t.culprit:
                assert t.culprit not in obs.text
        assert s.title == "Production incident"
    assert len(seen) >= 8


def test_example_files_load_validate_and_are_solvable() -> None:
    files = examples()
    assert len(files) >= 5
    for path in files:
        assert validate(path) == [], path
        sc = load(path)
        assert sc.split == "custom" and sc.description
        report = check(sc, 0)
        assert report.ok, (path.name, report)


def test_bad_files_name_the_offending_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("topology: shop\nfaults:\n  - type: memory_leak\n    target: nowhere\n"
                   "    onset_min: 90\n  - type: no_such_fault\n    target: catalog\n"
                   "distractors:\n  - type: gremlins\n    target: catalog\n"
                   "overrides:\n  ghost:\n    replicas: 2\nstep_budget: 1\n")
    problems = validate(bad)
    assert any(p.startswith("faults[0].onset_min") for p in problems), problems
    assert any(p.startswith("step_budget") for p in problems), problems
    bad.write_text("topology: shop\nfaults:\n  - type: memory_leak\n    target: nowhere\n"
                   "  - type: no_such_fault\n    target: catalog\n"
                   "distractors:\n  - type: gremlins\n    target: catalog\n"
                   "overrides:\n  ghost:\n    replicas: 2\n")
    problems = validate(bad)
    for field in ("faults[0].target", "faults[1].type", "distractors[0].type",
                  "overrides.ghost"):
        assert any(p.startswith(field) for p in problems), (field, problems)
    with pytest.raises(ScenarioFileError, match=r"faults\[0\]\.target"):
        load(bad)
    (tmp_path / "list.json").write_text("[1, 2]")
    assert validate(tmp_path / "list.json")[0].startswith("(file)")
    assert validate(tmp_path / "missing.yaml")[0].startswith("(file)")


def test_a_file_runs_like_a_catalog_id() -> None:
    import warroom

    path = examples()[0]
    ep = warroom.make(str(path))
    obs = ep.reset(seed=1)
    assert obs.data["alerts"] and ep.scenario.id.startswith("example/")


def test_generated_docs_are_current() -> None:
    from warroom.scenarios.docs import render_catalog, render_tiers

    assert (ROOT / "docs" / "faults.md").read_text() == render_catalog(), \
        "run: python -m warroom.scenarios.docs"
    assert (ROOT / "docs" / "tiers.md").read_text() == render_tiers()
    page = render_catalog()
    for name in FAULTS:
        assert f"`{name}`" in page
    assert all(targets_for(f, "medium") for f in FAULTS)
