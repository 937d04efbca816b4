"""Three bugs found while writing postmortems as drills: unknown fault parameters were dropped,
set_config checked a type against a fault-corrupted value, and a file's tier was a label."""

from __future__ import annotations

from pathlib import Path

import pytest

from warroom.scenarios.files import load, validate
from warroom.scenarios.tiers import TIERS
from warroom.tools.domains.deploys import set_config
from warroom.tools.registry import ToolError
from warroom.world import ops
from warroom.world.build import build_world

GOOD = ("title: t\ntopology: shop\ntier: {tier}\nfaults:\n  - type: cpu_regex_hot_loop\n"
        "    target: api-gateway\n    params:\n      {param}: 40\n")


def _file(tmp_path: Path, tier: str = "easy", param: str = "cpu_mult", extra: str = "") -> Path:
    path = tmp_path / "drill.yaml"
    path.write_text(GOOD.format(tier=tier, param=param) + extra)
    return path


def test_an_unknown_fault_parameter_is_an_error_naming_the_valid_ones(tmp_path: Path) -> None:
    problems = validate(_file(tmp_path, param="cpu_multiplier"))
    assert len(problems) == 1
    assert "faults[0].params.cpu_multiplier" in problems[0]
    assert "did you mean 'cpu_mult'" in problems[0] and "valid: cpu_mult" in problems[0]
    assert validate(_file(tmp_path, param="cpu_mult")) == []


def test_set_config_checks_the_declared_type_not_the_corrupted_value() -> None:
    world = build_world("shop", 3)
    ops.set_config(world, "worker", "BATCH_SIZE", "100x", "someone")
    set_config(world, "worker", "BATCH_SIZE", 100)
    assert world.head.services["worker"].config["BATCH_SIZE"] == 100
    with pytest.raises(ToolError, match="BATCH_SIZE is a int"):
        set_config(world, "worker", "BATCH_SIZE", "lots")


@pytest.mark.parametrize("tier", ["easy", "medium", "hard"])
def test_a_files_tier_gives_the_catalog_presets(tmp_path: Path, tier: str) -> None:
    sc = load(_file(tmp_path, tier=tier))
    knobs = TIERS[tier]
    assert (sc.step_budget, sc.noise, len(sc.distractors)) == (
        knobs.step_budget, knobs.noise, knobs.distractors)
    assert all(d.target != "api-gateway" for d in sc.distractors)
    assert load(_file(tmp_path, tier=tier)) == sc  # the presets are stable


def test_a_file_overrides_its_tiers_presets(tmp_path: Path) -> None:
    sc = load(_file(tmp_path, tier="hard", extra="step_budget: 50\nnoise: 0.2\ndistractors: []\n"))
    assert (sc.step_budget, sc.noise, sc.distractors) == (50, 0.2, [])
