"""The structured Gymnasium face ``warroom/IncidentStructured-v0``: registration and
Gymnasium's checker, the mask, observations only from requested tool outputs, determinism in
lockstep, the curriculum's tier filter, and the structured runbook solving an incident.

Needs the ``gym`` extra; runs in the adapters environment (see ``.ci/steps/adapters.sh``).
"""

from __future__ import annotations

import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import warroom.integrations.gym_env  # noqa: F401  (registers both faces)
from warroom.agents.structured import (
    ACTIONS,
    FOCUS_FEATURES,
    MAX_COMPONENTS,
    MIN_READS,
    N_ACTIONS,
    N_FEATURES,
    SLOT_FEATURES,
)
from warroom.integrations.structured_env import ENV_ID, StructuredIncidentEnv
from warroom.train.ppo_expert import expert_action
from warroom.train.ppo_teacher import teacher_action

SCENARIO = "db_connection_leak/app/easy/v1"


def _index(kind: str, name: str, slot: int = -1) -> int:
    return next(i for i, a in enumerate(ACTIONS)
                if (a.kind, a.name, a.slot) == (kind, name, slot))


def test_make_defaults_and_env_checker() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = gym.make(ENV_ID)
        check_env(env.unwrapped)
    assert env.unwrapped.split == "train"
    assert env.unwrapped.tiers == ("easy", "medium", "hard")
    assert env.observation_space.shape == (N_FEATURES,)
    assert env.action_space.n == N_ACTIONS
    env.close()


def test_first_actions_are_the_map_then_the_categories() -> None:
    env = StructuredIncidentEnv(scenario=SCENARIO)
    env.reset(seed=0)
    mask = env.action_masks()
    assert mask.dtype == bool and mask.sum() == 1
    assert mask[_index("global", "get_service_map")]
    env.step(_index("global", "get_service_map"))
    mask = env.action_masks()
    assert mask.sum() == 1 and mask[_index("global", "list_categories")]
    env.step(_index("global", "list_categories"))
    mask = env.action_masks()
    assert mask.sum() > 20
    assert not mask[_index("global", "get_service_map")]  # a read is not repeated
    assert not any(mask[i] for i, a in enumerate(ACTIONS) if a.kind == "report")  # blind


def test_observation_changes_only_with_what_was_read() -> None:
    env = StructuredIncidentEnv(scenario=SCENARIO)
    obs0, _ = env.reset(seed=0)
    assert obs0.shape == (N_FEATURES,) and obs0.dtype == np.float32
    slots = MAX_COMPONENTS * SLOT_FEATURES
    assert np.count_nonzero(obs0[:slots]) == 0  # no component is known before the map
    assert np.count_nonzero(obs0[-FOCUS_FEATURES:]) == 0  # nor focused
    obs1, *_ = env.step(_index("global", "get_service_map"))
    obs2, *_ = env.step(_index("global", "list_categories"))
    assert np.count_nonzero(obs1) > np.count_nonzero(obs0)
    slot = env.dashboard.slots.index("app")
    before = obs2.copy()
    obs3, _, _, _, info = env.step(_index("read", "errors", slot))
    assert info["calls"] == ["query_metrics"] and info["valid"]
    changed = np.flatnonzero(obs3 != before)
    assert changed.size > 0
    assert obs3.min() >= 0.0 and obs3.max() <= 1.0


def test_masked_action_is_an_invalid_step() -> None:
    env = StructuredIncidentEnv(scenario=SCENARIO)
    env.reset(seed=0)
    report = next(i for i, a in enumerate(ACTIONS) if a.kind == "report")
    _, _, terminated, _, info = env.step(report)
    assert not info["valid"] and not terminated
    assert env.episode is not None and len(env.episode.trace) == 1
    assert not env.episode.trace[0].ok


def _rollout(seed: int) -> tuple[list[bytes], str]:
    env = StructuredIncidentEnv(split="train", tiers=("medium",))
    obs, info = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    seen = [info["scenario"].encode(), obs.tobytes()]
    done = False
    while not done:
        action = int(rng.choice(np.flatnonzero(env.action_masks())))
        obs, _, term, trunc, _ = env.step(action)
        seen.append(obs.tobytes())
        done = term or trunc
    assert env.episode is not None
    return seen, env.episode.state_hash()


def test_deterministic_in_lockstep_and_tier_filter() -> None:
    a, b, c = _rollout(3), _rollout(3), _rollout(4)
    assert a == b
    assert a != c
    assert b"/medium/" in a[0][0] and b"/medium/" in c[0][0]


def test_structured_runbook_solves_an_easy_incident() -> None:
    env = StructuredIncidentEnv(scenario=SCENARIO)
    env.reset(seed=0)
    done, total, info = False, 0.0, {}
    while not done:
        assert env.dashboard is not None
        action = teacher_action(env.dashboard)
        assert env.action_masks()[action]
        _, reward, term, trunc, info = env.step(action)
        total += reward
        done = term or trunc
    result = info["result"]
    assert term and result["diagnosis_correct"]
    assert result["score"] > 0.5
    assert total == pytest.approx(result["score"], abs=1e-6)


def test_pickle_round_trip_keeps_the_episode() -> None:
    env = StructuredIncidentEnv(scenario=SCENARIO)
    env.reset(seed=0)
    env.step(_index("global", "get_service_map"))
    twin = pickle.loads(pickle.dumps(env))
    assert np.array_equal(twin.action_masks(), env.action_masks())
    assert twin.episode.state_hash() == env.episode.state_hash()


def test_focus_then_verdict_names_the_exact_category() -> None:
    env = StructuredIncidentEnv(scenario=SCENARIO)
    env.reset(seed=0)
    while env.dashboard is not None and env.dashboard._reads() < MIN_READS:
        env.step(teacher_action(env.dashboard))
    assert not any(env.action_masks()[i] for i, a in enumerate(ACTIONS) if a.kind == "verdict")
    slot = env.dashboard.slots.index("app")
    steps = len(env.episode.trace)
    _, reward, term, _, info = env.step(_index("focus", "focus", slot))
    assert info["valid"] and info["calls"] == [] and reward == 0.0 and not term
    assert len(env.episode.trace) == steps  # a focus is no tool call
    assert not env.action_masks()[_index("focus", "focus", slot)]  # chosen once
    cat = env.episode.truths[0].category
    verdict = next(i for i, a in enumerate(ACTIONS) if (a.kind, a.name) == ("verdict", cat))
    assert env.action_masks()[verdict]
    _, _, term, _, info = env.step(verdict)
    assert term and info["result"]["report"]["category"] == cat
    assert info["result"]["report"]["component"] == "app"


def test_structured_oracle_solves_an_incident_the_face_can_express() -> None:
    env = StructuredIncidentEnv(scenario=SCENARIO)
    env.reset(seed=0)
    done, info = False, {}
    while not done:
        action = expert_action(env)
        assert env.action_masks()[action]
        _, _, term, trunc, info = env.step(action)
        done = term or trunc
    assert info["result"]["success"], info["result"]["report"]
