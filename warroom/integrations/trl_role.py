"""One war-room role as a TRL environment: train that role while fixed policies play the rest.

``make_role_env_class("sre", team="heuristic")`` is a class for
``GRPOTrainer(environment_factory=...)``, like ``warroom.train.grpo.make_env_class``, whose
tools are that role's tools (its registry tools, ``say`` and ``stand_by``) and whose episode
is a ``RoleEpisode``: between two of the learner's calls the team spec plays every other
role, and the learner sees only its own outputs and the chat addressed to it. The reward is
the team's ``score`` or ``success``, or ``credit``: the role's own share (per-role credit).

    >>> SreEnv = make_role_env_class("sre", team="heuristic", reward="credit")
    >>> trainer = GRPOTrainer(model, args=config, train_dataset=rows,
    ...                       environment_factory=SreEnv)
"""

from __future__ import annotations

from typing import Any, Literal

from ..env.roles import ALL, DEFAULT_ROLES, MAX_MESSAGE_CHARS, ROLES, SAY, STAND_BY
from ..harness.team_role import RoleEpisode
from ..scenarios import get
from ..tools.registry import REGISTRY, Param, ToolOutput, ToolSpec, load_all
from ..train.grpo import WarroomToolEnv, tool_method

RoleReward = Literal["score", "success", "credit"]


def _never(*_: Any, **__: Any) -> ToolOutput:
    raise RuntimeError("team tools are answered by the team episode, not by the registry")


def team_tool_specs() -> dict[str, ToolSpec]:
    """``say`` and ``stand_by`` as tool specs, so their methods are generated like the
    registry's (signature, type hints, docstring)."""
    addressees: Any = Literal[(*DEFAULT_ROLES, ALL)]  # an enum in the generated schema
    to = Param("to", addressees, True, None, f"a role ({', '.join(DEFAULT_ROLES)}) or {ALL}",
               {"type": "string", "enum": [*DEFAULT_ROLES, ALL]})
    message = Param("message", str, True, None, f"at most {MAX_MESSAGE_CHARS} characters",
                    {"type": "string"})
    return {SAY: ToolSpec(SAY, "team", "chat", 10.0, "Send a chat message to one role or "
                          "to all. Costs a little simulated time.", (to, message), _never),
            STAND_BY: ToolSpec(STAND_BY, "team", "chat", 0.0,
                               "Pass this turn (nothing to do yet).", (), _never)}


class RoleToolEnv(WarroomToolEnv):
    """Base of the generated role environments: opens a ``RoleEpisode``."""

    _role: str = ""
    _team: str = "heuristic"

    def _open(self, scenario: str) -> Any:
        return RoleEpisode(get(scenario), self._role, self._team, **self._make_options)

    def get_reward(self) -> float:
        result = self._result()
        if result is None:
            return float(self._unfinished_reward)
        if self._reward == "credit":
            return float(result["team"]["roles"][self._role]["credit"])
        return float(result[self._reward])


def make_role_env_class(role: str, team: str = "heuristic", reward: RoleReward = "score",
                        unfinished_reward: float = 0.0, name: str | None = None,
                        **make_options: Any) -> type[RoleToolEnv]:
    """An ``environment_factory`` class that trains ``role`` (see the module docstring).

    Args:
        role: sre, oversight, developer or commander.
        team: the team spec that plays the other roles (``heuristic``, ``oracle``, or
            ``sre=...,developer=...``).
        reward: ``score`` or ``success`` of the team, or the role's own ``credit``.
        unfinished_reward: reward when the model stopped before the episode ended.
        name: class name (default ``Warroom<Role>Env``); TRL logs ``rewards/<name>/mean``.
        make_options: passed to the team episode (``max_rounds``, ``reward_config``...).
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; valid: {', '.join(ROLES)}")
    if reward not in ("score", "success", "credit"):
        raise ValueError(f"reward must be 'score', 'success' or 'credit', got {reward!r}")
    load_all()
    specs = {**REGISTRY, **team_tool_specs()}
    names = ROLES[role].tool_names()
    cls_name = name or f"Warroom{role.title()}Env"
    body: dict[str, Any] = {n: tool_method(specs[n]) for n in names}
    body.update(_tool_names=tuple(names), _reward=reward, _role=role, _team=team,
                _unfinished_reward=float(unfinished_reward), _make_options=dict(make_options),
                __module__=__name__, __qualname__=cls_name, __doc__=RoleToolEnv.__doc__)
    return type(cls_name, (RoleToolEnv,), body)
