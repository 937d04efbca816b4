"""The Gymnasium face: registration, Gymnasium's own env checker, a scripted episode,
determinism in lockstep, truncation and a pickle round-trip.

Needs the ``gym`` extra; runs in the adapters environment (see ``.ci/steps/adapters.sh``).
"""

from __future__ import annotations

import json
import pickle
import warnings

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

from warroom.integrations.gym_env import ENV_ID, MAX_OBS_CHARS, IncidentEnv, _fit

SCENARIO = "db_connection_leak/app/easy/v1"
CALLS = [{"name": "list_alerts", "arguments": {}},
         {"name": "list_deploys", "arguments": {}},
         {"name": "get_service_map", "arguments": {}}]


def _act(call: dict) -> str:
    return json.dumps(call)


def test_passes_gymnasium_env_checker() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = gym.make(ENV_ID)
        check_env(env.unwrapped)
        env.close()


def test_scripted_episode_through_make() -> None:
    env = gym.make(ENV_ID, scenario=SCENARIO, render_mode="ansi")
    obs, info = env.reset(seed=0)
    assert "INCIDENT PAGE" in obs and info["scenario"] == SCENARIO
    assert {t["function"]["name"] for t in info["tools"]} >= {"list_alerts", "submit_report"}
    for i, call in enumerate(CALLS, start=1):
        obs, reward, terminated, truncated, info = env.step(_act(call))
        assert info["ok"] and info["step"] == i and not (terminated or truncated)
    assert env.render() == obs
    obs, _, terminated, _, info = env.step("not json at all")
    assert not info["ok"] and obs.startswith("ERROR") and not terminated
    report = {"name": "submit_report", "arguments": {
        "root_cause": {"component": "app", "category": "database/connection_leak",
                       "culprit": "rel-4171"}, "summary": "rolled back the leaking release"}}
    obs, reward, terminated, truncated, info = env.step(report)
    assert terminated and not truncated and isinstance(reward, float)
    assert 0.0 <= info["result"]["score"] <= 1.0


def test_lockstep_determinism_and_pickle() -> None:
    a, b = IncidentEnv(), IncidentEnv()
    obs_a, info_a = a.reset(seed=11)
    obs_b, info_b = b.reset(seed=11)
    assert obs_a == obs_b and info_a["scenario"] == info_b["scenario"]
    assert a.reset(seed=12)[1]["world_seed"] != info_a["world_seed"]
    a.reset(seed=11)
    a.step(_act(CALLS[0]))
    b.step(_act(CALLS[0]))
    c = pickle.loads(pickle.dumps(a))
    for call in CALLS[1:]:
        outs = [env.step(_act(call))[0] for env in (a, b, c)]
        assert outs[0] == outs[1] == outs[2]
    hashes = {env.episode.state_hash() for env in (a, b, c) if env.episode}
    assert len(hashes) == 1


def test_truncation_and_options() -> None:
    env = IncidentEnv(max_steps=2)
    env.reset(seed=1, options={"scenario": SCENARIO, "world_seed": 4})
    assert env.episode is not None and env.episode.seed == 4
    _, _, terminated, truncated, _ = env.step(_act(CALLS[0]))
    assert not (terminated or truncated)
    _, _, terminated, truncated, info = env.step(_act(CALLS[1]))
    assert truncated and not terminated and "result" in info
    with pytest.raises(ValueError, match="unknown reset option"):
        env.reset(options={"level": 3})


def test_observations_stay_inside_the_space() -> None:
    env = IncidentEnv()
    long = "x\u4e16" * MAX_OBS_CHARS
    fitted = _fit(long)
    assert len(fitted) == MAX_OBS_CHARS and fitted in env.observation_space
    assert "?" in fitted and _fit("") == " "
