"""``warroom train ppo``: a short seeded training beats the untrained network on held-out
incidents, the run is deterministic and resumable, and ``ppo:PATH`` evaluates like any
policy. Needs torch, stable-baselines3, sb3-contrib and gymnasium (the train CI step).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from warroom.agents.ppo_policy import PPOPolicy
from warroom.cli.main import app
from warroom.cli.train_cmds import held_out
from warroom.harness.episode import run_episode
from warroom.harness.policies import build, parse
from warroom.integrations.structured_env import StructuredIncidentEnv
from warroom.train.ppo import HYPER, NET, train_ppo

TINY = {"n_steps": 32, "batch_size": 16, "n_epochs": 2}


def make_env(tiers: tuple[str, ...]) -> StructuredIncidentEnv:
    return StructuredIncidentEnv(split="train", tiers=tiers)


def _mean_score(policy: PPOPolicy, scenarios: list) -> float:
    return sum(run_episode(policy, sc, seed=i).result["score"]
               for i, sc in enumerate(scenarios)) / len(scenarios)


def test_short_training_beats_the_untrained_policy_on_held_out(tmp_path: Path) -> None:
    from sb3_contrib import MaskablePPO
    from sb3_contrib.common.wrappers import ActionMasker

    result = train_ppo(make_env, tmp_path / "run", total_timesteps=64, seed=0,
                       chunk_rollouts=1, progress=False, warm_episodes=24, dagger_rounds=2,
                       hyper=TINY)
    env = ActionMasker(make_env(("easy",)), lambda e: e.unwrapped.action_masks())
    untrained = MaskablePPO("MlpPolicy", env, seed=0, device="cpu",
                            policy_kwargs={"net_arch": NET}, **{**HYPER, **TINY})
    test = held_out("test", per_tier=2)
    trained_score = _mean_score(PPOPolicy(result.policy_path), test)
    untrained_score = _mean_score(PPOPolicy(model=untrained), test)
    assert trained_score > untrained_score + 0.1, (trained_score, untrained_score)
    curve = json.loads(result.curve_json.read_text())
    warm = curve["warm_start"]
    assert warm["loss_last"] < warm["loss_first"]
    assert [r["driver"] for r in warm["rounds"]] == ["expert", "student"]
    assert warm["rounds"][1]["samples"] > warm["rounds"][0]["samples"]  # DAgger aggregates
    assert result.curve_path.exists() and result.curve_path.stat().st_size > 1000


def test_same_seed_same_curve_and_resume_continues_the_same_run(tmp_path: Path) -> None:
    kw = {"total_timesteps": 96, "seed": 1, "chunk_rollouts": 1, "progress": False,
          "warm_episodes": 2, "dagger_rounds": 2, "hyper": TINY}
    a = train_ppo(make_env, tmp_path / "a", **kw)
    b_first = train_ppo(make_env, tmp_path / "b", stop_after=1, **kw)
    assert b_first.timesteps == 32
    b = train_ppo(make_env, tmp_path / "b", **kw)
    curve_a = json.loads(a.curve_json.read_text())["episodes"]
    curve_b = json.loads(b.curve_json.read_text())["episodes"]
    assert curve_a and curve_a == curve_b
    assert [p["stage"] for p in curve_a][-1] == 2  # the curriculum reached all tiers
    c = train_ppo(make_env, tmp_path / "c", **{**kw, "seed": 2})
    assert json.loads(c.curve_json.read_text())["episodes"] != curve_a


def test_a_rerun_with_other_ppo_settings_reuses_the_imitation(tmp_path: Path) -> None:
    kw = {"total_timesteps": 32, "seed": 3, "chunk_rollouts": 1, "progress": False,
          "warm_episodes": 2, "dagger_rounds": 2}
    first = train_ppo(make_env, tmp_path / "r", hyper=TINY, **kw)
    kept = (tmp_path / "r" / "checkpoints" / "imitation.json").read_text()
    fresh = train_ppo(make_env, tmp_path / "fresh", hyper={**TINY, "n_epochs": 1}, **kw)
    again = train_ppo(make_env, tmp_path / "r", hyper={**TINY, "n_epochs": 1}, **kw)
    assert (tmp_path / "r" / "checkpoints" / "imitation.json").read_text() == kept
    warm = json.loads(first.curve_json.read_text())["warm_start"]
    assert json.loads(again.curve_json.read_text())["warm_start"] == warm
    assert json.loads(again.curve_json.read_text())["episodes"] == \
        json.loads(fresh.curve_json.read_text())["episodes"]


def test_ppo_spec_and_cli_json(tmp_path: Path) -> None:
    spec = parse("ppo:/some/dir/policy.zip")
    assert spec.name == "ppo" and spec.kwargs == {"path": "/some/dir/policy.zip"}
    assert spec.label.startswith("ppo")
    with pytest.raises(FileNotFoundError):
        build(parse(f"ppo:{tmp_path / 'missing.zip'}"))
    out = tmp_path / "cli"
    res = CliRunner().invoke(app, ["train", "ppo", "--out", str(out), "--json",
                                   "--timesteps", "16", "--n-steps", "16",
                                   "--warm-episodes", "2", "--rounds", "1", "--eval-n", "1",
                                   "--no-progress"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert Path(doc["policy_path"]).exists() and Path(doc["curve"]).exists()
    rows = {(r["policy"].split(":")[0], r["split"]): r for r in doc["table"]}
    assert set(rows) == {(p, s) for p in ("random", "heuristic", "ppo", "oracle")
                         for s in ("test", "ood")}
    assert rows[("oracle", "test")]["success_rate"] == 1.0
    for r in doc["table"]:
        assert r["n"] == 3 and set(r["tiers"]) == {"easy", "medium", "hard"}
        assert 0.0 <= r["score"] <= 1.0
