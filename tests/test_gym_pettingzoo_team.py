"""The PettingZoo war room: the team roles as AEC agents with per-role action masks and
partial views; PettingZoo's own API test. Needs the ``gym`` extra (adapters environment)."""

from __future__ import annotations

import importlib
import json
from typing import Any

import numpy as np
import pytest
from gymnasium import spaces

from warroom.integrations.pettingzoo_env import WarRoomEnv, war_room_env

SCENARIO = "db_connection_leak/app/easy/v1"
pz_api = importlib.import_module("pettingzoo.test.api_test")


@pytest.mark.filterwarnings("ignore::UserWarning:pettingzoo.test.api_test")
def test_war_room_passes_pettingzoo_api_test(monkeypatch: pytest.MonkeyPatch) -> None:
    # api_test compares numpy dtypes, which str observations of a Text space lack; for
    # Text the check becomes membership. Every other check runs unchanged.
    original = pz_api._test_observation_space_compatibility

    def compatible(expected: Any, seen: Any, recursed_keys: list[str]) -> None:
        if isinstance(expected, spaces.Text):
            assert isinstance(seen, str) and expected.contains(seen)
        else:
            original(expected, seen, recursed_keys)

    monkeypatch.setattr(pz_api, "_test_observation_space_compatibility", compatible)
    pz_api.api_test(war_room_env(scenario=SCENARIO, rounds=6), num_cycles=40)


def test_roles_are_agents_with_their_own_masks_and_views() -> None:
    env = WarRoomEnv(scenario=SCENARIO, render_mode="ansi")
    env.reset(seed=3)
    assert env.possible_agents == ["sre", "oversight", "developer", "commander"]
    names = env.tool_names
    masks = {a: env.observe(a)["tool_mask"] for a in env.possible_agents}
    assert masks["oversight"][names.index("flag_rogue_agent")] == 1
    assert masks["sre"][names.index("flag_rogue_agent")] == 0
    assert masks["commander"][names.index("submit_report")] == 1
    assert all(m[names.index("say")] == 1 for m in masks.values())
    assert not np.array_equal(masks["sre"], masks["developer"])
    env.step(json.dumps({"name": "search_logs", "arguments": {"service": "app",
                                                               "level": "ERROR"}}))
    logs = env.team.inner.trace[-1].text
    assert env.agent_selection == "oversight"
    assert logs not in env.observe("oversight")["observation"]
    assert logs in env.observe("sre")["observation"]
    env.step({"name": "say", "arguments": {"to": "all", "message": "looking at the fleet"}})
    env.step({"name": "search_logs", "arguments": {"service": "app"}})  # developer may not
    assert env.infos["developer"]["ok"] is False
    assert "looking at the fleet" in env.observe("commander")["observation"]
    env.step({"name": "submit_report", "arguments": {
        "root_cause": {"component": "app", "category": "database/connection_leak",
                       "culprit": None}, "summary": "app leaks connections"}})
    assert all(env.terminations.values())
    result = env.infos["sre"]["result"]
    assert set(result["team"]["roles"]) == {"sre", "oversight", "developer", "commander"}
    for _ in list(env.agents):
        env.step(None)
    assert env.agents == []
