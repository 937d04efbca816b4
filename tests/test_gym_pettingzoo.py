"""The PettingZoo face: PettingZoo's own API test, and a scripted two-responder incident.

Needs the ``gym`` extra (gymnasium and pettingzoo); runs in the adapters environment.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from gymnasium import spaces

from warroom.integrations.pettingzoo_env import IncidentTeamEnv, team_env

SCENARIO = "db_connection_leak/app/easy/v1"
pz_api = importlib.import_module("pettingzoo.test.api_test")  # the module, not the function


@pytest.mark.filterwarnings("ignore::UserWarning:pettingzoo.test.api_test")
def test_passes_pettingzoo_api_test(monkeypatch: pytest.MonkeyPatch) -> None:
    # api_test compares numpy dtypes, which str observations of a Text space do not have;
    # for Text the check becomes membership. Every other check runs unchanged.
    original = pz_api._test_observation_space_compatibility

    def compatible(expected: Any, seen: Any, recursed_keys: list[str]) -> None:
        if isinstance(expected, spaces.Text):
            assert isinstance(seen, str) and expected.contains(seen)
        else:
            original(expected, seen, recursed_keys)

    monkeypatch.setattr(pz_api, "_test_observation_space_compatibility", compatible)
    pz_api.api_test(team_env(n_agents=3), num_cycles=50)


def test_two_responders_share_one_incident() -> None:
    env = IncidentTeamEnv(n_agents=2, scenario=SCENARIO, render_mode="ansi")
    env.reset(seed=3)
    first, second = env.possible_agents
    assert "INCIDENT PAGE" in env.observe(first) and "INCIDENT PAGE" in env.observe(second)
    assert env.agent_selection == first
    env.step(json.dumps({"name": "list_alerts", "arguments": {}}))
    assert env.agent_selection == second
    seen = env.observe(second)
    assert f"[{first}]" in seen and "list_alerts" in seen and "INCIDENT PAGE" in seen
    assert "INCIDENT PAGE" not in env.observe(first)
    env.step({"name": "list_deploys", "arguments": {}})
    assert env.infos[first]["step"] == 2 and env.infos[first]["actor"] == second
    env.step({"name": "submit_report", "arguments": {
        "root_cause": {"component": "app", "category": "database/connection_leak",
                       "culprit": "rel-4171"}, "summary": "rolled back the leaking release"}})
    assert all(env.terminations.values())
    assert 0.0 <= env.infos[second]["result"]["score"] <= 1.0
    for _ in list(env.agents):
        env.step(None)
    assert env.agents == [] and env.render() is not None
