"""Team policies: one policy per role, the registry of role policies, and team specs.

A role policy sees only what its role sees: the incident page and its own outputs
(``Observation``), and the chat messages addressed to it (``inbox``, new since its last
turn). It returns one ``ToolCall`` per turn. Only ``needs_truth`` policies (the oracle)
get the ground truth.

A team spec names a policy for every role (``heuristic``) or per role
(``sre=oracle,developer=heuristic,...``; a role left out plays ``heuristic``); each role's
policy is a policy spec as in ``harness.policies`` (``llm:model=A,base_url=...``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..env.roles import DEFAULT_ROLES, ROLES
from ..scoring.team import ChatMessage
from ..types import Observation, ToolCall
from ..world.faults import Truth


class RolePolicy:
    """Base class: override ``act``; ``reset`` starts an episode for one role."""

    name = "base"
    needs_truth = False

    def reset(self, role: str, roles: list[str], page: Observation,
              tools: list[dict[str, Any]], seed: int,
              truths: list[Truth] | None = None) -> None:
        self.role = role
        self.roles = list(roles)
        self.tool_names = {t["function"]["name"] for t in tools}

    def act(self, observation: Observation, inbox: list[ChatMessage]) -> ToolCall:
        raise NotImplementedError


ROLE_POLICIES: dict[str, Callable[..., RolePolicy]] = {}


def register_role_policy(name: str) -> Callable[[Callable[..., RolePolicy]],
                                                Callable[..., RolePolicy]]:
    def deco(factory: Callable[..., RolePolicy]) -> Callable[..., RolePolicy]:
        ROLE_POLICIES[name] = factory
        return factory

    return deco


def load_all() -> None:
    import importlib

    for mod in ("team_oracle", "team_heuristic", "team_random", "team_llm"):
        try:
            importlib.import_module(f"{__package__}.{mod}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{mod}":
                raise


def make_role_policy(name: str, **kwargs: Any) -> RolePolicy:
    load_all()
    if name not in ROLE_POLICIES:
        raise KeyError(f"unknown team policy {name!r}; valid: "
                       f"{', '.join(sorted(ROLE_POLICIES))}")
    return ROLE_POLICIES[name](**kwargs)


def parse_team(spec: str, roles: list[str] | tuple[str, ...] = DEFAULT_ROLES,
               default: str = "heuristic") -> dict[str, str]:
    """``{role: policy spec}`` from ``name`` or ``role=spec,role=spec``; options of a
    role's spec may contain commas (``sre=llm:model=A,base_url=X,developer=oracle``)."""
    spec = spec.strip()
    if not spec:
        raise ValueError("empty team spec")
    head = spec.split(",", 1)[0].split("=", 1)[0].strip()
    if head not in ROLES:
        return dict.fromkeys(roles, spec)
    out: dict[str, str] = {}
    current: str | None = None
    for item in spec.split(","):
        key, eq, val = item.partition("=")
        if eq and key.strip() in ROLES:
            current = key.strip()
            if current in out:
                raise ValueError(f"role {current!r} given twice in {spec!r}")
            out[current] = val.strip()
        elif current is not None:
            out[current] += "," + item.strip()
    unknown = sorted(set(out) - set(roles))
    if unknown:
        raise ValueError(f"team spec names role(s) {unknown} not in {list(roles)}")
    return {r: out.get(r, default) for r in roles}


def team_label(team: dict[str, str]) -> str:
    """A team's name in results: the policy if all roles share one, else role=spec."""
    specs = set(team.values())
    if len(specs) == 1:
        return f"team:{next(iter(specs))}"
    return "team:" + ",".join(f"{r}={s}" for r, s in team.items())
