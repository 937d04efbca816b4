"""The GRPO environment class and the dataset builder, without torch."""

from __future__ import annotations

import pickle
import typing

import pytest

import warroom
from warroom.scenarios import generate
from warroom.tools.registry import REGISTRY, load_all
from warroom.train import grpo
from warroom.train.datasets import curriculum_rows, parse_schedule, scenario_rows
from warroom.train.grpo import ToolCallError, WarroomToolEnv, make_env_class


def row() -> dict[str, typing.Any]:
    return scenario_rows(split="train", tier="easy", n=1)[0]


def report(ep: typing.Any) -> dict[str, typing.Any]:
    t = ep.truths[0]
    return {"root_cause": {"component": t.component, "category": t.category,
                           "culprit": t.culprit}, "summary": "found and fixed"}


def test_every_registry_tool_is_a_generated_method() -> None:
    env_cls = grpo.WarroomEnv
    assert set(env_cls._tool_names) == set(load_all())
    for name, spec in REGISTRY.items():
        method = getattr(env_cls, name)
        assert method.__doc__.startswith(" ".join(spec.description.split()))
        assert "Args:" in method.__doc__ or (not spec.params and spec.kind != "read")
        hints = typing.get_type_hints(method)
        assert hints["return"] is str
        assert set(hints) - {"return", "page"} == {p.name for p in spec.params}


def test_reset_step_and_reward_follow_the_episode() -> None:
    env = grpo.WarroomEnv()
    r = row()
    page = env.reset(**r)
    assert page.startswith("INCIDENT PAGE")
    assert env.get_reward() == 0.0  # nothing submitted yet
    assert "SEVERITY" in env.list_alerts() or "No alerts" in env.list_alerts()
    with pytest.raises(ToolCallError, match="ERROR"):
        env.search_logs(service="no-such-service")
    ep = warroom.make(r["scenario"])
    ep.reset(seed=r["seed"])
    assert env.submit_report(**report(ep)) == "report submitted"
    reward = env.get_reward()
    assert reward == pytest.approx(env._episode.result["score"]) and reward > 0
    with pytest.raises(ToolCallError, match="episode is over"):
        env.list_alerts()


def test_options_subset_success_reward_and_pickling() -> None:
    env_cls = make_env_class(tools=["list_alerts"], reward="success", unfinished_reward=-1.0,
                             name="Small", max_steps=3)
    assert env_cls._tool_names == ("list_alerts", "submit_report")
    assert not hasattr(env_cls, "search_logs") and issubclass(env_cls, WarroomToolEnv)
    env: typing.Any = env_cls()
    env.reset(**row())
    assert env.get_reward() == -1.0
    env.list_alerts()
    env.list_alerts()
    assert "step budget is spent" in env.list_alerts()
    assert env.get_reward() in (0.0, 1.0)
    assert pickle.loads(pickle.dumps(grpo.WarroomEnv)) is grpo.WarroomEnv
    with pytest.raises(ValueError, match="unknown tool"):
        make_env_class(tools=["nope"])
    with pytest.raises(ValueError, match="reward"):
        make_env_class(reward="accuracy")  # type: ignore[arg-type]


def test_reset_needs_a_scenario() -> None:
    with pytest.raises(ValueError, match="scenario"):
        grpo.WarroomEnv().reset(prompt=[])


def test_rows_carry_prompt_scenario_and_seed() -> None:
    rows = scenario_rows(split="train", tier="medium", n=3, seed=1)
    assert len(rows) == 3
    ids = {s.id for s in generate(split="train", tier="medium")}
    for r in rows:
        assert r["scenario"] in ids and r["tier"] == "medium"
        assert [m["role"] for m in r["prompt"]] == ["system", "user"]
        assert r["prompt"][1]["content"] == ""
    assert rows == scenario_rows(split="train", tier="medium", n=3, seed=1)


def test_curriculum_orders_tiers_by_step_counts() -> None:
    rows = curriculum_rows("easy:2, medium:1, hard:3", prompts_per_step=4, seed=0)
    tiers = [r["tier"] for r in rows]
    assert tiers == ["easy"] * 8 + ["medium"] * 4 + ["hard"] * 12
    assert [r["stage"] for r in rows[:8]] == [0] * 8
    assert all(r["scenario"] in {s.id for s in generate(split="train")} for r in rows)
    assert parse_schedule([("hard", 5)]) == [("hard", 5)]
    for bad in ("easy", "expert:3", "easy:0", ""):
        with pytest.raises(ValueError):
            parse_schedule(bad)
