"""One war-room role as a TRL environment class: the role's tools only, the role's view,
the other roles played by a fixed team, and the team's or the role's own reward."""

from __future__ import annotations

import inspect

import pytest

from warroom.env.roles import ROLES
from warroom.integrations.trl_role import make_role_env_class
from warroom.train.grpo import ToolCallError

SCENARIO = "db_connection_leak/app/easy/v1"
REPORT = {"root_cause": {"component": "app", "category": "database/connection_leak",
                         "culprit": None}, "summary": "app leaks database connections"}


@pytest.mark.parametrize("role", list(ROLES))
def test_methods_are_the_roles_tools(role: str) -> None:
    cls = make_role_env_class(role)
    assert cls.__name__ == f"Warroom{role.title()}Env"
    assert list(cls._tool_names) == ROLES[role].tool_names()
    for name in cls._tool_names:
        assert callable(getattr(cls, name)) and getattr(cls, name).__doc__
    assert hasattr(cls, "submit_report") == (role == "commander")
    assert hasattr(cls, "restart_service") == (role == "developer")
    say = inspect.signature(cls.say)
    assert list(say.parameters) == ["self", "to", "message"]


def test_sre_sees_its_own_outputs_and_the_team_plays_the_rest() -> None:
    env = make_role_env_class("sre", team="oracle")()
    page = env.reset(scenario=SCENARIO, seed=0)
    assert "INCIDENT" in page.upper()
    out = env.search_logs(service="app")
    assert "app" in out
    with pytest.raises(ToolCallError):
        env.search_logs(service="no-such-service")
    env.say(to="all", message="app is leaking database connections")
    while not env._episode.done:
        env.stand_by()
    result = env._episode.result
    assert result is not None and env._episode.team.chat[0].sender == "sre"
    assert env.get_reward() == result["score"]
    with pytest.raises(ToolCallError, match="episode is over"):
        env.stand_by()


def test_credit_reward_and_determinism() -> None:
    hashes, rewards = [], []
    for _ in range(2):
        env = make_role_env_class("commander", team="heuristic", reward="credit")()
        env.reset(scenario=SCENARIO, seed=3)
        env.post_update(status="investigating", message="elevated errors on app")
        env.submit_report(**REPORT)
        assert env._episode.done
        hashes.append(env._episode.state_hash())
        rewards.append(env.get_reward())
        assert rewards[-1] == env._episode.result["team"]["roles"]["commander"]["credit"]
    assert hashes[0] == hashes[1] and rewards[0] == rewards[1]


def test_unknown_role_or_reward_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown role"):
        make_role_env_class("janitor")
    with pytest.raises(ValueError, match="reward must be"):
        make_role_env_class("sre", reward="vibes")  # type: ignore[arg-type]
    env = make_role_env_class("sre")()
    assert env.get_reward() == 0.0  # nothing played yet: the unfinished reward
