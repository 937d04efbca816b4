"""warroom: a deterministic incident war room for AI agents.

    >>> import warroom
    >>> ep = warroom.make("db_connection_leak/checkout/medium/v3")
    >>> obs = ep.reset(seed=0)
    >>> result = ep.step(warroom.ToolCall("list_alerts", {}))
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .env.episode import Episode
from .env.team import TeamEpisode
from .types import Observation, StepResult, ToolCall

__version__ = "0.1.0"
__all__ = ["Episode", "Observation", "StepResult", "TeamEpisode", "ToolCall", "make",
           "make_domain", "make_hierarchy", "make_team"]


def _scenario(scenario: str | Path | Any) -> Any:
    from .scenarios import get
    from .scenarios.spec import Scenario

    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, Path) or (isinstance(scenario, str) and scenario.endswith(
            (".yaml", ".yml", ".json"))):
        from .scenarios.files import load

        return load(Path(scenario))
    return get(str(scenario))


def make_team(scenario: str | Path | Any, roles: list[str] | None = None,
              order: list[str] | None = None, **options: Any) -> TeamEpisode:
    """A TeamEpisode (roles, partial views, turn order, chat) for a scenario as in ``make``.

    Options: ``rounds`` (override the round budget), ``reward_config``,
    ``oversight_weight`` (multiplier of Oversight's credit).
    """
    return TeamEpisode(_scenario(scenario), roles, order, **options)


def make(scenario: str | Path | Any, **options: Any) -> Episode:
    """An Episode for a catalog id, a scenario file path, or a ``Scenario`` object.

    Options: ``max_steps`` (override the step budget), ``reward_config`` (a named config).
    """
    from .scenarios import get
    from .scenarios.spec import Scenario

    if isinstance(scenario, Scenario):
        sc = scenario
    elif isinstance(scenario, Path) or (isinstance(scenario, str) and scenario.endswith(
            (".yaml", ".yml", ".json"))):
        from .scenarios.files import load

        sc = load(Path(scenario))
    else:
        sc = get(str(scenario))
    return Episode(sc, **options)


def make_hierarchy(scenario: str | Path | Any, subagents: Any = None, **options: Any) -> Any:
    """A ``HierarchyEpisode`` for a scenario as in ``make``: the top level's tools are
    ``ask_<domain>(question)`` and ``submit_report``. ``subagents``: ``None`` (heuristic
    experts), or ``{domain: "heuristic" | {"llm": {...LLMPolicy options}} | factory}``.
    Options: ``max_steps`` (top-level budget), ``sub_steps``, ``reward_config``.
    """
    from .agents.orch_base import subagents as build_subagents
    from .env.orchestrator import HierarchyEpisode

    return HierarchyEpisode(_scenario(scenario), build_subagents(subagents), **options)


def make_domain(task_id: str, seed: int | None = None, scenario: str | Path | Any = None,
                **options: Any) -> Any:
    """A ``DomainEpisode`` for a fact task id (``warroom tasks`` lists them): the domain's
    tools plus ``answer(text)``, graded on the task's facts and decoys. ``seed``: the
    world's (default: the task's own). A scenario file's own task
    (``<domain>/file:<n>@<scenario id>``) needs ``scenario``: the file or ``Scenario``.
    Options: ``step_budget``. An unknown id raises ``KeyError``.
    """
    from .env.domain import DomainEpisode
    from .scenarios.file_tasks import open_any

    sc = None if scenario is None else _scenario(scenario)
    task = open_any(str(task_id), seed, sc)
    return DomainEpisode(task.domain, task=task, **options)
